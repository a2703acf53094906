// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>

#include <cerrno>

#include "base/utf16_windows.h"
#include "runtime/detached_stdio.h"

namespace winsnap::runtime {

// CRT descriptors: the computecore backend relays between them and the
// pipes HCS creates (hcs/compute_service.h, StdioFds).
StatusOr<DetachedStdio> OpenDetachedStdio(const std::string& log_path) {
  DetachedStdio s;
  s.null_in.reset(::_wopen(L"NUL", _O_RDONLY | _O_BINARY | _O_NOINHERIT));
  if (!s.null_in.valid()) return ErrnoError("_wopen", errno, "NUL");
  std::wstring w = base::Widen(log_path);
  s.log.reset(::_wopen(
      w.c_str(), _O_WRONLY | _O_CREAT | _O_APPEND | _O_BINARY | _O_NOINHERIT,
      _S_IREAD | _S_IWRITE));
  if (!s.log.valid()) return ErrnoError("_wopen", errno, log_path);
  return s;
}

}  // namespace winsnap::runtime
