// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// nghttp2 callbacks trampoline into H2Session (user_data is the session).
// Everything here runs on the owner's I/O thread; see h2_session.h.

#include "snapshotter/proxy/h2_session.h"

#include <nghttp2/nghttp2.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace winsnap::proxy {

struct H2Session::Stream {
  std::string path, method, content_type, ns;
  bool has_timeout = false;
  std::chrono::nanoseconds timeout{0};
  std::string body;
  bool too_big = false;
  bool dispatched = false;
  // Shared with the pool task, which may outlive the stream.
  std::shared_ptr<CallContext> ctx;
  // The framed response messages, read by the data provider.
  std::string out;
  size_t out_off = 0;
};

namespace {

nghttp2_nv Nv(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                    name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

bool ParseGrpcTimeout(std::string_view v, std::chrono::nanoseconds* out) {
  if (v.size() < 2 || v.size() > 9) return false;
  int64_t n = 0;
  for (char c : v.substr(0, v.size() - 1)) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  using namespace std::chrono;
  switch (v.back()) {
    case 'H':
      *out = duration_cast<nanoseconds>(hours(n));
      return true;
    case 'M':
      *out = duration_cast<nanoseconds>(minutes(n));
      return true;
    case 'S':
      *out = duration_cast<nanoseconds>(seconds(n));
      return true;
    case 'm':
      *out = milliseconds(n);
      return true;
    case 'u':
      *out = microseconds(n);
      return true;
    case 'n':
      *out = nanoseconds(n);
      return true;
  }
  return false;
}

std::string PercentEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7E || c == '%') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// The nghttp2 callbacks; user_data is the H2Session.
struct H2Callbacks {
  static H2Session* Self(void* p) { return static_cast<H2Session*>(p); }

  static H2Session::Stream* Find(H2Session* h, int32_t id) {
    auto it = h->streams_.find(id);
    return it == h->streams_.end() ? nullptr : it->second.get();
  }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame,
                            void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS ||
        frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;
    }
    Self(user)->streams_[frame->hd.stream_id] =
        std::make_shared<H2Session::Stream>();
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                      const uint8_t* name, size_t namelen, const uint8_t* value,
                      size_t valuelen, uint8_t, void* user) {
    H2Session::Stream* s = Find(Self(user), frame->hd.stream_id);
    if (s == nullptr || frame->hd.type != NGHTTP2_HEADERS) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":path") {
      s->path = v;
    } else if (n == ":method") {
      s->method = v;
    } else if (n == "content-type") {
      s->content_type = v;
    } else if (n == "grpc-timeout") {
      s->has_timeout = ParseGrpcTimeout(v, &s->timeout);
    } else if (n == "containerd-namespace") {
      s->ns = v;
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t id,
                         const uint8_t* data, size_t len, void* user) {
    H2Session* h = Self(user);
    H2Session::Stream* s = Find(h, id);
    if (s == nullptr) return 0;
    if (s->too_big || s->body.size() + len > h->max_message_ + 5) {
      s->too_big = true;
      s->body.clear();
      return 0;
    }
    s->body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame,
                         void* user) {
    if ((frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      return 0;
    }
    H2Session* h = Self(user);
    H2Session::Stream* s = Find(h, frame->hd.stream_id);
    if (s != nullptr && !s->dispatched) {
      s->dispatched = true;
      h->Dispatch(frame->hd.stream_id, s);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t id, uint32_t, void* user) {
    H2Session* h = Self(user);
    auto it = h->streams_.find(id);
    if (it == h->streams_.end()) return 0;
    // RST_STREAM or a finished exchange: either way the work may stop.
    if (it->second->ctx) it->second->ctx->Cancel();
    h->streams_.erase(it);
    return 0;
  }

  static ssize_t ReadData(nghttp2_session* session, int32_t id, uint8_t* buf,
                          size_t length, uint32_t* flags, nghttp2_data_source*,
                          void* user) {
    H2Session::Stream* s = Find(Self(user), id);
    if (s == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t n = std::min(length, s->out.size() - s->out_off);
    std::memcpy(buf, s->out.data() + s->out_off, n);
    s->out_off += n;
    if (s->out_off == s->out.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      nghttp2_nv trailers[] = {Nv("grpc-status", "0")};
      if (nghttp2_submit_trailer(session, id, trailers, 1) != 0) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      }
    }
    return static_cast<ssize_t>(n);
  }
};

H2Session::H2Session(ServiceCore* core, Post post, size_t max_message)
    : core_(core),
      post_(std::move(post)),
      max_message_(max_message),
      alive_(std::make_shared<bool>(true)) {
  nghttp2_session_callbacks* cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(
      cb, &H2Callbacks::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cb, &H2Callbacks::OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cb, &H2Callbacks::OnDataChunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cb, &H2Callbacks::OnFrameRecv);
  nghttp2_session_callbacks_set_on_stream_close_callback(
      cb, &H2Callbacks::OnStreamClose);
  nghttp2_session_server_new(&session_, cb, this);
  nghttp2_session_callbacks_del(cb);
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 128}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
}

H2Session::~H2Session() {
  *alive_ = false;
  PeerClosed();
  nghttp2_session_del(session_);
}

