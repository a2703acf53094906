// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "snapshotter/proxy/metrics.h"

#include <spdlog/spdlog.h>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "base/env.h"
#include "metadata/types.h"
#include "snapshotter/proxy/metrics_os.h"

namespace winsnap::proxy {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

std::string PromEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
constexpr double kLatencyBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                      0.025,  0.05,  0.1,    0.25,  0.5,
                                      1,      2.5,   5,      10};
constexpr size_t kBucketCount = std::size(kLatencyBuckets);

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

}  // namespace

// The Asio side: one io_context on one thread, an acceptor over the bound
// socket, and one Conn per accepted connection.
struct MetricsServer::Impl {
  // Declared before io: Conns that io's destructor frees still count down.
  int live = 0;  // Conns alive; only touched on the io thread
  std::function<std::string()> render;
  net::io_context io;
  net::basic_socket_acceptor<net::generic::stream_protocol> acceptor{io};
  std::thread thread;

  void Accept();
};

namespace {

using Socket = net::generic::stream_protocol::socket;
using Endpoint = net::generic::stream_protocol::endpoint;

// One HTTP exchange. Runs on the io thread only. Lives while a handler holds
// it: the read (then the write) and the deadline timer, which closes the
// socket when the whole request has not arrived in time.
class Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(MetricsServer::Impl* impl, Socket sock)
      : impl_(impl), sock_(std::move(sock)), timer_(impl->io) {
    ++impl_->live;
  }
  ~Conn() { --impl_->live; }

  void Start() {
    parser_.header_limit(kMetricsMaxHeaderBytes);
    parser_.body_limit(0);
    timer_.expires_after(kMetricsRequestDeadline);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the exchange finished first
      beast::error_code ignored;
      self->sock_.close(ignored);
    });
    http::async_read(sock_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) {
      // Timed out, too large, malformed or gone: nothing more to say to a
      // peer that may not be reading; close.
      Close();
      return;
    }
    const auto& req = parser_.get();
    res_.version(req.version());
    res_.keep_alive(false);
    res_.set(http::field::content_type, "text/plain; version=0.0.4");
    std::string_view target(req.target().data(), req.target().size());
    if (req.method() == http::verb::get &&
        (target == "/metrics" || target.starts_with("/metrics?"))) {
      res_.result(http::status::ok);
      res_.body() = impl_->render();
    } else {
      res_.result(http::status::not_found);
      res_.body() = "only GET /metrics is served here\n";
    }
    res_.prepare_payload();
    // The deadline keeps running: a peer that does not read the answer is
    // closed when it passes.
    http::async_write(sock_, res_,
                      [self = shared_from_this()](beast::error_code, size_t) {
                        self->Close();
                      });
  }

  void Close() {
    beast::error_code ignored;
    sock_.shutdown(net::socket_base::shutdown_both, ignored);
    sock_.close(ignored);
    timer_.cancel();
  }

  MetricsServer::Impl* impl_;
  Socket sock_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> res_;
};

}  // namespace

void MetricsServer::Impl::Accept() {
  acceptor.async_accept([this](beast::error_code ec, Socket sock) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      if (live < kMetricsMaxConnections) {
        std::make_shared<Conn>(this, std::move(sock))->Start();
      } else {
        spdlog::debug("metrics: {} connections open, closing a new one", live);
      }
    }
    Accept();
  });
}

MetricsServer::MetricsServer() : impl_(std::make_unique<Impl>()) {}

void RpcMetrics::Begin() {
  base::MutexLock lock(&mu_);
  ++in_flight_;
}

void RpcMetrics::End(const std::string& method, StatusCode code,
                     int64_t micros) {
  base::MutexLock lock(&mu_);
  --in_flight_;
  ++counts_[{method, code}];
  micros_[method] += micros;
  auto& b = buckets_[method];
  b.resize(kBucketCount);
  double secs = static_cast<double>(micros) / 1e6;
  for (size_t i = 0; i < kBucketCount; ++i) {
    if (secs <= kLatencyBuckets[i]) ++b[i];
  }
}

