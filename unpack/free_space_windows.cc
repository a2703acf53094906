// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// FreeDiskBytes on Windows: GetDiskFreeSpaceExW's "free bytes available to
// the caller" (honours per-user quotas), for the volume holding the path.

#include <windows.h>

#include <limits>
#include <string>

#include "unpack/layer_limits.h"

namespace winsnap::unpack {
namespace {

std::wstring Widen(const std::string& s) {
  if (s.empty()) return std::wstring();
  int n = ::MultiByteToWideChar(CP_UTF8, 0, s.data(),
                                static_cast<int>(s.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n > 0 ? n : 0), L'\0');
  if (n > 0)
    ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()),
                          out.data(), n);
  return out;
}

}  // namespace

StatusOr<int64_t> FreeDiskBytes(const std::string& path) {
  ULARGE_INTEGER avail, total, free_all;
  if (!::GetDiskFreeSpaceExW(Widen(path).c_str(), &avail, &total, &free_all)) {
    return UnknownError("GetDiskFreeSpaceExW " + path + ": Win32 error " +
                        std::to_string(::GetLastError()));
  }
  if (avail.QuadPart >
      static_cast<ULONGLONG>(std::numeric_limits<int64_t>::max()))
    return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(avail.QuadPart);
}

}  // namespace winsnap::unpack
