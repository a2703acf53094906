// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of the containerd leftover reclaim over hand-built metastores: the
// seed's layout, folders a record names never being touched, orphans
// waiting for containerd to stop. The run against a real containerd is in
// migrate_test.cc (ContainerdIntegrationTest).

#include "metadata/bbolt/containerd_reclaim.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "tests/bbolt/bbolt_builder.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::bbolt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::winsnap::bbolt::testing::BuildMetastore;
using ::winsnap::bbolt::testing::SnapshotFields;
using ::winsnap::bbolt::testing::TestEntry;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

base::Env* env() { return base::Env::Default(); }

class ReclaimTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = dir_.Sub("io.containerd.snapshotter.v1"); }

  // metadata.db with one committed snapshot per id (a chain, as layers).
  void WriteStore(const std::vector<uint64_t>& ids) {
    std::vector<std::pair<std::string, std::vector<TestEntry>>> raw;
    std::string parent;
    for (uint64_t id : ids) {
      ContainerdSnapshot s;
      s.key = "sha256:layer" + std::to_string(id);
      s.id = id;
      s.kind = SnapshotKind::kCommitted;
      s.parent = parent;
      s.created_ns = s.updated_ns = 1700000000000000000;
      parent = s.key;
      raw.emplace_back(s.key, SnapshotFields(s));
    }
    ASSERT_OK(env()->CreateDirs(root_ + "/snapshots"));
    ASSERT_OK(
        env()->WriteFileAtomic(root_ + "/metadata.db", BuildMetastore(raw)));
  }

  // snapshots/<name> holding one file of "bytes" bytes; returns its size as
  // the Env measures it.
  int64_t Folder(const std::string& name, size_t bytes) {
    std::string p = root_ + "/snapshots/" + name;
    EXPECT_OK(env()->CreateDirs(p + "/Files"));
    std::ofstream(p + "/Files/data") << std::string(bytes, 'x');
    auto du = env()->GetDiskUsage(p);
    EXPECT_OK(du);
    return du.ok() ? du->size : -1;
  }

  static std::vector<std::string> Names(const ReclaimPlan& plan) {
    std::vector<std::string> out;
    for (const auto& f : plan.leftovers) out.push_back(f.name);
    return out;
  }

  TempDir dir_;
  std::string root_;
};

// The seed's own listing: folders 2, 20, 21, rm-1, rm-2, rm-3 with records
// for 2, 20 and 21.
TEST_F(ReclaimTest, SeedLayoutListsExactlyTheRmFolders) {
  WriteStore({2, 20, 21});
  for (const char* live : {"2", "20", "21"}) Folder(live, 50000);
  std::map<std::string, int64_t> sizes = {{"rm-1", Folder("rm-1", 1000)},
                                          {"rm-2", Folder("rm-2", 70000)},
                                          {"rm-3", Folder("rm-3", 200000)}};
  ASSERT_OK_AND_ASSIGN(ReclaimPlan plan, PlanContainerdReclaim(root_ + "/"));
  EXPECT_EQ(plan.root, root_);
  EXPECT_THAT(Names(plan), ElementsAre("rm-1", "rm-2", "rm-3"));
  EXPECT_EQ(plan.referenced, 3u);
  int64_t total = 0;
  for (const auto& f : plan.leftovers) {
    EXPECT_EQ(f.kind, LeftoverKind::kRemoved) << f.name;
    EXPECT_EQ(f.size, sizes[f.name]) << f.name;
    EXPECT_GT(f.size, 0) << f.name;
    EXPECT_EQ(f.folder, base::JoinPath(root_ + "/snapshots", f.name));
    EXPECT_EQ(f.skip_reason, "") << f.name;
    total += f.size;
  }
  EXPECT_EQ(plan.total_size, total);
  // Planning wrote nothing.
  ASSERT_OK_AND_ASSIGN(auto names, env()->ListDir(root_ + "/snapshots"));
  EXPECT_EQ(names.size(), 6u);
}

