// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of the in-place containerd -> winsnap migration: the lock probe,
// planning (order, folders, damage), applying (fields, atomicity,
// conflicts), a store written by containerd's own code, a real containerd
// 1.6 (native snapshotter, same schema as windows) and the snapctl command.

#include "metadata/bbolt/containerd_migration.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "metadata/bbolt/containerd_reclaim.h"
#include "metadata/bbolt/lock_probe.h"
#include "tests/bbolt/bbolt_builder.h"
#include "tests/bbolt/go_gen.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::bbolt {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::winsnap::bbolt::testing::BuildMetastore;
using ::winsnap::bbolt::testing::GoGenPath;
using ::winsnap::bbolt::testing::kNoGoGen;
using ::winsnap::bbolt::testing::RunGoGen;
using ::winsnap::bbolt::testing::SnapshotFields;
using ::winsnap::bbolt::testing::TestEntry;
using ::winsnap::testing::CommandResult;
using ::winsnap::testing::RunCommand;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

base::Env* env() { return base::Env::Default(); }

// Holds an exclusive flock on a file, as bbolt does for a writable DB.
class FileLock {
 public:
  explicit FileLock(const std::string& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    EXPECT_GE(fd_, 0) << path;
    EXPECT_EQ(::flock(fd_, LOCK_EX | LOCK_NB), 0) << path;
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

std::vector<metadata::SnapshotRecord> AllRecords(metadata::Store& store) {
  std::vector<metadata::SnapshotRecord> out;
  EXPECT_OK(store.View([&](metadata::ReadTxn& txn) {
    return txn.ForEachSnapshot([&](const metadata::SnapshotRecord& r) {
      out.push_back(r);
      return OkStatus();
    });
  }));
  return out;
}

std::map<std::string, metadata::SnapshotRecord> ByKey(metadata::Store& store) {
  std::map<std::string, metadata::SnapshotRecord> out;
  for (auto& r : AllRecords(store)) out.emplace(r.key, r);
  return out;
}

// Checks a record against the containerd snapshot it was adopted from.
void ExpectAdopted(const metadata::SnapshotRecord& r,
                   const ContainerdSnapshot& c, const std::string& root) {
  EXPECT_EQ(r.key, c.key);
  EXPECT_EQ(static_cast<int>(r.kind), static_cast<int>(c.kind)) << c.key;
  EXPECT_EQ(r.parent, c.parent) << c.key;
  EXPECT_EQ(r.labels, metadata::Labels(c.labels.begin(), c.labels.end()))
      << c.key;
  EXPECT_EQ(r.created_ns, c.created_ns) << c.key;
  EXPECT_EQ(r.updated_ns, c.updated_ns) << c.key;
  EXPECT_EQ(r.usage.size, c.size) << c.key;
  EXPECT_EQ(r.usage.inodes, c.inodes) << c.key;
  EXPECT_EQ(r.path, root + "/snapshots/" + std::to_string(c.id)) << c.key;
  EXPECT_NE(r.id, 0u);
}

// ---------------------------------------------------------------------------

TEST(LockProbeTest, SeesAnFlockWithoutTakingOne) {
  TempDir dir;
  std::string path = dir.Sub("metadata.db");
  ASSERT_OK(env()->WriteFileAtomic(path, "x"));
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> none, FileLockHolders(path));
  EXPECT_THAT(none, IsEmpty());
  {
    FileLock lock(path);
    ASSERT_OK_AND_ASSIGN(std::vector<int64_t> holders, FileLockHolders(path));
    EXPECT_THAT(holders, Contains(static_cast<int64_t>(::getpid())));
    // A lock on another file is not reported.
    ASSERT_OK(env()->WriteFileAtomic(dir.Sub("other"), "y"));
    ASSERT_OK_AND_ASSIGN(auto other, FileLockHolders(dir.Sub("other")));
    EXPECT_THAT(other, IsEmpty());
  }
  ASSERT_OK_AND_ASSIGN(none, FileLockHolders(path));
  EXPECT_THAT(none, IsEmpty());
  EXPECT_THAT(FileLockHolders(dir.Sub("absent")),
              StatusIs(StatusCode::kNotFound));
}

// A containerd root built by hand: two image chains, a container, a view
// without a folder (as containerd 1.6 makes them) and a parentless active.
// Keys sort differently from the parent order, so planning must reorder.
class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.Sub("ctr");
    snaps_ = {
        Snap("default/9/z-base", 1, SnapshotKind::kCommitted, ""),
        Snap("default/2/a-mid", 2, SnapshotKind::kCommitted,
             "default/9/z-base"),
        Snap("default/5/m-top", 4, SnapshotKind::kCommitted, "default/2/a-mid"),
        Snap("default/7/container", 5, SnapshotKind::kActive,
             "default/5/m-top"),
        Snap("default/8/view", 6, SnapshotKind::kView, "default/5/m-top"),
        Snap("default/1/lone", 7, SnapshotKind::kActive, ""),
    };
    snaps_[0].labels = {{"containerd.io/snapshot.ref", "sha256:abc"}};
    snaps_[3].labels = {
        {"containerd.io/snapshot/windows/rootfs.sizebytes", "1073741824"}};
    WriteStore(snaps_);
    for (uint64_t id : {1, 2, 4, 5, 7}) {
      ASSERT_OK(env()->CreateDirs(root_ + "/snapshots/" + std::to_string(id)));
    }
    ASSERT_OK(OpenStore());
  }

  static ContainerdSnapshot Snap(std::string key, uint64_t id,
                                 SnapshotKind kind, std::string parent) {
    ContainerdSnapshot s;
    s.key = std::move(key);
    s.id = id;
    s.kind = kind;
    s.parent = std::move(parent);
    s.created_ns = 1700000000123456789 + static_cast<int64_t>(id) * 1000;
    s.updated_ns = s.created_ns + 77;
    if (kind == SnapshotKind::kCommitted) {
      s.size = 4096 * static_cast<int64_t>(id);
      s.inodes = 3;
    }
    return s;
  }

  void WriteStore(const std::vector<ContainerdSnapshot>& snaps) {
    std::vector<std::pair<std::string, std::vector<TestEntry>>> raw;
    for (const auto& s : snaps) raw.emplace_back(s.key, SnapshotFields(s));
    ASSERT_OK(env()->CreateDirs(root_));
    ASSERT_OK(
        env()->WriteFileAtomic(root_ + "/metadata.db", BuildMetastore(raw)));
  }

  Status OpenStore() {
    store_.reset();
    auto s = metadata::Store::Open(dir_.Sub("winsnap-meta"), {});
    if (!s.ok()) return s.status();
    store_ = std::move(s).value();
    return OkStatus();
  }

  Status PutRecord(const std::string& key, const std::string& path) {
    return store_->Update([&](metadata::WriteTxn& txn) -> Status {
      metadata::SnapshotRecord r;
      WINSNAP_ASSIGN_OR_RETURN(r.id, txn.AllocateId());
      r.key = key;
      r.kind = metadata::Kind::kCommitted;
      r.path = path;
      return txn.PutSnapshot(r);
    });
  }

  TempDir dir_;
  std::string root_;
  std::vector<ContainerdSnapshot> snaps_;
  std::unique_ptr<metadata::Store> store_;
};

