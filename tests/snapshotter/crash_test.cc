// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Crash consistency: a forked child runs one operation and SIGKILLs itself
// at an injected point; the parent reopens the root and checks that the store
// opens, the operation is either fully there or fully absent, and no folder
// without a record survives. Also a two-process writer/reader test.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <set>

#include "snapshotter/snapshotter.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::snapshotter {
namespace {

using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

class CrashTest : public ::testing::Test {
 protected:
  Options Opts() const {
    Options o;
    o.root = dir_.Sub("root");
    return o;
  }

  // Runs fn in a child with the crash point armed; returns true if the child
  // died of SIGKILL (reached the point).
  bool RunChild(CrashPoint point, const std::function<void(Snapshotter&)>& fn) {
    pid_t pid = ::fork();
    if (pid == 0) {
      auto sn = Snapshotter::Open(Opts());
      if (!sn.ok()) ::_exit(10);
      (*sn)->TEST_SetCrashPoint(point);
      fn(**sn);
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

  std::unique_ptr<Snapshotter> Open() {
    auto sn = Snapshotter::Open(Opts());
    EXPECT_OK(sn);
    return sn.ok() ? std::move(sn).value() : nullptr;
  }

  // Invariants after recovery: every folder has a record, every record has
  // its folder, trash/ and staging/ are empty.
  void CheckConsistent(Snapshotter& sn) {
    auto* env = base::Env::Default();
    std::set<std::string> folders, records;
    auto names = env->ListDir(dir_.Sub("root/snapshots"));
    ASSERT_OK(names);
    for (const auto& n : *names)
      folders.insert(dir_.Sub("root/snapshots/" + n));
    ASSERT_OK(sn.Walk([&](const Info& i) {
      records.insert(i.path);
      return OkStatus();
    }));
    EXPECT_EQ(folders, records);
    auto trash = env->ListDir(dir_.Sub("root/trash"));
    ASSERT_OK(trash);
    EXPECT_TRUE(trash->empty());
    auto staging = env->ListDir(dir_.Sub("root/staging"));
    ASSERT_OK(staging);
    EXPECT_TRUE(staging->empty());
  }

  void Seed() {
    auto sn = Open();
    ASSERT_NE(sn, nullptr);
    ASSERT_OK(sn->Prepare("base-a", ""));
    std::ofstream(dir_.Sub("root/snapshots/1/Files/file")) << "content";
    ASSERT_OK(sn->Commit("base", "base-a"));
    ASSERT_OK(sn->Prepare("active", "base"));
  }

  TempDir dir_;
};

TEST_F(CrashTest, KillAfterPrepareMkdirLeavesNoSnapshotNoFolder) {
  Seed();
  ASSERT_TRUE(RunChild(CrashPoint::kPrepareAfterMkdir, [](Snapshotter& sn) {
    sn.Prepare("new", "base").status().IgnoreError();
  }));
  auto sn = Open();
  ASSERT_NE(sn, nullptr);
  EXPECT_THAT(sn->Stat("new"), StatusIs(StatusCode::kNotFound));
  CheckConsistent(*sn);
  EXPECT_OK(sn->Prepare("new", "base"));  // the id's folder is reusable
  CheckConsistent(*sn);
}

TEST_F(CrashTest, KillAfterPrepareCommitKeepsSnapshot) {
  Seed();
  ASSERT_TRUE(RunChild(CrashPoint::kPrepareAfterCommit, [](Snapshotter& sn) {
    sn.Prepare("new", "base").status().IgnoreError();
  }));
  auto sn = Open();
  ASSERT_NE(sn, nullptr);
  ASSERT_OK_AND_ASSIGN(Info i, sn->Stat("new"));
  EXPECT_TRUE(base::Env::Default()->IsDirectory(i.path));
  CheckConsistent(*sn);
}

TEST_F(CrashTest, KillBeforeCommitTxnKeepsActive) {
  Seed();
  ASSERT_TRUE(RunChild(CrashPoint::kCommitBeforeTxn, [](Snapshotter& sn) {
    sn.Commit("done", "active").IgnoreError();
  }));
  auto sn = Open();
  ASSERT_NE(sn, nullptr);
  ASSERT_OK_AND_ASSIGN(Info i, sn->Stat("active"));
  EXPECT_EQ(i.kind, Kind::kActive);
  EXPECT_THAT(sn->Stat("done"), StatusIs(StatusCode::kNotFound));
  CheckConsistent(*sn);
}

TEST_F(CrashTest, KillAfterRemoveTxnSweepsFolder) {
  Seed();
  ASSERT_TRUE(RunChild(CrashPoint::kRemoveAfterTxn, [](Snapshotter& sn) {
    sn.Remove("active").IgnoreError();
  }));
  auto sn = Open();
  ASSERT_NE(sn, nullptr);
  EXPECT_THAT(sn->Stat("active"), StatusIs(StatusCode::kNotFound));
  CheckConsistent(*sn);
}

TEST_F(CrashTest, KillAfterRemoveRenameEmptiesTrash) {
  Seed();
  ASSERT_TRUE(RunChild(CrashPoint::kRemoveAfterRename, [](Snapshotter& sn) {
    sn.Remove("active").IgnoreError();
  }));
  auto sn = Open();
  ASSERT_NE(sn, nullptr);
  EXPECT_THAT(sn->Stat("active"), StatusIs(StatusCode::kNotFound));
  CheckConsistent(*sn);
}

TEST_F(CrashTest, KillMidCleanupFinishesOnReopen) {
  Seed();
  ASSERT_OK(
      base::Env::Default()->CreateDirs(dir_.Sub("root/trash/77/Files/sub")));
  std::ofstream(dir_.Sub("root/trash/77/Files/x")) << "x";
  std::ofstream(dir_.Sub("root/trash/77/other")) << "y";
  // The child's Open runs recovery, whose cleanup dies after the first
  // child entry of trash/77 is deleted.
  pid_t pid = ::fork();
  if (pid == 0) {
    Options o = Opts();
    o.TEST_crash_point = CrashPoint::kCleanupMidDelete;
    auto sn = Snapshotter::Open(o);
    ::_exit(sn.ok() ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto* env = base::Env::Default();
  ASSERT_OK_AND_ASSIGN(auto left, env->ListDir(dir_.Sub("root/trash/77")));
  EXPECT_EQ(left.size(), 1u);  // one of two children deleted, then killed
  auto sn = Open();
  ASSERT_NE(sn, nullptr);
  CheckConsistent(*sn);
}

TEST_F(CrashTest, KillMidImportStagingIsSweptAndNothingVisible) {
  Seed();
  ASSERT_TRUE(RunChild(CrashPoint::kNone, [](Snapshotter& sn) {
    auto st = sn.BeginStaging();
    if (!st.ok()) ::_exit(3);
    std::ofstream(st->path() + "/partial") << "half a layer";
    ::raise(SIGKILL);
  }));
  auto sn = Open();
  ASSERT_NE(sn, nullptr);
  CheckConsistent(*sn);
}

TEST_F(CrashTest, TwoProcessesOneWritesOneReads) {
  Seed();
  pid_t writer = ::fork();
  if (writer == 0) {
    auto sn = Snapshotter::Open(Opts());
    if (!sn.ok()) ::_exit(10);
    for (int i = 0; i < 200; ++i) {
      std::string k = "w" + std::to_string(i);
      if (!(*sn)->Prepare(k, "base").ok()) ::_exit(11);
      if (!(*sn)->Commit(k + "-c", k).ok()) ::_exit(12);
    }
    ::_exit(0);
  }
  Options ro = Opts();
  ro.read_only = true;
  auto reader = Snapshotter::Open(ro);
  ASSERT_OK(reader);
  size_t last = 0;
  int status = 0;
  int reads = 0;
  while (::waitpid(writer, &status, WNOHANG) == 0 || reads == 0) {
    size_t n = 0;
    ASSERT_OK((*reader)->Walk([&](const Info& i) -> Status {
      // Every committed layer the reader sees has its folder.
      EXPECT_TRUE(base::Env::Default()->IsDirectory(i.path)) << i.name;
      ++n;
      return OkStatus();
    }));
    EXPECT_GE(n, last);  // snapshots only ever appear
    last = n;
    ++reads;
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  size_t n = 0;
  ASSERT_OK((*reader)->Walk([&](const Info&) {
    ++n;
    return OkStatus();
  }));
  EXPECT_EQ(n, 202u);  // base, active, 200 committed
  EXPECT_GT(reads, 0);
}

}  // namespace
}  // namespace winsnap::snapshotter
