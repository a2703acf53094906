// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Beast + OpenSSL implementation of HttpTransport. See http.h for the I/O
// model: each Connection owns an io_context that only the thread currently
// holding the Connection runs, so no strands or locks are needed on the I/O
// path; the pool of idle connections is the only shared state.

#include "unpack/registry/http.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <limits>
#include <map>

#include "base/thread_annotations.h"

namespace winsnap::registry {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr size_t kHeaderLimit = size_t{64} * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

uint16_t DefaultPort(std::string_view scheme) {
  return scheme == "https" ? 443 : 80;
}

std::string ToStd(beast::string_view s) {
  return std::string(s.data(), s.size());
}

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// One open connection (TCP or TLS over TCP) plus the io_context its
// operations run on and the read buffer that carries bytes between
// responses.
struct Connection {
  explicit Connection(std::string k) : key(std::move(k)) {}

  beast::tcp_stream& lowest() {
    return tls ? beast::get_lowest_layer(*tls) : *tcp;
  }
  // Runs the io_context until the operation just started has completed
  // (the operation's handler is the only outstanding work).
  void Run() {
    ioc.restart();
    ioc.run();
  }

  std::string key;
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> tcp;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
};

Status NetError(std::string_view what, const Url& url, const error_code& ec) {
  std::string msg = std::string(what) + " " + url.Authority() + ": ";
  if (ec == beast::error::timeout) {
    return Status(StatusCode::kDeadlineExceeded, msg + "timed out");
  }
  return UnavailableError(msg + ec.message());
}

class Pool {
 public:
  explicit Pool(size_t max_idle) : max_idle_(max_idle) {}

  std::unique_ptr<Connection> Take(const std::string& key) {
    base::MutexLock lock(&mu_);
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    std::unique_ptr<Connection> c = std::move(it->second);
    idle_.erase(it);
    return c;
  }

  void Put(std::unique_ptr<Connection> c) {
    base::MutexLock lock(&mu_);
    if (idle_.size() >= max_idle_) return;  // closes c
    std::string key = c->key;
    idle_.emplace(std::move(key), std::move(c));
  }

 private:
  const size_t max_idle_;
  base::Mutex mu_;
  std::multimap<std::string, std::unique_ptr<Connection>> idle_ GUARDED_BY(mu_);
};

using Parser = http::response_parser<http::buffer_body>;

class BeastResponse final : public HttpResponse {
 public:
  BeastResponse(std::unique_ptr<Connection> conn,
                std::unique_ptr<Parser> parser, std::shared_ptr<Pool> pool,
                Url url, std::chrono::milliseconds io_timeout)
      : conn_(std::move(conn)),
        parser_(std::move(parser)),
        pool_(std::move(pool)),
        url_(std::move(url)),
        io_timeout_(io_timeout) {}

  int status() const override {
    return static_cast<int>(parser_->get().result_int());
  }

  std::optional<std::string> Header(std::string_view name) const override {
    auto it = parser_->get().find(beast::string_view(name.data(), name.size()));
    if (it == parser_->get().end()) return std::nullopt;
    return ToStd(it->value());
  }

  std::vector<std::string> Headers(std::string_view name) const override {
    std::vector<std::string> out;
    auto range = parser_->get().equal_range(
        beast::string_view(name.data(), name.size()));
    for (auto it = range.first; it != range.second; ++it) {
      out.push_back(ToStd(it->value()));
    }
    return out;
  }

  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    if (conn_ == nullptr) {
      return finished_ ? StatusOr<size_t>(size_t{0})
                       : StatusOr<size_t>(UnavailableError("response is dead"));
    }
    while (!parser_->is_done()) {
      parser_->get().body().data = buf;
      parser_->get().body().size = n;
      error_code ec;
      conn_->lowest().expires_after(io_timeout_);
      auto handler = [&ec](error_code e, size_t) { ec = e; };
      if (conn_->tls) {
        http::async_read(*conn_->tls, conn_->buffer, *parser_, handler);
      } else {
        http::async_read(*conn_->tcp, conn_->buffer, *parser_, handler);
      }
      conn_->Run();
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        conn_.reset();
        return NetError("reading response body from", url_, ec);
      }
      size_t got = n - parser_->get().body().size;
      if (got > 0) return got;
    }
    Release();
    return size_t{0};
  }

 private:
  // The body is complete: hand a reusable connection back to the pool.
  void Release() {
    finished_ = true;
    if (conn_ && parser_->keep_alive()) pool_->Put(std::move(conn_));
    conn_.reset();
  }

  std::unique_ptr<Connection> conn_;  // null once released or dead
  std::unique_ptr<Parser> parser_;
  std::shared_ptr<Pool> pool_;
  Url url_;
  std::chrono::milliseconds io_timeout_;
  bool finished_ = false;
};

