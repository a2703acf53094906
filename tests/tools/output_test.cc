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

// A Windows path keeps its separators as they are; controls are escaped.
TEST(OutputTest, EscapePathForTerminalKeepsBackslashes) {
  EXPECT_EQ(EscapePathForTerminal("C:\\w\\snapshots\\2"),
            "C:\\w\\snapshots\\2");
  EXPECT_EQ(EscapePathForTerminal("C:\\a\nb\\1"), "C:\\a\\nb\\1");
}
}  // namespace
}  // namespace winsnap::tools
