// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of base::RobustRemove: retries with back-off on transient errors,
// a stuck entry never blocking the others, per-entry bytes freed, cancel,
// and a real mount point inside an entry.

#include "base/robust_remove.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::base {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

// The real Env, except that RemoveAll of a chosen path fails with a chosen
// status a given number of times (-1: always). Records every RemoveAll.
class FailingRemoveEnv final : public Env {
 public:
  void Fail(const std::string& path, Status s, int times) {
    faults_[path] = {std::move(s), times};
  }
  std::vector<std::string> calls;

  Status RemoveAll(const std::string& path) override {
    calls.push_back(path);
    if (auto it = faults_.find(path);
        it != faults_.end() && it->second.second != 0) {
      if (it->second.second > 0) it->second.second--;
      return it->second.first;
    }
    return real_->RemoveAll(path);
  }
  Status CreateDir(const std::string& p) override {
    return real_->CreateDir(p);
  }
  Status Chmod(const std::string& p, uint32_t m) override {
    return real_->Chmod(p, m);
  }
  Status CreateDirs(const std::string& p) override {
    return real_->CreateDirs(p);
  }
  Status Rename(const std::string& a, const std::string& b) override {
    return real_->Rename(a, b);
  }
  Status SyncDir(const std::string& p) override { return real_->SyncDir(p); }
  bool Exists(const std::string& p) override { return real_->Exists(p); }
  bool IsDirectory(const std::string& p) override {
    return real_->IsDirectory(p);
  }
  StatusOr<std::vector<std::string>> ListDir(const std::string& p) override {
    return real_->ListDir(p);
  }
  StatusOr<DiskUsage> GetDiskUsage(const std::string& p) override {
    return real_->GetDiskUsage(p);
  }
  StatusOr<std::string> ReadFile(const std::string& p) override {
    return real_->ReadFile(p);
  }
  Status WriteFileAtomic(const std::string& p, std::string_view d) override {
    return real_->WriteFileAtomic(p, d);
  }
  Status RemoveFile(const std::string& p) override {
    return real_->RemoveFile(p);
  }
  StatusOr<std::unique_ptr<FileLock>> OpenLockFile(const std::string& p,
                                                   bool create) override {
    return real_->OpenLockFile(p, create);
  }
  StatusOr<std::string> CreateTempDir(const std::string& parent,
                                      std::string_view prefix) override {
    return real_->CreateTempDir(parent, prefix);
  }
  Status SyncFilesystem(const std::string& p) override {
    return real_->SyncFilesystem(p);
  }
  int64_t NowNanos() override { return real_->NowNanos(); }

 private:
  Env* real_ = Env::Default();
  std::map<std::string, std::pair<Status, int>> faults_;
};

class RobustRemoveTest : public ::testing::Test {
 protected:
  // A folder holding one file of "bytes" bytes; returns its path.
  std::string Folder(const std::string& name, size_t bytes) {
    std::string p = dir_.Sub(name);
    EXPECT_OK(env_.CreateDirs(p + "/sub"));
    std::ofstream(p + "/sub/data") << std::string(bytes, 'x');
    return p;
  }
  int64_t Size(const std::string& p) {
    auto du = env_.GetDiskUsage(p);
    EXPECT_OK(du);
    return du.ok() ? du->size : -1;
  }
  RobustRemoveOptions Options() {
    RobustRemoveOptions o;
    o.sleep = [this](milliseconds d) {
      sleeps_.push_back(d);
      sleep_marks_.push_back(env_.calls.size());
    };
    return o;
  }

  TempDir dir_;
  FailingRemoveEnv env_;
  std::vector<milliseconds> sleeps_;
  std::vector<size_t> sleep_marks_;  // RemoveAll calls made before each wait
};

TEST_F(RobustRemoveTest, RemovesAllAndReportsBytesMeasuredBefore) {
  std::string a = Folder("a", 10000), b = Folder("b", 300000);
  int64_t sa = Size(a), sb = Size(b);
  ASSERT_GT(sb, sa);
  std::vector<std::string> seen;
  RobustRemoveOptions o = Options();
  o.on_entry = [&](const RemoveOutcome& e) { seen.push_back(e.path); };
  RobustRemoveReport r = RobustRemove(&env_, {a, b, dir_.Sub("missing")}, o);
  EXPECT_TRUE(r.all_removed());
  EXPECT_EQ(r.removed, 3);
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].bytes_freed, sa);
  EXPECT_EQ(r.entries[1].bytes_freed, sb);
  EXPECT_EQ(r.entries[2].bytes_freed, 0);
  EXPECT_EQ(r.bytes_freed, sa + sb);
  EXPECT_FALSE(env_.Exists(a));
  EXPECT_FALSE(env_.Exists(b));
  EXPECT_THAT(seen, ElementsAre(a, b, dir_.Sub("missing")));
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(RobustRemoveTest, RetriesTransientErrorsWithExponentialBackoff) {
  std::string a = Folder("a", 5000);
  int64_t sa = Size(a);
  env_.Fail(a, PermissionDeniedError("read-only"), 2);
  RobustRemoveOptions o = Options();
  o.attempts = 5;
  o.initial_backoff = milliseconds(10);
  std::vector<std::string> retried;
  o.before_retry = [&](const std::string& p, const Status& s) {
    retried.push_back(p + " " + s.message());
  };
  RobustRemoveReport r = RobustRemove(&env_, {a}, o);
  ASSERT_OK(r.entries[0].status);
  EXPECT_EQ(r.entries[0].attempts, 3);
  EXPECT_EQ(r.entries[0].bytes_freed, sa);
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(10), milliseconds(20)));
  EXPECT_EQ(retried.size(), 2u);
  EXPECT_FALSE(env_.Exists(a));
}

