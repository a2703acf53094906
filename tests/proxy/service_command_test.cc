// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The portable part of `snapctl service install` (issue 10): the command
// line the Windows service control manager starts, checked against a fixed
// example and by splitting it again with the MSVC runtime's argv rules
// (hcs::SplitCommandLine; each argument is quoted by hcs::EscapeArg, whose
// own tests are tests/hcs/command_line_test.cc, and the real
// CommandLineToArgvW round trip runs under Wine in
// tests/windows/service_windows_test.cc); and `snapctl service` on Linux:
// hidden from --help, one line and exit status 2.

#include "tools/service_command.h"

#include <string>
#include <vector>

#include "hcs/command_line.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::tools {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::winsnap::testing::StatusIs;

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
  // hcs::SplitCommandLine applies the MSVC runtime's argv rules.
  EXPECT_THAT(hcs::SplitCommandLine(cmd.substr(exe.size())),
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
