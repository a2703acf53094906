// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Windows command-line quoting. Splitting is checked against the examples in
// Microsoft's "Parsing C command-line arguments" table; escaping against Go's
// syscall.EscapeArg outputs (what hcsshim sends) and by round trips.

#include "hcs/command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace winsnap::hcs {
namespace {

using ::testing::ElementsAre;

TEST(SplitCommandLineTest, MicrosoftDocumentedExamples) {
  EXPECT_THAT(SplitCommandLine(R"("a b c" d e)"),
              ElementsAre("a b c", "d", "e"));
  EXPECT_THAT(SplitCommandLine(R"("ab\"c" "\\" d)"),
              ElementsAre("ab\"c", "\\", "d"));
  EXPECT_THAT(SplitCommandLine(R"(a\\\b d"e f"g h)"),
              ElementsAre(R"(a\\\b)", "de fg", "h"));
  EXPECT_THAT(SplitCommandLine(R"(a\\\"b c d)"),
              ElementsAre(R"(a\"b)", "c", "d"));
  EXPECT_THAT(SplitCommandLine(R"(a\\\\"b c" d e)"),
              ElementsAre(R"(a\\b c)", "d", "e"));
}

TEST(SplitCommandLineTest, WhitespaceAndEmptyArguments) {
  EXPECT_THAT(SplitCommandLine(""), ElementsAre());
  EXPECT_THAT(SplitCommandLine(" \t "), ElementsAre());
  EXPECT_THAT(SplitCommandLine("  a\t\tb  "), ElementsAre("a", "b"));
  EXPECT_THAT(SplitCommandLine(R"(a "" b)"), ElementsAre("a", "", "b"));
  EXPECT_THAT(SplitCommandLine(R"("")"), ElementsAre(""));
  EXPECT_THAT(SplitCommandLine(R"("a ""quoted"" word")"),
              ElementsAre("a \"quoted\" word"));
}

TEST(EscapeArgTest, MatchesGoEscapeArg) {
  EXPECT_EQ(EscapeArg(""), R"("")");
  EXPECT_EQ(EscapeArg("plain"), "plain");
  EXPECT_EQ(EscapeArg("C:\\Windows"), "C:\\Windows");  // no quote follows
  EXPECT_EQ(EscapeArg("a b"), R"("a b")");
  EXPECT_EQ(EscapeArg("a\tb"), "\"a\tb\"");
  EXPECT_EQ(EscapeArg(R"(say "hi")"), R"("say \"hi\"")");
  EXPECT_EQ(EscapeArg(R"(x"y)"), R"(x\"y)");
  // Trailing backslashes: only doubled when a closing quote follows.
  EXPECT_EQ(EscapeArg("C:\\Program Files\\"), R"("C:\Program Files\\")");
  EXPECT_EQ(EscapeArg("dir\\"), "dir\\");
  EXPECT_EQ(EscapeArg(R"(a\"b)"), R"(a\\\"b)");
  EXPECT_EQ(EscapeArg(R"(a\\ b)"), R"("a\\ b")");
}

TEST(EscapeArgTest, JoinCommandLine) {
  EXPECT_EQ(JoinCommandLine({"cmd", "/c", "echo hello world"}),
            R"(cmd /c "echo hello world")");
  EXPECT_EQ(JoinCommandLine({}), "");
  EXPECT_EQ(JoinCommandLine({"a", "", "b"}), R"(a "" b)");
}

TEST(EscapeArgTest, TrickyArgumentsRoundTrip) {
  const std::vector<std::string> args = {
      "",
      "\\",
      "\\\\",
      "\"",
      "\\\"",
      "a b\\",
      "a b\\\\",
      "ends with \"",
      "\" \"",
      "\t",
      "C:\\Program Files\\App\\",
      "x\\\\\"y z",
      "\\\\server\\share",
      "no-space\\",
      "mixed \\\"\\ and\\\\",
      "a\"\"b",
      "  ",
  };
  EXPECT_EQ(SplitCommandLine(JoinCommandLine(args)), args);
}

TEST(EscapeArgTest, RandomArgumentsRoundTrip) {
  // Alphabet weighted toward the characters the rules care about.
  const std::string alphabet = "ab \t\"\\\\\\\"x";
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<std::string> args(1 + rng() % 4);
    for (std::string& a : args) {
      size_t len = rng() % 8;
      for (size_t i = 0; i < len; ++i)
        a.push_back(alphabet[rng() % alphabet.size()]);
    }
    ASSERT_EQ(SplitCommandLine(JoinCommandLine(args)), args)
        << "command line: " << JoinCommandLine(args);
  }
}

}  // namespace
}  // namespace winsnap::hcs
