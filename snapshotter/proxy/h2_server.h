// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// H2Server: the nghttp2 gRPC transport's listener (issue 10): one Asio
// thread accepts connections and drives one H2Session per connection.
// H2Connection<Stream> is generic over an Asio stream (a unix socket here;
// asio::windows::stream_handle over a named pipe on Windows). The unix
// listener binds under umask 0177 (the socket is 0600 from birth) after
// PrepareSocketPath-style checks done by the caller.
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

class H2Server {
 public:
  // Listens on the unix socket "path" (which must not exist; the caller
  // prepared it) and serves *core. *core must outlive the server.
  static StatusOr<std::unique_ptr<H2Server>> StartUnix(ServiceCore* core,
                                                       const std::string& path);
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
