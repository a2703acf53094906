// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/gojson.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace winsnap::base {
namespace {

// Expected values are what Go 1.19's json.Marshal prints for the same input.
TEST(GoJsonTest, EscapesLikeGo) {
  EXPECT_EQ(GoJsonQuote(R"(C:\ProgramData\snapshots\3)"),
            R"("C:\\ProgramData\\snapshots\\3")");
  EXPECT_EQ(GoJsonQuote("a\"b"), R"("a\"b")");
  EXPECT_EQ(GoJsonQuote("<&>"), R"("\u003c\u0026\u003e")");
  EXPECT_EQ(GoJsonQuote("\n\t\r\x01"), R"("\n\t\r\u0001")");
  EXPECT_EQ(GoJsonQuote("/x/y"), R"("/x/y")");
  EXPECT_EQ(GoJsonQuote("\xe2\x80\xa8"), R"("\u2028")");
  EXPECT_EQ(GoJsonQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(GoJsonQuote("bad\xff"), R"("bad\ufffd")");
  EXPECT_EQ(GoJsonQuote("\xc0\xaf"), R"("\ufffd\ufffd")");  // overlong '/'
}

TEST(GoJsonTest, CompactArray) {
  EXPECT_EQ(GoJsonStringArray({}), "[]");
  EXPECT_EQ(GoJsonStringArray({"a", "b\\c"}), R"(["a","b\\c"])");
}

// Expected texts are what Go 1.19's json.MarshalIndent(v, "", "    ") prints
// for the equivalent Go values.
TEST(GoJsonTest, MarshalIndentMatchesGo) {
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

// Expected texts are what Go 1.19's json.Marshal prints for the equivalent
// Go values (a struct for ordered_json, a map for json).
TEST(GoJsonTest, MarshalIsCompactAndHtmlSafe) {
  using oj = nlohmann::ordered_json;
  oj v;
  v["Z"] = "a<b";
  v["A"] = oj::array({1, "x", nullptr, true});
  v["E"] = oj::object();
  EXPECT_EQ(GoMarshal(v), R"({"Z":"a\u003cb","A":[1,"x",null,true],"E":{}})");
  nlohmann::json m = {{"z", 1}, {"a", "\xff"}};
  EXPECT_EQ(GoMarshal(m), R"({"a":"\ufffd","z":1})");
  EXPECT_EQ(GoMarshal(nlohmann::json::array()), "[]");
}

TEST(GoJsonTest, IsEmptyValueFollowsOmitempty) {
  EXPECT_TRUE(GoIsEmptyValue(false));
  EXPECT_FALSE(GoIsEmptyValue(true));
  EXPECT_TRUE(GoIsEmptyValue(0));
  EXPECT_FALSE(GoIsEmptyValue(uint64_t{3}));
  EXPECT_TRUE(GoIsEmptyValue(std::string()));
  EXPECT_FALSE(GoIsEmptyValue(std::string("x")));
  EXPECT_TRUE(GoIsEmptyValue(std::vector<std::string>{}));
  EXPECT_TRUE(GoIsEmptyValue(std::optional<std::string>{}));
  // A present optional is a non-nil pointer: kept even when its value is.
  EXPECT_FALSE(GoIsEmptyValue(std::optional<std::string>{""}));
}

}  // namespace
}  // namespace winsnap::base
