// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl reclaim` on a Windows containerd root, under Wine, through the
// library (bbolt::PlanContainerdReclaim / ReclaimContainerdLeftovers with
// hcs::NewLayerRemoveFallback as tools/ wires it on Windows): the seed's
// layout under C:\ (folders 2, 20, 21, rm-1, rm-2, rm-3, records for 2, 20
// and 21). The dry run lists exactly rm-1..rm-3 with their sizes; reclaim
// removes a read-only file, retries, reports and skips a folder whose file
// is held open without FILE_SHARE_DELETE, frees the rest and leaves the
// live folders alone. Wine let DeleteFile remove a file this same process
// holds open without FILE_SHARE_DELETE, so the sharing violation Windows
// would report is injected with FaultEnv on that folder, as Win32 error 32
// maps (between two Wine processes Wine does refuse: wine_cli_gc_held_open
// covers that through snapctl.exe); the host case is in host-check.ps1.
// vmcompute.dll is absent under Wine: the layer fallback's reason is in the
// stuck entry's error, once.

#include <windows.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "base/env.h"
#include "base/utf16_windows.h"
#include "hcs/layer_remove.h"
#include "metadata/bbolt/containerd_reclaim.h"
#include "tests/bbolt/bbolt_builder.h"
#include "tests/testutil/fault_env.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::bbolt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::winsnap::bbolt::testing::BuildMetastore;
using ::winsnap::bbolt::testing::SnapshotFields;
using ::winsnap::bbolt::testing::TestEntry;
using ::winsnap::testing::FaultEnv;
using ::winsnap::testing::FaultOp;
using ::winsnap::testing::TempDir;

base::Env* env() { return base::Env::Default(); }

class ReclaimWindowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (base::NativePathStyle() != base::PathStyle::kWindows)
      GTEST_SKIP() << "Windows paths only";
    root_ = dir_.Sub("io.containerd.snapshotter.v1.windows");
    ASSERT_EQ(root_.substr(1, 2), ":\\") << root_;
    snaps_ = root_ + "\\snapshots";
  }
  void TearDown() override {
    if (held_ != INVALID_HANDLE_VALUE) ::CloseHandle(held_);
  }

  // The seed's metadata.db: committed layers 2 <- 20 <- 21.
  void WriteStore() {
    std::vector<std::pair<std::string, std::vector<TestEntry>>> raw;
    std::string parent;
    for (uint64_t id : {2, 20, 21}) {
      ContainerdSnapshot s;
      s.key =
          "default/" + std::to_string(id) + "/sha256:l" + std::to_string(id);
      s.id = id;
      s.kind = SnapshotKind::kCommitted;
      s.parent = parent;
      s.created_ns = s.updated_ns = 1700000000000000000;
      parent = s.key;
      raw.emplace_back(s.key, SnapshotFields(s));
    }
    ASSERT_OK(env()->CreateDirs(snaps_));
    ASSERT_OK(
        env()->WriteFileAtomic(root_ + "\\metadata.db", BuildMetastore(raw)));
  }
  // snapshots\<name> shaped as a windows layer (Files\, Hives\) holding
  // "bytes" bytes; returns its size as the Env measures it.
  int64_t Layer(const std::string& name, size_t bytes) {
    std::string p = snaps_ + "\\" + name;
    EXPECT_OK(env()->CreateDirs(p + "\\Files\\Windows\\System32"));
    EXPECT_OK(env()->CreateDirs(p + "\\Hives"));
    EXPECT_OK(env()->WriteFileAtomic(p + "\\Files\\Windows\\System32\\d",
                                     std::string(bytes, 'x')));
    EXPECT_OK(env()->WriteFileAtomic(p + "\\Hives\\SOFTWARE_BASE", "regf"));
    return Size(name);
  }
  int64_t Size(const std::string& name) {
    auto du = env()->GetDiskUsage(snaps_ + "\\" + name);
    EXPECT_OK(du);
    return du.ok() ? du->size : -1;
  }

  TempDir dir_;
  std::string root_, snaps_;
  HANDLE held_ = INVALID_HANDLE_VALUE;
};