class BeastTransport final : public HttpTransport {
 public:
  BeastTransport(TransportOptions options, std::unique_ptr<ssl::context> verify,
                 std::unique_ptr<ssl::context> noverify)
      : options_(std::move(options)),
        verify_ctx_(std::move(verify)),
        noverify_ctx_(std::move(noverify)),
        pool_(std::make_shared<Pool>(options_.max_idle_connections)) {}

  StatusOr<std::unique_ptr<HttpResponse>> Send(
      const HttpRequest& req) override {
    if (req.url.scheme != "http" && req.url.scheme != "https") {
      return InvalidArgumentError("unsupported URL scheme in " +
                                  req.url.ToString());
    }
    const bool verify = !IsInsecure(req.url);
    const std::string key = req.url.scheme + "://" + req.url.Authority() +
                            (verify ? "" : "#noverify");
    // A pooled connection may have been closed by the server while idle;
    // the first failure on a reused connection is retried once on a fresh
    // one, which is safe because requests are idempotent GETs.
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<Connection> conn =
          attempt == 0 ? pool_->Take(key) : nullptr;
      const bool reused = conn != nullptr;
      if (!reused) {
        conn = std::make_unique<Connection>(key);
        WINSNAP_RETURN_IF_ERROR(Connect(*conn, req.url, verify));
      }
      auto result = Exchange(std::move(conn), req);
      if (result.ok() || !reused || attempt > 0 ||
          result.status().code() != StatusCode::kUnavailable) {
        return result;
      }
      spdlog::debug(
          "registry http: reused connection to {} failed ({}); reconnecting",
          req.url.Authority(), result.status().ToString());
    }
  }

 private:
  bool IsInsecure(const Url& url) const {
    for (const std::string& h : options_.insecure_hosts) {
      if (h == url.Authority() || h == url.host ||
          h == url.host + ":" + std::to_string(url.port)) {
        return true;
      }
    }
    return false;
  }

  Status Connect(Connection& c, const Url& url, bool verify) {
    error_code ec;
    tcp::resolver::results_type endpoints;
    tcp::resolver resolver(c.ioc);
    resolver.async_resolve(url.host, std::to_string(url.port),
                           [&](error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                           });
    c.Run();
    if (ec) return NetError("resolving", url, ec);

    if (url.scheme == "https") {
      c.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(
          c.ioc, verify ? *verify_ctx_ : *noverify_ctx_);
    } else {
      c.tcp = std::make_unique<beast::tcp_stream>(c.ioc);
    }
    c.lowest().expires_after(options_.connect_timeout);
    c.lowest().async_connect(
        endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
    c.Run();
    if (ec) return NetError("connecting to", url, ec);
    if (!c.tls) return OkStatus();

    SSL* ssl_handle = c.tls->native_handle();
    const bool ip = IsIpLiteral(url.host);
    // SNI carries DNS names only (RFC 6066 §3).
    if (!ip && SSL_set_tlsext_host_name(ssl_handle, url.host.c_str()) != 1) {
      return InternalError("SSL_set_tlsext_host_name failed");
    }
    if (verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
      X509_VERIFY_PARAM_set_hostflags(param,
                                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      int rc = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str())
                  : X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
      if (rc != 1) return InternalError("X509_VERIFY_PARAM_set1_host failed");
    }
    c.lowest().expires_after(options_.connect_timeout);
    c.tls->async_handshake(ssl::stream_base::client,
                           [&](error_code e) { ec = e; });
    c.Run();
    if (ec) {
      long vr = SSL_get_verify_result(ssl_handle);
      if (verify && vr != X509_V_OK) {
        return FailedPreconditionError(
            "TLS certificate verification failed for " + url.Authority() +
            ": " + X509_verify_cert_error_string(vr) +
            " (trust its CA with a CA file, or use --insecure-registry)");
      }
      return NetError("TLS handshake with", url, ec);
    }
    return OkStatus();
  }

  StatusOr<std::unique_ptr<HttpResponse>> Exchange(
      std::unique_ptr<Connection> conn, const HttpRequest& req) {
    http::verb verb = http::string_to_verb(req.method);
    if (verb != http::verb::get && verb != http::verb::head) {
      return InvalidArgumentError("unsupported HTTP method " + req.method);
    }
    http::request<http::empty_body> msg{verb, req.url.target, 11};
    msg.set(http::field::host, req.url.Authority());
    msg.set(http::field::user_agent, options_.user_agent);
    for (const auto& [name, value] : req.headers) msg.set(name, value);
    msg.keep_alive(true);

    error_code ec;
    conn->lowest().expires_after(options_.io_timeout);
    auto on_write = [&ec](error_code e, size_t) { ec = e; };
    if (conn->tls) {
      http::async_write(*conn->tls, msg, on_write);
    } else {
      http::async_write(*conn->tcp, msg, on_write);
    }
    conn->Run();
    if (ec) return NetError("sending request to", req.url, ec);

    auto parser = std::make_unique<Parser>();
    parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser->header_limit(kHeaderLimit);
    if (verb == http::verb::head) parser->skip(true);
    conn->lowest().expires_after(options_.io_timeout);
    auto on_read = [&ec](error_code e, size_t) { ec = e; };
    if (conn->tls) {
      http::async_read_header(*conn->tls, conn->buffer, *parser, on_read);
    } else {
      http::async_read_header(*conn->tcp, conn->buffer, *parser, on_read);
    }
    conn->Run();
    if (ec) return NetError("reading response from", req.url, ec);
    return std::unique_ptr<HttpResponse>(
        std::make_unique<BeastResponse>(std::move(conn), std::move(parser),
                                        pool_, req.url, options_.io_timeout));
  }

  const TransportOptions options_;
  const std::unique_ptr<ssl::context> verify_ctx_;
  const std::unique_ptr<ssl::context> noverify_ctx_;
  std::shared_ptr<Pool> pool_;
};

