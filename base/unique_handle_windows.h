// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// UniqueHandle (CloseHandle) and UniqueFindHandle (FindClose): the move-only
// owners of Win32 handles, used only by *_windows.cc files. Both NULL and
// INVALID_HANDLE_VALUE mean "owns nothing", since Win32 functions disagree on
// which one reports failure (CreateFileW vs CreateFileMappingW).
// Thread-safety as for UniqueResource.

#ifndef WINSNAP_BASE_UNIQUE_HANDLE_WINDOWS_H_
#define WINSNAP_BASE_UNIQUE_HANDLE_WINDOWS_H_

#include <windows.h>

#include "base/unique_resource.h"

namespace winsnap::base {

struct Win32HandleTraits {
  using Handle = HANDLE;
  static HANDLE Invalid() noexcept { return INVALID_HANDLE_VALUE; }
  static bool IsValid(HANDLE h) noexcept {
    return h != nullptr && h != INVALID_HANDLE_VALUE;
  }
  static void Close(HANDLE h) noexcept { ::CloseHandle(h); }
};

struct Win32FindHandleTraits {
  using Handle = HANDLE;
  static HANDLE Invalid() noexcept { return INVALID_HANDLE_VALUE; }
  static bool IsValid(HANDLE h) noexcept {
    return h != nullptr && h != INVALID_HANDLE_VALUE;
  }
  static void Close(HANDLE h) noexcept { ::FindClose(h); }
};

using UniqueHandle = UniqueResource<Win32HandleTraits>;
using UniqueFindHandle = UniqueResource<Win32FindHandleTraits>;

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_UNIQUE_HANDLE_WINDOWS_H_
