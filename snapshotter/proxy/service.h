// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// SnapshotsService: containerd's containerd.services.snapshots.v1.Snapshots
// gRPC service (the proxy snapshotter API, containerd-facts.md §3) over a
// snapshotter::Snapshotter. The 10 RPCs map 1:1 onto Snapshotter methods:
//   - winsnap StatusCode numbering is gRPC's, so codes pass through as they
//     are, and so do messages (containerd's errdefs.FromGRPC keeps the text);
//   - keys arrive from containerd's metadata layer as "<ns>/<seq>/<name>"
//     and are stored verbatim;
//   - the request's "snapshotter" field (the proxy plugin's name in
//     containerd's config) and the containerd-namespace header are only
//     logged at debug level;
//   - CommitSnapshotRequest.parent (containerd 2.2+ rebase) is accepted only
//     when it equals the active snapshot's parent; otherwise Unimplemented.
//
// Threading: gRPC's callback threads must not block, so every RPC hands its
// work to our ThreadPool and finishes its reactor from the pool thread. Work
// whose call was cancelled (client gone, deadline passed, or the server's
// shutdown grace period over) before a pool thread picked it up is dropped
// with CANCELLED; work already started always runs to the end. List walks on
// the pool, then streams batches of kListBatch with one write in flight.
//
// Thread-safety: all RPC methods are called concurrently by gRPC. *sn must
// outlive the service. Destroying the service runs every queued task first,
// so destroy it only after grpc::Server::Wait() returned.

#ifndef WINSNAP_SNAPSHOTTER_PROXY_SERVICE_H_
#define WINSNAP_SNAPSHOTTER_PROXY_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/thread_pool.h"
#include "containerd/services/snapshots/v1/snapshots.grpc.pb.h"
#include "snapshotter/proxy/metrics.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::proxy {

namespace api = ::containerd::services::snapshots::v1;

inline constexpr int kListBatch = 100;

// Maps a winsnap Status onto a grpc::Status with the same code and message.
grpc::Status ToGrpc(const Status& s);

class SnapshotsService final : public api::Snapshots::CallbackService {
 public:
  // REQUIRES: threads >= 1.
  SnapshotsService(snapshotter::Snapshotter* sn, int threads);
  ~SnapshotsService() override;

  grpc::ServerUnaryReactor* Prepare(
      grpc::CallbackServerContext* ctx, const api::PrepareSnapshotRequest* req,
      api::PrepareSnapshotResponse* resp) override;
  grpc::ServerUnaryReactor* View(grpc::CallbackServerContext* ctx,
                                 const api::ViewSnapshotRequest* req,
                                 api::ViewSnapshotResponse* resp) override;
  grpc::ServerUnaryReactor* Mounts(grpc::CallbackServerContext* ctx,
                                   const api::MountsRequest* req,
                                   api::MountsResponse* resp) override;
  grpc::ServerUnaryReactor* Commit(grpc::CallbackServerContext* ctx,
                                   const api::CommitSnapshotRequest* req,
                                   google::protobuf::Empty* resp) override;
  grpc::ServerUnaryReactor* Remove(grpc::CallbackServerContext* ctx,
                                   const api::RemoveSnapshotRequest* req,
                                   google::protobuf::Empty* resp) override;
  grpc::ServerUnaryReactor* Stat(grpc::CallbackServerContext* ctx,
                                 const api::StatSnapshotRequest* req,
                                 api::StatSnapshotResponse* resp) override;
  grpc::ServerUnaryReactor* Update(grpc::CallbackServerContext* ctx,
                                   const api::UpdateSnapshotRequest* req,
                                   api::UpdateSnapshotResponse* resp) override;
  grpc::ServerWriteReactor<api::ListSnapshotsResponse>* List(
      grpc::CallbackServerContext* ctx,
      const api::ListSnapshotsRequest* req) override;
  grpc::ServerUnaryReactor* Usage(grpc::CallbackServerContext* ctx,
                                  const api::UsageRequest* req,
                                  api::UsageResponse* resp) override;
  grpc::ServerUnaryReactor* Cleanup(grpc::CallbackServerContext* ctx,
                                    const api::CleanupRequest* req,
                                    google::protobuf::Empty* resp) override;

  RpcMetrics& metrics() { return metrics_; }
  // Calls gRPC has handed to this service and not yet seen done (status
  // delivered to the transport or call cancelled).
  int64_t live_calls() const { return live_calls_.load(); }

  // Test hook: runs on the pool thread before each RPC's store work, with
  // the RPC name (e.g. to hold a call "in flight"). Set before serving.
  void TEST_SetBeforeWork(std::function<void(const std::string&)> fn) {
    before_work_ = std::move(fn);
  }

 private:
  // Runs fn on the pool and finishes the returned reactor with its status.
  // "detail" (snapshotter field, namespace, key) is for debug logs.
  grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* ctx,
                                     const char* rpc,
                                     const std::string& snapshotter,
                                     std::string detail,
                                     std::function<Status()> fn);

  snapshotter::Snapshotter* sn_;
  RpcMetrics metrics_;
  std::atomic<int64_t> live_calls_{0};
  std::function<void(const std::string&)> before_work_;
  // Last member: destroyed first, so queued tasks still see the rest.
  std::unique_ptr<base::ThreadPool> pool_;
};

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_SERVICE_H_