StatusOr<std::unique_ptr<ssl::context>> MakeContext(
    bool verify, const std::string& ca_file) {
  std::unique_ptr<ssl::context> ctx;
  try {
    ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  } catch (const boost::system::system_error& e) {
    return InternalError(std::string("SSL_CTX_new: ") + e.what());
  }
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  error_code ec;
  if (!verify) {
    ctx->set_verify_mode(ssl::verify_none, ec);
    return ctx;
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (ec) return InternalError("SSL_CTX_set_verify: " + ec.message());
  // The system store (OpenSSL's default paths; SSL_CERT_FILE/SSL_CERT_DIR
  // override them).
  ctx->set_default_verify_paths(ec);
  if (ec) {
    spdlog::warn("registry: cannot load the system CA store: {}", ec.message());
  }
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) {
      return InvalidArgumentError("loading CA file " + ca_file + ": " +
                                  ec.message());
    }
  }
  return ctx;
}

}  // namespace

StatusOr<std::string> HttpResponse::ReadAll(size_t limit) {
  std::string out;
  uint8_t buf[16 * 1024];
  while (true) {
    WINSNAP_ASSIGN_OR_RETURN(size_t n, Read(buf, sizeof buf));
    if (n == 0) return out;
    if (out.size() + n > limit) {
      return ResourceExhaustedError("response body larger than " +
                                    std::to_string(limit) + " bytes");
    }
    out.append(reinterpret_cast<const char*>(buf), n);
  }
}

StatusOr<std::unique_ptr<HttpTransport>> HttpTransport::Create(
    TransportOptions options) {
  WINSNAP_ASSIGN_OR_RETURN(auto verify, MakeContext(true, options.ca_file));
  WINSNAP_ASSIGN_OR_RETURN(auto noverify, MakeContext(false, ""));
  return std::unique_ptr<HttpTransport>(std::make_unique<BeastTransport>(
      std::move(options), std::move(verify), std::move(noverify)));
}

StatusOr<Url> Url::Parse(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("invalid URL \"" + std::string(url) +
                                "\": " + std::string(why));
  };
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("missing scheme");
  Url u;
  u.scheme = Lower(url.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https")
    return bad("scheme must be http or https");
  std::string_view rest = url.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return bad("user info in URLs is not supported");
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return bad("unterminated IPv6 literal");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after IPv6 literal");
      port = after.substr(1);
      if (port.empty()) return bad("empty port");
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("empty port");
    }
  }
  if (u.host.empty()) return bad("missing host");
  u.host = Lower(u.host);
  if (port.empty()) {
    u.port = DefaultPort(u.scheme);
  } else {
    unsigned long p = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return bad("bad port");
      p = p * 10 + static_cast<unsigned long>(c - '0');
      if (p > 65535) return bad("bad port");
    }
    if (p == 0) return bad("bad port");
    u.port = static_cast<uint16_t>(p);
  }
  tail = tail.substr(0, tail.find('#'));
  if (tail.empty() || tail.front() == '?') {
    u.target = "/" + std::string(tail);
  } else {
    u.target = std::string(tail);
  }
  return u;
}

StatusOr<Url> Url::Resolve(std::string_view location) const {
  if (location.empty()) return InvalidArgumentError("empty redirect location");
  if (location.find("://") != std::string_view::npos &&
      location.find("://") < location.find_first_of("/?#")) {
    return Parse(location);
  }
  if (location.substr(0, 2) == "//") {
    return Parse(scheme + ":" + std::string(location));
  }
  Url u = *this;
  if (location.front() == '/') {
    u.target = std::string(location);
  } else {
    std::string path = target.substr(0, target.find('?'));
    path = path.substr(0, path.rfind('/') + 1);
    u.target = path + std::string(location);
  }
  u.target = u.target.substr(0, u.target.find('#'));
  return u;
}

std::string Url::Authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != DefaultPort(scheme)) h += ":" + std::to_string(port);
  return h;
}

std::string Url::ToString() const {
  return scheme + "://" + Authority() + target;
}

bool Url::SameOrigin(const Url& o) const {
  return scheme == o.scheme && host == o.host && port == o.port;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace winsnap::registry
