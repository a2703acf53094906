// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The portable half of the test helpers (TempDir, ToolPath); the process and
// mount helpers are in temp_dir_posix.cc / temp_dir_windows.cc.

#include "tests/testutil/temp_dir.h"

#include <cstdlib>
#include <stdexcept>

#include "base/env.h"

namespace winsnap::testing {
namespace {

// $TMPDIR, else $TEMP (set on Windows and under Wine), else /tmp.
std::string TempParent() {
  for (const char* var : {"TMPDIR", "TEMP"}) {
    const char* v = std::getenv(var);
    if (v && *v) return v;
  }
  return "/tmp";
}

}  // namespace

TempDir::TempDir() {
  auto dir = base::Env::Default()->CreateTempDir(TempParent(), "winsnap-test-");
  if (!dir.ok()) throw std::runtime_error(dir.status().ToString());
  path_ = *dir;
}

TempDir::~TempDir() { base::Env::Default()->RemoveAll(path_).IgnoreError(); }

std::string TempDir::Sub(const std::string& name) const {
  return base::JoinPath(path_, name);
}

std::string ToolPath(const std::string& name) {
  const char* dir = std::getenv("WINSNAP_BIN_DIR");
  std::string d = dir && *dir ? dir : WINSNAP_DEFAULT_BIN_DIR;
  return base::JoinPath(d, name);
}

bool Exists(const std::string& path) {
  return base::Env::Default()->Exists(path);
}

}  // namespace winsnap::testing
