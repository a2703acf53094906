// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// H2Session: the server side of the gRPC wire protocol over one HTTP/2
// connection, on nghttp2's public callback API, without I/O of its own
// ("sans-IO"): the owner feeds it the bytes it reads (Receive) and writes
// what TakeOutput returns, so the same session runs over a unix socket on
// Linux and a named pipe on Windows (h2_server.h drives it with Asio).
//   - requests: POST, content-type application/grpc[+proto], one 5-byte
//     length-prefixed uncompressed message of at most max_message bytes
//     (else RESOURCE_EXHAUSTED), grpc-timeout read as the call's deadline;
//   - each call runs on the ServiceCore's pool; its CallContext is
//     cancelled by RST_STREAM, a lost connection or the session's end;
//   - answers: response headers, then the length-prefixed messages (List:
//     one per batch), then grpc-status / grpc-message trailers (message
//     percent-encoded); an error before any message is a Trailers-Only
//     response; flow control is nghttp2's;
//   - GoAway() sends GOAWAY and lets the calls already received finish.
// HTTP/2 protocol errors (malformed frames, bad preface) end the session
// with nghttp2's GOAWAY; Receive then returns an error and the owner closes
// the connection.
//
// Thread-safety: all methods must be called on one thread (the owner's I/O
// thread). Completions from the core's pool reach it through "post", which
// must run the closure later on that thread (and may drop it once the
// session is destroyed: the closure checks a liveness token).

#ifndef WINSNAP_SNAPSHOTTER_PROXY_H2_SESSION_H_
#define WINSNAP_SNAPSHOTTER_PROXY_H2_SESSION_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "snapshotter/proxy/core.h"

struct nghttp2_session;

namespace winsnap::proxy {

inline constexpr size_t kDefaultMaxMessageBytes = 16 << 20;

// "1S", "200m", "5000000u"... as gRPC's grpc-timeout header; nullopt-like
// false if malformed.
bool ParseGrpcTimeout(std::string_view v, std::chrono::nanoseconds* out);
// grpc-message encoding: bytes outside 0x20..0x7E and '%' as %XX.
std::string PercentEncode(std::string_view s);

class H2Session {
 public:
  using Post = std::function<void(std::function<void()>)>;
  // *core must outlive the session.
  H2Session(ServiceCore* core, Post post,
            size_t max_message = kDefaultMaxMessageBytes);
  ~H2Session();  // cancels every call still running
  H2Session(const H2Session&) = delete;
  H2Session& operator=(const H2Session&) = delete;

  // Bytes read from the peer. Non-OK: the session is over (protocol error);
  // write out what TakeOutput still has, then close.
  Status Receive(const uint8_t* data, size_t n);
  // Bytes to write to the peer now ("" if none).
  std::string TakeOutput();
  // The peer is gone: cancel every call.
  void PeerClosed();
  // Graceful stop: GOAWAY; calls already received continue.
  void GoAway();
  // True when nothing more will be read or written: the owner may close.
  bool Finished() const;
  size_t open_streams() const { return streams_.size(); }

 private:
  struct Stream;
  friend struct H2Callbacks;

  void Dispatch(int32_t id, Stream* s);
  void Answer(int32_t id, CallResult r);
  void SubmitError(int32_t id, const Status& s);
  void SubmitHttpError(int32_t id, const char* status);

  ServiceCore* core_;
  Post post_;
  size_t max_message_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::shared_ptr<Stream>> streams_;
  // Checked by closures posted from the pool: false once destroyed.
  std::shared_ptr<bool> alive_;
  bool going_away_ = false;
};

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_H2_SESSION_H_
