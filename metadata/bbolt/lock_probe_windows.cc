// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Windows lock probe. Windows has no lock table to read, so the probe asks
// LockFileEx directly: bbolt (bolt_windows.go) locks the one byte at offset
// 2^64-1 of the database file, exclusively, for the life of a writable DB
// (the range sidesteps etcd-io/bbolt#121). The probe requests a *shared*
// lock of that byte with LOCKFILE_FAIL_IMMEDIATELY: ERROR_LOCK_VIOLATION
// means a writer holds it; success means nobody does, and the shared lock is
// dropped at once. The window in which we hold it is microseconds, and bbolt
// itself polls with LOCKFILE_FAIL_IMMEDIATELY every 50 ms until its timeout,
// so a containerd starting at that instant retries rather than fails.
// Windows does not say which process holds a lock: a held lock is reported
// as one holder with pid -1.

#include <windows.h>

#include "base/path.h"
#include "base/unique_handle_windows.h"
#include "base/utf16_windows.h"
#include "metadata/bbolt/lock_probe.h"

namespace winsnap::bbolt {
namespace {

using ::winsnap::base::Widen;

}  // namespace

StatusOr<std::vector<int64_t>> FileLockHolders(const std::string& path) {
  base::UniqueHandle h(
      ::CreateFileW(Widen(base::ToLongPath(path)).c_str(), GENERIC_READ,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!h) return Win32Error("CreateFileW", ::GetLastError(), path);
  OVERLAPPED ov = {};
  ov.Offset = MAXDWORD;  // byte 2^64-1, as bbolt locks it
  ov.OffsetHigh = MAXDWORD;
  if (!::LockFileEx(h.get(), LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov)) {
    DWORD code = ::GetLastError();
    if (code == ERROR_LOCK_VIOLATION || code == ERROR_IO_PENDING)
      return std::vector<int64_t>{-1};
    return Win32Error("LockFileEx", code, path);
  }
  ::UnlockFileEx(h.get(), 0, 1, 0, &ov);
  return std::vector<int64_t>{};
}

}  // namespace winsnap::bbolt