TEST_F(MigrationTest, PlanListsFoldersParentsFirst) {
  // A non-normalized root still yields clean absolute folder paths.
  ASSERT_OK_AND_ASSIGN(MigrationPlan plan,
                       PlanContainerdMigration(dir_.path() + "/./ctr/"));
  EXPECT_EQ(plan.root, root_);
  EXPECT_EQ(plan.db_path, root_ + "/metadata.db");
  EXPECT_TRUE(plan.lock_state_known);
  EXPECT_THAT(plan.lock_holders, IsEmpty());
  ASSERT_EQ(plan.entries.size(), snaps_.size());
  std::map<std::string, size_t> pos;
  for (size_t i = 0; i < plan.entries.size(); ++i) {
    const MigrationEntry& e = plan.entries[i];
    pos[e.snapshot.key] = i;
    if (!e.snapshot.parent.empty()) {
      ASSERT_TRUE(pos.count(e.snapshot.parent))
          << e.snapshot.key << " listed before its parent";
    }
    EXPECT_EQ(e.folder, root_ + "/snapshots/" + std::to_string(e.snapshot.id));
    EXPECT_EQ(e.folder_exists, e.snapshot.id != 6) << e.folder;
    EXPECT_EQ(e.conflict, "");
  }
  // The input is in key order, which puts the child a-mid first.
  EXPECT_EQ(plan.entries[0].snapshot.key, "default/1/lone");
  EXPECT_EQ(plan.entries[1].snapshot.key, "default/9/z-base");
  // Planning wrote nothing into the winsnap store.
  EXPECT_THAT(AllRecords(*store_), IsEmpty());
}

TEST_F(MigrationTest, ApplyAdoptsEverySnapshotInPlace) {
  ASSERT_OK_AND_ASSIGN(MigrationPlan plan, PlanContainerdMigration(root_));
  ASSERT_OK_AND_ASSIGN(MigrationResult result,
                       ApplyContainerdMigration(plan, *store_));
  EXPECT_EQ(result.adopted.size(), snaps_.size());
  EXPECT_THAT(result.skipped, IsEmpty());
  // Survives a reopen (committed, not just visible in the transaction).
  ASSERT_OK(OpenStore());
  auto records = ByKey(*store_);
  ASSERT_EQ(records.size(), snaps_.size());
  std::set<uint64_t> ids;
  for (const auto& s : snaps_) {
    ASSERT_TRUE(records.count(s.key)) << s.key;
    ExpectAdopted(records[s.key], s, root_);
    ids.insert(records[s.key].id);
  }
  EXPECT_EQ(ids.size(), snaps_.size());
  for (const auto& [key, id] : result.adopted) EXPECT_EQ(records[key].id, id);
  // The parent index links the adopted records.
  ASSERT_OK(store_->View([&](metadata::ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto children,
                             txn.ChildIds(records["default/5/m-top"].id));
    std::vector<uint64_t> want = {records["default/7/container"].id,
                                  records["default/8/view"].id};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(children, want);
    return OkStatus();
  }));
  // Nothing was copied or moved: the folders are where containerd left them.
  for (uint64_t id : {1, 2, 4, 5, 7}) {
    EXPECT_TRUE(env()->IsDirectory(root_ + "/snapshots/" + std::to_string(id)));
  }
}

