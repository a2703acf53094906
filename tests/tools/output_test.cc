// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/output.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace winsnap::tools {
namespace {

// The expected text is what containerd 1.7's `ctr snapshots prepare --mounts`
// prints (json.MarshalIndent with four spaces) for a windows-layer mount.
TEST(OutputTest, MountsAsCtrPrintsThem) {
  snapshotter::Mount m{
      "windows-layer",
      R"(C:\ProgramData\containerd\root\io.containerd.snapshotter.v1.windows\snapshots\25)",
      "",
      {"rw", R"(parentLayerPaths=["C:\\x\\24","C:\\x\\23"])"}};
  EXPECT_EQ(GoIndentMounts({m}), R"([
    {
        "Type": "windows-layer",
        "Source": "C:\\ProgramData\\containerd\\root\\io.containerd.snapshotter.v1.windows\\snapshots\\25",
        "Target": "",
        "Options": [
            "rw",
            "parentLayerPaths=[\"C:\\\\x\\\\24\",\"C:\\\\x\\\\23\"]"
        ]
    }
])");
  EXPECT_EQ(GoIndentMounts({}), "[]");
}

// Expected texts are what Go 1.19's json.MarshalIndent(v, "", "    ") prints
// for the equivalent Go values.
TEST(OutputTest, GoMarshalIndentMatchesGo) {
  using oj = nlohmann::ordered_json;
  oj info;
  info["Kind"] = "Active";
  info["Name"] = "a<b>&c";
  info["Labels"] = std::map<std::string, std::string>{{"z", "1"}, {"a", ""}};
  info["Id"] = 7;
  info["Empty"] = oj::array();
  info["Obj"] = oj::object();
  info["Null"] = nullptr;
  info["Flag"] = false;
  info["Neg"] = -3;
  EXPECT_EQ(GoMarshalIndent(info), R"({
    "Kind": "Active",
    "Name": "a\u003cb\u003e\u0026c",
    "Labels": {
        "a": "",
        "z": "1"
    },
    "Id": 7,
    "Empty": [],
    "Obj": {},
    "Null": null,
    "Flag": false,
    "Neg": -3
})");
  EXPECT_EQ(GoMarshalIndent(oj::array({oj::array({1, 2}), "x"})), R"([
    [
        1,
        2
    ],
    "x"
])");
  EXPECT_EQ(GoMarshalIndent(oj("line\nbreak\t\x01\"q\"\\")),
            R"("line\nbreak\t\u0001\"q\"\\")");
  // Go replaces invalid UTF-8 with U+FFFD and keeps valid UTF-8 as is; it
  // escapes U+2028. nlohmann's dump would throw on the first string.
  EXPECT_EQ(GoMarshalIndent(oj("bad\xff")), R"("bad\ufffd")");
  EXPECT_EQ(GoMarshalIndent(oj("caf\xc3\xa9 \xe2\x80\xa8")),
            "\"caf\xc3\xa9 \\u2028\"");
  EXPECT_EQ(GoMarshalIndent(oj::object({{"k", "\xff"}})),
            "{\n    \"k\": \"\\ufffd\"\n}");
}

TEST(OutputTest, MountsWithoutOptionsMarshalNull) {
  snapshotter::Mount m{"bind", "/a&b", "", {}};
  EXPECT_EQ(GoIndentMounts({m}), R"([
    {
        "Type": "bind",
        "Source": "/a\u0026b",
        "Target": "",
        "Options": null
    }
])");
}

TEST(OutputTest, TableAlignsLikeTabwriter) {
  EXPECT_EQ(Table({{"KEY", "PARENT", "KIND"}, {"a-long-key", "", "Active"}}),
            "KEY        PARENT KIND\n"
            "a-long-key        Active\n");
}

TEST(OutputTest, TimesAndSizes) {
  EXPECT_EQ(Rfc3339Nano(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339Nano(1'700'000'000'120'000'000), "2023-11-14T22:13:20.12Z");
  EXPECT_EQ(HumanSize(0), "0.0 B");
  EXPECT_EQ(HumanSize(1536), "1.5 KiB");
  EXPECT_EQ(HumanSize(5ll << 30), "5.0 GiB");
}

TEST(OutputTest, EscapeForTerminalEscapesControlsLikeGnuLs) {
  EXPECT_EQ(EscapeForTerminal("plain-key sha256:ab"), "plain-key sha256:ab");
  EXPECT_EQ(EscapeForTerminal("a\x1b[31mb\nc\td\\e"),
            "a\\033[31mb\\nc\\td\\\\e");
  EXPECT_EQ(EscapeForTerminal("\x7f\x01"), "\\177\\001");
  EXPECT_EQ(EscapeForTerminal("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 kept
  EXPECT_EQ(EscapeForTerminal("\xc2\x9b"), "\\302\\233");      // C1 CSI
  EXPECT_EQ(EscapeForTerminal("\xff"), "\\377");               // not UTF-8
}
}  // namespace
}  // namespace winsnap::tools
