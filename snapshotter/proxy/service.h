// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// SnapshotsService: containerd's containerd.services.snapshots.v1.Snapshots
// gRPC service (the proxy snapshotter API) over a snapshotter::Snapshotter.
// The 10 RPCs map 1:1 onto Snapshotter methods; winsnap status codes are the
// gRPC codes, and messages pass through unchanged (containerd's
// errdefs.FromGRPC keeps them). The request's "snapshotter" field names the
// proxy plugin in containerd's config and is ignored.
//
// Threading: gRPC's callback threads must not block, so every RPC hands its
// work to our ThreadPool and finishes the reactor from there. List streams
// its result in batches of kListBatch with one write in flight.
//
// Thread-safety: all methods are called concurrently by gRPC; the service
// holds no mutable state besides the pool. *sn must outlive the service.

#ifndef WINSNAP_SNAPSHOTTER_PROXY_SERVICE_H_
#define WINSNAP_SNAPSHOTTER_PROXY_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "base/thread_pool.h"
#include "containerd/services/snapshots/v1/snapshots.grpc.pb.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::proxy {

namespace api = ::containerd::services::snapshots::v1;

inline constexpr int kListBatch = 100;

// Maps a winsnap Status onto a grpc::Status with the same code and message.
grpc::Status ToGrpc(const Status& s);

class SnapshotsService final : public api::Snapshots::CallbackService {
 public:
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

 private:
  // Runs fn on the pool and finishes the returned reactor with its status.
  grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* ctx,
                                     const char* rpc,
                                     std::function<Status()> fn);

  snapshotter::Snapshotter* sn_;
  std::unique_ptr<base::ThreadPool> pool_;
};

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_SERVICE_H_
