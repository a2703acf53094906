// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Threading notes are in core.h; each hand-off below says which thread runs
// what.

#include "snapshotter/proxy/core.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/unknown_field_set.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/gojson.h"
#include "containerd/services/snapshots/v1/snapshots.pb.h"
#include "grpc/health/v1/health.pb.h"

namespace winsnap::proxy {
namespace {

namespace api = ::containerd::services::snapshots::v1;
namespace health = ::grpc::health::v1;
namespace pb = ::google::protobuf;
using snapshotter::Info;
using snapshotter::Kind;

// Go-style quoting for log fields (keys may hold spaces: "extract-1
// sha256:..").
std::string Quote(const std::string& s) { return base::GoJsonQuote(s); }

void ToProto(const std::vector<snapshotter::Mount>& in,
             pb::RepeatedPtrField<containerd::types::Mount>* out) {
  for (const auto& m : in) {
    auto* pm = out->Add();
    pm->set_type(m.type);
    pm->set_source(m.source);
    pm->set_target(m.target);
    for (const auto& o : m.options) pm->add_options(o);
  }
}

void SetTime(int64_t ns, pb::Timestamp* t) {
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

snapshotter::Labels LabelsFrom(const pb::Map<std::string, std::string>& m) {
  return snapshotter::Labels(m.begin(), m.end());
}

// Names the first string field of "bytes" (wire format of a message of
// type *d) that is not valid UTF-8, e.g. "key" or "labels (key)"; "" if
// there is none or the bytes are not well-formed protobuf at all.
std::string BadUtf8Field(const pb::Descriptor* d, const std::string& bytes,
                         int depth = 0) {
  pb::UnknownFieldSet set;
  if (depth > 4 || !set.ParseFromString(bytes)) return "";
  for (int i = 0; i < set.field_count(); ++i) {
    const pb::UnknownField& f = set.field(i);
    if (f.type() != pb::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const pb::FieldDescriptor* fd = d->FindFieldByNumber(f.number());
    if (fd == nullptr) continue;
    if (fd->type() == pb::FieldDescriptor::TYPE_STRING &&
        !IsValidUtf8(f.length_delimited())) {
      return fd->name();
    }
    if (fd->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
      std::string inner =
          BadUtf8Field(fd->message_type(), f.length_delimited(), depth + 1);
      if (!inner.empty()) {
        if (fd->is_map()) return fd->name() + " (" + inner + ")";
        return fd->name() + "." + inner;
      }
    }
  }
  return "";
}

// Parses "bytes" into *m: InvalidArgument naming the message and, for a
// string field that is not UTF-8, the field (protobuf refuses those).
Status Parse(const std::string& bytes, pb::Message* m) {
  bool ok;
  {
    // protobuf logs each invalid UTF-8 string at ERROR; the caller gets a
    // Status instead.
    pb::LogSilencer quiet;
    ok = m->ParseFromString(bytes);
  }
  if (ok) return OkStatus();
  const std::string type = m->GetDescriptor()->name();
  std::string field = BadUtf8Field(m->GetDescriptor(), bytes);
  if (!field.empty()) {
    return InvalidArgumentError(type + ": field " + field +
                                " is not valid UTF-8");
  }
  return InvalidArgumentError("request is not a valid " + type + " message");
}

int64_t MicrosSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now() - t)
      .count();
}

// Splits "/<service>/<method>"; false if it is not of that form.
bool SplitPath(std::string_view path, std::string_view* service,
               std::string_view* method) {
  if (path.size() < 4 || path[0] != '/') return false;
  size_t slash = path.find('/', 1);
  if (slash == std::string_view::npos || slash + 1 >= path.size()) return false;
  *service = path.substr(1, slash - 1);
  *method = path.substr(slash + 1);
  return true;
}

constexpr std::string_view kUnaryMethods[] = {"Prepare", "View",   "Mounts",
                                              "Commit",  "Remove", "Stat",
                                              "Update",  "Usage",  "Cleanup"};

}  // namespace

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<size_t>(n)) return false;
    for (int k = 1; k <= n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

ServiceCore::ServiceCore(snapshotter::Snapshotter* sn, int threads)
    : sn_(sn), pool_(std::make_unique<base::ThreadPool>(threads)) {}

// Destroying the pool runs any queued task before the snapshotter goes away.
ServiceCore::~ServiceCore() = default;

bool ServiceCore::Knows(std::string_view path, bool* server_streaming) {
  std::string_view service, method;
  if (server_streaming) *server_streaming = false;
  if (!SplitPath(path, &service, &method)) return false;
  if (service == kHealthService) return method == "Check";
  if (service != kSnapshotsService) return false;
  if (method == "List") {
    if (server_streaming) *server_streaming = true;
    return true;
  }
  for (std::string_view m : kUnaryMethods) {
    if (m == method) return true;
  }
  return false;
}

Status ServiceCore::Check(const CallContext& ctx, std::string_view rpc) const {
  if (stopped_) {
    return CancelledError(std::string(rpc) +
                          " was cancelled: the server is shutting down");
  }
  if (ctx.cancelled()) {
    return CancelledError(std::string(rpc) + " was cancelled by the client");
  }
  if (std::chrono::steady_clock::now() >= ctx.deadline()) {
    return Status(StatusCode::kDeadlineExceeded,
                  std::string(rpc) + ": the call's deadline passed");
  }
  return OkStatus();
}

void ServiceCore::Call(std::string path, std::string request,
                       const CallContext* ctx,
                       std::function<void(CallResult)> done) {
  // Hand-off: store calls may block on LMDB's writer lock or a folder walk,
  // so they run on our pool, never on a transport's I/O thread.
  pool_->Submit(
      [this, path = std::move(path), request = std::move(request), ctx,
       done = std::move(done)] { done(CallNow(path, request, *ctx)); });
}

CallResult ServiceCore::CallNow(std::string_view path,
                                const std::string& request,
                                const CallContext& ctx) {
  CallResult r;
  std::string_view service, method;
  if (!Knows(path) || !SplitPath(path, &service, &method)) {
    r.status = UnimplementedError("unknown method " + std::string(path));
    return r;
  }
  const std::string rpc(method);
  if (service == kHealthService) {
    health::HealthCheckRequest req;
    r.status = Parse(request, &req);
    if (!r.status.ok()) return r;
    if (!req.service().empty() && req.service() != kSnapshotsService) {
      r.status = NotFoundError("unknown service \"" + req.service() + "\"");
      return r;
    }
    health::HealthCheckResponse resp;
    resp.set_status(serving_ && !stopped_
                        ? health::HealthCheckResponse::SERVING
                        : health::HealthCheckResponse::NOT_SERVING);
    r.responses.push_back(resp.SerializeAsString());
    return r;
  }
  metrics_.Begin();
  const auto start = std::chrono::steady_clock::now();
  std::string detail;
  r.status = Check(ctx, rpc);
  if (r.status.ok()) {
    if (before_work_) before_work_(rpc);
    r.status = Dispatch(rpc, request, ctx, &r.responses, &detail);
  }
  if (!r.status.ok()) r.responses.clear();
  const int64_t us = MicrosSince(start);
  if (r.status.ok()) {
    spdlog::debug("rpc={} namespace={} {} code=OK us={}", rpc, ctx.ns, detail,
                  us);
  } else {
    spdlog::info("rpc={} code={} us={} namespace={} {} error=\"{}\"", rpc,
                 StatusCodeName(r.status.code()), us, ctx.ns, detail,
                 r.status.message());
  }
  metrics_.End(rpc, r.status.code(), us);
  return r;
}

Status ServiceCore::Dispatch(std::string_view rpc, const std::string& request,
                             const CallContext& ctx,
                             std::vector<std::string>* out,
                             std::string* detail) {
  auto answer = [out](const pb::Message& m) {
    out->push_back(m.SerializeAsString());
    return OkStatus();
  };
  if (rpc == "Prepare" || rpc == "View") {
    // Same fields, field numbers and response shape.
    api::PrepareSnapshotRequest req;
    WINSNAP_RETURN_IF_ERROR(Parse(request, &req));
    *detail = "snapshotter=" + req.snapshotter() + " key=" + Quote(req.key()) +
              " parent=" + Quote(req.parent());
    auto labels = LabelsFrom(req.labels());
    WINSNAP_ASSIGN_OR_RETURN(auto mounts,
                             rpc == "Prepare"
                                 ? sn_->Prepare(req.key(), req.parent(), labels)
                                 : sn_->View(req.key(), req.parent(), labels));
    api::PrepareSnapshotResponse resp;
    ToProto(mounts, resp.mutable_mounts());
    return answer(resp);
  }
  if (rpc == "Mounts") {
    api::MountsRequest req;
    WINSNAP_RETURN_IF_ERROR(Parse(request, &req));
    *detail = "key=" + Quote(req.key());
    WINSNAP_ASSIGN_OR_RETURN(auto mounts, sn_->Mounts(req.key()));
    api::MountsResponse resp;
    ToProto(mounts, resp.mutable_mounts());
    return answer(resp);
  }
  if (rpc == "Commit") {
    api::CommitSnapshotRequest req;
    WINSNAP_RETURN_IF_ERROR(Parse(request, &req));
    *detail = "key=" + Quote(req.key()) + " name=" + Quote(req.name());
    if (!req.parent().empty()) {
      // containerd 2.2+ may ask to rebase at commit; we only accept the
      // parent the active snapshot already has.
      WINSNAP_ASSIGN_OR_RETURN(Info active, sn_->Stat(req.key()));
      if (active.parent != req.parent()) {
        return UnimplementedError("rebasing snapshot \"" + req.key() +
                                  "\" onto \"" + req.parent() +
                                  "\" at commit is not supported");
      }
    }
    WINSNAP_RETURN_IF_ERROR(
        sn_->Commit(req.name(), req.key(), LabelsFrom(req.labels())));
    return answer(pb::Empty());
  }
  if (rpc == "Remove") {
    api::RemoveSnapshotRequest req;
    WINSNAP_RETURN_IF_ERROR(Parse(request, &req));
    *detail = "key=" + Quote(req.key());
    WINSNAP_RETURN_IF_ERROR(sn_->Remove(req.key()));
    return answer(pb::Empty());
  }
  if (rpc == "Stat") {
    api::StatSnapshotRequest req;
    WINSNAP_RETURN_IF_ERROR(Parse(request, &req));
    *detail = "key=" + Quote(req.key());
    WINSNAP_ASSIGN_OR_RETURN(Info i, sn_->Stat(req.key()));
    api::StatSnapshotResponse resp;
    InfoToProto(i, resp.mutable_info());
    return answer(resp);
  }
  if (rpc == "Update") {
    api::UpdateSnapshotRequest req;
    WINSNAP_RETURN_IF_ERROR(Parse(request, &req));
    *detail = "key=" + Quote(req.info().name());
    Info in;
    in.name = req.info().name();
    in.parent = req.info().parent();
    in.labels = LabelsFrom(req.info().labels());
    std::vector<std::string> paths(req.update_mask().paths().begin(),
                                   req.update_mask().paths().end());
    WINSNAP_ASSIGN_OR_RETURN(Info updated, sn_->Update(in, paths));
    api::UpdateSnapshotResponse resp;
    InfoToProto(updated, resp.mutable_info());
    return answer(resp);
  }
  if (rpc == "Usage") {
    api::UsageRequest req;
    WINSNAP_RETURN_IF_ERROR(Parse(request, &req));
    *detail = "key=" + Quote(req.key());
    WINSNAP_ASSIGN_OR_RETURN(snapshotter::Usage u, sn_->GetUsage(req.key()));
    api::UsageResponse resp;
    resp.set_size(u.size);
    resp.set_inodes(u.inodes);
    return answer(resp);
  }
  if (rpc == "Cleanup") {
    api::CleanupRequest req;
    WINSNAP_RETURN_IF_ERROR(Parse(request, &req));
    WINSNAP_ASSIGN_OR_RETURN(auto report, sn_->Cleanup());
    if (report.removed || report.remaining) {
      spdlog::info("cleanup removed={} reclaimed_bytes={} remaining={}",
                   report.removed, report.reclaimed_bytes, report.remaining);
    }
    return answer(pb::Empty());
  }
  if (rpc == "List") {
    api::ListSnapshotsRequest req;
    WINSNAP_RETURN_IF_ERROR(Parse(request, &req));
    std::vector<std::string> filters(req.filters().begin(),
                                     req.filters().end());
    *detail = "filters=" + std::to_string(filters.size());
    // Each batch stays under kListBatchBytes: the size an entry adds is its
    // own serialized size plus its tag and length prefix (at most 6 bytes
    // for entries up to 2^35). An entry larger than the limit goes alone.
    api::ListSnapshotsResponse batch;
    size_t batch_bytes = 0;
    auto flush = [&] {
      if (batch.info_size() == 0) return;
      out->push_back(batch.SerializeAsString());
      batch.Clear();
      batch_bytes = 0;
    };
    WINSNAP_RETURN_IF_ERROR(sn_->Walk(
        [&](const Info& i) -> Status {
          api::Info entry;
          InfoToProto(i, &entry);
          const size_t size = entry.ByteSizeLong() + 6;
          if (batch.info_size() >= kListBatch ||
              (batch.info_size() > 0 && batch_bytes + size > kListBatchBytes)) {
            flush();
          }
          *batch.add_info() = std::move(entry);
          batch_bytes += size;
          return OkStatus();
        },
        filters, [&] { return Check(ctx, "List"); }));
    flush();
    return OkStatus();
  }
  return UnimplementedError("unknown method " + std::string(rpc));
}

}  // namespace winsnap::proxy