TEST_F(MigrationTest, ExistingKeysFailTheWholeMigrationUnlessSkipped) {
  ASSERT_OK(PutRecord("default/2/a-mid", "/elsewhere/1"));
  ASSERT_OK(PutRecord("default/1/lone", "/elsewhere/2"));
  ASSERT_OK_AND_ASSIGN(MigrationPlan plan, PlanContainerdMigration(root_));
  Status s = ApplyContainerdMigration(plan, *store_).status();
  EXPECT_THAT(s, StatusIs(StatusCode::kFailedPrecondition,
                          "2 snapshot(s) cannot be adopted"));
  EXPECT_THAT(s.message(), HasSubstr("\"default/2/a-mid\" (key exists"));
  EXPECT_THAT(s.message(), HasSubstr("\"default/1/lone\" (key exists"));
  EXPECT_THAT(s.message(), HasSubstr("--skip-existing"));
  EXPECT_EQ(AllRecords(*store_).size(), 2u);  // nothing adopted

  // Dry-run view of the same conflicts (snapctl migrate --dry-run).
  ASSERT_OK(FindConflicts(plan, *store_));
  int conflicts = 0;
  for (const auto& e : plan.entries) conflicts += !e.conflict.empty();
  EXPECT_EQ(conflicts, 2);

  ASSERT_OK_AND_ASSIGN(
      MigrationResult result,
      ApplyContainerdMigration(plan, *store_, {.skip_existing = true}));
  EXPECT_EQ(result.adopted.size(), snaps_.size() - 2);
  EXPECT_EQ(result.skipped,
            (std::vector<std::string>{"default/1/lone", "default/2/a-mid"}));
  auto records = ByKey(*store_);
  EXPECT_EQ(records.size(), snaps_.size());
  EXPECT_EQ(records["default/2/a-mid"].path, "/elsewhere/1");  // untouched
  ExpectAdopted(records["default/5/m-top"], snaps_[2], root_);

  // Running it again adopts nothing twice.
  ASSERT_OK_AND_ASSIGN(
      result, ApplyContainerdMigration(plan, *store_, {.skip_existing = true}));
  EXPECT_THAT(result.adopted, IsEmpty());
  EXPECT_EQ(result.skipped.size(), snaps_.size());
  EXPECT_EQ(AllRecords(*store_).size(), snaps_.size());
}

TEST_F(MigrationTest, AFolderAlreadyAdoptedUnderAnotherKeyConflicts) {
  // E.g. migrated once as an active key, later committed by containerd
  // under a new name: the folder must not get two owners.
  ASSERT_OK(PutRecord("old-name", root_ + "/snapshots/4"));
  ASSERT_OK_AND_ASSIGN(MigrationPlan plan, PlanContainerdMigration(root_));
  EXPECT_THAT(ApplyContainerdMigration(plan, *store_),
              StatusIs(StatusCode::kFailedPrecondition,
                       "\"default/5/m-top\" (folder already adopted as "
                       "\"old-name\")"));
  EXPECT_EQ(AllRecords(*store_).size(), 1u);
}

TEST_F(MigrationTest, RefusesWhileContainerdHoldsTheStore) {
  FileLock lock(root_ + "/metadata.db");
  // Reading still works (dry run).
  ASSERT_OK_AND_ASSIGN(MigrationPlan plan, PlanContainerdMigration(root_));
  EXPECT_EQ(plan.entries.size(), snaps_.size());
  EXPECT_THAT(plan.lock_holders, Contains(static_cast<int64_t>(::getpid())));
  EXPECT_THAT(ApplyContainerdMigration(plan, *store_),
              StatusIs(StatusCode::kFailedPrecondition,
                       "stop containerd before migrating"));
  EXPECT_THAT(AllRecords(*store_), IsEmpty());
}

// snapctl if it is built with migrate, else "" and *why says so (below).
std::string SnapctlWithMigrate(std::string* why);

TEST_F(MigrationTest, SnapctlRefusesALockedSourceInOneLineAndCreatesNoStore) {
  std::string why;
  const std::string snapctl = SnapctlWithMigrate(&why);
  if (snapctl.empty()) GTEST_SKIP() << why;
  const std::string wroot = dir_.Sub("winsnap");
  FileLock lock(root_ + "/metadata.db");
  CommandResult r = RunCommand(
      {snapctl, "--root", wroot, "migrate", "--from-containerd", root_});
  EXPECT_EQ(r.exit_code, 1);
  // Only the refusal: no lock or missing-folder warnings before it.
  EXPECT_EQ(r.err, "snapctl: " + root_ + "/metadata.db is locked by process " +
                       std::to_string(::getpid()) +
                       " (containerd still running?); stop containerd "
                       "before migrating so it no longer manages the "
                       "folders\n");
  EXPECT_FALSE(env()->Exists(wroot)) << "a refused migration made a store";
}

TEST_F(MigrationTest, AFailureHalfwayAdoptsNothing) {
  // containerd accepts keys longer than the winsnap store does; the record
  // that fails comes after others have been put in the same transaction.
  auto snaps = snaps_;
  snaps.push_back(Snap("default/10/" + std::string(metadata::MaxKeySize(), 'k'),
                       20, SnapshotKind::kActive, "default/5/m-top"));
  WriteStore(snaps);
  ASSERT_OK_AND_ASSIGN(MigrationPlan plan, PlanContainerdMigration(root_));
  EXPECT_THAT(ApplyContainerdMigration(plan, *store_),
              StatusIs(StatusCode::kInvalidArgument, "nothing was migrated"));
  EXPECT_THAT(AllRecords(*store_), IsEmpty());
}

