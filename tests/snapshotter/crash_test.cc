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

#include "snapshotter/gc.h"
#include "snapshotter/snapshotter.h"
#include "tests/testutil/fault_env.h"
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
    // Every leftover of a crash is provably ours: nothing is quarantined.
    auto orphans = env->ListDir(dir_.Sub("root/orphans"));
    EXPECT_TRUE(!orphans.ok() || orphans->empty());
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

TEST_F(CrashTest, KillAfterPrepareMkdirThenAnotherCreateReusesTheId) {
  Seed();
  ASSERT_TRUE(RunChild(CrashPoint::kPrepareAfterMkdir, [](Snapshotter& sn) {
    sn.Prepare("new", "base").status().IgnoreError();
  }));
  // Without recovery in between, the next creation gets the same id and
  // moves the leftover to trash rather than failing or adopting it.
  Options o = Opts();
  o.cleanup_on_open = false;
  {
    auto sn = Snapshotter::Open(o);
    ASSERT_OK(sn);
    ASSERT_OK((*sn)->Prepare("other", "base"));
  }
  auto sn = Open();
  ASSERT_NE(sn, nullptr);
  CheckConsistent(*sn);
}

TEST_F(CrashTest, KillAfterRemoveTxnTwiceStillSweepsBoth) {
  Seed();
  {
    auto sn = Open();
    ASSERT_NE(sn, nullptr);
    ASSERT_OK(sn->Prepare("second", "base"));
  }
  for (const char* key : {"active", "second"}) {
    ASSERT_TRUE(RunChild(CrashPoint::kRemoveAfterTxn, [key](Snapshotter& sn) {
      sn.Remove(key).IgnoreError();
    }));
  }
  auto sn = Open();
  ASSERT_NE(sn, nullptr);
  EXPECT_THAT(sn->Stat("active"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(sn->Stat("second"), StatusIs(StatusCode::kNotFound));
  CheckConsistent(*sn);
  // The tombstones are gone once their folders are.
  int tombstones = 0;
  ASSERT_OK(sn->TEST_store()->View([&](metadata::ReadTxn& txn) {
    return txn.ForEachTombstone([&](uint64_t, std::string_view) {
      ++tombstones;
      return OkStatus();
    });
  }));
  EXPECT_EQ(tombstones, 0);
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

// Fault injection: every mutating path runs through a FaultEnv that fails
// the Nth Env call with an errno. Afterwards the store reopens with the real
// Env, nothing committed is lost, and every folder is accounted for.
enum class Op {
  kOpen,  // recovery and cleanup of a read-write open
  kPrepare,
  kView,
  kCommit,
  kRemove,
  kCommitStaged,
  kCleanup,
  kGc
};

std::string OpName(Op op) {
  switch (op) {
    case Op::kOpen:
      return "Open";
    case Op::kPrepare:
      return "Prepare";
    case Op::kView:
      return "View";
    case Op::kCommit:
      return "Commit";
    case Op::kRemove:
      return "Remove";
    case Op::kCommitStaged:
      return "CommitStaged";
    case Op::kCleanup:
      return "Cleanup";
    case Op::kGc:
      return "Gc";
  }
  return "?";
}

class FaultTest
    : public CrashTest,
      public ::testing::WithParamInterface<std::tuple<Op, int, int>> {
 protected:
  Status RunOp(Op op, Snapshotter& sn) {
    switch (op) {
      case Op::kOpen:
        return OkStatus();
      case Op::kPrepare:
        return sn.Prepare("new", "base").status();
      case Op::kView:
        return sn.View("view", "base").status();
      case Op::kCommit:
        return sn.Commit("done", "active");
      case Op::kRemove:
        return sn.Remove("active");
      case Op::kCommitStaged: {
        WINSNAP_ASSIGN_OR_RETURN(StagingDir st, sn.BeginStaging());
        std::ofstream(st.path() + "/layer.txt") << "imported";
        return sn.CommitStaged(std::move(st), "imported", "base");
      }
      case Op::kCleanup:
        return sn.Cleanup().status();
      case Op::kGc: {
        GcOptions o;
        o.prune = true;
        o.orphans = true;
        o.attempts = 1;
        o.initial_backoff = std::chrono::milliseconds(1);
        return RunGc(sn, o).status();
      }
    }
    return OkStatus();
  }
};

TEST_P(FaultTest, StoreSurvivesInjectedFault) {
  auto [op, n, err] = GetParam();
  Seed();
  auto* real = base::Env::Default();
  // Something for Cleanup and GC to delete.
  ASSERT_OK(real->CreateDirs(dir_.Sub("root/trash/9/Files")));
  ASSERT_OK(real->CreateDirs(dir_.Sub("root/orphans/stray")));
  {
    auto sn = Open();
    ASSERT_NE(sn, nullptr);
    ASSERT_OK(sn->Prepare("unused-a", ""));
    ASSERT_OK(sn->Commit("unused", "unused-a"));
  }
  ASSERT_OK(real->CreateDirs(dir_.Sub("root/trash/10")));
  testing::FaultEnv fenv(real);
  Options o = Opts();
  o.env = &fenv;
  o.cleanup_on_open = false;
  if (op == Op::kOpen) {
    // Leftovers for recovery to sort out while the fault hits.
    ASSERT_OK(real->CreateDirs(dir_.Sub("root/snapshots/5")));
    ASSERT_OK(real->CreateDirs(dir_.Sub("root/snapshots/foreign")));
    o.cleanup_on_open = true;
    fenv.FailNth(testing::FaultOp::kAny, n, err);
  }
  auto sn = Snapshotter::Open(o);
  if (op == Op::kOpen && !sn.ok()) {
    // Only creating the root's own folders may fail an open.
    EXPECT_THAT(sn.status().message(), ::testing::HasSubstr("root"));
  } else {
    ASSERT_OK(sn);
  }
  if (op != Op::kOpen) fenv.FailNth(testing::FaultOp::kAny, n, err);
  Status s = sn.ok() ? RunOp(op, **sn) : sn.status();
  SCOPED_TRACE(OpName(op) + " with fault " +
               (fenv.fired() ? fenv.fired_what() : std::string("not hit")) +
               " -> " + s.ToString());
  // Every path makes at least one Env call, so the first one always fails.
  if (n == 1) {
    EXPECT_TRUE(fenv.fired());
  }
  fenv.Disarm();
  if (sn.ok()) sn->reset();

  // The store reopens with the real Env and everything committed is there.
  auto again = Open();
  ASSERT_NE(again, nullptr);
  ASSERT_OK_AND_ASSIGN(Info base, again->Stat("base"));
  std::ifstream in(base.path + "/Files/file");
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "content");
  if (op != Op::kCommit && op != Op::kRemove) {
    EXPECT_OK(again->Stat("active"));
  }
  if (op == Op::kCommit) {
    // Either still active or committed, never neither.
    EXPECT_TRUE(again->Stat("active").ok() != again->Stat("done").ok());
  }
  // Every folder in snapshots/ has a record and every record its folder;
  // anything else sits in trash/ (emptied by the open) or orphans/.
  std::set<std::string> folders, records;
  auto names = real->ListDir(dir_.Sub("root/snapshots"));
  ASSERT_OK(names);
  for (const auto& f : *names) folders.insert(dir_.Sub("root/snapshots/" + f));
  ASSERT_OK(again->Walk([&](const Info& i) {
    records.insert(i.path);
    return OkStatus();
  }));
  EXPECT_EQ(folders, records);
  auto orphans = real->ListDir(dir_.Sub("root/orphans"));
  if (orphans.ok()) {
    for (const auto& name : *orphans) {
      // Only the strays the test planted may be quarantined.
      EXPECT_TRUE(name == "stray" || name == "foreign" || name == "5") << name;
    }
  }
  auto check = CheckStore(*again);
  ASSERT_OK(check);
  for (const auto& p : check->problems) {
    if (p.what == "orphan") continue;
    ADD_FAILURE() << p.what << ": " << p.detail;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllPaths, FaultTest,
    ::testing::Combine(::testing::Values(Op::kOpen, Op::kPrepare, Op::kView,
                                         Op::kCommit, Op::kRemove,
                                         Op::kCommitStaged, Op::kCleanup,
                                         Op::kGc),
                       ::testing::Range(1, 9),
                       ::testing::Values(ENOSPC, EIO, EBUSY, EPERM)),
    [](const auto& info) {
      int err = std::get<2>(info.param);
      std::string e = err == ENOSPC  ? "ENOSPC"
                      : err == EIO   ? "EIO"
                      : err == EBUSY ? "EBUSY"
                                     : "EPERM";
      return OpName(std::get<0>(info.param)) + "_call" +
             std::to_string(std::get<1>(info.param)) + "_" + e;
    });

TEST(FaultEnvTest, FailsExactlyTheNthCallOfTheChosenOperation) {
  TempDir dir;
  testing::FaultEnv env(base::Env::Default());
  env.FailNth(testing::FaultOp::kCreateDir, 2, ENOSPC);
  EXPECT_OK(env.CreateDir(dir.Sub("a")));
  EXPECT_OK(env.SyncDir(dir.path()));  // other operations are not counted
  EXPECT_THAT(env.CreateDir(dir.Sub("b")),
              StatusIs(StatusCode::kResourceExhausted));
  EXPECT_TRUE(env.fired());
  EXPECT_FALSE(base::Env::Default()->Exists(dir.Sub("b")));
  EXPECT_OK(env.CreateDir(dir.Sub("c")));  // fires once
  EXPECT_EQ(env.calls(testing::FaultOp::kCreateDir), 3);
  env.FailNth(testing::FaultOp::kAny, 1, EPERM);
  EXPECT_THAT(env.Rename(dir.Sub("a"), dir.Sub("d")),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_TRUE(base::Env::Default()->Exists(dir.Sub("a")));
}

}  // namespace
}  // namespace winsnap::snapshotter
