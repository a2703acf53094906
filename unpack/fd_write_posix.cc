// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include <unistd.h>

#include <cerrno>

#include "unpack/fd_write.h"

namespace winsnap::unpack {

Status WriteAllToFd(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return OkStatus();
}

}  // namespace winsnap::unpack
