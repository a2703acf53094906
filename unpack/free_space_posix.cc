// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// FreeDiskBytes on POSIX: statvfs(3), blocks available to unprivileged users
// times the fragment size (the conservative figure; root may use a little
// more, the reserved blocks).

#include <sys/statvfs.h>

#include <cerrno>
#include <limits>

#include "unpack/layer_limits.h"

namespace winsnap::unpack {

StatusOr<int64_t> FreeDiskBytes(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0)
    return ErrnoError("statvfs", errno, path);
  const unsigned __int128 bytes =
      static_cast<unsigned __int128>(st.f_bavail) * st.f_frsize;
  if (bytes >
      static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()))
    return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(bytes);
}

}  // namespace winsnap::unpack
