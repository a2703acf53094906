// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// LmdbError maps LMDB's own codes and the OS error numbers LMDB passes
// through: errno values on Linux, Win32 codes on Windows (this test runs
// natively and, cross-built, under Wine).

#include <lmdb.h>

#include <cerrno>

#include "base/path.h"
#include "metadata/lmdb.h"
#include "tests/testutil/status_matchers.h"

namespace winsnap::metadata::lmdb {
namespace {

using ::winsnap::testing::StatusIs;

bool OnWindows() {
  return base::NativePathStyle() == base::PathStyle::kWindows;
}

TEST(LmdbErrorTest, LmdbCodes) {
  EXPECT_THAT(LmdbError("mdb_put", MDB_MAP_FULL),
              StatusIs(StatusCode::kResourceExhausted, "mdb_put"));
  EXPECT_THAT(LmdbError("mdb_get", MDB_CORRUPTED),
              StatusIs(StatusCode::kDataLoss));
}

TEST(LmdbErrorTest, OsCodesOfThisPlatform) {
  // Disk full, access denied, sharing and lock violation as each OS numbers
  // them (Windows: 112, 5, 32, 33).
  const int full = OnWindows() ? 112 : ENOSPC;
  const int denied = OnWindows() ? 5 : EACCES;
  EXPECT_THAT(LmdbError("mdb_txn_commit", full),
              StatusIs(StatusCode::kResourceExhausted, "mdb_txn_commit"));
  EXPECT_THAT(LmdbError("mdb_env_open", denied),
              StatusIs(StatusCode::kPermissionDenied));
  if (OnWindows()) {
    EXPECT_THAT(LmdbError("mdb_env_open", 32),
                StatusIs(StatusCode::kUnavailable));
    EXPECT_THAT(LmdbError("mdb_txn_begin", 33),
                StatusIs(StatusCode::kUnavailable));
  } else {
    EXPECT_THAT(LmdbError("mdb_env_open", ENOENT),
                StatusIs(StatusCode::kNotFound));
  }
  EXPECT_THAT(LmdbError("mdb_env_open", 1234567),
              StatusIs(StatusCode::kInternal));
}

}  // namespace
}  // namespace winsnap::metadata::lmdb