TEST_F(MigrationTest, DamagedParentLinksAreDataLoss) {
  WriteStore({Snap("a", 1, SnapshotKind::kCommitted, ""),
              Snap("b", 2, SnapshotKind::kActive, "gone")});
  EXPECT_THAT(PlanContainerdMigration(root_),
              StatusIs(StatusCode::kDataLoss,
                       "snapshot \"b\": parent \"gone\" is not in the store"));
  WriteStore({Snap("a", 1, SnapshotKind::kCommitted, "c"),
              Snap("b", 2, SnapshotKind::kCommitted, "a"),
              Snap("c", 3, SnapshotKind::kCommitted, "b"),
              Snap("d", 4, SnapshotKind::kCommitted, "")});
  EXPECT_THAT(PlanContainerdMigration(root_),
              StatusIs(StatusCode::kDataLoss, "parents form a cycle"));
  // A corrupt file is reported, not half-read.
  ASSERT_OK(env()->WriteFileAtomic(root_ + "/metadata.db",
                                   std::string(8192, '\x07')));
  EXPECT_THAT(PlanContainerdMigration(root_),
              StatusIs(StatusCode::kDataLoss, root_ + "/metadata.db"));
  EXPECT_THAT(PlanContainerdMigration(dir_.Sub("nowhere")),
              StatusIs(StatusCode::kNotFound));
}

