// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// TempDir: a fresh directory under $TMPDIR (else $TEMP, else /tmp) removed with
// its contents when the object is destroyed. Not thread-safe.

#ifndef WINSNAP_TESTS_TESTUTIL_TEMP_DIR_H_
#define WINSNAP_TESTS_TESTUTIL_TEMP_DIR_H_

#include <string>
#include <vector>

namespace winsnap::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // base::JoinPath(path(), name): "/" on Linux, "\\" on Windows.
  std::string Sub(const std::string& name) const;

 private:
  std::string path_;
};

// Absolute path of a built tool (e.g. "snapctl"): $WINSNAP_BIN_DIR/<name>,
// falling back to the directory CMake baked in at configure time.
std::string ToolPath(const std::string& name);

// True if "path" exists (any type; a symlink is not followed).
bool Exists(const std::string& path);
// True if "path" is a mount point (its device differs from its parent's).
bool IsMountPoint(const std::string& path);

struct CommandResult {
  int exit_code = -1;  // -1 if killed by a signal
  std::string out;
  std::string err;
};

// Runs argv (no shell) with optional stdin text; captures stdout and stderr.
// POSIX only: on Windows it returns exit_code -1 and says so in err, so a
// test that needs a helper process skips there (the Wine CLI tests drive
// snapctl.exe from tests/windows/cli_test.sh instead).
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::string& stdin_text = "");

}  // namespace winsnap::testing

#endif  // WINSNAP_TESTS_TESTUTIL_TEMP_DIR_H_
