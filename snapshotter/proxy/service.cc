// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Threading notes are in service.h; each hand-off below says which thread
// runs what.

#include "snapshotter/proxy/service.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/gojson.h"

namespace winsnap::proxy {
namespace {

using snapshotter::Info;
using snapshotter::Kind;

// Go-style quoting for log fields (keys may hold spaces: "extract-1
// sha256:..").
std::string Quote(const std::string& s) { return base::GoJsonQuote(s); }

void ToProto(
    const std::vector<snapshotter::Mount>& in,
    google::protobuf::RepeatedPtrField<containerd::types::Mount>* out) {
  for (const auto& m : in) {
    auto* pm = out->Add();
    pm->set_type(m.type);
    pm->set_source(m.source);
    pm->set_target(m.target);
    for (const auto& o : m.options) pm->add_options(o);
  }
}

void SetTime(int64_t ns, google::protobuf::Timestamp* t) {
  int64_t secs = ns / 1000000000;
  int32_t nanos = static_cast<int32_t>(ns % 1000000000);
  if (nanos < 0) {
    nanos += 1000000000;
    secs -= 1;
  }
  t->set_seconds(secs);
  t->set_nanos(nanos);
}

api::Kind KindToProto(Kind k) {
  switch (k) {
    case Kind::kView:
      return api::VIEW;
    case Kind::kActive:
      return api::ACTIVE;
    case Kind::kCommitted:
      return api::COMMITTED;
    case Kind::kUnknown:
      break;
  }
  return api::UNKNOWN;
}

void InfoToProto(const Info& i, api::Info* out) {
  out->set_name(i.name);
  out->set_parent(i.parent);
  out->set_kind(KindToProto(i.kind));
  SetTime(i.created_ns, out->mutable_created_at());
  SetTime(i.updated_ns, out->mutable_updated_at());
  for (const auto& [k, v] : i.labels) (*out->mutable_labels())[k] = v;
}

snapshotter::Labels LabelsFrom(
    const google::protobuf::Map<std::string, std::string>& m) {
  return snapshotter::Labels(m.begin(), m.end());
}

std::string NamespaceOf(const grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("containerd-namespace");
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

int64_t MicrosSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now() - t)
      .count();
}

// A unary reactor that counts itself in *live until gRPC is done with the
// call, i.e. until its status has been handed to the client connection
// (OnDone). Server::Shutdown closes idle connections only when no call is
// live, so a finished call's status is never cut off.
class UnaryReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit UnaryReactor(std::atomic<int64_t>* live) : live_(live) { ++*live_; }
  void OnDone() override {
    --*live_;
    delete this;
  }

 private:
  std::atomic<int64_t>* live_;
};

// Streams a List result. The walk runs on the pool (it reads the store);
// then batches are written one at a time, each next write started from
// OnWriteDone on a gRPC thread (gRPC allows one outstanding write per
// stream). Deletes itself in OnDone.
class ListReactor final
    : public grpc::ServerWriteReactor<api::ListSnapshotsResponse> {
 public:
  ListReactor(snapshotter::Snapshotter* sn, base::ThreadPool* pool,
              RpcMetrics* metrics, std::atomic<int64_t>* live,
              const std::function<void(const std::string&)>& before_work,
              grpc::CallbackServerContext* ctx,
              const api::ListSnapshotsRequest* req)
      : metrics_(metrics),
        live_(live),
        start_(std::chrono::steady_clock::now()) {
    ++*live_;
    metrics_->Begin();
    std::vector<std::string> filters(req->filters().begin(),
                                     req->filters().end());
    spdlog::debug("rpc=List snapshotter={} namespace={} filters={}",
                  req->snapshotter(), NamespaceOf(ctx), filters.size());
    pool->Submit([this, sn, ctx, &before_work, filters = std::move(filters)] {
      if (ctx->IsCancelled()) {
        Done(CancelledError("List was cancelled before it started"));
        return;
      }
      if (before_work) before_work("List");
      Status s = sn->Walk(
          [this](const Info& i) {
            if (batches_.empty() || batches_.back().info_size() >= kListBatch) {
              batches_.emplace_back();
            }
            InfoToProto(i, batches_.back().add_info());
            return OkStatus();
          },
          filters);
      if (!s.ok()) {
        Done(s);
        return;
      }
      NextWrite();
    });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Done(CancelledError("List: the client stopped reading"));
      return;
    }
    NextWrite();
  }

  void OnDone() override {
    --*live_;
    delete this;
  }

 private:
  void NextWrite() {
    if (next_ >= batches_.size()) {
      Done(OkStatus());
      return;
    }
    StartWrite(&batches_[next_++]);
  }

  // Records the outcome before Finish, so that when the client has its
  // status the metrics already count the call (as for unary calls).
  void Done(const Status& s) {
    metrics_->End("List", s.code(), MicrosSince(start_));
    if (!s.ok())
      spdlog::info("rpc=List code={} error=\"{}\"", StatusCodeName(s.code()),
                   s.message());
    Finish(ToGrpc(s));
  }

  RpcMetrics* metrics_;
  std::atomic<int64_t>* live_;
  std::chrono::steady_clock::time_point start_;
  // Filled by the pool task before the first write; read-only afterwards,
  // and each write completes before the next begins.
  std::vector<api::ListSnapshotsResponse> batches_;
  size_t next_ = 0;
};

}  // namespace

