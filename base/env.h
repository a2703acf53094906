// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Env is the OS seam: every filesystem side effect and the clock go through
// it, so tests can inject faults and the Windows port swaps one file
// (env_windows.cc) rather than #ifdefs. Env::Default() returns the process-wide
// real implementation (env_posix.cc on Linux, env_windows.cc on Windows).
// Paths are UTF-8 in both; the Windows Env widens them to UTF-16 (with the
// \\?\ long-path prefix) only at the Win32 call.
//
// Thread-safety: all methods are safe to call concurrently; the Default() Env
// has no mutable state of its own.

#ifndef WINSNAP_BASE_ENV_H_
#define WINSNAP_BASE_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/path.h"
#include "base/status.h"

namespace winsnap::base {

struct DiskUsage {
  int64_t size = 0;    // bytes of storage used (allocated blocks)
  int64_t inodes = 0;  // distinct inodes counted once (hard links once)
};

// An open lock file: an exclusive, advisory lock that other processes (and
// other FileLock objects of this process) see. flock(2) on POSIX, LockFileEx
// on Windows. Destroying the object releases the lock and closes the file.
// Thread-safety: one FileLock must not be used from two threads at once.
class FileLock {
 public:
  virtual ~FileLock() = default;
  // Takes the lock without waiting. OK if taken (or already held by this
  // object); Unavailable if another owner holds it.
  virtual Status TryLock() = 0;
  // Releases the lock; OK if it was not held.
  virtual Status Unlock() = 0;
  virtual bool locked() const = 0;
  // The lock file's path, as given to Env::OpenLockFile.
  virtual const std::string& path() const = 0;
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
  // Removes one file (not a directory), clearing a read-only attribute
  // first where the OS needs it. NotFound if it does not exist.
  virtual Status RemoveFile(const std::string& path) = 0;
  // Opens (creating it with mode 0600 if "create") the lock file "path",
  // unlocked. NotFound if it does not exist and !create. The file may be
  // removed with RemoveFile while open; the lock lasts until the FileLock
  // is destroyed.
  virtual StatusOr<std::unique_ptr<FileLock>> OpenLockFile(
      const std::string& path, bool create) = 0;
  // Creates a new, empty directory (mode 0700) under "parent" named
  // "prefix" followed by a unique suffix and returns its path.
  virtual StatusOr<std::string> CreateTempDir(const std::string& parent,
                                              std::string_view prefix) = 0;
  // Flushes every file of the filesystem holding "path" to stable storage
  // (syncfs on Linux; see env_windows.cc for Windows).
  virtual Status SyncFilesystem(const std::string& path) = 0;
  // Wall-clock time in nanoseconds since the Unix epoch.
  virtual int64_t NowNanos() = 0;
};

// Ends the process at once, as kill -9 would: no destructors, no atexit
// handlers, no flushing (SIGKILL on POSIX, TerminateProcess on Windows).
// Crash-consistency tests use it through their TEST_ crash points.
[[noreturn]] void CrashProcess();

// Joins path components with the platform separator (a backslash on Windows,
// where every '/' of the result becomes a backslash too).
inline std::string JoinPath(std::string_view a, std::string_view b) {
  return JoinPathStyle(NativePathStyle(), a, b);
}

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_ENV_H_
