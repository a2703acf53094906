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

#include <unistd.h>

#include <string>

namespace winsnap::unpack {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership.
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  // Closes the owned fd (if any) and owns "fd". Safe to call repeatedly.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Opens "rel" (relative, '/' separated) beneath "dirfd" with "flags"
// (O_CLOEXEC is added). Never resolves outside dirfd; with
// allow_symlinks = false no symlink is followed at all (ELOOP). Returns the
// fd or -1 with errno set.
int OpenBeneath(int dirfd, const std::string& rel, int flags,
                bool allow_symlinks = false);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_BENEATH_H_
