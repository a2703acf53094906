// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The portable part of `snapctl service install` (issue 10): the quoting of
// the command line the Windows service control manager starts, checked
// against fixed examples from Microsoft's "Parsing C++ command-line
// arguments" rules and by a round trip through an independent parser of
// those rules (the real CommandLineToArgvW round trip runs under Wine in
// tests/windows/service_windows_test.cc); and `snapctl service` on Linux:
// hidden from --help, one line and exit status 2.

#include "tools/service_command.h"

#include <string>
#include <vector>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::tools {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::winsnap::testing::StatusIs;

// The MSVC runtime's / CommandLineToArgvW's splitting of arguments after the
// program name (2n backslashes + '"' -> n backslashes and a quote toggle;
// 2n+1 backslashes + '"' -> n backslashes and a literal '"'; backslashes
// not before a '"' are literal; "" inside quotes is not special-cased
// here since QuoteWindowsArg never produces it).
std::vector<std::string> SplitArgs(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    std::string arg;
    bool quoted = false;
    while (i < s.size()) {
      char c = s[i];
      if (!quoted && (c == ' ' || c == '\t')) break;
      if (c == '\\') {
        size_t n = 0;
        while (i < s.size() && s[i] == '\\') ++n, ++i;
        if (i < s.size() && s[i] == '"') {
          arg.append(n / 2, '\\');
          if (n % 2 == 1) {
            arg.push_back('"');
            ++i;
          }
        } else {
          arg.append(n, '\\');
        }
        continue;
      }
      if (c == '"') {
        quoted = !quoted;
        ++i;
        continue;
      }
      arg.push_back(c);
      ++i;
    }
    out.push_back(arg);
  }
  return out;
}

TEST(QuoteWindowsArgTest, PlainArgumentsStayAsTheyAre) {
  EXPECT_EQ(QuoteWindowsArg("C:\\ProgramData\\winsnap"),
            "C:\\ProgramData\\winsnap");
  EXPECT_EQ(QuoteWindowsArg("\\\\.\\pipe\\winsnap"), "\\\\.\\pipe\\winsnap");
  EXPECT_EQ(QuoteWindowsArg("a\\\\\\b"), "a\\\\\\b");
}

TEST(QuoteWindowsArgTest, SpacesQuotesAndTrailingBackslashes) {
  EXPECT_EQ(QuoteWindowsArg(""), "\"\"");
  EXPECT_EQ(QuoteWindowsArg("a b c"), "\"a b c\"");
  EXPECT_EQ(QuoteWindowsArg("ab\"c"), "\"ab\\\"c\"");
  // a\"b (one backslash before the quote): three backslashes, then \".
  EXPECT_EQ(QuoteWindowsArg("a\\\"b"), "\"a\\\\\\\"b\"");
  // A trailing backslash inside quotes is doubled, or it would escape the
  // closing quote: C:\My Root\ -> "C:\My Root\\".
  EXPECT_EQ(QuoteWindowsArg("C:\\My Root\\"), "\"C:\\My Root\\\\\"");
  EXPECT_EQ(QuoteWindowsArg("tab\there"), "\"tab\there\"");
}

TEST(QuoteWindowsArgTest, RoundTripsThroughTheArgvRules) {
  const std::vector<std::string> args = {
      "",          "x",       "a b",           "C:\\Program Files\\w\\",
      "\"",        "\\\"",    "\\\\\"",        "ends\\\\",
      "\\\\.\\p",  "q\"u\"o", "sp ace\\\\ \\", "  lead",
      "a\\\\\\\"b"};
  std::string line;
  for (const std::string& a : args) line += QuoteWindowsArg(a) + " ";
  EXPECT_EQ(SplitArgs(line), args) << line;
}

ServiceSpec Spec() {
  ServiceSpec s;
  s.exe = "C:\\Program Files\\winsnap\\snapctl.exe";
  s.root = "C:\\ProgramData\\winsnap";
  s.address = "\\\\.\\pipe\\winsnap";
  return s;
}

TEST(ServiceCommandLineTest, QuotedExeThenServeRunService) {
  ASSERT_OK_AND_ASSIGN(std::string cmd, ServiceCommandLine(Spec()));
  EXPECT_EQ(cmd,
            "\"C:\\Program Files\\winsnap\\snapctl.exe\" serve --run-service "
            "--root C:\\ProgramData\\winsnap --address \\\\.\\pipe\\winsnap "
            "--shutdown-grace 10 --service-name winsnap");
}

TEST(ServiceCommandLineTest, EveryValueComesBackAsOneArgument) {
  ServiceSpec s = Spec();
  s.root = "D:\\win snap\\root\\";
  s.address = "\\\\.\\pipe\\my pipe";
  s.name = "winsnap test";
  s.log_level = "debug";
  s.shutdown_grace = 3;
  ASSERT_OK_AND_ASSIGN(std::string cmd, ServiceCommandLine(s));
  // The exe: CreateProcess takes the program from the first quoted string.
  const std::string exe = "\"" + s.exe + "\" ";
  ASSERT_EQ(cmd.rfind(exe, 0), 0u) << cmd;
  EXPECT_THAT(SplitArgs(cmd.substr(exe.size())),
              ElementsAre("serve", "--run-service", "--root", s.root,
                          "--address", s.address, "--log-level", "debug",
                          "--shutdown-grace", "3", "--service-name", s.name));
}

TEST(ServiceCommandLineTest, BadInputsAreOneLineInvalidArgument) {
  ServiceSpec s = Spec();
  s.exe = "snapctl.exe";
  EXPECT_THAT(ServiceCommandLine(s).status(),
              StatusIs(StatusCode::kInvalidArgument, "absolute"));
  s = Spec();
  s.exe = "C:\\a\"b\\snapctl.exe";
  EXPECT_THAT(ServiceCommandLine(s).status(),
              StatusIs(StatusCode::kInvalidArgument, "double quote"));
  s = Spec();
  s.root = "relative\\root";
  EXPECT_THAT(ServiceCommandLine(s).status(),
              StatusIs(StatusCode::kInvalidArgument, "--root"));
  s = Spec();
  s.name = "a\\b";
  EXPECT_THAT(ServiceCommandLine(s).status(),
              StatusIs(StatusCode::kInvalidArgument, "service name"));
  s.name = "";
  EXPECT_THAT(ServiceCommandLine(s).status(),
              StatusIs(StatusCode::kInvalidArgument, "1..80"));
  s = Spec();
  s.shutdown_grace = -1;
  EXPECT_THAT(ServiceCommandLine(s).status(),
              StatusIs(StatusCode::kInvalidArgument, "negative"));
}

TEST(ServiceCommandLinuxTest, HiddenFromHelpAndRefusedInOneLine) {
  const std::string snapctl = winsnap::testing::ToolPath("snapctl");
  auto help = winsnap::testing::RunCommand({snapctl, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("\n  serve "));
  EXPECT_THAT(help.out, Not(HasSubstr("\n  service ")));
  for (std::vector<std::string> argv :
       {std::vector<std::string>{snapctl, "service", "install", "--root",
                                 "C:\\x", "--name", "w"},
        std::vector<std::string>{snapctl, "service", "uninstall"},
        std::vector<std::string>{snapctl, "service"}}) {
    auto r = winsnap::testing::RunCommand(argv);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr("Windows-only"));
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  }
}

}  // namespace
}  // namespace winsnap::tools
