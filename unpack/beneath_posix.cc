// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace winsnap::unpack {

int OpenBeneath(int dirfd, const std::string& rel, int flags,
                bool allow_symlinks) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  if (!allow_symlinks) how.resolve |= RESOLVE_NO_SYMLINKS;
  long fd = ::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
  // Fallback without openat2: one component at a time, never following a
  // symlink (also when they were allowed: stricter, still correct).
  UniqueFd cur(::dup(dirfd));
  if (!cur.valid()) return -1;
  size_t start = 0;
  for (;;) {
    size_t slash = rel.find('/', start);
    std::string comp = rel.substr(start, slash - start);
    const bool last = slash == std::string::npos;
    if (comp == "..") {
      errno = EXDEV;
      return -1;
    }
    if (!comp.empty() && comp != ".") {
      int f = ::openat(
          cur.get(), comp.c_str(),
          (last ? flags : (O_RDONLY | O_DIRECTORY)) | O_NOFOLLOW | O_CLOEXEC);
      if (f < 0) return -1;
      cur.reset(f);
    }
    if (last) return cur.release();
    start = slash + 1;
  }
}

}  // namespace winsnap::unpack
