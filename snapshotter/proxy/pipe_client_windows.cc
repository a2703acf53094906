// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// DialPipe: the client end of a named pipe as a blocking ByteStream (for
// H2Client). Synchronous ReadFile/WriteFile on a handle opened without
// FILE_FLAG_OVERLAPPED; one thread per stream.

#include <windows.h>

#include <thread>

#include "base/unique_handle_windows.h"
#include "base/utf16_windows.h"
#include "snapshotter/proxy/h2_client.h"

namespace winsnap::proxy {
namespace {

class PipeByteStream final : public ByteStream {
 public:
  PipeByteStream(base::UniqueHandle h, std::string name)
      : h_(std::move(h)), name_(std::move(name)) {}

  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    DWORD got = 0;
    if (!::ReadFile(h_.get(), buf, static_cast<DWORD>(n), &got, nullptr)) {
      DWORD err = ::GetLastError();
      if (err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED) {
        return size_t{0};
      }
      return Win32Error("ReadFile", err, name_);
    }
    return size_t{got};
  }

  Status Write(const uint8_t* data, size_t n) override {
    while (n > 0) {
      DWORD put = 0;
      if (!::WriteFile(h_.get(), data, static_cast<DWORD>(n), &put, nullptr)) {
        return Win32Error("WriteFile", ::GetLastError(), name_);
      }
      data += put;
      n -= put;
    }
    return Status();
  }

 private:
  base::UniqueHandle h_;
  std::string name_;
};

}  // namespace

StatusOr<std::unique_ptr<ByteStream>> DialPipe(
    const std::string& pipe, std::chrono::milliseconds timeout) {
  const std::wstring name = base::Widen(pipe);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    HANDLE h = ::CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0,
                             nullptr, OPEN_EXISTING, 0, nullptr);
    if (h != INVALID_HANDLE_VALUE) {
      return std::unique_ptr<ByteStream>(
          new PipeByteStream(base::UniqueHandle(h), pipe));
    }
    DWORD err = ::GetLastError();
    if (err == ERROR_FILE_NOT_FOUND) {
      return NotFoundError("named pipe " + pipe + " is not served");
    }
    if (err != ERROR_PIPE_BUSY ||
        std::chrono::steady_clock::now() >= deadline) {
      return Win32Error("CreateFileW", err, pipe);
    }
    // Every instance is taken: the server makes a fresh one soon.
    if (!::WaitNamedPipeW(name.c_str(), 100)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace winsnap::proxy
