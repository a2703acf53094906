// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Env operations shared code needs instead of raw POSIX calls: lock files,
// temp dirs, file removal, filesystem sync. Written against the Env API only,
// so the same tests run on Linux and, cross-built, under Wine.

#include <algorithm>

#include "base/env.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::base {
namespace {

using ::testing::StartsWith;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

class EnvLockTest : public ::testing::Test {
 protected:
  std::string Sub(const std::string& name) {
    return JoinPath(dir_.path(), name);
  }
  Env* env_ = Env::Default();
  TempDir dir_;
};

TEST_F(EnvLockTest, SecondOwnerIsRefusedUntilTheFirstUnlocks) {
  std::string p = Sub("x.lock");
  ASSERT_OK_AND_ASSIGN(auto a, env_->OpenLockFile(p, /*create=*/true));
  ASSERT_OK_AND_ASSIGN(auto b, env_->OpenLockFile(p, /*create=*/false));
  ASSERT_OK(a->TryLock());
  EXPECT_TRUE(a->locked());
  EXPECT_OK(a->TryLock());  // already held by this owner
  EXPECT_THAT(b->TryLock(), StatusIs(StatusCode::kUnavailable, p));
  EXPECT_FALSE(b->locked());
  ASSERT_OK(a->Unlock());
  EXPECT_FALSE(a->locked());
  EXPECT_OK(b->TryLock());
  EXPECT_EQ(b->path(), p);
}

TEST_F(EnvLockTest, DestroyingTheOwnerReleasesTheLock) {
  std::string p = Sub("y.lock");
  {
    ASSERT_OK_AND_ASSIGN(auto a, env_->OpenLockFile(p, true));
    ASSERT_OK(a->TryLock());
  }
  ASSERT_OK_AND_ASSIGN(auto b, env_->OpenLockFile(p, false));
  EXPECT_OK(b->TryLock());
}

TEST_F(EnvLockTest, LockFileCanBeRemovedWhileHeld) {
  std::string p = Sub("z.lock");
  ASSERT_OK_AND_ASSIGN(auto a, env_->OpenLockFile(p, true));
  ASSERT_OK(a->TryLock());
  ASSERT_OK(env_->RemoveFile(p));
  a.reset();
  EXPECT_FALSE(env_->Exists(p));
}

TEST_F(EnvLockTest, OpenWithoutCreateOfMissingIsNotFound) {
  EXPECT_THAT(env_->OpenLockFile(Sub("none.lock"), false),
              StatusIs(StatusCode::kNotFound));
}

TEST_F(EnvLockTest, TempDirsAreFreshAndUnique) {
  ASSERT_OK_AND_ASSIGN(std::string a, env_->CreateTempDir(dir_.path(), "l-"));
  ASSERT_OK_AND_ASSIGN(std::string b, env_->CreateTempDir(dir_.path(), "l-"));
  EXPECT_NE(a, b);
  EXPECT_THAT(a, StartsWith(Sub("l-")));
  EXPECT_TRUE(env_->IsDirectory(a));
  ASSERT_OK_AND_ASSIGN(auto entries, env_->ListDir(a));
  EXPECT_TRUE(entries.empty());
  EXPECT_THAT(env_->CreateTempDir(Sub("missing"), "l-"),
              StatusIs(StatusCode::kNotFound));
}

TEST_F(EnvLockTest, RemoveFileOfMissingIsNotFound) {
  EXPECT_THAT(env_->RemoveFile(Sub("gone")), StatusIs(StatusCode::kNotFound));
  std::string p = Sub("f");
  ASSERT_OK(env_->WriteFileAtomic(p, "x"));
  ASSERT_OK(env_->RemoveFile(p));
  EXPECT_FALSE(env_->Exists(p));
}

TEST_F(EnvLockTest, ReadOnlyTreeIsRemoved) {
  std::string t = Sub("ro");
  ASSERT_OK(env_->CreateDirs(JoinPath(t, "a")));
  std::string f = JoinPath(t, "a/file");
  ASSERT_OK(env_->WriteFileAtomic(f, "data"));
  ASSERT_OK(env_->Chmod(f, 0444));
  ASSERT_OK(env_->RemoveAll(t));
  EXPECT_FALSE(env_->Exists(t));
}

TEST_F(EnvLockTest, SyncFilesystemOfAFolderSucceeds) {
  EXPECT_OK(env_->SyncFilesystem(dir_.path()));
  EXPECT_THAT(env_->SyncFilesystem(Sub("missing")),
              StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace winsnap::base
