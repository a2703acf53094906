// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// H2Server: the nghttp2 gRPC transport's listener (issue 10): one Asio
// thread accepts connections and drives one H2Session per connection
// (h2_connection.h, generic over the Asio stream). Two listeners:
//   StartUnix (POSIX, h2_server_posix.cc): binds under umask 0177 (the
//     socket is 0600 from birth) after PrepareSocketPath-style checks done
//     by the caller;
//   StartPipe (Windows, pipe_listener_windows.cc): a named pipe served with
//     overlapped I/O on Asio's IOCP, a fresh instance always waiting for the
//     next client, each instance created with the DACL containerd and moby
//     use, D:P(A;;GA;;;BA)(A;;GA;;;SY) (kPipeSddl), the first one with
//     FILE_FLAG_FIRST_PIPE_INSTANCE.
//
// Thread-safety: Start/Shutdown from one owner thread; everything else runs
// on the server's I/O thread.

#ifndef WINSNAP_SNAPSHOTTER_PROXY_H2_SERVER_H_
#define WINSNAP_SNAPSHOTTER_PROXY_H2_SERVER_H_

#include <chrono>
#include <memory>
#include <string>

#include "base/status.h"
#include "snapshotter/proxy/core.h"

namespace winsnap::proxy {

// Protected DACL: full access for BUILTIN\Administrators and LocalSystem,
// nobody else (WINDOWS.md "containerd on Windows").
inline constexpr char kPipeSddl[] = "D:P(A;;GA;;;BA)(A;;GA;;;SY)";

class H2Server {
 public:
  // Listens on the unix socket "path" (which must not exist; the caller
  // prepared it) and serves *core. *core must outlive the server.
  static StatusOr<std::unique_ptr<H2Server>> StartUnix(ServiceCore* core,
                                                       const std::string& path);
  // Windows: serves *core on the named pipe "pipe" ("\\.\pipe\NAME", as
  // ParseServeAddress returns it). AlreadyExists (one line) if the name is
  // served already: another server answers a probe connection, or the
  // first instance cannot be created (FILE_FLAG_FIRST_PIPE_INSTANCE; Wine
  // ignores that flag, hence the probe). "sddl" is the pipe's security
  // descriptor; InvalidArgument if it does not parse.
  static StatusOr<std::unique_ptr<H2Server>> StartPipe(
      ServiceCore* core, const std::string& pipe,
      const std::string& sddl = kPipeSddl);
  ~H2Server();  // Shutdown(0)
  H2Server(const H2Server&) = delete;
  H2Server& operator=(const H2Server&) = delete;

  // Stops accepting, sends GOAWAY on every connection, waits up to "grace"
  // for the calls in flight, then stops the core and closes everything.
  // Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

  struct Impl;

 private:
  H2Server();
  std::unique_ptr<Impl> impl_;
};

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_H2_SERVER_H_
