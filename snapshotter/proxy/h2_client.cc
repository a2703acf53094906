// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "snapshotter/proxy/h2_client.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace winsnap::proxy {

struct H2Client::Call_ {
  std::string body_out;  // the framed request
  size_t out_off = 0;
  std::string body_in;  // DATA received
  std::string http_status;
  bool has_grpc_status = false;
  int grpc_status = 0;
  std::string grpc_message;
  bool closed = false;
  uint32_t close_error = 0;
};

namespace {

nghttp2_nv Nv(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
                    name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
        HexValue(s[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

H2Client::Call_* CallOf(nghttp2_session* session, int32_t id) {
  return static_cast<H2Client::Call_*>(
      nghttp2_session_get_stream_user_data(session, id));
}

int OnHeader(nghttp2_session* session, const nghttp2_frame* frame,
             const uint8_t* name, size_t namelen, const uint8_t* value,
             size_t valuelen, uint8_t, void*) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  H2Client::Call_* c = CallOf(session, frame->hd.stream_id);
  if (c == nullptr) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":status") {
    c->http_status = v;
  } else if (n == "grpc-status") {
    c->has_grpc_status = true;
    c->grpc_status = 0;
    for (char ch : v) {
      if (ch < '0' || ch > '9' || c->grpc_status > 1000) {
        c->grpc_status = static_cast<int>(StatusCode::kUnknown);
        break;
      }
      c->grpc_status = c->grpc_status * 10 + (ch - '0');
    }
  } else if (n == "grpc-message") {
    c->grpc_message = PercentDecode(v);
  }
  return 0;
}

int OnDataChunk(nghttp2_session* session, uint8_t, int32_t id,
                const uint8_t* data, size_t len, void*) {
  H2Client::Call_* c = CallOf(session, id);
  if (c != nullptr) c->body_in.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int OnStreamClose(nghttp2_session* session, int32_t id, uint32_t error_code,
                  void*) {
  H2Client::Call_* c = CallOf(session, id);
  if (c != nullptr) {
    c->closed = true;
    c->close_error = error_code;
  }
  return 0;
}

ssize_t ReadRequest(nghttp2_session* session, int32_t id, uint8_t* buf,
                    size_t length, uint32_t* flags, nghttp2_data_source*,
                    void*) {
  H2Client::Call_* c = CallOf(session, id);
  if (c == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  size_t n = std::min(length, c->body_out.size() - c->out_off);
  std::memcpy(buf, c->body_out.data() + c->out_off, n);
  c->out_off += n;
  if (c->out_off == c->body_out.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

}  // namespace

H2Client::H2Client(std::unique_ptr<ByteStream> stream)
    : stream_(std::move(stream)) {
  nghttp2_session_callbacks* cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, &OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, &OnStreamClose);
  nghttp2_session_client_new(&session_, cb, this);
  nghttp2_session_callbacks_del(cb);
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
}

H2Client::~H2Client() { nghttp2_session_del(session_); }

Status H2Client::Flush() {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      broken_ = true;
      return InternalError(std::string("nghttp2_session_mem_send: ") +
                           nghttp2_strerror(static_cast<int>(n)));
    }
    if (n == 0) return Status();
    if (Status s = stream_->Write(data, static_cast<size_t>(n)); !s.ok()) {
      broken_ = true;
      return s;
    }
  }
}

StatusOr<H2CallResult> H2Client::Call(const std::string& path,
                                      const std::string& request,
                                      const std::string& ns) {
  if (broken_) return UnavailableError("h2 client: the connection is broken");
  Call_ call;
  call.body_out.push_back('\0');  // uncompressed
  const uint32_t len = static_cast<uint32_t>(request.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    call.body_out.push_back(static_cast<char>((len >> shift) & 0xff));
  }
  call.body_out += request;
  std::vector<nghttp2_nv> nva = {Nv(":method", "POST"),
                                 Nv(":scheme", "http"),
                                 Nv(":path", path),
                                 Nv(":authority", "localhost"),
                                 Nv("content-type", "application/grpc"),
                                 Nv("te", "trailers")};
  if (!ns.empty()) nva.push_back(Nv("containerd-namespace", ns));
  nghttp2_data_provider provider{};
  provider.read_callback = &ReadRequest;
  int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                      &provider, &call);
  if (id < 0) {
    return InternalError(std::string("nghttp2_submit_request: ") +
                         nghttp2_strerror(id));
  }
  std::array<uint8_t, 16384> buf;
  while (!call.closed) {
    if (Status s = Flush(); !s.ok()) return s;
    if (call.closed) break;
    StatusOr<size_t> n = stream_->Read(buf.data(), buf.size());
    if (!n.ok()) {
      broken_ = true;
      return n.status();
    }
    if (*n == 0) {
      broken_ = true;
      return UnavailableError("h2 client: the server closed the connection");
    }
    ssize_t rv = nghttp2_session_mem_recv(session_, buf.data(), *n);
    if (rv < 0) {
      broken_ = true;
      return InternalError(std::string("nghttp2_session_mem_recv: ") +
                           nghttp2_strerror(static_cast<int>(rv)));
    }
  }
  // Acknowledgements (SETTINGS, WINDOW_UPDATE) go out with the next call.
  H2CallResult out;
  if (!call.has_grpc_status) {
    out.status = UnavailableError(
        "h2 client: the call ended without grpc-status (HTTP status \"" +
        call.http_status + "\", RST_STREAM code " +
        std::to_string(call.close_error) + ")");
    return out;
  }
  std::string_view body = call.body_in;
  while (!body.empty()) {
    if (body.size() < 5) {
      return DataLossError("h2 client: a truncated gRPC message prefix");
    }
    uint32_t n = 0;
    for (int i = 1; i <= 4; ++i) {
      n = (n << 8) | static_cast<uint8_t>(body[i]);
    }
    if (body[0] != 0 || body.size() - 5 < n) {
      return DataLossError("h2 client: a malformed gRPC message");
    }
    out.responses.emplace_back(body.substr(5, n));
    body.remove_prefix(5 + n);
  }
  out.status = call.grpc_status == 0
                   ? Status()
                   : Status(static_cast<StatusCode>(call.grpc_status),
                            call.grpc_message);
  return out;
}

}  // namespace winsnap::proxy