TEST_F(ReclaimTest, ReclaimDeletesLeftoversAndNeverAFolderARecordNames) {
  WriteStore({2, 20, 21});
  std::map<std::string, int64_t> live = {{"2", Folder("2", 4000)},
                                         {"20", Folder("20", 4000)},
                                         {"21", Folder("21", 4000)}};
  int64_t want = Folder("rm-1", 1000) + Folder("rm-2", 90000) +
                 Folder("7", 30000) + Folder("020", 5000) +
                 Folder("new-123456", 100);
  std::ofstream(root_ + "/snapshots/not-a-folder") << "file";
  ASSERT_OK_AND_ASSIGN(ReclaimPlan plan, PlanContainerdReclaim(root_));
  EXPECT_THAT(Names(plan),
              ElementsAre("020", "7", "new-123456", "rm-1", "rm-2"));
  EXPECT_EQ(plan.leftovers[0].kind, LeftoverKind::kOrphan);
  EXPECT_EQ(plan.total_size, want);

  std::vector<std::string> progress;
  ReclaimOptions options;
  options.remove.on_entry = [&](const base::RemoveOutcome& o) {
    progress.push_back(o.path);
  };
  ASSERT_OK_AND_ASSIGN(ReclaimResult r,
                       ReclaimContainerdLeftovers(root_, options));
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.reclaimed, 5u);
  EXPECT_EQ(r.bytes_freed, want);
  EXPECT_EQ(progress.size(), 5u);
  for (const auto& e : r.entries) {
    EXPECT_EQ(e.state, ReclaimState::kReclaimed) << e.leftover.name;
    EXPECT_EQ(e.bytes_freed, e.leftover.size) << e.leftover.name;
    EXPECT_FALSE(env()->Exists(e.leftover.folder));
  }
  ASSERT_OK_AND_ASSIGN(auto names, env()->ListDir(root_ + "/snapshots"));
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAre("2", "20", "21", "not-a-folder"));
  for (const auto& [name, size] : live) {
    ASSERT_OK_AND_ASSIGN(base::DiskUsage du,
                         env()->GetDiskUsage(root_ + "/snapshots/" + name));
    EXPECT_EQ(du.size, size) << name;
  }
  // Nothing left: a second run is a no-op.
  ASSERT_OK_AND_ASSIGN(r, ReclaimContainerdLeftovers(root_));
  EXPECT_TRUE(r.entries.empty());
  EXPECT_TRUE(r.complete());
}

TEST_F(ReclaimTest, OrphansWaitWhileMetadataDbIsLocked) {
  WriteStore({2});
  Folder("2", 1000);
  int64_t rm = Folder("rm-5", 20000);
  Folder("9", 20000);
  // bbolt holds an exclusive flock for the life of a writable DB.
  int fd = ::open((root_ + "/metadata.db").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  ASSERT_OK_AND_ASSIGN(ReclaimPlan plan, PlanContainerdReclaim(root_));
  ASSERT_THAT(Names(plan), ElementsAre("9", "rm-5"));
  EXPECT_THAT(plan.leftovers[0].skip_reason,
              HasSubstr("containerd is running"));
  EXPECT_THAT(plan.leftovers[0].skip_reason,
              HasSubstr(std::to_string(::getpid())));
  EXPECT_EQ(plan.leftovers[1].skip_reason, "");

  ASSERT_OK_AND_ASSIGN(ReclaimResult r, ReclaimContainerdLeftovers(root_));
  EXPECT_FALSE(r.complete());
  EXPECT_EQ(r.reclaimed, 1u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.bytes_freed, rm);
  EXPECT_EQ(r.entries[0].state, ReclaimState::kSkipped);
  EXPECT_THAT(r.entries[0].reason, HasSubstr("only when it is stopped"));
  EXPECT_TRUE(env()->IsDirectory(root_ + "/snapshots/9"));
  EXPECT_FALSE(env()->Exists(root_ + "/snapshots/rm-5"));

  ::close(fd);  // containerd stopped
  ASSERT_OK_AND_ASSIGN(r, ReclaimContainerdLeftovers(root_));
  EXPECT_TRUE(r.complete());
  EXPECT_FALSE(env()->Exists(root_ + "/snapshots/9"));
  EXPECT_TRUE(env()->IsDirectory(root_ + "/snapshots/2"));
}

TEST_F(ReclaimTest, MissingOrCorruptMetadataIsAnErrorAndDeletesNothing) {
  Folder("rm-1", 100);
  EXPECT_THAT(PlanContainerdReclaim(root_), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(ReclaimContainerdLeftovers(root_),
              StatusIs(StatusCode::kNotFound));
  ASSERT_OK(env()->WriteFileAtomic(root_ + "/metadata.db",
                                   std::string(8192, '\x5a')));
  EXPECT_THAT(ReclaimContainerdLeftovers(root_),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_TRUE(env()->IsDirectory(root_ + "/snapshots/rm-1"));
}

TEST_F(ReclaimTest, NoSnapshotsFolderMeansNothingToReclaim) {
  WriteStore({});
  ASSERT_OK(env()->RemoveAll(root_ + "/snapshots"));
  ASSERT_OK_AND_ASSIGN(ReclaimPlan plan, PlanContainerdReclaim(root_));
  EXPECT_TRUE(plan.leftovers.empty());
  EXPECT_EQ(plan.total_size, 0);
}

}  // namespace
}  // namespace winsnap::bbolt
