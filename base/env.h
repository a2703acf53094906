// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Env is the OS seam: every filesystem side effect and the clock go through
// it, so tests can inject faults and the Windows port swaps one file
// (env_windows.cc) rather than #ifdefs. Env::Default() returns the process-wide
// real implementation (env_posix.cc on Linux).
//
// Thread-safety: all methods are safe to call concurrently; the Default() Env
// has no mutable state of its own.

#ifndef WINSNAP_BASE_ENV_H_
#define WINSNAP_BASE_ENV_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace winsnap::base {

struct DiskUsage {
  int64_t size = 0;    // bytes of storage used (allocated blocks)
  int64_t inodes = 0;  // distinct inodes counted once (hard links once)
};

class Env {
 public:
  virtual ~Env() = default;

  // The real, process-wide Env. Never null; never destroyed.
  static Env* Default();

  // Creates one directory with mode 0700. AlreadyExists if "path" exists.
  virtual Status CreateDir(const std::string& path) = 0;
  // Sets the permission bits of "path" (follows symlinks).
  virtual Status Chmod(const std::string& path, uint32_t mode) = 0;
  // Creates "path" and any missing parents (mode 0700); OK if it exists as a
  // directory.
  virtual Status CreateDirs(const std::string& path) = 0;
  // Atomically renames "from" to "to" (same filesystem). NotFound if "from"
  // is missing.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Removes "path" and everything below it; OK if it does not exist. Never
  // leaves the filesystem and mount of the folder being deleted and never
  // follows a link: a symlink (on Windows any reparse point: symlink,
  // junction) is removed as a link; a directory that is a mount point (another
  // filesystem, or a bind mount of a directory of the same filesystem), "path"
  // itself included, is left alone with everything under it. Directories and
  // files we own but cannot read or write (e.g. 0555/0444, on Windows the
  // read-only attribute) are made writable and retried. Keeps going after a
  // failing entry, so everything else is deleted, and returns the first
  // error: FailedPrecondition naming a mount point; Unavailable for an entry
  // in use (EBUSY; on Windows a sharing violation), PermissionDenied for
  // EPERM/EACCES (e.g. an immutable file) — both may clear later, so callers
  // retry (base/robust_remove.h); InvalidArgument for "" or "/". Nothing
  // outside "path" is touched.
  virtual Status RemoveAll(const std::string& path) = 0;
  // Flushes the directory entry table of "path" to stable storage.
  virtual Status SyncDir(const std::string& path) = 0;
  // True if "path" exists (any type, symlinks not followed).
  virtual bool Exists(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  // Names (not paths) of the entries of directory "path", unsorted.
  virtual StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) = 0;
  // Storage used by the tree at "path", as containerd's continuity
  // fs.DiskUsage computes it on Unix (allocated blocks, inodes once each).
  virtual StatusOr<DiskUsage> GetDiskUsage(const std::string& path) = 0;
  // Reads the whole file.
  virtual StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Writes "data" to a temp file beside "path", fsyncs it and renames it over
  // "path", so readers see the old or the new content, never a mix.
  virtual Status WriteFileAtomic(const std::string& path,
                                 std::string_view data) = 0;
  // Wall-clock time in nanoseconds since the Unix epoch.
  virtual int64_t NowNanos() = 0;
};

// Joins path components with the platform separator.
std::string JoinPath(std::string_view a, std::string_view b);

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_ENV_H_
