// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// SnapshotsService: the gRPC C++ transport's adapter onto ServiceCore. It is
// a callback *generic* service: gRPC hands it every call to a method no
// registered service claims (the default health service stays registered),
// with the request as raw bytes, and the core parses it. That is what lets a
// request whose string field is not valid UTF-8 get InvalidArgument naming
// the field: with the generated typed service, gRPC C++ 1.51 parses before
// the handler and answers a parse failure with UNIMPLEMENTED "" (issue 12
// item 10), and no hook of its callback API can change that.
//
// Threading: gRPC's callback threads must not block, so each reactor reads
// its one request message, hands the work to the core's pool (see core.h),
// and writes the responses from the pool thread, one write in flight as
// gRPC requires, the next started from OnWriteDone. A call's CallContext is
// cancelled from OnCancel (client gone, RST_STREAM, or the server cancelling
// every call after its grace period) and carries the call's deadline, so
// queued work and List walks stop when either passes.
//
// Thread-safety: gRPC calls CreateReactor concurrently. *sn must outlive
// the service. Destroy it only after grpc::Server::Wait() returned.

#ifndef WINSNAP_SNAPSHOTTER_PROXY_SERVICE_H_
#define WINSNAP_SNAPSHOTTER_PROXY_SERVICE_H_

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "snapshotter/proxy/core.h"
#include "snapshotter/proxy/metrics.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::proxy {

// Maps a winsnap Status onto a grpc::Status with the same code and message.
grpc::Status ToGrpc(const Status& s);

class SnapshotsService final : public grpc::CallbackGenericService {
 public:
  // REQUIRES: threads >= 1.
  SnapshotsService(snapshotter::Snapshotter* sn, int threads);
  ~SnapshotsService() override;

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* ctx) override;

  ServiceCore& core() { return core_; }
  RpcMetrics& metrics() { return core_.metrics(); }
  // Calls gRPC has handed to this service and not yet seen done (status
  // delivered to the transport or call cancelled).
  int64_t live_calls() const { return live_calls_.load(); }

  // Test hook: see ServiceCore::TEST_SetBeforeWork.
  void TEST_SetBeforeWork(std::function<void(const std::string&)> fn) {
    core_.TEST_SetBeforeWork(std::move(fn));
  }

 private:
  std::atomic<int64_t> live_calls_{0};
  ServiceCore core_;
};

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_SERVICE_H_
