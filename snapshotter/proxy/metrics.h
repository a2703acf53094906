// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Service metrics in the Prometheus text exposition format:
//   RpcMetrics    counts each RPC by method and gRPC code and keeps a
//                 latency histogram per method (queueing on our pool
//                 included);
//   RenderStoreMetrics  gauges read from the store at scrape time:
//                 snapshots by kind, committed bytes, images, trash backlog;
//   MetricsServer answers `GET /metrics` over HTTP (Boost.Beast) on a TCP
//                 "host:port" or an absolute unix socket path, for a
//                 scraper. Anything else gets 404.
// The HTTP side is small but never blocked by a client: connections are
// served concurrently on one Asio thread (at most kMetricsMaxConnections at
// once; more are closed on accept), each request must arrive whole within
// kMetricsRequestDeadline (a deadline for the whole request, not per read,
// so a client trickling bytes is cut off), its header is at most
// kMetricsMaxHeaderBytes, and the connection is closed after each answer.
//
// Why not prometheus-cpp (issue 13): Debian ships its core library
// (prometheus-cpp-dev), but this file is part of winsnap_proxy_core, which
// the Windows service needs for its named-pipe transport, and the cached
// mingw-w64 prefix has no prometheus-cpp, so it would have to be
// cross-built there as well; its registry would replace only the counters,
// one histogram per method and the text rendering here (under 200 lines,
// tested against the exposition format), while the scrape server stays
// ours. One more cross-built library costs more than it saves, so the
// format stays hand-written until the prefix gains prometheus-cpp.
//
// Thread-safety: RpcMetrics methods may be called from any thread.
// MetricsServer runs its own thread (render() is called there); Start/Stop
// from one owner thread.

#ifndef WINSNAP_SNAPSHOTTER_PROXY_METRICS_H_
#define WINSNAP_SNAPSHOTTER_PROXY_METRICS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/thread_annotations.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::proxy {

class RpcMetrics {
 public:
  void Begin();  // an RPC was accepted
  // An RPC finished with "code" after "micros" microseconds.
  void End(const std::string& method, StatusCode code, int64_t micros);
  // Count of RPCs that finished with (method, code); for tests.
  int64_t Count(const std::string& method, StatusCode code) const;
  // RPCs begun and not yet ended.
  int64_t InFlight() const;
  std::string RenderPrometheus() const;

 private:
  mutable base::Mutex mu_;
  std::map<std::pair<std::string, StatusCode>, int64_t> counts_ GUARDED_BY(mu_);
  std::map<std::string, int64_t> micros_ GUARDED_BY(mu_);
  // Per method: counts of RPCs at or under each kLatencyBuckets bound.
  std::map<std::string, std::vector<int64_t>> buckets_ GUARDED_BY(mu_);
  int64_t in_flight_ GUARDED_BY(mu_) = 0;
};

// Store gauges in Prometheus text: winsnap_snapshots{kind}, winsnap_
// committed_bytes (usage recorded at commit), winsnap_images and
// winsnap_trash_entries (folders waiting in <root>/trash for GC). Reads one
// snapshot of the store; errors are those of the store.
StatusOr<std::string> RenderStoreMetrics(snapshotter::Snapshotter& sn);

inline constexpr int kMetricsMaxConnections = 256;
inline constexpr std::chrono::milliseconds kMetricsRequestDeadline{5000};
inline constexpr uint32_t kMetricsMaxHeaderBytes = 8192;

class MetricsServer {
 public:
  // Listens on "address" ("host:port", port 0 picks one; or "/abs/path" for
  // a unix socket, replaced if stale) and serves render() on GET /metrics.
  // InvalidArgument for a malformed address; the errno error of
  // socket/bind/listen otherwise.
  static StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address, std::function<std::string()> render);
  ~MetricsServer();  // Stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound address: "host:port" with the real port, or the socket path.
  const std::string& address() const { return address_; }
  // Stops the thread and closes the listener (removing a unix socket).
  // Idempotent.
  void Stop();

  struct Impl;  // the Asio side, in metrics.cc

 private:
  MetricsServer();

  std::string address_;
  std::string unix_path_;  // non-empty for a unix socket
  std::unique_ptr<Impl> impl_;
};

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_METRICS_H_
