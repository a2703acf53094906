// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The standard streams of a detached container's init process: stdin reads
// the null device, stdout and stderr append to <bundle>/init.log. The OS
// calls live in detached_stdio_posix.cc (open(2), /dev/null) and
// detached_stdio_windows.cc (CRT _wopen, NUL); CMake picks one.

#ifndef WINSNAP_RUNTIME_DETACHED_STDIO_H_
#define WINSNAP_RUNTIME_DETACHED_STDIO_H_

#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace winsnap::runtime {

struct DetachedStdio {
  base::UniqueFd null_in;  // the null device, read-only
  base::UniqueFd log;      // the log file, append-only, created 0600
};

StatusOr<DetachedStdio> OpenDetachedStdio(const std::string& log_path);

}  // namespace winsnap::runtime

#endif  // WINSNAP_RUNTIME_DETACHED_STDIO_H_
