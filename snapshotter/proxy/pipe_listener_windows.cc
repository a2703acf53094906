// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// H2Server's named-pipe listener (Windows). One pipe instance at a time
// waits in an overlapped ConnectNamedPipe on the server's io_context (Asio's
// IOCP); when a client connects, that instance becomes an H2Connection over
// asio::windows::stream_handle and a fresh instance is created and waits, so
// there is always one to connect to (a client that finds none gets
// ERROR_PIPE_BUSY and retries with WaitNamedPipeW). Every instance carries
// the same security descriptor; the first is created with
// FILE_FLAG_FIRST_PIPE_INSTANCE, so a name someone else already serves is
// refused instead of shared. Wine ignores that flag (WINDOWS.md), so before
// creating anything StartPipe also probes the name with a client open.
//
// Threading: Accept and its completion run on the io thread only.

#include <windows.h>

#include <sddl.h>

#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>

#include <memory>
#include <string>

#include "base/unique_handle_windows.h"
#include "base/utf16_windows.h"
#include "snapshotter/proxy/h2_connection.h"
#include "snapshotter/proxy/h2_server.h"

namespace winsnap::proxy {
namespace {

namespace net = boost::asio;
using PipeStream = net::windows::stream_handle;

constexpr DWORD kPipeBufferBytes = 64 * 1024;

// A security descriptor from ConvertStringSecurityDescriptorToSecurity-
// DescriptorW, which LocalFree releases.
struct LocalFreeDeleter {
  void operator()(void* p) const { ::LocalFree(p); }
};
using SecurityDescriptor = std::unique_ptr<void, LocalFreeDeleter>;

// The pipe's state shared by the accept loop and stop_accepting.
struct PipeListener {
  explicit PipeListener(net::io_context& io) : io(io) {}
  net::io_context& io;
  std::wstring name;
  SecurityDescriptor sd;
  // The instance waiting for a client, if any.
  std::unique_ptr<PipeStream> waiting;
  bool stopped = false;
};

StatusOr<base::UniqueHandle> CreateInstance(const PipeListener& l, bool first) {
  SECURITY_ATTRIBUTES sa{};
  sa.nLength = sizeof sa;
  sa.lpSecurityDescriptor = l.sd.get();
  sa.bInheritHandle = FALSE;
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
  if (first) open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
  HANDLE h = ::CreateNamedPipeW(l.name.c_str(), open_mode,
                                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE |
                                    PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                PIPE_UNLIMITED_INSTANCES, kPipeBufferBytes,
                                kPipeBufferBytes, 0, &sa);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD err = ::GetLastError();
    const std::string pipe = base::Narrow(l.name);
    if (first && err == ERROR_ACCESS_DENIED) {
      return AlreadyExistsError("named pipe " + pipe +
                                " is already in use by another server");
    }
    return Win32Error("CreateNamedPipeW", err, pipe);
  }
  return base::UniqueHandle(h);
}

void Accept(H2Server::Impl* impl, std::shared_ptr<PipeListener> l,
            base::UniqueHandle h);

// Creates the next instance and waits on it; logs and stops accepting if
// the OS refuses a new instance (the connections already open go on).
void AcceptNext(H2Server::Impl* impl, const std::shared_ptr<PipeListener>& l) {
  if (l->stopped) return;
  StatusOr<base::UniqueHandle> h = CreateInstance(*l, /*first=*/false);
  if (!h.ok()) {
    spdlog::error("pipe: no new instance, not accepting more clients: {}",
                  h.status().message());
    return;
  }
  Accept(impl, l, std::move(*h));
}

void Accept(H2Server::Impl* impl, std::shared_ptr<PipeListener> l,
            base::UniqueHandle h) {
  boost::system::error_code ec;
  auto stream = std::make_unique<PipeStream>(l->io);
  stream->assign(h.release(), ec);  // associates it with the IOCP
  if (ec) {
    spdlog::error("pipe: cannot watch a pipe instance: {}", ec.message());
    return;
  }
  HANDLE native = stream->native_handle();
  l->waiting = std::move(stream);
  net::windows::overlapped_ptr ov(l->io, [impl, l](boost::system::error_code ec,
                                                   size_t) {
    std::unique_ptr<PipeStream> s = std::move(l->waiting);
    if (l->stopped || ec == net::error::operation_aborted) return;
    if (!ec && s) {
      auto c = std::make_shared<H2Connection<PipeStream>>(impl, std::move(*s));
      impl->Adopt(c);
      c->Start();
    } else if (ec) {
      spdlog::debug("pipe: a client connection failed: {}", ec.message());
    }
    AcceptNext(impl, l);
  });
  BOOL ok = ::ConnectNamedPipe(native, ov.get());
  DWORD err = ::GetLastError();
  if (!ok && err == ERROR_IO_PENDING) {
    ov.release();  // completes through the IOCP
  } else if (ok || err == ERROR_PIPE_CONNECTED) {
    // A client connected between CreateNamedPipeW and ConnectNamedPipe.
    ov.complete(boost::system::error_code(), 0);
  } else {
    ov.complete(boost::system::error_code(static_cast<int>(err),
                                          net::error::get_system_category()),
                0);
  }
}

// OK if nobody serves "name"; AlreadyExists if a server answers (or all its
// instances are busy, or it exists and refuses us).
Status ProbeFree(const std::wstring& name) {
  base::UniqueHandle h(::CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE,
                                     0, nullptr, OPEN_EXISTING, 0, nullptr));
  DWORD err = h ? ERROR_SUCCESS : ::GetLastError();
  h.reset();
  if (err == ERROR_FILE_NOT_FOUND) return Status();
  const std::string pipe = base::Narrow(name);
  if (err == ERROR_SUCCESS || err == ERROR_PIPE_BUSY ||
      err == ERROR_ACCESS_DENIED) {
    return AlreadyExistsError("named pipe " + pipe +
                              " is already served by another process (is "
                              "another snapctl serve running?)");
  }
  return Win32Error("CreateFileW", err, pipe);
}

}  // namespace

StatusOr<std::unique_ptr<H2Server>> H2Server::StartPipe(
    ServiceCore* core, const std::string& pipe, const std::string& sddl) {
  std::unique_ptr<H2Server> s(new H2Server());
  Impl* impl = s->impl_.get();
  impl->core = core;
  auto l = std::make_shared<PipeListener>(*impl->io);
  l->name = base::Widen(pipe);
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(
          base::Widen(sddl).c_str(), SDDL_REVISION_1, &sd, nullptr)) {
    DWORD err = ::GetLastError();
    return InvalidArgumentError(
        "pipe security descriptor \"" + sddl + "\" does not parse: " +
        Win32Error("ConvertStringSecurityDescriptorToSecurityDescriptorW", err)
            .message());
  }
  l->sd.reset(sd);
  if (Status st = ProbeFree(l->name); !st.ok()) return st;
  StatusOr<base::UniqueHandle> first = CreateInstance(*l, /*first=*/true);
  if (!first.ok()) return first.status();
  impl->stop_accepting = [l] {
    l->stopped = true;
    if (l->waiting) {
      boost::system::error_code ignored;
      l->waiting->close(ignored);  // the pending ConnectNamedPipe aborts
    }
  };
  Accept(impl, l, std::move(*first));
  impl->Run();
  return s;
}

}  // namespace winsnap::proxy
