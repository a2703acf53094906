// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// UTF-8 <-> UTF-16 at the Win32 boundary: our code holds UTF-8, the W
// functions take UTF-16. Used only by *_windows.cc files. Invalid UTF-8
// becomes U+FFFD, which no existing file name matches, so a bad name fails
// as "not found" rather than aliasing another file.
// Thread-safety: pure functions.

#ifndef WINSNAP_BASE_UTF16_WINDOWS_H_
#define WINSNAP_BASE_UTF16_WINDOWS_H_

#include <windows.h>

#include <string>
#include <string_view>

namespace winsnap::base {

inline std::wstring Widen(std::string_view s) {
  if (s.empty()) return {};
  int n = ::MultiByteToWideChar(CP_UTF8, 0, s.data(),
                                static_cast<int>(s.size()), nullptr, 0);
  if (n <= 0) return {};
  std::wstring out(static_cast<size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()),
                        out.data(), n);
  return out;
}

inline std::string Narrow(std::wstring_view s) {
  if (s.empty()) return {};
  int n =
      ::WideCharToMultiByte(CP_UTF8, 0, s.data(), static_cast<int>(s.size()),
                            nullptr, 0, nullptr, nullptr);
  if (n <= 0) return {};
  std::string out(static_cast<size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, s.data(), static_cast<int>(s.size()),
                        out.data(), n, nullptr, nullptr);
  return out;
}

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_UTF16_WINDOWS_H_