grpc::Status ToGrpc(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(s.code())),
                      s.message());
}

SnapshotsService::SnapshotsService(snapshotter::Snapshotter* sn, int threads)
    : sn_(sn), pool_(std::make_unique<base::ThreadPool>(threads)) {}

// Destroying the pool runs any queued task before the snapshotter goes away.
SnapshotsService::~SnapshotsService() = default;

grpc::ServerUnaryReactor* SnapshotsService::RunUnary(
    grpc::CallbackServerContext* ctx, const char* rpc,
    const std::string& snapshotter, std::string detail,
    std::function<Status()> fn) {
  auto* reactor = new UnaryReactor(&live_calls_);
  metrics_.Begin();
  auto queued = std::chrono::steady_clock::now();
  spdlog::debug("rpc={} snapshotter={} namespace={} {}", rpc, snapshotter,
                NamespaceOf(ctx), detail);
  // Hand-off: the store call may block on LMDB's writer lock or a folder
  // walk, so it runs on our pool; the reactor is finished from there. ctx,
  // the request and the response stay valid until Finish.
  pool_->Submit([this, ctx, reactor, rpc, queued, detail = std::move(detail),
                 fn = std::move(fn)] {
    Status s;
    if (ctx->IsCancelled()) {
      s = CancelledError(std::string(rpc) + " was cancelled before it started");
    } else {
      if (before_work_) before_work_(rpc);
      s = fn();
    }
    int64_t us = MicrosSince(queued);
    if (s.ok()) {
      spdlog::debug("rpc={} code=OK us={}", rpc, us);
    } else {
      spdlog::info("rpc={} code={} us={} {} error=\"{}\"", rpc,
                   StatusCodeName(s.code()), us, detail, s.message());
    }
    metrics_.End(rpc, s.code(), us);
    reactor->Finish(ToGrpc(s));
  });
  return reactor;
}

grpc::ServerUnaryReactor* SnapshotsService::Prepare(
    grpc::CallbackServerContext* ctx, const api::PrepareSnapshotRequest* req,
    api::PrepareSnapshotResponse* resp) {
  return RunUnary(
      ctx, "Prepare", req->snapshotter(),
      "key=" + Quote(req->key()) + " parent=" + Quote(req->parent()),
      [this, req, resp]() -> Status {
        WINSNAP_ASSIGN_OR_RETURN(
            auto mounts,
            sn_->Prepare(req->key(), req->parent(), LabelsFrom(req->labels())));
        ToProto(mounts, resp->mutable_mounts());
        return OkStatus();
      });
}

grpc::ServerUnaryReactor* SnapshotsService::View(
    grpc::CallbackServerContext* ctx, const api::ViewSnapshotRequest* req,
    api::ViewSnapshotResponse* resp) {
  return RunUnary(
      ctx, "View", req->snapshotter(),
      "key=" + Quote(req->key()) + " parent=" + Quote(req->parent()),
      [this, req, resp]() -> Status {
        WINSNAP_ASSIGN_OR_RETURN(
            auto mounts,
            sn_->View(req->key(), req->parent(), LabelsFrom(req->labels())));
        ToProto(mounts, resp->mutable_mounts());
        return OkStatus();
      });
}

grpc::ServerUnaryReactor* SnapshotsService::Mounts(
    grpc::CallbackServerContext* ctx, const api::MountsRequest* req,
    api::MountsResponse* resp) {
  return RunUnary(ctx, "Mounts", req->snapshotter(), "key=" + Quote(req->key()),
                  [this, req, resp]() -> Status {
                    WINSNAP_ASSIGN_OR_RETURN(auto mounts,
                                             sn_->Mounts(req->key()));
                    ToProto(mounts, resp->mutable_mounts());
                    return OkStatus();
                  });
}