TEST_F(ReclaimWindowsTest, SeedLayoutDryRunThenReclaimUnderCDrive) {
  WriteStore();
  std::map<std::string, int64_t> live;
  for (const char* n : {"2", "20", "21"}) live[n] = Layer(n, 30000);
  std::map<std::string, int64_t> sizes = {{"rm-1", Layer("rm-1", 1000)},
                                          {"rm-2", Layer("rm-2", 70000)},
                                          {"rm-3", Layer("rm-3", 200000)}};

  // A read-only file in rm-1 (containerd's Cleanup fails on these).
  const std::string ro = snaps_ + "\\rm-1\\Files\\readonly.dll";
  ASSERT_OK(env()->WriteFileAtomic(ro, "MZ"));
  ASSERT_TRUE(
      ::SetFileAttributesW(base::Widen(ro).c_str(), FILE_ATTRIBUTE_READONLY));
  // A file in rm-2 held open without FILE_SHARE_DELETE.
  const std::string open_file = snaps_ + "\\rm-2\\Files\\in-use.log";
  held_ = ::CreateFileW(base::Widen(open_file).c_str(),
                        GENERIC_READ | GENERIC_WRITE,
                        FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                        CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  ASSERT_NE(held_, INVALID_HANDLE_VALUE) << ::GetLastError();
  DWORD wrote = 0;
  ASSERT_TRUE(::WriteFile(held_, "log", 3, &wrote, nullptr));
  sizes["rm-1"] = Size("rm-1");  // with the new files
  sizes["rm-2"] = Size("rm-2");

  // Dry run: exactly the rm-* folders, with their sizes.
  ASSERT_OK_AND_ASSIGN(ReclaimPlan plan, PlanContainerdReclaim(root_ + "\\"));
  EXPECT_EQ(plan.root, root_);
  EXPECT_EQ(plan.referenced, 3u);
  std::vector<std::string> names;
  int64_t total = 0;
  for (const auto& f : plan.leftovers) {
    names.push_back(f.name);
    EXPECT_EQ(f.kind, LeftoverKind::kRemoved) << f.name;
    EXPECT_EQ(f.folder, snaps_ + "\\" + f.name);
    EXPECT_EQ(f.size, sizes[f.name]) << f.name;
    EXPECT_EQ(f.skip_reason, "") << f.name;
    total += f.size;
  }
  EXPECT_THAT(names, ElementsAre("rm-1", "rm-2", "rm-3"));
  EXPECT_GT(sizes["rm-3"], 200000);
  EXPECT_EQ(plan.total_size, total);

  // Reclaim, with the sharing violation Windows reports for rm-2.
  FaultEnv fenv(env());
  const std::string rm2 = snaps_ + "\\rm-2";
  fenv.FailPath(FaultOp::kRemoveAll, rm2,
                Win32Error("DeleteFileW", ERROR_SHARING_VIOLATION, open_file),
                -1);
  ReclaimOptions options;
  options.remove.attempts = 4;
  std::vector<std::chrono::milliseconds> waits;
  options.remove.sleep = [&](std::chrono::milliseconds d) {
    waits.push_back(d);
  };
  options.remove.before_retry = hcs::NewLayerRemoveFallback(&fenv);
  ASSERT_OK_AND_ASSIGN(ReclaimResult r,
                       ReclaimContainerdLeftovers(root_, options, &fenv));
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.reclaimed, 2u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_FALSE(r.complete());
  EXPECT_EQ(r.entries[0].state, ReclaimState::kReclaimed);
  EXPECT_EQ(r.entries[2].state, ReclaimState::kReclaimed);
  EXPECT_EQ(r.bytes_freed, sizes["rm-1"] + sizes["rm-3"]);
  EXPECT_FALSE(env()->Exists(snaps_ + "\\rm-1"));  // read-only file and all
  EXPECT_FALSE(env()->Exists(snaps_ + "\\rm-3"));

  const ReclaimEntry& stuck = r.entries[1];
  EXPECT_EQ(stuck.state, ReclaimState::kFailed);
  EXPECT_EQ(stuck.bytes_freed, 0);
  EXPECT_THAT(stuck.reason, HasSubstr("sharing violation"));
  EXPECT_THAT(stuck.reason, HasSubstr("(Win32 error 32)"));
  EXPECT_THAT(stuck.reason, HasSubstr(open_file));
  // Retried: every attempt hit the folder, with back-off in between.
  int tries = 0;
  for (const auto& p : fenv.paths(FaultOp::kRemoveAll)) tries += p == rm2;
  EXPECT_EQ(tries, 4);
  EXPECT_EQ(waits.size(), 3u);
  // vmcompute.dll is absent under Wine: said once, and nothing crashed.
  const std::string why = "layer fallback unavailable: vmcompute.dll";
  EXPECT_THAT(stuck.reason, HasSubstr(why));
  EXPECT_EQ(stuck.reason.find(why), stuck.reason.rfind(why)) << stuck.reason;
  EXPECT_TRUE(env()->Exists(open_file));

  // The live folders are untouched.
  ASSERT_OK_AND_ASSIGN(auto left, env()->ListDir(snaps_));
  std::sort(left.begin(), left.end());
  EXPECT_THAT(left, ElementsAre("2", "20", "21", "rm-2"));
  for (const auto& [n, size] : live) {
    ASSERT_OK_AND_ASSIGN(base::DiskUsage du,
                         env()->GetDiskUsage(snaps_ + "\\" + n));
    EXPECT_EQ(du.size, size) << n;
  }

  // Once the handle is closed the next run frees rm-2 too.
  ::CloseHandle(held_);
  held_ = INVALID_HANDLE_VALUE;
  ASSERT_OK_AND_ASSIGN(r, ReclaimContainerdLeftovers(root_));
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.reclaimed, 1u);
  EXPECT_EQ(r.bytes_freed, sizes["rm-2"]);
  EXPECT_FALSE(env()->Exists(rm2));
}

}  // namespace
}  // namespace winsnap::bbolt
