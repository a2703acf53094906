// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// H2Client: a small blocking gRPC client on nghttp2's client session, over
// any connected byte stream, for tests and diagnostics where gRPC C++ is not
// available (the Windows build: a named pipe from DialPipe). One call at a
// time per client; unary and server-streaming calls alike: Call returns
// every response message and the grpc-status / grpc-message trailers.
// containerd's own client is what proves the protocol (Linux conformance
// run); this client speaks the same subset the H2Session serves.
//
// Thread-safety: one thread per H2Client (and per ByteStream).

#ifndef WINSNAP_SNAPSHOTTER_PROXY_H2_CLIENT_H_
#define WINSNAP_SNAPSHOTTER_PROXY_H2_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

struct nghttp2_session;

namespace winsnap::proxy {

// A connected, blocking byte stream.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Reads 1..n bytes into "buf"; 0 at end of stream; an error otherwise.
  virtual StatusOr<size_t> Read(uint8_t* buf, size_t n) = 0;
  // Writes all "n" bytes.
  virtual Status Write(const uint8_t* data, size_t n) = 0;
};

// Windows (pipe_client_windows.cc): connects to the named pipe "pipe"
// ("\\.\pipe\NAME"), waiting up to "timeout" while every instance is busy.
// NotFound if nobody serves the name.
StatusOr<std::unique_ptr<ByteStream>> DialPipe(
    const std::string& pipe,
    std::chrono::milliseconds timeout = std::chrono::seconds(5));

struct H2CallResult {
  // The call's grpc-status (as a StatusCode) and grpc-message, decoded.
  Status status;
  std::vector<std::string> responses;  // serialized messages, in order
};

class H2Client {
 public:
  // Owns *stream. Sends the connection preface with the first call.
  explicit H2Client(std::unique_ptr<ByteStream> stream);
  ~H2Client();
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  // Calls "path" ("/<service>/<method>") with the serialized "request" and
  // reads until the call ends. The returned Status is the transport's:
  // non-OK when the connection fails or the peer breaks the protocol (then
  // the client is unusable); the gRPC outcome is in H2CallResult::status.
  // "ns" is sent as containerd-namespace when non-empty.
  StatusOr<H2CallResult> Call(const std::string& path,
                              const std::string& request,
                              const std::string& ns = "");

  struct Call_;  // one call's state, for the nghttp2 callbacks

 private:
  Status Flush();

  std::unique_ptr<ByteStream> stream_;
  nghttp2_session* session_ = nullptr;
  bool broken_ = false;
};

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_H2_CLIENT_H_