grpc::ServerUnaryReactor* SnapshotsService::Commit(
    grpc::CallbackServerContext* ctx, const api::CommitSnapshotRequest* req,
    google::protobuf::Empty*) {
  return RunUnary(
      ctx, "Commit", req->snapshotter(),
      "key=" + Quote(req->key()) + " name=" + Quote(req->name()),
      [this, req]() -> Status {
        if (!req->parent().empty()) {
          // containerd 2.2+ may ask to rebase at commit; we only accept the
          // parent the active snapshot already has.
          WINSNAP_ASSIGN_OR_RETURN(Info active, sn_->Stat(req->key()));
          if (active.parent != req->parent()) {
            return UnimplementedError("rebasing snapshot \"" + req->key() +
                                      "\" onto \"" + req->parent() +
                                      "\" at commit is not supported");
          }
        }
        return sn_->Commit(req->name(), req->key(), LabelsFrom(req->labels()));
      });
}

grpc::ServerUnaryReactor* SnapshotsService::Remove(
    grpc::CallbackServerContext* ctx, const api::RemoveSnapshotRequest* req,
    google::protobuf::Empty*) {
  return RunUnary(ctx, "Remove", req->snapshotter(), "key=" + Quote(req->key()),
                  [this, req] { return sn_->Remove(req->key()); });
}

grpc::ServerUnaryReactor* SnapshotsService::Stat(
    grpc::CallbackServerContext* ctx, const api::StatSnapshotRequest* req,
    api::StatSnapshotResponse* resp) {
  return RunUnary(ctx, "Stat", req->snapshotter(), "key=" + Quote(req->key()),
                  [this, req, resp]() -> Status {
                    WINSNAP_ASSIGN_OR_RETURN(Info i, sn_->Stat(req->key()));
                    InfoToProto(i, resp->mutable_info());
                    return OkStatus();
                  });
}

grpc::ServerUnaryReactor* SnapshotsService::Update(
    grpc::CallbackServerContext* ctx, const api::UpdateSnapshotRequest* req,
    api::UpdateSnapshotResponse* resp) {
  return RunUnary(
      ctx, "Update", req->snapshotter(), "key=" + Quote(req->info().name()),
      [this, req, resp]() -> Status {
        Info in;
        in.name = req->info().name();
        in.parent = req->info().parent();
        in.labels = LabelsFrom(req->info().labels());
        std::vector<std::string> paths(req->update_mask().paths().begin(),
                                       req->update_mask().paths().end());
        WINSNAP_ASSIGN_OR_RETURN(Info out, sn_->Update(in, paths));
        InfoToProto(out, resp->mutable_info());
        return OkStatus();
      });
}

grpc::ServerWriteReactor<api::ListSnapshotsResponse>* SnapshotsService::List(
    grpc::CallbackServerContext* ctx, const api::ListSnapshotsRequest* req) {
  return new ListReactor(sn_, pool_.get(), &metrics_, &live_calls_,
                         before_work_, ctx, req);
}

grpc::ServerUnaryReactor* SnapshotsService::Usage(
    grpc::CallbackServerContext* ctx, const api::UsageRequest* req,
    api::UsageResponse* resp) {
  return RunUnary(ctx, "Usage", req->snapshotter(), "key=" + Quote(req->key()),
                  [this, req, resp]() -> Status {
                    WINSNAP_ASSIGN_OR_RETURN(snapshotter::Usage u,
                                             sn_->GetUsage(req->key()));
                    resp->set_size(u.size);
                    resp->set_inodes(u.inodes);
                    return OkStatus();
                  });
}

grpc::ServerUnaryReactor* SnapshotsService::Cleanup(
    grpc::CallbackServerContext* ctx, const api::CleanupRequest* req,
    google::protobuf::Empty*) {
  return RunUnary(ctx, "Cleanup", req->snapshotter(), "", [this]() -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto report, sn_->Cleanup());
    if (report.removed || report.remaining) {
      spdlog::info("cleanup removed={} reclaimed_bytes={} remaining={}",
                   report.removed, report.reclaimed_bytes, report.remaining);
    }
    return OkStatus();
  });
}

}  // namespace winsnap::proxy
