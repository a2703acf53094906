// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include <fcntl.h>

#include <cerrno>

#include "runtime/detached_stdio.h"

namespace winsnap::runtime {

StatusOr<DetachedStdio> OpenDetachedStdio(const std::string& log_path) {
  DetachedStdio s;
  s.null_in.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!s.null_in.valid()) return ErrnoError("open", errno, "/dev/null");
  s.log.reset(::open(log_path.c_str(),
                     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!s.log.valid()) return ErrnoError("open", errno, log_path);
  return s;
}

}  // namespace winsnap::runtime
