// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Internal to hcs/*_windows.cc: HRESULT -> Status translation (done once, at
// the boundary, with the C function's name), UTF-8 <-> UTF-16 conversion,
// move-only owners for Win32 handles, and run-time binding of DLL exports.
//
// STYLE.md rule 13 asks for wil::unique_* owners. WIL is not packaged in
// Debian 12 (the CI cross-compiles with g++-mingw-w64 from Debian), so these
// are std::unique_ptr with explicit deleters, and HANDLEs are owned by the
// one base::UniqueHandle (base/unique_handle_windows.h, whose move, self-move
// and double-reset are tested); both ignore INVALID_HANDLE_VALUE.
//
// Thread-safety: stateless helpers; each owner is a value.

#ifndef WINSNAP_HCS_HRESULT_WINDOWS_H_
#define WINSNAP_HCS_HRESULT_WINDOWS_H_

#include <windows.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/status.h"
#include "base/unique_handle_windows.h"

namespace winsnap::hcs::win {

// HCS_E_* facility codes (HRESULT 0x8037xxxx; HCS also returns the 0xC037xxxx
// form). Values from hcsshim internal/hcs/errors.go and Microsoft's HCS error
// code table (learn.microsoft.com/virtualization/api/hcs/reference).
inline constexpr uint32_t kHcsOperationPending = 0x0103;
inline constexpr uint32_t kHcsInvalidState = 0x0105;
inline constexpr uint32_t kHcsUnexpectedExit = 0x0106;
inline constexpr uint32_t kHcsUnknownMessage = 0x010B;
inline constexpr uint32_t kHcsInvalidJson = 0x010D;
inline constexpr uint32_t kHcsSystemNotFound = 0x010E;
inline constexpr uint32_t kHcsSystemAlreadyExists = 0x010F;
inline constexpr uint32_t kHcsSystemAlreadyStopped = 0x0110;
inline constexpr uint32_t kHcsOperationTimeout = 0x0118;
inline constexpr uint32_t kHcsProcessAlreadyStopped = 0x011F;

// The HCS code of "hr" if it is in facility 0x37, else 0xFFFFFFFF.
inline uint32_t HcsCode(HRESULT hr) {
  uint32_t u = static_cast<uint32_t>(hr);
  return (u & 0x0FFF0000u) == 0x00370000u ? (u & 0xFFFFu) : 0xFFFFFFFFu;
}

// True for "the system/process has already stopped" (hcsshim IsAlreadyStopped).
inline bool IsAlreadyStopped(HRESULT hr) {
  uint32_t c = HcsCode(hr);
  return c == kHcsSystemAlreadyStopped || c == kHcsProcessAlreadyStopped ||
         hr == HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
}

// Converts UTF-8 to UTF-16 (invalid sequences become U+FFFD).
std::wstring Utf8ToWide(std::string_view s);
// Converts UTF-16 to UTF-8; nullptr gives "".
std::string WideToUtf8(const wchar_t* s);
std::string WideToUtf8(std::wstring_view s);

// "HcsStartComputeSystem c1: HRESULT 0x80370110 (<system message>)[: detail]"
// with the code mapped onto a StatusCode: not found -> NotFound, already
// exists -> AlreadyExists, invalid state / already stopped ->
// FailedPrecondition, timeout -> DeadlineExceeded, bad JSON/argument ->
// InvalidArgument, access denied -> PermissionDenied, not supported ->
// Unimplemented, everything else -> Internal.
Status HresultError(std::string_view function, HRESULT hr,
                    std::string_view what = {}, std::string_view detail = {});

// GetLastError() as a Status, same format as HresultError.
Status LastError(std::string_view function, std::string_view what = {});

// The one Win32 HANDLE owner (CloseHandle); see base/unique_resource.h.
using UniqueHandle = base::UniqueHandle;

struct LocalFreeDeleter {
  void operator()(void* p) const { ::LocalFree(p); }
};
// A string HCS allocated for us (result documents), released with LocalFree
// as the HCS reference requires.
using UniqueLocalWstr = std::unique_ptr<wchar_t, LocalFreeDeleter>;

struct FreeLibraryDeleter {
  void operator()(HMODULE m) const { ::FreeLibrary(m); }
};
using UniqueModule =
    std::unique_ptr<std::remove_pointer_t<HMODULE>, FreeLibraryDeleter>;

// Binds "fn" to the export of the same name in "module"; false if missing.
// The pointer type comes from the SDK/mingw declaration (decltype(&::Name)),
// so a signature mismatch with the header is a compile error.
template <typename Fn>
bool Bind(HMODULE module, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(
      reinterpret_cast<void*>(::GetProcAddress(module, name)));
  return fn != nullptr;
}

}  // namespace winsnap::hcs::win

#endif  // WINSNAP_HCS_HRESULT_WINDOWS_H_
