// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// FreeDiskBytes on Windows: GetDiskFreeSpaceExW's "free bytes available to
// the caller" (honours per-user quotas), for the volume holding the path.

#include <windows.h>

#include <limits>
#include <string>

#include "base/utf16_windows.h"
#include "unpack/layer_limits.h"

namespace winsnap::unpack {
namespace {

using ::winsnap::base::Widen;

}  // namespace

StatusOr<int64_t> FreeDiskBytes(const std::string& path) {
  ULARGE_INTEGER avail, total, free_all;
  if (!::GetDiskFreeSpaceExW(Widen(path).c_str(), &avail, &total, &free_all)) {
    return Win32Error("GetDiskFreeSpaceExW", ::GetLastError(), path);
  }
  if (avail.QuadPart >
      static_cast<ULONGLONG>(std::numeric_limits<int64_t>::max()))
    return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(avail.QuadPart);
}

}  // namespace winsnap::unpack