Status H2Session::Receive(const uint8_t* data, size_t n) {
  ssize_t rv = nghttp2_session_mem_recv(session_, data, n);
  if (rv < 0) {
    return InvalidArgumentError(std::string("HTTP/2: ") +
                                nghttp2_strerror(static_cast<int>(rv)));
  }
  return OkStatus();
}

std::string H2Session::TakeOutput() {
  std::string out;
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  return out;
}

void H2Session::PeerClosed() {
  for (auto& [id, s] : streams_) {
    if (s->ctx) s->ctx->Cancel();
  }
  streams_.clear();
}

void H2Session::GoAway() {
  if (going_away_) return;
  going_away_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_),
                        NGHTTP2_NO_ERROR, nullptr, 0);
}

bool H2Session::Finished() const {
  return !nghttp2_session_want_read(session_) &&
         !nghttp2_session_want_write(session_);
}

void H2Session::SubmitHttpError(int32_t id, const char* status) {
  nghttp2_nv h[] = {Nv(":status", status)};
  nghttp2_submit_response(session_, id, h, 1, nullptr);
}

void H2Session::SubmitError(int32_t id, const Status& s) {
  const std::string code = std::to_string(static_cast<int>(s.code()));
  const std::string msg = PercentEncode(s.message());
  nghttp2_nv h[] = {Nv(":status", "200"),
                    Nv("content-type", "application/grpc"),
                    Nv("grpc-status", code), Nv("grpc-message", msg)};
  nghttp2_submit_response(session_, id, h, 4, nullptr);
}

void H2Session::Dispatch(int32_t id, Stream* s) {
  if (s->method != "POST") return SubmitHttpError(id, "405");
  if (s->content_type.rfind("application/grpc", 0) != 0) {
    return SubmitHttpError(id, "415");
  }
  if (s->too_big) {
    return SubmitError(
        id, ResourceExhaustedError("request message larger than " +
                                   std::to_string(max_message_) + " bytes"));
  }
  if (!ServiceCore::Knows(s->path)) {
    return SubmitError(id, UnimplementedError("unknown method " + s->path));
  }
  const std::string& b = s->body;
  if (b.size() < 5) {
    return SubmitError(id,
                       InvalidArgumentError(s->path + ": no request message"));
  }
  if (b[0] != 0) {
    return SubmitError(
        id, UnimplementedError("compressed messages are not supported"));
  }
  const uint32_t len = (uint32_t{static_cast<uint8_t>(b[1])} << 24) |
                       (uint32_t{static_cast<uint8_t>(b[2])} << 16) |
                       (uint32_t{static_cast<uint8_t>(b[3])} << 8) |
                       uint32_t{static_cast<uint8_t>(b[4])};
  if (len > max_message_) {
    return SubmitError(
        id, ResourceExhaustedError("request message larger than " +
                                   std::to_string(max_message_) + " bytes"));
  }
  if (b.size() != 5 + static_cast<size_t>(len)) {
    return SubmitError(
        id, InvalidArgumentError(s->path +
                                 ": expected exactly one request message"));
  }
  auto deadline = std::chrono::steady_clock::time_point::max();
  if (s->has_timeout) {
    deadline = std::chrono::steady_clock::now() +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   s->timeout);
  }
  s->ctx = std::make_shared<CallContext>(deadline);
  s->ctx->ns = s->ns;
  std::shared_ptr<CallContext> ctx = s->ctx;
  // Hand-off: the work runs on the core's pool; its result comes back to
  // this thread through post_, and is dropped if the session or the stream
  // is gone by then.
  core_->Call(s->path, b.substr(5), ctx.get(),
              [this, id, ctx, alive = alive_, post = post_](CallResult r) {
                post([this, id, alive, r = std::move(r)]() mutable {
                  if (*alive) Answer(id, std::move(r));
                });
              });
  s->body.clear();
}

void H2Session::Answer(int32_t id, CallResult r) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;  // reset or disconnected meanwhile
  Stream* s = it->second.get();
  if (!r.status.ok()) return SubmitError(id, r.status);
  for (const std::string& m : r.responses) {
    const uint32_t len = static_cast<uint32_t>(m.size());
    s->out.push_back(0);
    s->out.push_back(static_cast<char>(len >> 24));
    s->out.push_back(static_cast<char>(len >> 16));
    s->out.push_back(static_cast<char>(len >> 8));
    s->out.push_back(static_cast<char>(len));
    s->out.append(m);
  }
  nghttp2_nv h[] = {Nv(":status", "200"),
                    Nv("content-type", "application/grpc")};
  if (s->out.empty()) {
    // No messages (an empty List): headers, then trailers alone.
    nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, id, nullptr, h, 2,
                           nullptr);
    nghttp2_nv t[] = {Nv("grpc-status", "0")};
    nghttp2_submit_trailer(session_, id, t, 1);
    return;
  }
  nghttp2_data_provider dp;
  dp.source.ptr = nullptr;
  dp.read_callback = &H2Callbacks::ReadData;
  nghttp2_submit_response(session_, id, h, 2, &dp);
}

}  // namespace winsnap::proxy
