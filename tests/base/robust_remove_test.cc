// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of base::RobustRemove: retries with back-off on transient errors,
// a stuck entry never blocking the others, per-entry bytes freed, cancel,
// and a real mount point inside an entry.

#include "base/robust_remove.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "tests/testutil/fault_env.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::base {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::winsnap::testing::FaultEnv;
using ::winsnap::testing::FaultOp;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

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
      sleep_marks_.push_back(Removes().size());
    };
    return o;
  }

  // Every RemoveAll call's path, in order.
  std::vector<std::string> Removes() const {
    return env_.paths(FaultOp::kRemoveAll);
  }
  void Fail(const std::string& path, Status s, int times) {
    env_.FailPath(FaultOp::kRemoveAll, path, std::move(s), times);
  }

  TempDir dir_;
  FaultEnv env_{Env::Default()};
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
  Fail(a, PermissionDeniedError("read-only"), 2);
  RobustRemoveOptions o = Options();
  o.attempts = 5;
  o.initial_backoff = milliseconds(10);
  std::vector<std::string> retried;
  o.before_retry = [&](const std::string& p, const Status& s) {
    retried.push_back(p + " " + s.message());
    return OkStatus();
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
  Fail(a, UnavailableError("remove a: sharing violation"), -1);
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
  std::vector<std::string> calls = Removes();
  EXPECT_THAT(
      std::vector<std::string>(calls.begin(), calls.begin() + sleep_marks_[0]),
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

TEST_F(RobustRemoveTest, AFailingRetryHookIsReportedOnceAndOthersStillGo) {
  std::string a = Folder("a", 5000), b = Folder("b", 5000);
  Fail(a, ErrnoError("unlink", EBUSY, a), -1);
  RobustRemoveOptions o = Options();
  o.attempts = 4;
  int hook_calls = 0;
  o.before_retry = [&](const std::string& p, const Status&) {
    ++hook_calls;
    return UnavailableError("vmcompute.dll is not available for " + p);
  };
  RobustRemoveReport r = RobustRemove(&env_, {a, b}, o);
  EXPECT_EQ(hook_calls, 3);  // after each failure but the last
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_THAT(r.entries[0].retry_errors,
              ElementsAre("vmcompute.dll is not available for " + a));
  // The removal error stays the entry's error; the hook's is added once.
  EXPECT_THAT(r.entries[0].status, StatusIs(StatusCode::kUnavailable));
  const std::string& m = r.entries[0].status.message();
  EXPECT_THAT(m, ::testing::StartsWith("unlink " + a));
  EXPECT_EQ(m.find("vmcompute.dll"), m.rfind("vmcompute.dll")) << m;
  EXPECT_THAT(m, HasSubstr("; before retry: vmcompute.dll is not available"));
  EXPECT_OK(r.entries[1].status);
  EXPECT_TRUE(r.entries[1].retry_errors.empty());
  EXPECT_FALSE(env_.Exists(b));
  EXPECT_TRUE(env_.Exists(a));
}

TEST_F(RobustRemoveTest, AHookThatDeletesTheEntryMakesTheRetrySucceed) {
  std::string a = Folder("a", 5000);
  int64_t sa = Size(a);
  Fail(a, ErrnoError("rmdir", EBUSY, a), 1);
  RobustRemoveOptions o = Options();
  o.before_retry = [&](const std::string& p, const Status&) {
    return Env::Default()->RemoveAll(p);  // as DestroyLayer would
  };
  RobustRemoveReport r = RobustRemove(&env_, {a}, o);
  ASSERT_OK(r.entries[0].status);
  EXPECT_EQ(r.entries[0].attempts, 2);
  EXPECT_EQ(r.entries[0].bytes_freed, sa);
  EXPECT_FALSE(env_.Exists(a));
}

TEST_F(RobustRemoveTest, PermanentErrorsAreNotRetried) {
  std::string a = Folder("a", 5000);
  Fail(a, FailedPreconditionError(a + "/m is a mount point"), -1);
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
  EXPECT_THAT(Removes(), ElementsAre(a));
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
