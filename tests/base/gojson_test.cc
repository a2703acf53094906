// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/gojson.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace winsnap::base
