// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Linux helpers for touching files only beneath a directory: UniqueFd (owner
// of one file descriptor) and OpenBeneath, openat2(2) with RESOLVE_BENEATH
// (and, unless allowed, RESOLVE_NO_SYMLINKS), falling back to a
// per-component O_NOFOLLOW walk on kernels without openat2.
//
// Thread-safety: functions are thread-safe; a UniqueFd is a value.

#ifndef WINSNAP_UNPACK_BENEATH_H_
#define WINSNAP_UNPACK_BENEATH_H_

#include <string>

#include "base/unique_fd.h"

namespace winsnap::unpack {

// The fd owner is base::UniqueFd (one owner type per OS handle).
using UniqueFd = base::UniqueFd;

// Opens "rel" (relative, '/' separated) beneath "dirfd" with "flags"
// (O_CLOEXEC is added). Never resolves outside dirfd; with
// allow_symlinks = false no symlink is followed at all (ELOOP). Returns the
// fd or -1 with errno set.
int OpenBeneath(int dirfd, const std::string& rel, int flags,
                bool allow_symlinks = false);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_BENEATH_H_
