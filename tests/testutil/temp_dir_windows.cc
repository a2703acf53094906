// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Windows test helpers. Mount points do not exist for these tests, and the
// suites cross-built for Wine start no helper processes (tests/windows/
// cli_test.sh drives snapctl.exe from the Linux side), so RunCommand reports
// itself unavailable and callers skip.

#include "tests/testutil/temp_dir.h"

namespace winsnap::testing {

bool IsMountPoint(const std::string&) { return false; }

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::string&) {
  CommandResult r;
  r.err = "RunCommand is not available in the Windows test build (" +
          (argv.empty() ? std::string("no command") : argv[0]) + ")";
  return r;
}

}  // namespace winsnap::testing
