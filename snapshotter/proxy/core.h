// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ServiceCore: the transport-independent proxy snapshotter service. It runs
// containerd's containerd.services.snapshots.v1.Snapshots RPCs and
// grpc.health.v1.Health/Check on serialized protobuf requests and answers
// with serialized responses and a winsnap Status, so every transport (gRPC
// C++ on Linux, the nghttp2 transport everywhere) calls the same code:
//   - requests are parsed here, so a malformed message or a string field
//     that is not valid UTF-8 is InvalidArgument naming the field, never
//     "Unimplemented" (issue 12 item 10);
//   - winsnap StatusCode numbering is gRPC's, so codes and messages pass to
//     the transport unchanged (containerd's errdefs.FromGRPC keeps the text);
//   - keys arrive from containerd as "<ns>/<seq>/<name>" and are stored
//     verbatim; the "snapshotter" field is only logged;
//   - CommitSnapshotRequest.parent (containerd 2.2+ rebase) is accepted only
//     when it equals the active snapshot's parent; otherwise Unimplemented;
//   - List answers in batches of at most kListBatch entries and at most
//     kListBatchBytes serialized bytes (one larger entry goes alone), and its
//     walk stops once the call's CallContext reports cancellation or a
//     passed deadline.
// This file and core.cc include no gRPC C++ header: only libprotobuf
// messages (the Windows build has protobuf and nghttp2 only).
//
// Threading: Call() queues the work on the core's ThreadPool and returns at
// once; "done" runs on a pool thread. Work whose CallContext says stop
// before a pool thread picks it up ends without touching the store; work
// already started runs to the end, except List, which also checks between
// records. Stop() makes every later check fail (the transports' grace
// period is over). All methods may be called from any thread; *sn must
// outlive the core; destroying the core runs every queued task first.

#ifndef WINSNAP_SNAPSHOTTER_PROXY_CORE_H_
#define WINSNAP_SNAPSHOTTER_PROXY_CORE_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "snapshotter/proxy/metrics.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::proxy {

inline constexpr int kListBatch = 100;
inline constexpr size_t kListBatchBytes = 1 << 20;
inline constexpr char kSnapshotsService[] =
    "containerd.services.snapshots.v1.Snapshots";
inline constexpr char kHealthService[] = "grpc.health.v1.Health";

// What a transport knows about one call. Thread-safe: read from the pool
// thread while the transport may mark it cancelled.
class CallContext {
 public:
  CallContext() = default;
  explicit CallContext(std::chrono::steady_clock::time_point deadline)
      : deadline_(deadline) {}
  void Cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_.load(); }
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  // "containerd-namespace" header, for logs only. Set before Call.
  std::string ns;

 private:
  std::atomic<bool> cancelled_{false};
  std::chrono::steady_clock::time_point deadline_ =
      std::chrono::steady_clock::time_point::max();
};

// The outcome of one call: status and, when OK, the serialized responses
// (one for a unary RPC, one per batch for List, possibly none).
struct CallResult {
  Status status;
  std::vector<std::string> responses;
};

class ServiceCore {
 public:
  // REQUIRES: threads >= 1.
  ServiceCore(snapshotter::Snapshotter* sn, int threads);
  ~ServiceCore();
  ServiceCore(const ServiceCore&) = delete;
  ServiceCore& operator=(const ServiceCore&) = delete;

  // True if "path" ("/<service>/<method>") is a method Call serves, and
  // *server_streaming (if given) says whether it streams.
  static bool Knows(std::string_view path, bool* server_streaming = nullptr);

  // Runs "path" on "request" (a serialized request message) on the pool and
  // calls done(result) there. Unknown path: Unimplemented. *ctx must stay
  // valid until done runs.
  void Call(std::string path, std::string request, const CallContext* ctx,
            std::function<void(CallResult)> done);
  // As Call, on the calling thread.
  CallResult CallNow(std::string_view path, const std::string& request,
                     const CallContext& ctx);

  // After Stop, queued work and List walks end with Cancelled.
  void Stop() { stopped_ = true; }
  // Health Check answers NOT_SERVING after SetServing(false).
  void SetServing(bool serving) { serving_ = serving; }

  RpcMetrics& metrics() { return metrics_; }

  // Test hook: runs on the pool thread before each RPC's store work, with
  // the RPC name (e.g. to hold a call "in flight"). Set before serving.
  void TEST_SetBeforeWork(std::function<void(const std::string&)> fn) {
    before_work_ = std::move(fn);
  }

 private:
  // OK while the call should go on; Cancelled or DeadlineExceeded after.
  Status Check(const CallContext& ctx, std::string_view rpc) const;
  Status Dispatch(std::string_view rpc, const std::string& request,
                  const CallContext& ctx, std::vector<std::string>* out,
                  std::string* detail);

  snapshotter::Snapshotter* sn_;
  RpcMetrics metrics_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> serving_{true};
  std::function<void(const std::string&)> before_work_;
  // Last member: destroyed first, so queued tasks still see the rest.
  std::unique_ptr<base::ThreadPool> pool_;
};

// True if "s" is valid UTF-8 (no overlongs, surrogates or code points past
// U+10FFFF), as protobuf and Go require of string fields.
bool IsValidUtf8(std::string_view s);

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_CORE_H_
