// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// FaultEnv: a base::Env wrapper that forwards every call to a real Env and
// fails the Nth call of a chosen operation (or of any operation) with an
// errno such as ENOSPC, EIO, EBUSY or EPERM, as the OS would report it
// (base::ErrnoError). The fault fires once; later calls go through. Tests
// use it to drive every mutating path of the snapshotter through an error
// at each step and then check the store is still whole. FailPath adds
// lasting faults on one path (a folder that stays busy or protected), and
// every call's path is recorded, for tests of retry and back-off.
//
// Thread-safety: all methods are safe to call concurrently.

#ifndef WINSNAP_TESTS_TESTUTIL_FAULT_ENV_H_
#define WINSNAP_TESTS_TESTUTIL_FAULT_ENV_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/thread_annotations.h"

namespace winsnap::testing {

enum class FaultOp {
  kCreateDir,
  kChmod,
  kCreateDirs,
  kRename,
  kRemoveAll,
  kSyncDir,
  kListDir,
  kGetDiskUsage,
  kReadFile,
  kWriteFileAtomic,
  kRemoveFile,
  kOpenLockFile,
  kCreateTempDir,
  kSyncFilesystem,
  kAny,  // counts every call above (Exists, IsDirectory and NowNanos never
         // fail)
};
inline constexpr size_t kNumFaultOps = static_cast<size_t>(FaultOp::kAny) + 1;

std::string_view FaultOpName(FaultOp op);

class FaultEnv final : public base::Env {
 public:
  // REQUIRES: *target outlives this FaultEnv.
  explicit FaultEnv(base::Env* target) : target_(target) {}

  // Arms a fault: the nth call (1-based, counted from now) of "op" fails with
  // "err". Replaces any armed fault; n <= 0 disarms.
  void FailNth(FaultOp op, int n, int err);
  void Disarm() { FailNth(FaultOp::kAny, 0, 0); }
  // True once the armed fault has fired; "what" describes it.
  bool fired() const;
  std::string fired_what() const;
  // Calls of "op" since construction (kAny: all failable calls).
  int64_t calls(FaultOp op) const;

  // Makes the next "times" calls of "op" (not kAny) on exactly "path" fail
  // with "s" (times < 0: every call), independently of FailNth; e.g.
  // FailPath(kRemoveAll, p, ErrnoError("unlink", EBUSY, p), -1) for a
  // folder that stays in use. times == 0 clears the fault.
  void FailPath(FaultOp op, const std::string& path, Status s, int times);
  // The path of every call of "op" (kAny: of every failable call), in
  // order.
  std::vector<std::string> paths(FaultOp op) const;

  Status CreateDir(const std::string& path) override;
  Status Chmod(const std::string& path, uint32_t mode) override;
  Status CreateDirs(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status RemoveAll(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  bool Exists(const std::string& path) override;
  bool IsDirectory(const std::string& path) override;
  StatusOr<std::vector<std::string>> ListDir(const std::string& path) override;
  StatusOr<base::DiskUsage> GetDiskUsage(const std::string& path) override;
  StatusOr<std::string> ReadFile(const std::string& path) override;
  Status WriteFileAtomic(const std::string& path,
                         std::string_view data) override;
  Status RemoveFile(const std::string& path) override;
  StatusOr<std::unique_ptr<base::FileLock>> OpenLockFile(
      const std::string& path, bool create) override;
  StatusOr<std::string> CreateTempDir(const std::string& parent,
                                      std::string_view prefix) override;
  Status SyncFilesystem(const std::string& path) override;
  int64_t NowNanos() override;

 private:
  // Counts the call; returns the injected error if this is the armed one.
  Status Hit(FaultOp op, const std::string& path);

  base::Env* target_;
  mutable base::Mutex mu_;
  std::array<int64_t, kNumFaultOps> calls_ GUARDED_BY(mu_){};
  FaultOp armed_op_ GUARDED_BY(mu_) = FaultOp::kAny;
  int remaining_ GUARDED_BY(mu_) = 0;
  int err_ GUARDED_BY(mu_) = 0;
  bool fired_ GUARDED_BY(mu_) = false;
  std::string fired_what_ GUARDED_BY(mu_);
  std::array<std::vector<std::string>, kNumFaultOps> paths_ GUARDED_BY(mu_);
  // (op, path) -> (error, calls left to fail; < 0: all).
  std::map<std::pair<FaultOp, std::string>, std::pair<Status, int>> path_faults_
      GUARDED_BY(mu_);
};

}  // namespace winsnap::testing

#endif  // WINSNAP_TESTS_TESTUTIL_FAULT_ENV_H_
