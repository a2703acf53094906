// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include <io.h>

#include <cerrno>

#include "unpack/fd_write.h"

namespace winsnap::unpack {

Status WriteAllToFd(int fd, const char* p, size_t n) {
  while (n > 0) {
    unsigned chunk = n > (1u << 30) ? (1u << 30) : static_cast<unsigned>(n);
    int w = ::_write(fd, p, chunk);
    if (w < 0) return ErrnoError("_write", errno);
    p += w;
    n -= static_cast<size_t>(w);
  }
  return OkStatus();
}

}  // namespace winsnap::unpack
