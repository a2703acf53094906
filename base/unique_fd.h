// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// UniqueFd: the move-only owner of a POSIX file descriptor (POSIX builds
// only; the close lives in env_posix.cc so this header pulls in no system
// header). Thread-safety as for UniqueResource.

#ifndef WINSNAP_BASE_UNIQUE_FD_H_
#define WINSNAP_BASE_UNIQUE_FD_H_

#include "base/unique_resource.h"

namespace winsnap::base {

// Closes "fd", retrying nothing (POSIX leaves the fd closed even on EINTR).
void CloseFd(int fd) noexcept;

struct FdTraits {
  using Handle = int;
  static int Invalid() noexcept { return -1; }
  static bool IsValid(int fd) noexcept { return fd >= 0; }
  static void Close(int fd) noexcept { CloseFd(fd); }
};

using UniqueFd = UniqueResource<FdTraits>;

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_UNIQUE_FD_H_
