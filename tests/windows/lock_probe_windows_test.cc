// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Windows lock probe against a lock taken exactly as bbolt takes it on
// Windows (bolt_windows.go: LockFileEx, exclusive, 1 byte at offset 2^64-1).
// LockFileEx locks belong to a handle, so a second handle in this process
// sees the lock as another process would. Runs under Wine.

#include <windows.h>

#include "base/env.h"
#include "base/unique_handle_windows.h"
#include "metadata/bbolt/lock_probe.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::bbolt {
namespace {

using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

base::UniqueHandle OpenDb(const std::string& path) {
  std::wstring w(path.begin(), path.end());  // ASCII temp paths
  return base::UniqueHandle(
      ::CreateFileW(w.c_str(), GENERIC_READ | GENERIC_WRITE,
                    FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_ALWAYS,
                    FILE_ATTRIBUTE_NORMAL, nullptr));
}

TEST(LockProbeWindowsTest, SeesBboltsLockAndDoesNotKeepOne) {
  TempDir dir;
  std::string db = dir.Sub("metadata.db");
  ASSERT_OK(base::Env::Default()->WriteFileAtomic(db, "bolt"));
  ASSERT_OK_AND_ASSIGN(auto none, FileLockHolders(db));
  EXPECT_TRUE(none.empty());

  base::UniqueHandle holder = OpenDb(db);
  ASSERT_TRUE(holder.valid());
  OVERLAPPED ov = {};
  ov.Offset = MAXDWORD;
  ov.OffsetHigh = MAXDWORD;
  // If the probe had kept its shared lock, this exclusive one would fail.
  ASSERT_TRUE(::LockFileEx(holder.get(),
                           LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
                           0, 1, 0, &ov))
      << ::GetLastError();
  ASSERT_OK_AND_ASSIGN(auto held, FileLockHolders(db));
  EXPECT_EQ(held, std::vector<int64_t>{-1});
  ASSERT_TRUE(::UnlockFileEx(holder.get(), 0, 1, 0, &ov));
  ASSERT_OK_AND_ASSIGN(none, FileLockHolders(db));
  EXPECT_TRUE(none.empty());

  EXPECT_THAT(FileLockHolders(dir.Sub("absent")),
              StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace winsnap::bbolt
