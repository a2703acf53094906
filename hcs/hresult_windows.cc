// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "hcs/hresult_windows.h"

#include <cstdio>

namespace winsnap::hcs::win {

std::wstring Utf8ToWide(std::string_view s) {
  if (s.empty()) return std::wstring();
  int n = ::MultiByteToWideChar(CP_UTF8, 0, s.data(),
                                static_cast<int>(s.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n > 0 ? n : 0), L'\0');
  if (n > 0) {
    ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()),
                          out.data(), n);
  }
  return out;
}

std::string WideToUtf8(std::wstring_view s) {
  if (s.empty()) return std::string();
  int n =
      ::WideCharToMultiByte(CP_UTF8, 0, s.data(), static_cast<int>(s.size()),
                            nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(n > 0 ? n : 0), '\0');
  if (n > 0) {
    ::WideCharToMultiByte(CP_UTF8, 0, s.data(), static_cast<int>(s.size()),
                          out.data(), n, nullptr, nullptr);
  }
  return out;
}

std::string WideToUtf8(const wchar_t* s) {
  return s == nullptr ? std::string() : WideToUtf8(std::wstring_view(s));
}

namespace {

std::string SystemMessage(HRESULT hr) {
  wchar_t* buf = nullptr;
  DWORD n = ::FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER |
                                 FORMAT_MESSAGE_FROM_SYSTEM |
                                 FORMAT_MESSAGE_IGNORE_INSERTS,
                             nullptr, static_cast<DWORD>(hr), 0,
                             reinterpret_cast<wchar_t*>(&buf), 0, nullptr);
  UniqueLocalWstr owned(buf);
  if (n == 0 || buf == nullptr) return std::string();
  std::string m = WideToUtf8(std::wstring_view(buf, n));
  while (!m.empty() && (m.back() == '\n' || m.back() == '\r' ||
                        m.back() == ' ' || m.back() == '.')) {
    m.pop_back();
  }
  return m;
}

StatusCode CodeFor(HRESULT hr) {
  switch (HcsCode(hr)) {
    case kHcsSystemNotFound:
      return StatusCode::kNotFound;
    case kHcsSystemAlreadyExists:
      return StatusCode::kAlreadyExists;
    case kHcsInvalidState:
    case kHcsSystemAlreadyStopped:
    case kHcsProcessAlreadyStopped:
      return StatusCode::kFailedPrecondition;
    case kHcsOperationTimeout:
      return StatusCode::kDeadlineExceeded;
    case kHcsInvalidJson:
      return StatusCode::kInvalidArgument;
    case kHcsUnknownMessage:
      return StatusCode::kUnimplemented;
    default:
      break;
  }
  switch (hr) {
    case E_INVALIDARG:  // == HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER)
    case HRESULT_FROM_WIN32(ERROR_INVALID_DATA):
      return StatusCode::kInvalidArgument;
    case E_ACCESSDENIED:
      return StatusCode::kPermissionDenied;
    case HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND):
    case HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND):
    case HRESULT_FROM_WIN32(ERROR_NOT_FOUND):
    case HRESULT_FROM_WIN32(ERROR_MOD_NOT_FOUND):
    case HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND):
      return StatusCode::kNotFound;
    case HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS):
    case HRESULT_FROM_WIN32(ERROR_FILE_EXISTS):
      return StatusCode::kAlreadyExists;
    case HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED):
    case E_NOTIMPL:
      return StatusCode::kUnimplemented;
    case HRESULT_FROM_WIN32(ERROR_NOT_READY):
    case HRESULT_FROM_WIN32(ERROR_DEVICE_NOT_CONNECTED):
      return StatusCode::kUnavailable;
    case HRESULT_FROM_WIN32(WAIT_TIMEOUT):
    case HRESULT_FROM_WIN32(ERROR_TIMEOUT):
      return StatusCode::kDeadlineExceeded;
    case HRESULT_FROM_WIN32(ERROR_DISK_FULL):
    case E_OUTOFMEMORY:
      return StatusCode::kResourceExhausted;
    default:
      return StatusCode::kInternal;
  }
}

}  // namespace

Status HresultError(std::string_view function, HRESULT hr,
                    std::string_view what, std::string_view detail) {
  char code[16];
  std::snprintf(code, sizeof code, "0x%08lX",
                static_cast<unsigned long>(static_cast<uint32_t>(hr)));
  std::string m(function);
  if (!what.empty()) {
    m += ' ';
    m += what;
  }
  m += ": HRESULT ";
  m += code;
  std::string sys = SystemMessage(hr);
  if (!sys.empty()) m += " (" + sys + ")";
  if (!detail.empty()) {
    m += ": ";
    m += detail;
  }
  return Status(CodeFor(hr), std::move(m));
}

Status LastError(std::string_view function, std::string_view what) {
  return HresultError(function, HRESULT_FROM_WIN32(::GetLastError()), what);
}

}  // namespace winsnap::hcs::win
