// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Minimal HTTP/1.1 client transport for the registry client: URLs, one
// request -> one streamed response, keep-alive connection reuse, TLS with
// certificate and hostname verification. HttpTransport is the seam between
// the registry protocol logic (client.cc: auth, redirects, retries) and the
// network; the real implementation (http.cc) runs Boost.Beast over Asio and
// OpenSSL. Boost never appears in this header.
//
// I/O model: synchronous for the caller. Every connection owns a private
// asio::io_context that the calling thread runs until the operation it
// started completes; each operation carries a deadline (connect_timeout for
// resolve+connect+handshake, io_timeout for each write or read), so a stalled
// peer yields DeadlineExceeded instead of hanging.
//
// Thread-safety: HttpTransport::Send may be called from many threads at
// once; the idle-connection pool is guarded by a mutex. An HttpResponse
// belongs to the thread that reads it (one reader at a time) and must be
// destroyed before the transport.

#ifndef WINSNAP_UNPACK_REGISTRY_HTTP_H_
#define WINSNAP_UNPACK_REGISTRY_HTTP_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace winsnap::registry {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // "example.com", "127.0.0.1", "::1" (no brackets)
  uint16_t port = 0;   // always set (80/443 by default)
  std::string target;  // path and query, starts with '/'

  // Parses an absolute http(s) URL. InvalidArgument otherwise.
  static StatusOr<Url> Parse(std::string_view url);
  // Resolves a Location header value (absolute URL, "//host/path",
  // "/path" or a relative path) against this URL.
  StatusOr<Url> Resolve(std::string_view location) const;

  // "host[:port]" with the scheme's default port omitted and IPv6 in
  // brackets: the Host header and the key for per-host settings.
  std::string Authority() const;
  std::string ToString() const;
  // Same scheme, host and port.
  bool SameOrigin(const Url& other) const;
};

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view s);

struct TransportOptions {
  // Extra PEM CA bundle trusted in addition to the system store.
  std::string ca_file;
  // "host" or "host:port" entries whose TLS certificates are not verified.
  std::vector<std::string> insecure_hosts;
  std::chrono::milliseconds connect_timeout{30'000};
  std::chrono::milliseconds io_timeout{60'000};
  std::string user_agent = "winsnap";
  size_t max_idle_connections = 16;
};

struct HttpRequest {
  std::string method = "GET";  // GET or HEAD; requests carry no body
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One response, read incrementally. Destroying it before the body is fully
// read closes the connection; reading to the end returns a keep-alive
// connection to the pool.
class HttpResponse {
 public:
  virtual ~HttpResponse() = default;

  virtual int status() const = 0;
  // First value of header "name" (case-insensitive), or nullopt.
  virtual std::optional<std::string> Header(std::string_view name) const = 0;
  // All values of header "name", in order.
  virtual std::vector<std::string> Headers(std::string_view name) const = 0;
  // Reads up to "n" body bytes into "buf" and returns how many; 0 means the
  // body is complete. Unavailable when the connection drops (including a
  // body shorter than its Content-Length), DeadlineExceeded when no data
  // arrives within the io timeout. After an error the response is dead.
  virtual StatusOr<size_t> Read(uint8_t* buf, size_t n) = 0;

  // Reads the rest of the body. ResourceExhausted if it exceeds "limit".
  StatusOr<std::string> ReadAll(size_t limit);
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // The Beast/OpenSSL transport. InvalidArgument if ca_file cannot be loaded.
  static StatusOr<std::unique_ptr<HttpTransport>> Create(
      TransportOptions options);

  // Sends "request" and returns once the response headers are in; any status
  // code is a successful Send. Errors: Unavailable (resolve/connect/reset),
  // DeadlineExceeded (timeout), FailedPrecondition (TLS certificate or
  // hostname verification failed - not worth retrying).
  virtual StatusOr<std::unique_ptr<HttpResponse>> Send(
      const HttpRequest& request) = 0;
};

}  // namespace winsnap::registry

#endif  // WINSNAP_UNPACK_REGISTRY_HTTP_H_
