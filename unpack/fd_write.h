// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Writes all of a buffer to a file descriptor (POSIX write(2), retried on
// EINTR; Windows: a C runtime descriptor, _write). fd_write_posix.cc /
// fd_write_windows.cc.

#ifndef WINSNAP_UNPACK_FD_WRITE_H_
#define WINSNAP_UNPACK_FD_WRITE_H_

#include <cstddef>

#include "base/status.h"

namespace winsnap::unpack {

Status WriteAllToFd(int fd, const char* data, size_t n);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_FD_WRITE_H_
