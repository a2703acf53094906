// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The snapshotter on a Windows root, under Wine: drive-path roots (both
// slash forms), refused UNC/relative roots, windows-layer mounts with
// backslash paths exactly as containerd prints them, staging locks, and
// deletion of trees holding read-only files. Runs on Windows paths only.

#include <fstream>

#include "base/env.h"
#include "base/gojson.h"
#include "snapshotter/snapshotter.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::snapshotter {
namespace {

using ::testing::ElementsAre;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

class SnapshotterWindowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (base::NativePathStyle() != base::PathStyle::kWindows)
      GTEST_SKIP() << "Windows paths only";
    root_ = dir_.Sub("root");
  }
  StatusOr<std::unique_ptr<Snapshotter>> OpenRoot(const std::string& root) {
    Options o;
    o.root = root;
    return Snapshotter::Open(o);
  }
  TempDir dir_;
  std::string root_;
};

TEST_F(SnapshotterWindowsTest, RootIsADrivePathInEitherSlashForm) {
  ASSERT_EQ(root_[1], ':') << root_;
  std::string forward = root_;
  for (char& c : forward)
    if (c == '\\') c = '/';
  ASSERT_OK_AND_ASSIGN(auto sn, OpenRoot(forward + "/"));
  EXPECT_EQ(sn->root(), root_);
  EXPECT_TRUE(base::Env::Default()->IsDirectory(root_ + "\\snapshots"));
}

TEST_F(SnapshotterWindowsTest, RelativeAndUncRootsAreRefused) {
  EXPECT_THAT(OpenRoot("winsnap"),
              StatusIs(StatusCode::kInvalidArgument, "absolute drive path"));
  EXPECT_THAT(OpenRoot("\\\\server\\share\\winsnap"),
              StatusIs(StatusCode::kInvalidArgument, "UNC"));
}

TEST_F(SnapshotterWindowsTest, MountsUseBackslashPathsNearestParentFirst) {
  ASSERT_OK_AND_ASSIGN(auto sn, OpenRoot(root_));
  ASSERT_OK(sn->Prepare("p1", "").status());
  ASSERT_OK(sn->Commit("one", "p1"));
  ASSERT_OK(sn->Prepare("p2", "one").status());
  ASSERT_OK(sn->Commit("two", "p2"));
  ASSERT_OK_AND_ASSIGN(auto mounts, sn->Prepare("my-test", "two"));
  const std::string snaps = root_ + "\\snapshots\\";
  // Ids are allocated 1, 2, 3 in order on a fresh root.
  EXPECT_THAT(mounts,
              ElementsAre(Mount{
                  "windows-layer",
                  snaps + "3",
                  "",
                  {"rw", "parentLayerPaths=[" + base::GoJsonQuote(snaps + "2") +
                             "," + base::GoJsonQuote(snaps + "1") + "]"}}));
  // Go's JSON doubles each backslash: "C:\\...\\snapshots\\2".
  std::string q = base::GoJsonQuote(snaps + "2");
  EXPECT_NE(q.find("\\\\snapshots\\\\2"), std::string::npos) << q;
  ASSERT_OK_AND_ASSIGN(Info info, sn->Stat("my-test"));
  EXPECT_EQ(info.path, snaps + "3");
}

TEST_F(SnapshotterWindowsTest, StagingIsLockedAndCommitted) {
  ASSERT_OK_AND_ASSIGN(auto sn, OpenRoot(root_));
  ASSERT_OK_AND_ASSIGN(StagingDir st, sn->BeginStaging());
  std::string lock = st.path() + ".lock";
  ASSERT_OK_AND_ASSIGN(auto other,
                       base::Env::Default()->OpenLockFile(lock, false));
  EXPECT_THAT(other->TryLock(), StatusIs(StatusCode::kUnavailable));
  other.reset();
  { std::ofstream(st.path() + "\\layer.txt") << "x"; }
  ASSERT_OK(sn->CommitStaged(std::move(st), "layer", ""));
  EXPECT_FALSE(base::Env::Default()->Exists(lock));
  ASSERT_OK_AND_ASSIGN(Info info, sn->Stat("layer"));
  EXPECT_TRUE(base::Env::Default()->Exists(info.path + "\\layer.txt"));
}

TEST_F(SnapshotterWindowsTest, RemoveAndCleanupDeleteReadOnlyFiles) {
  ASSERT_OK_AND_ASSIGN(auto sn, OpenRoot(root_));
  ASSERT_OK(sn->Prepare("a", "").status());
  ASSERT_OK_AND_ASSIGN(Info a, sn->Stat("a"));
  base::Env* env = base::Env::Default();
  ASSERT_OK(env->CreateDirs(a.path + "\\Files\\deep"));
  std::string f = a.path + "\\Files\\deep\\sealed";
  ASSERT_OK(env->WriteFileAtomic(f, "data"));
  ASSERT_OK(env->Chmod(f, 0444));
  ASSERT_OK(env->Chmod(a.path + "\\Files\\deep", 0555));
  ASSERT_OK(sn->Remove("a"));
  ASSERT_OK_AND_ASSIGN(CleanupReport r, sn->Cleanup());
  EXPECT_EQ(r.remaining, 0);
  EXPECT_FALSE(env->Exists(a.path));
  ASSERT_OK_AND_ASSIGN(auto trash, env->ListDir(root_ + "\\trash"));
  EXPECT_TRUE(trash.empty());
}

}  // namespace
}  // namespace winsnap::snapshotter
