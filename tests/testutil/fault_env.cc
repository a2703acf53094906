// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tests/testutil/fault_env.h"

#include <cstring>

namespace winsnap::testing {

std::string_view FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kCreateDir:
      return "CreateDir";
    case FaultOp::kChmod:
      return "Chmod";
    case FaultOp::kCreateDirs:
      return "CreateDirs";
    case FaultOp::kRename:
      return "Rename";
    case FaultOp::kRemoveAll:
      return "RemoveAll";
    case FaultOp::kSyncDir:
      return "SyncDir";
    case FaultOp::kListDir:
      return "ListDir";
    case FaultOp::kGetDiskUsage:
      return "GetDiskUsage";
    case FaultOp::kReadFile:
      return "ReadFile";
    case FaultOp::kWriteFileAtomic:
      return "WriteFileAtomic";
    case FaultOp::kRemoveFile:
      return "RemoveFile";
    case FaultOp::kOpenLockFile:
      return "OpenLockFile";
    case FaultOp::kCreateTempDir:
      return "CreateTempDir";
    case FaultOp::kSyncFilesystem:
      return "SyncFilesystem";
    case FaultOp::kAny:
      return "Any";
  }
  return "?";
}

void FaultEnv::FailNth(FaultOp op, int n, int err) {
  base::MutexLock lock(&mu_);
  armed_op_ = op;
  remaining_ = n > 0 ? n : 0;
  err_ = err;
  fired_ = false;
  fired_what_.clear();
}

bool FaultEnv::fired() const {
  base::MutexLock lock(&mu_);
  return fired_;
}

std::string FaultEnv::fired_what() const {
  base::MutexLock lock(&mu_);
  return fired_what_;
}

int64_t FaultEnv::calls(FaultOp op) const {
  base::MutexLock lock(&mu_);
  return calls_[static_cast<size_t>(op)];
}

void FaultEnv::FailPath(FaultOp op, const std::string& path, Status s,
                        int times) {
  base::MutexLock lock(&mu_);
  if (times == 0) {
    path_faults_.erase({op, path});
  } else {
    path_faults_[{op, path}] = {std::move(s), times};
  }
}

std::vector<std::string> FaultEnv::paths(FaultOp op) const {
  base::MutexLock lock(&mu_);
  return paths_[static_cast<size_t>(op)];
}

Status FaultEnv::Hit(FaultOp op, const std::string& path) {
  base::MutexLock lock(&mu_);
  calls_[static_cast<size_t>(op)]++;
  calls_[static_cast<size_t>(FaultOp::kAny)]++;
  paths_[static_cast<size_t>(op)].push_back(path);
  paths_[static_cast<size_t>(FaultOp::kAny)].push_back(path);
  if (auto it = path_faults_.find({op, path}); it != path_faults_.end()) {
    Status s = it->second.first;
    if (it->second.second > 0 && --it->second.second == 0) {
      path_faults_.erase(it);
    }
    return s;
  }
  if (remaining_ == 0) return OkStatus();
  if (armed_op_ != FaultOp::kAny && armed_op_ != op) return OkStatus();
  if (--remaining_ > 0) return OkStatus();
  fired_ = true;
  fired_what_ =
      std::string(FaultOpName(op)) + " " + path + ": " + std::strerror(err_);
  return ErrnoError(FaultOpName(op), err_, path);
}

Status FaultEnv::CreateDir(const std::string& path) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kCreateDir, path));
  return target_->CreateDir(path);
}
Status FaultEnv::Chmod(const std::string& path, uint32_t mode) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kChmod, path));
  return target_->Chmod(path, mode);
}
Status FaultEnv::CreateDirs(const std::string& path) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kCreateDirs, path));
  return target_->CreateDirs(path);
}
Status FaultEnv::Rename(const std::string& from, const std::string& to) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kRename, from));
  return target_->Rename(from, to);
}
Status FaultEnv::RemoveAll(const std::string& path) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kRemoveAll, path));
  return target_->RemoveAll(path);
}
Status FaultEnv::SyncDir(const std::string& path) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kSyncDir, path));
  return target_->SyncDir(path);
}
bool FaultEnv::Exists(const std::string& path) { return target_->Exists(path); }
bool FaultEnv::IsDirectory(const std::string& path) {
  return target_->IsDirectory(path);
}
StatusOr<std::vector<std::string>> FaultEnv::ListDir(const std::string& path) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kListDir, path));
  return target_->ListDir(path);
}
StatusOr<base::DiskUsage> FaultEnv::GetDiskUsage(const std::string& path) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kGetDiskUsage, path));
  return target_->GetDiskUsage(path);
}
StatusOr<std::string> FaultEnv::ReadFile(const std::string& path) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kReadFile, path));
  return target_->ReadFile(path);
}
Status FaultEnv::WriteFileAtomic(const std::string& path,
                                 std::string_view data) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kWriteFileAtomic, path));
  return target_->WriteFileAtomic(path, data);
}
Status FaultEnv::RemoveFile(const std::string& path) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kRemoveFile, path));
  return target_->RemoveFile(path);
}
StatusOr<std::unique_ptr<base::FileLock>> FaultEnv::OpenLockFile(
    const std::string& path, bool create) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kOpenLockFile, path));
  return target_->OpenLockFile(path, create);
}
StatusOr<std::string> FaultEnv::CreateTempDir(const std::string& parent,
                                              std::string_view prefix) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kCreateTempDir, parent));
  return target_->CreateTempDir(parent, prefix);
}
Status FaultEnv::SyncFilesystem(const std::string& path) {
  WINSNAP_RETURN_IF_ERROR(Hit(FaultOp::kSyncFilesystem, path));
  return target_->SyncFilesystem(path);
}
int64_t FaultEnv::NowNanos() { return target_->NowNanos(); }

}  // namespace winsnap::testing