TEST_F(RobustRemoveTest, AStuckEntryNeverBlocksTheOthers) {
  std::string a = Folder("a", 5000), b = Folder("b", 5000),
              c = Folder("c", 5000);
  int64_t sb = Size(b), sc = Size(c);
  env_.Fail(a, UnavailableError("remove a: sharing violation"), -1);
  RobustRemoveOptions o = Options();
  o.attempts = 4;
  o.initial_backoff = milliseconds(100);
  o.max_backoff = milliseconds(250);
  RobustRemoveReport r = RobustRemove(&env_, {a, b, c}, o);
  EXPECT_FALSE(r.all_removed());
  EXPECT_EQ(r.removed, 2);
  EXPECT_EQ(r.failed, 1);
  // b and c went in the first round, before any wait.
  ASSERT_FALSE(sleep_marks_.empty());
  EXPECT_THAT(std::vector<std::string>(env_.calls.begin(),
                                       env_.calls.begin() + sleep_marks_[0]),
              ElementsAre(a, b, c));
  EXPECT_FALSE(env_.Exists(b));
  EXPECT_FALSE(env_.Exists(c));
  EXPECT_THAT(r.entries[0].status,
              StatusIs(StatusCode::kUnavailable, "sharing violation"));
  EXPECT_EQ(r.entries[0].attempts, 4);
  EXPECT_EQ(r.entries[0].bytes_freed, 0);
  EXPECT_TRUE(env_.Exists(a));
  EXPECT_EQ(r.bytes_freed, sb + sc);
  // Capped exponential back-off.
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(100), milliseconds(200),
                                   milliseconds(250)));
}

TEST_F(RobustRemoveTest, PermanentErrorsAreNotRetried) {
  std::string a = Folder("a", 5000);
  env_.Fail(a, FailedPreconditionError(a + "/m is a mount point"), -1);
  RobustRemoveReport r = RobustRemove(&env_, {a}, Options());
  EXPECT_THAT(r.entries[0].status,
              StatusIs(StatusCode::kFailedPrecondition, "mount point"));
  EXPECT_EQ(r.entries[0].attempts, 1);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(RobustRemoveTest, CancelStopsBeforeTheNextEntry) {
  std::string a = Folder("a", 5000), b = Folder("b", 5000);
  std::atomic<bool> cancel{false};
  RobustRemoveOptions o = Options();
  o.cancel = &cancel;
  std::vector<std::string> seen;
  o.on_entry = [&](const RemoveOutcome& e) {
    seen.push_back(e.path);
    cancel = true;
  };
  RobustRemoveReport r = RobustRemove(&env_, {a, b}, o);
  EXPECT_OK(r.entries[0].status);
  EXPECT_THAT(r.entries[1].status, StatusIs(StatusCode::kCancelled));
  EXPECT_THAT(seen, ElementsAre(a, b));
  EXPECT_TRUE(env_.Exists(b));
  EXPECT_THAT(env_.calls, ElementsAre(a));
}

TEST_F(RobustRemoveTest, AMountPointInsideFreesTheRestAndReportsIt) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to bind-mount";
  TempDir host;
  std::ofstream(host.Sub("canary")) << "keep me";
  std::string a = Folder("a", 200000);
  ASSERT_OK(env_.CreateDir(a + "/mnt"));
  ASSERT_EQ(::mount(host.path().c_str(), (a + "/mnt").c_str(), nullptr, MS_BIND,
                    nullptr),
            0)
      << std::strerror(errno);
  int64_t before = Size(a);
  RobustRemoveReport r = RobustRemove(&env_, {a}, Options());
  int64_t after = Size(a);
  ::umount2((a + "/mnt").c_str(), MNT_DETACH);
  EXPECT_THAT(r.entries[0].status,
              StatusIs(StatusCode::kFailedPrecondition, a + "/mnt"));
  EXPECT_EQ(r.entries[0].size_before, before);
  EXPECT_EQ(r.entries[0].bytes_freed, before - after);
  EXPECT_GT(r.entries[0].bytes_freed, 200000);
  EXPECT_TRUE(env_.Exists(host.Sub("canary")));
  EXPECT_FALSE(env_.Exists(a + "/sub"));
}

}  // namespace
}  // namespace winsnap::base
