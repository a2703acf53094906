// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Threading notes are in service.h; each hand-off below says which thread
// runs what.

#include "snapshotter/proxy/service.h"

#include <grpcpp/support/byte_buffer.h>

#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace winsnap::proxy {
namespace {

std::string ToString(const grpc::ByteBuffer& b) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!b.Dump(&slices).ok()) return out;
  for (const auto& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

std::chrono::steady_clock::time_point SteadyDeadline(
    std::chrono::system_clock::time_point d) {
  if (d >= std::chrono::system_clock::time_point::max() -
               std::chrono::hours(24 * 365)) {
    return std::chrono::steady_clock::time_point::max();
  }
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             d - std::chrono::system_clock::now());
}

// One call: read the request, run it on the core, write the answers.
// Deletes itself in OnDone; counts itself in *live until then, because
// Server::Shutdown closes idle connections only when no call is live, so a
// finished call's status is never cut off.
class Reactor final : public grpc::ServerGenericBidiReactor {
 public:
  Reactor(ServiceCore* core, std::atomic<int64_t>* live,
          grpc::GenericCallbackServerContext* gctx)
      : core_(core),
        live_(live),
        path_(gctx->method()),
        ctx_(SteadyDeadline(gctx->deadline())) {
    ++*live_;
    const auto& md = gctx->client_metadata();
    auto it = md.find("containerd-namespace");
    if (it != md.end()) ctx_.ns.assign(it->second.data(), it->second.size());
    if (!ServiceCore::Knows(path_, &streaming_)) {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          "unknown method " + path_));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          path_ + ": the client sent no request message"));
      return;
    }
    // Hand-off to the core's pool; the answer comes back on a pool thread.
    core_->Call(path_, ToString(request_), &ctx_, [this](CallResult r) {
      result_ = std::move(r);
      NextWrite();
    });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                          "the client stopped reading"));
      return;
    }
    NextWrite();
  }

  void OnCancel() override { ctx_.Cancel(); }

  void OnDone() override {
    --*live_;
    delete this;
  }

 private:
  void NextWrite() {
    if (!result_.status.ok() || next_ >= result_.responses.size()) {
      Finish(ToGrpc(result_.status));
      return;
    }
    grpc::Slice slice(result_.responses[next_]);
    ++next_;
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWrite(&response_);
  }

  ServiceCore* core_;
  std::atomic<int64_t>* live_;
  std::string path_;
  bool streaming_ = false;
  CallContext ctx_;
  grpc::ByteBuffer request_;
  // Set once by the pool task before the first write; each write completes
  // before the next begins.
  CallResult result_;
  size_t next_ = 0;
  grpc::ByteBuffer response_;
};

}  // namespace

grpc::Status ToGrpc(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(s.code())),
                      s.message());
}

SnapshotsService::SnapshotsService(snapshotter::Snapshotter* sn, int threads)
    : core_(sn, threads) {}

SnapshotsService::~SnapshotsService() = default;

grpc::ServerGenericBidiReactor* SnapshotsService::CreateReactor(
    grpc::GenericCallbackServerContext* ctx) {
  return new Reactor(&core_, &live_calls_, ctx);
}

}  // namespace winsnap::proxy