// The snapctl command over the same root.
TEST_F(MigrationTest, SnapctlDryRunThenMigrate) {
  const std::string snapctl = winsnap::testing::ToolPath("snapctl");
  if (::access(snapctl.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "SKIPPED LOUDLY: " << snapctl << " is not built";
  }
  if (RunCommand({snapctl, "migrate", "--help"}).exit_code != 0) {
    GTEST_SKIP() << "SKIPPED LOUDLY: " << snapctl
                 << " has no migrate command (RegisterMigrateCommands is not "
                    "wired into tools/snapctl.cc)";
  }
  const std::string wroot = dir_.Sub("winsnap");
  auto snapctl_run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {snapctl, "--root", wroot});
    return RunCommand(args);
  };

  CommandResult r =
      snapctl_run({"migrate", "--from-containerd", root_, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("KEY"));
  for (const auto& s : snaps_) {
    std::string folder = root_ + "/snapshots/" + std::to_string(s.id);
    // One line per snapshot with its key, kind and folder.
    size_t line = r.out.find(s.key + " ");
    ASSERT_NE(line, std::string::npos) << s.key << "\n" << r.out;
    std::string text = r.out.substr(line, r.out.find('\n', line) - line);
    EXPECT_THAT(text, HasSubstr(std::string(SnapshotKindName(s.kind))));
    EXPECT_THAT(text, HasSubstr(folder));
    if (s.id == 6) {
      EXPECT_THAT(text, HasSubstr("MISSING"));
    } else {
      EXPECT_THAT(text, ::testing::Not(HasSubstr("MISSING")));
    }
  }
  EXPECT_THAT(r.err, HasSubstr("1 snapshot folder(s) do not exist"));
  EXPECT_FALSE(env()->Exists(wroot)) << "a dry run created the store";

  r = snapctl_run(
      {"--json", "migrate", "--from-containerd", root_, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["root"], root_);
  ASSERT_EQ(j["snapshots"].size(), snaps_.size());
  for (const auto& e : j["snapshots"]) {
    EXPECT_EQ(e["folder"], root_ + "/snapshots/" +
                               std::to_string(e["containerd_id"].get<int>()));
    EXPECT_EQ(e["folder_exists"], e["containerd_id"] != 6);
  }

  r = snapctl_run({"migrate", "--from-containerd", root_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("adopted 6 snapshot(s) in place"));
  r = snapctl_run({"path", "default/5/m-top"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, root_ + "/snapshots/4\n");
  r = snapctl_run({"--json", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json ls = nlohmann::json::parse(r.out);
  ASSERT_EQ(ls.size(), snaps_.size());
  for (const auto& i : ls) {
    std::string key = i["Name"];
    auto it = std::find_if(snaps_.begin(), snaps_.end(),
                           [&](const auto& s) { return s.key == key; });
    ASSERT_NE(it, snaps_.end()) << key;
    EXPECT_EQ(i["Path"], root_ + "/snapshots/" + std::to_string(it->id));
    EXPECT_EQ(i["Kind"], std::string(SnapshotKindName(it->kind)));
    EXPECT_EQ(i.value("Parent", ""), it->parent);
  }

  // A second run conflicts on every key; --skip-existing makes it a no-op.
  r = snapctl_run({"migrate", "--from-containerd", root_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("6 snapshot(s) cannot be adopted"));
  r = snapctl_run(
      {"--json", "migrate", "--from-containerd", root_, "--skip-existing"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json again = nlohmann::json::parse(r.out);
  EXPECT_TRUE(again["adopted"].empty());
  EXPECT_EQ(again["skipped"].size(), snaps_.size());
}

TEST(MigrationGoTest, AdoptsAStoreWrittenByContainerdCode) {
  if (GoGenPath().empty()) GTEST_SKIP() << kNoGoGen;
  TempDir dir;
  std::string root = dir.Sub("io.containerd.snapshotter.v1.windows");
  ASSERT_OK(env()->CreateDirs(root));
  ASSERT_OK_AND_ASSIGN(nlohmann::json want,
                       RunGoGen({"-scenario", "containerd", "-out",
                                 root + "/metadata.db", "-n", "300"}));
  ASSERT_OK_AND_ASSIGN(MigrationPlan plan, PlanContainerdMigration(root));
  ASSERT_EQ(plan.entries.size(), want["snapshots"].size());
  ASSERT_OK_AND_ASSIGN(auto store, metadata::Store::Open(dir.Sub("meta"), {}));
  ASSERT_OK_AND_ASSIGN(MigrationResult result,
                       ApplyContainerdMigration(plan, *store));
  EXPECT_EQ(result.adopted.size(), plan.entries.size());
  auto records = ByKey(*store);
  for (const auto& w : want["snapshots"]) {
    std::string key = w["key"];
    ASSERT_TRUE(records.count(key)) << key;
    const auto& r = records[key];
    EXPECT_EQ(static_cast<int>(r.kind), w["kind"].get<int>()) << key;
    EXPECT_EQ(r.parent, w["parent"].get<std::string>()) << key;
    EXPECT_EQ(r.labels, w["labels"].get<metadata::Labels>()) << key;
    EXPECT_EQ(r.created_ns, w["created_ns"].get<int64_t>()) << key;
    EXPECT_EQ(r.updated_ns, w["updated_ns"].get<int64_t>()) << key;
    EXPECT_EQ(r.usage.size, w["size"].get<int64_t>()) << key;
    EXPECT_EQ(r.usage.inodes, w["inodes"].get<int64_t>()) << key;
    EXPECT_EQ(r.path,
              root + "/snapshots/" + std::to_string(w["id"].get<uint64_t>()));
  }
}

// ---------------------------------------------------------------------------
// A real containerd 1.6.

std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string candidate = p.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// containerd on a private root and socket, native snapshotter (the windows
// snapshotter's schema, on Linux).
class Containerd {
 public:
  Containerd(const std::string& dir) : dir_(dir) {}
  ~Containerd() { Stop(); }

  Status Start() {
    std::string binary = FindInPath("containerd");
    ctr_ = FindInPath("ctr");
    // No garbage collector: nothing leases these snapshots, and a GC pass
    // racing with Populate() removed the view now and then.
    std::ofstream(dir_ + "/config.toml")
        << "version = 2\n"
        << "root = \"" << dir_ << "/root\"\n"
        << "state = \"" << dir_ << "/state\"\n"
        << "disabled_plugins = [\"io.containerd.grpc.v1.cri\", "
           "\"io.containerd.gc.v1.scheduler\"]\n"
        << "[grpc]\n  address = \"" << dir_ << "/c.sock\"\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      int log = ::open((dir_ + "/containerd.log").c_str(),
                       O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::execl(binary.c_str(), binary.c_str(), "--config",
              (dir_ + "/config.toml").c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (Ctr({"version"}).exit_code == 0) return OkStatus();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return UnavailableError("containerd did not start; see " + dir_ +
                            "/containerd.log");
  }

  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  CommandResult Ctr(std::vector<std::string> args) {
    std::vector<std::string> argv = {ctr_, "--address", dir_ + "/c.sock",
                                     "--namespace", "default"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }
  CommandResult Snapshots(std::vector<std::string> args) {
    args.insert(args.begin(), {"snapshots", "--snapshotter", "native"});
    return Ctr(std::move(args));
  }

  pid_t pid() const { return pid_; }
  std::string snapshotter_root() const {
    return dir_ + "/root/io.containerd.snapshotter.v1.native";
  }

 private:
  std::string dir_;
  std::string ctr_;
  pid_t pid_ = -1;
};

// The snapctl binary, or "" with the reason in *why.
std::string SnapctlWithMigrate(std::string* why) {
  const std::string snapctl = winsnap::testing::ToolPath("snapctl");
  if (::access(snapctl.c_str(), X_OK) != 0) {
    *why = "SKIPPED LOUDLY: " + snapctl + " is not built";
    return "";
  }
  if (RunCommand({snapctl, "migrate", "--help"}).exit_code != 0) {
    *why = "SKIPPED LOUDLY: " + snapctl +
           " has no migrate command (RegisterMigrateCommands is not wired "
           "into tools/snapctl.cc)";
    return "";
  }
  return snapctl;
}

// Why a containerd test cannot run here, or "".
std::string ContainerdMissing() {
  if (::geteuid() != 0) return "SKIPPED LOUDLY: needs root to run containerd";
  if (FindInPath("containerd").empty() || FindInPath("ctr").empty()) {
    return "SKIPPED LOUDLY: containerd/ctr not installed (Debian package "
           "containerd)";
  }
  return "";
}

// Starts containerd and makes, through ctr and the native snapshotter:
// layer1 (committed, holding hello.txt) <- layer2 (committed) <- scratch
// (active, labelled) and ro-view (view). Returns layer1's folder as
// containerd's own mount reports it.
std::string Populate(Containerd& containerd) {
  EXPECT_OK(containerd.Start());
  auto ok = [](const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  ok(containerd.Snapshots({"prepare", "layer1-active"}));
  std::string mount =
      ok(containerd.Snapshots({"mounts", "/mnt", "layer1-active"}));
  // "mount -t bind <source> /mnt -o rbind,rw"
  size_t src_begin = mount.find("bind ") + 5;
  std::string source =
      mount.substr(src_begin, mount.find(' ', src_begin) - src_begin);
  EXPECT_OK(env()->WriteFileAtomic(source + "/hello.txt", "from containerd"));
  ok(containerd.Snapshots({"commit", "layer1", "layer1-active"}));
  ok(containerd.Snapshots({"prepare", "layer2-active", "layer1"}));
  ok(containerd.Snapshots({"commit", "layer2", "layer2-active"}));
  ok(containerd.Snapshots({"prepare", "scratch", "layer2"}));
  ok(containerd.Snapshots({"view", "ro-view", "layer2"}));
  ok(containerd.Snapshots(
      {"label", "scratch", "containerd.io/snapshot/test=yes", "other=x"}));
  return source;
}

TEST(ContainerdIntegrationTest, MigratesWhatContainerdWrote) {
  if (std::string why = ContainerdMissing(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  Containerd containerd(dir.path());
  int64_t t0 = env()->NowNanos();
  const std::string source = Populate(containerd);
  ASSERT_FALSE(::testing::Test::HasFailure());

  const std::string root = containerd.snapshotter_root();
  {
    // While containerd runs: the store reads fine, the lock is seen and a
    // real migration is refused.
    ASSERT_OK_AND_ASSIGN(MigrationPlan plan, PlanContainerdMigration(root));
    EXPECT_EQ(plan.entries.size(), 4u);
    EXPECT_THAT(plan.lock_holders,
                Contains(static_cast<int64_t>(containerd.pid())));
    ASSERT_OK_AND_ASSIGN(auto store,
                         metadata::Store::Open(dir.Sub("meta-early"), {}));
    EXPECT_THAT(ApplyContainerdMigration(plan, *store),
                StatusIs(StatusCode::kFailedPrecondition, "locked"));
  }
  containerd.Stop();
  int64_t t1 = env()->NowNanos();

  ASSERT_OK_AND_ASSIGN(MigrationPlan plan, PlanContainerdMigration(root));
  EXPECT_THAT(plan.lock_holders, IsEmpty());
  ASSERT_OK_AND_ASSIGN(auto store, metadata::Store::Open(dir.Sub("meta"), {}));
  ASSERT_OK_AND_ASSIGN(MigrationResult result,
                       ApplyContainerdMigration(plan, *store));
  EXPECT_EQ(result.adopted.size(), 4u);

  // Backend keys are "<namespace>/<n>/<user key>".
  std::map<std::string, metadata::SnapshotRecord> by_user_key;
  for (auto& r : AllRecords(*store)) {
    EXPECT_EQ(r.key.rfind("default/", 0), 0u) << r.key;
    by_user_key[r.key.substr(r.key.find('/', 8) + 1)] = r;
  }
  ASSERT_EQ(by_user_key.size(), 4u);
  const auto& l1 = by_user_key["layer1"];
  const auto& l2 = by_user_key["layer2"];
  const auto& scratch = by_user_key["scratch"];
  const auto& view = by_user_key["ro-view"];
  EXPECT_EQ(l1.kind, metadata::Kind::kCommitted);
  EXPECT_EQ(l2.kind, metadata::Kind::kCommitted);
  EXPECT_EQ(scratch.kind, metadata::Kind::kActive);
  EXPECT_EQ(view.kind, metadata::Kind::kView);
  EXPECT_EQ(l1.parent, "");
  EXPECT_EQ(l2.parent, l1.key);
  EXPECT_EQ(scratch.parent, l2.key);
  EXPECT_EQ(view.parent, l2.key);
  // Only inherited labels reach a snapshotter.
  EXPECT_EQ(scratch.labels,
            (metadata::Labels{{"containerd.io/snapshot/test", "yes"}}));
  // The committed layer is adopted in place: the file written through
  // containerd's mount is in the adopted folder.
  EXPECT_EQ(l1.path, source);
  ASSERT_OK_AND_ASSIGN(std::string hello,
                       env()->ReadFile(l1.path + "/hello.txt"));
  EXPECT_EQ(hello, "from containerd");
  EXPECT_GT(l1.usage.size, 0);
  for (const auto& [name, r] : by_user_key) {
    EXPECT_GE(r.created_ns, t0) << name;
    EXPECT_LE(r.updated_ns, t1) << name;
    EXPECT_EQ(r.path.rfind(root + "/snapshots/", 0), 0u) << r.path;
  }
  for (const auto& e : plan.entries) {
    EXPECT_EQ(e.folder_exists, env()->IsDirectory(e.folder)) << e.folder;
  }
  EXPECT_TRUE(env()->IsDirectory(scratch.path));
  EXPECT_TRUE(env()->IsDirectory(l2.path));
}

TEST(ContainerdIntegrationTest, SnapctlMigratesWhatContainerdWrote) {
  if (std::string why = ContainerdMissing(); !why.empty()) GTEST_SKIP() << why;
  std::string why;
  const std::string snapctl = SnapctlWithMigrate(&why);
  if (snapctl.empty()) GTEST_SKIP() << why;
  TempDir dir;
  Containerd containerd(dir.path());
  const std::string source = Populate(containerd);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string root = containerd.snapshotter_root();
  const std::string wroot = dir.Sub("winsnap");
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {snapctl, "--root", wroot});
    return RunCommand(args);
  };

  // Dry run while containerd runs: the map, a lock warning, no store.
  CommandResult r = run({"migrate", "--from-containerd", root, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("is locked by process " +
                               std::to_string(containerd.pid())));
  EXPECT_THAT(r.out, HasSubstr("/layer1 "));
  EXPECT_THAT(r.out, HasSubstr(source));
  EXPECT_FALSE(env()->Exists(wroot));
  // A real migration waits for containerd to stop.
  r = run({"migrate", "--from-containerd", root});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("stop containerd before migrating"));

  containerd.Stop();
  r = run({"migrate", "--from-containerd", root});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("adopted 4 snapshot(s)"));
  // ls --namespace shows containerd's names with the adopted folders.
  r = run({"ls", "--namespace", "default"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (std::string name : {"layer1 ", "layer2 ", "scratch ", "ro-view "}) {
    EXPECT_THAT(r.out, HasSubstr(name)) << r.out;
  }
  r = run({"path", "--namespace", "default", "layer1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, source + "\n");
  r = run({"--json", "info", "--namespace", "default", "scratch"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["Kind"], "Active");
  EXPECT_EQ(info["Labels"]["containerd.io/snapshot/test"], "yes");
  EXPECT_TRUE(env()->IsDirectory(info["Path"].get<std::string>()));
}

// Allocated bytes of a tree as GNU du counts them (an implementation
// independent of Env::GetDiskUsage): -1 if du fails.
int64_t DuBytes(const std::string& path) {
  CommandResult r = RunCommand({"/usr/bin/du", "-s", "-B1", path});
  if (r.exit_code != 0) return -1;
  return std::strtoll(r.out.c_str(), nullptr, 10);
}

// Issue 15: reclaim the rm-* leftovers and orphan folders of a store that
// containerd itself wrote, with the hard cases planted: a read-only file in
// a read-only dir, a file held open, a bind mount of a host directory.
TEST(ContainerdIntegrationTest, ReclaimFreesLeftoversAndKeepsLiveSnapshots) {
  if (std::string why = ContainerdMissing(); !why.empty()) GTEST_SKIP() << why;
  std::string why;
  const std::string snapctl = SnapctlWithMigrate(&why);
  if (snapctl.empty()) GTEST_SKIP() << why;
  TempDir dir;
  Containerd containerd(dir.path());
  const std::string source = Populate(containerd);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string root = containerd.snapshotter_root();
  const std::string snaps = root + "/snapshots";
  ASSERT_OK_AND_ASSIGN(auto live_before, env()->ListDir(snaps));
  std::sort(live_before.begin(), live_before.end());
  // layer1, layer2, scratch (and ro-view from containerd 1.7.2 on).
  ASSERT_GE(live_before.size(), 3u);

  auto plant = [&](const std::string& name, size_t bytes) {
    std::string p = snaps + "/" + name;
    EXPECT_OK(env()->CreateDirs(p + "/Files/deep"));
    std::ofstream(p + "/Files/deep/data") << std::string(bytes, 'x');
    return p;
  };
  const std::string rm_ro = plant("rm-91", 100000);
  ASSERT_OK(env()->CreateDirs(rm_ro + "/Files/ro"));
  std::ofstream(rm_ro + "/Files/ro/file") << "read-only";
  ASSERT_EQ(::chmod((rm_ro + "/Files/ro/file").c_str(), 0444), 0);
  ASSERT_EQ(::chmod((rm_ro + "/Files/ro").c_str(), 0555), 0);
  const std::string rm_open = plant("rm-92", 50000);
  int held = ::open((rm_open + "/Files/deep/data").c_str(), O_RDONLY);
  ASSERT_GE(held, 0);
  const std::string rm_mount = plant("rm-93", 30000);
  const std::string orphan1 = plant("97", 70000);
  const std::string orphan2 = plant("98", 4000);
  TempDir host;
  std::ofstream(host.Sub("canary")) << "host data";
  ASSERT_OK(env()->CreateDir(rm_mount + "/mnt"));
  ASSERT_EQ(::mount(host.path().c_str(), (rm_mount + "/mnt").c_str(), nullptr,
                    MS_BIND, nullptr),
            0)
      << std::strerror(errno);
  struct Unmounter {
    std::string path;
    bool mounted = true;
    void Unmount() {
      if (mounted) ::umount2(path.c_str(), MNT_DETACH);
      mounted = false;
    }
    ~Unmounter() { Unmount(); }
  } unmounter{rm_mount + "/mnt"};
  std::map<std::string, int64_t> planted;
  for (const auto& p : {rm_ro, rm_open, rm_mount, orphan1, orphan2}) {
    planted[p.substr(snaps.size() + 1)] = DuBytes(p);
  }

  const std::string wroot = dir.Sub("winsnap");
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {snapctl, "--root", wroot});
    return RunCommand(args);
  };
  auto by_name = [](const nlohmann::json& list) {
    std::map<std::string, nlohmann::json> out;
    for (const auto& e : list) out[e["name"].get<std::string>()] = e;
    return out;
  };

  // migrate --dry-run lists exactly the planted folders, with du's sizes.
  CommandResult r =
      run({"--json", "migrate", "--from-containerd", root, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json plan = nlohmann::json::parse(r.out);
  auto listed = by_name(plan["unreferenced"]);
  ASSERT_EQ(listed.size(), planted.size()) << plan["unreferenced"].dump();
  int64_t total = 0;
  for (const auto& [name, size] : planted) {
    ASSERT_TRUE(listed.count(name)) << name;
    EXPECT_EQ(listed[name]["size"].get<int64_t>(), size) << name;
    EXPECT_GT(size, 0) << name;
    total += size;
    // While containerd runs only rm-* folders are reclaimable.
    EXPECT_EQ(listed[name]["reclaimable"].get<bool>(),
              name.rfind("rm-", 0) == 0)
        << name;
  }
  EXPECT_EQ(plan["unreferenced_total"].get<int64_t>(), total);
  r = run({"migrate", "--from-containerd", root, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(rm_mount));
  EXPECT_THAT(r.out, HasSubstr("(" + std::to_string(total) + " bytes) in 5"));
  // reclaim --dry-run says the same and deletes nothing.
  r = run({"--json", "reclaim", "--from-containerd", root, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(by_name(nlohmann::json::parse(r.out)["unreferenced"]).size(), 5u);
  for (const auto& [name, size] : planted) {
    EXPECT_TRUE(env()->IsDirectory(snaps + "/" + name)) << name;
  }

  // Reclaim while containerd runs: rm-91 and rm-92 go; rm-93 is stuck on
  // its mount point; the orphans wait for containerd to stop. Exit 1.
  r = run({"--json", "reclaim", "--from-containerd", root});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto first = by_name(nlohmann::json::parse(r.out)["folders"]);
  EXPECT_EQ(first["rm-91"]["result"], "reclaimed");
  EXPECT_EQ(first["rm-91"]["bytes_freed"].get<int64_t>(), planted["rm-91"]);
  EXPECT_EQ(first["rm-92"]["result"], "reclaimed");
  EXPECT_EQ(first["rm-92"]["bytes_freed"].get<int64_t>(), planted["rm-92"]);
  EXPECT_EQ(first["rm-93"]["result"], "failed");
  EXPECT_THAT(first["rm-93"]["reason"].get<std::string>(),
              HasSubstr("FailedPrecondition"));
  EXPECT_THAT(first["rm-93"]["reason"].get<std::string>(),
              HasSubstr(rm_mount + "/mnt"));
  for (const char* o : {"97", "98"}) {
    EXPECT_EQ(first[o]["result"], "skipped") << o;
    EXPECT_THAT(first[o]["reason"].get<std::string>(),
                HasSubstr("containerd is running"));
    EXPECT_TRUE(env()->IsDirectory(snaps + "/" + o)) << o;
  }
  EXPECT_FALSE(env()->Exists(rm_ro));
  EXPECT_FALSE(env()->Exists(rm_open));
  ASSERT_OK_AND_ASSIGN(std::string canary, env()->ReadFile(host.Sub("canary")));
  EXPECT_EQ(canary, "host data");

  // containerd stopped: the orphans go too; rm-93 stays stuck.
  containerd.Stop();
  r = run({"--json", "reclaim", "--from-containerd", root});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto second = by_name(nlohmann::json::parse(r.out)["folders"]);
  ASSERT_EQ(second.size(), 3u) << r.out;
  for (const char* o : {"97", "98"}) {
    EXPECT_EQ(second[o]["result"], "reclaimed") << o;
    EXPECT_EQ(second[o]["bytes_freed"].get<int64_t>(), planted[o]) << o;
    EXPECT_FALSE(env()->Exists(snaps + "/" + o)) << o;
  }
  EXPECT_EQ(second["rm-93"]["result"], "failed");
  ASSERT_OK_AND_ASSIGN(canary, env()->ReadFile(host.Sub("canary")));
  EXPECT_EQ(canary, "host data");

  // Unmounted, the last one goes and reclaim succeeds.
  unmounter.Unmount();
  r = run({"reclaim", "--from-containerd", root});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(rm_mount));
  EXPECT_FALSE(env()->Exists(rm_mount));
  ASSERT_OK_AND_ASSIGN(canary, env()->ReadFile(host.Sub("canary")));
  EXPECT_EQ(canary, "host data");
  ::close(held);

  // Every live snapshot is intact: same folders, containerd lists and
  // mounts them after a restart, layer1's file is still there.
  ASSERT_OK_AND_ASSIGN(auto live_after, env()->ListDir(snaps));
  std::sort(live_after.begin(), live_after.end());
  EXPECT_EQ(live_after, live_before);
  ASSERT_OK_AND_ASSIGN(std::string hello,
                       env()->ReadFile(source + "/hello.txt"));
  EXPECT_EQ(hello, "from containerd");
  ASSERT_OK(containerd.Start());
  CommandResult ls = containerd.Snapshots({"ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  for (const char* k : {"layer1", "layer2", "scratch", "ro-view"}) {
    EXPECT_THAT(ls.out, HasSubstr(k)) << ls.out;
  }
  CommandResult m = containerd.Snapshots({"mounts", "/mnt", "scratch"});
  EXPECT_EQ(m.exit_code, 0) << m.err;
  EXPECT_THAT(m.out, HasSubstr(snaps + "/"));
  m = containerd.Snapshots({"mounts", "/mnt", "ro-view"});
  EXPECT_EQ(m.exit_code, 0) << m.err;
  r = run({"--json", "reclaim", "--from-containerd", root, "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["unreferenced"].empty()) << r.out;
}

}  // namespace
}  // namespace winsnap::bbolt