int64_t RpcMetrics::Count(const std::string& method, StatusCode code) const {
  base::MutexLock lock(&mu_);
  auto it = counts_.find({method, code});
  return it == counts_.end() ? 0 : it->second;
}

int64_t RpcMetrics::InFlight() const {
  base::MutexLock lock(&mu_);
  return in_flight_;
}

std::string RpcMetrics::RenderPrometheus() const {
  base::MutexLock lock(&mu_);
  std::ostringstream out;
  out << "# HELP winsnap_rpc_total Snapshots RPCs handled, by method and "
         "gRPC code.\n"
      << "# TYPE winsnap_rpc_total counter\n";
  for (const auto& [key, n] : counts_) {
    out << "winsnap_rpc_total{method=\"" << PromEscape(key.first)
        << "\",code=\"" << PromEscape(StatusCodeName(key.second)) << "\"} " << n
        << "\n";
  }
  out << "# HELP winsnap_rpc_seconds_total Time spent handling Snapshots "
         "RPCs (queueing included), by method.\n"
      << "# TYPE winsnap_rpc_seconds_total counter\n";
  for (const auto& [method, us] : micros_) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(us) / 1e6);
    out << "winsnap_rpc_seconds_total{method=\"" << PromEscape(method) << "\"} "
        << buf << "\n";
  }
  out << "# HELP winsnap_rpc_duration_seconds Latency of Snapshots RPCs "
         "(queueing included), by method.\n"
      << "# TYPE winsnap_rpc_duration_seconds histogram\n";
  for (const auto& [method, b] : buckets_) {
    std::string m = PromEscape(method);
    int64_t total = 0;
    for (const auto& [key, n] : counts_) {
      if (key.first == method) total += n;
    }
    for (size_t i = 0; i < kBucketCount; ++i) {
      out << "winsnap_rpc_duration_seconds_bucket{method=\"" << m << "\",le=\""
          << Seconds(kLatencyBuckets[i]) << "\"} " << b[i] << "\n";
    }
    char sum[32];
    std::snprintf(sum, sizeof sum, "%.6f",
                  static_cast<double>(micros_.at(method)) / 1e6);
    out << "winsnap_rpc_duration_seconds_bucket{method=\"" << m
        << "\",le=\"+Inf\"} " << total << "\n"
        << "winsnap_rpc_duration_seconds_sum{method=\"" << m << "\"} " << sum
        << "\n"
        << "winsnap_rpc_duration_seconds_count{method=\"" << m << "\"} "
        << total << "\n";
  }
  out << "# HELP winsnap_rpc_in_flight Snapshots RPCs being handled now.\n"
      << "# TYPE winsnap_rpc_in_flight gauge\n"
      << "winsnap_rpc_in_flight " << in_flight_ << "\n";
  return out.str();
}

StatusOr<std::string> RenderStoreMetrics(snapshotter::Snapshotter& sn) {
  std::map<std::string, int64_t> by_kind = {
      {"active", 0}, {"committed", 0}, {"view", 0}};
  WINSNAP_ASSIGN_OR_RETURN(snapshotter::StoreSummary sum, sn.Summary());
  for (const auto& [k, n] : sum.snapshots) {
    std::string kind(metadata::KindName(k));
    for (char& ch : kind) ch = static_cast<char>(std::tolower(ch));
    by_kind[kind] += n;
  }
  const int64_t committed_bytes = sum.committed_bytes, images = sum.images;
  int64_t trash = 0;
  auto entries = base::Env::Default()->ListDir(sn.root() + "/trash");
  if (entries.ok()) trash = static_cast<int64_t>(entries->size());
  std::ostringstream out;
  out << "# HELP winsnap_snapshots Snapshots in the store, by kind.\n"
      << "# TYPE winsnap_snapshots gauge\n";
  for (const auto& [kind, n] : by_kind) {
    out << "winsnap_snapshots{kind=\"" << PromEscape(kind) << "\"} " << n
        << "\n";
  }
  out << "# HELP winsnap_committed_bytes Disk usage of committed snapshots, "
         "as recorded at commit.\n"
      << "# TYPE winsnap_committed_bytes gauge\n"
      << "winsnap_committed_bytes " << committed_bytes << "\n"
      << "# HELP winsnap_images Image records in the store.\n"
      << "# TYPE winsnap_images gauge\n"
      << "winsnap_images " << images << "\n"
      << "# HELP winsnap_trash_entries Removed snapshot folders waiting for "
         "GC.\n"
      << "# TYPE winsnap_trash_entries gauge\n"
      << "winsnap_trash_entries " << trash << "\n";
  return out.str();
}

StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address, std::function<std::string()> render) {
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->impl_->render = std::move(render);
  auto& acc = s->impl_->acceptor;
  beast::error_code ec;
  if (!address.empty() && address[0] == '/') {
    // The OS part (metrics_posix.cc; Windows refuses) checks the path and
    // removes a stale socket.
    StatusOr<Endpoint> ep = PrepareMetricsUnixSocket(address);
    if (!ep.ok()) return ep.status();
    acc.open(ep->protocol(), ec);
    if (!ec) {
      PrepareMetricsListener(acc.native_handle());
      acc.bind(*ep, ec);
    }
    if (ec)
      return UnavailableError("metrics: cannot bind " + address + ": " +
                              ec.message());
    s->unix_path_ = address;
    s->address_ = address;
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 == address.size()) {
      return InvalidArgumentError(
          "metrics address must be host:port or an absolute socket path, "
          "got \"" +
          address + "\"");
    }
    std::string host = address.substr(0, colon);
    std::string port = address.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    net::ip::tcp::resolver resolver(s->impl_->io);
    auto flags = net::ip::tcp::resolver::passive |
                 net::ip::tcp::resolver::numeric_service;
    auto results = resolver.resolve(host, port, flags, ec);
    if (ec) {
      return InvalidArgumentError("metrics address \"" + address +
                                  "\": " + ec.message());
    }
    Status last = InternalError("no usable address for " + address);
    bool bound = false;
    for (const auto& r : results) {
      Endpoint ep(r.endpoint());
      acc.open(ep.protocol(), ec);
      if (ec) {
        last = UnavailableError("metrics: socket: " + ec.message());
        continue;
      }
      PrepareMetricsListener(acc.native_handle());
      acc.bind(ep, ec);
      if (!ec) {
        bound = true;
        break;
      }
      last = UnavailableError("metrics: cannot bind " + address + ": " +
                              ec.message());
      beast::error_code ignored;
      acc.close(ignored);
    }
    if (!bound) return last;
    // The bound endpoint, read back as TCP for its real port.
    Endpoint local = acc.local_endpoint(ec);
    net::ip::tcp::endpoint t;
    if (!ec && local.size() <= t.capacity()) {
      std::memcpy(t.data(), local.data(), local.size());
      t.resize(local.size());
      std::string h = t.address().to_string();
      if (h.find(':') != std::string::npos) h = "[" + h + "]";
      s->address_ = h + ":" + std::to_string(t.port());
    } else {
      s->address_ = address;
    }
  }
  acc.listen(128, ec);
  if (ec) {
    return UnavailableError("metrics: cannot listen on " + address + ": " +
                            ec.message());
  }
  Impl* impl = s->impl_.get();
  impl->Accept();
  impl->thread = std::thread([impl] { impl->io.run(); });
  spdlog::info("metrics on http://{}/metrics", s->address_);
  return s;
}

MetricsServer::~MetricsServer() { Stop(); }

void MetricsServer::Stop() {
  if (impl_->thread.joinable()) {
    // Runs on the io thread: no handler is running while the acceptor
    // closes; stop() then abandons the connections, which io's destructor
    // frees.
    net::post(impl_->io, [impl = impl_.get()] {
      beast::error_code ignored;
      impl->acceptor.close(ignored);
      impl->io.stop();
    });
    impl_->thread.join();
  }
  if (!unix_path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(unix_path_, ignored);
    unix_path_.clear();
  }
}

}  // namespace winsnap::proxy
