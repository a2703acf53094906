// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl service install`'s command line (issue 10) through Windows' own
// parser, under Wine: CommandLineToArgvW on ServiceCommandLine's result
// gives back the exe and every value as one argument each, including roots
// and pipe names with spaces, quotes and trailing backslashes.

#include <windows.h>

#include <shellapi.h>

#include <string>
#include <vector>

#include "base/utf16_windows.h"
#include "hcs/command_line.h"
#include "tests/testutil/status_matchers.h"
#include "tools/service_command.h"

namespace winsnap::tools {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> WindowsSplit(const std::string& line) {
  int n = 0;
  LPWSTR* argv = ::CommandLineToArgvW(base::Widen(line).c_str(), &n);
  std::vector<std::string> out;
  if (argv == nullptr) return out;
  for (int i = 0; i < n; ++i) out.push_back(base::Narrow(argv[i]));
  ::LocalFree(argv);
  return out;
}

TEST(ServiceWindowsTest, QuotedArgumentsRoundTripThroughCommandLineToArgvW) {
  const std::vector<std::string> args = {
      "x",      "a b",      "C:\\Program Files\\w\\", "\"",      "\\\"",
      "\\\\\"", "ends\\\\", "\\\\.\\pipe\\p q",       "q\"u\"o", "a\\\\\\\"b"};
  std::string line = "prog.exe";
  for (const std::string& a : args) line += " " + hcs::EscapeArg(a);
  std::vector<std::string> got = WindowsSplit(line);
  ASSERT_FALSE(got.empty());
  got.erase(got.begin());
  EXPECT_EQ(got, args) << line;
}

TEST(ServiceWindowsTest, ServiceCommandLineSplitsBackIntoItsParts) {
  ServiceSpec s;
  s.exe = "C:\\Program Files\\winsnap\\snapctl.exe";
  s.root = "C:\\win snap\\root\\";
  s.address = "\\\\.\\pipe\\winsnap test";
  s.name = "winsnap-test";
  ASSERT_OK_AND_ASSIGN(std::string cmd, ServiceCommandLine(s));
  EXPECT_THAT(WindowsSplit(cmd),
              ElementsAre(s.exe, "serve", "--run-service", "--root", s.root,
                          "--address", s.address, "--shutdown-grace", "10",
                          "--service-name", "winsnap-test"));
}

}  // namespace
}  // namespace winsnap::tools
