// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tests/proxy/h2_scenario.h"

#include "containerd/services/snapshots/v1/snapshots.pb.h"
#include "grpc/health/v1/health.pb.h"

namespace winsnap::proxy::testing {
namespace {

namespace api = ::containerd::services::snapshots::v1;

constexpr char kSvc[] = "/containerd.services.snapshots.v1.Snapshots/";

Status Wrong(const std::string& rpc, const std::string& what) {
  return InternalError(rpc + ": " + what);
}

// Calls one unary RPC and parses its single answer into *resp.
template <class Req, class Resp>
Status Unary(H2Client& c, const std::string& rpc, const Req& req, Resp* resp) {
  StatusOr<H2CallResult> r = c.Call(kSvc + rpc, req.SerializeAsString(), "ns");
  if (!r.ok()) return Wrong(rpc, "transport: " + r.status().message());
  if (!r->status.ok()) return Wrong(rpc, "status: " + r->status.ToString());
  if (r->responses.size() != 1) {
    return Wrong(rpc, std::to_string(r->responses.size()) + " responses");
  }
  if (!resp->ParseFromString(r->responses[0])) {
    return Wrong(rpc, "unparsable response");
  }
  return Status();
}

}  // namespace

StatusOr<int> HealthCheck(H2Client& client) {
  ::grpc::health::v1::HealthCheckRequest req;
  StatusOr<H2CallResult> r =
      client.Call("/grpc.health.v1.Health/Check", req.SerializeAsString());
  if (!r.ok()) return r.status();
  if (!r->status.ok()) return r->status;
  ::grpc::health::v1::HealthCheckResponse resp;
  if (r->responses.size() != 1 || !resp.ParseFromString(r->responses[0])) {
    return InternalError("Check: no parsable response");
  }
  return static_cast<int>(resp.status());
}

Status PrepareAndCommit(H2Client& c, const std::string& name) {
  api::PrepareSnapshotRequest prep;
  prep.set_key(name + "-active");
  api::PrepareSnapshotResponse pr;
  if (Status s = Unary(c, "Prepare", prep, &pr); !s.ok()) return s;
  api::CommitSnapshotRequest com;
  com.set_name(name);
  com.set_key(name + "-active");
  google::protobuf::Empty empty;
  return Unary(c, "Commit", com, &empty);
}

Status RunSnapshotRoundTrip(H2Client& c, const std::string& prefix) {
  StatusOr<int> h = HealthCheck(c);
  if (!h.ok()) return Wrong("Check", h.status().ToString());
  if (*h != 1) return Wrong("Check", "status " + std::to_string(*h));

  const std::string base_active = prefix + "/base-a";
  const std::string base = prefix + "/base";
  const std::string child = prefix + "/child";
  api::PrepareSnapshotRequest prep;
  prep.set_key(base_active);
  api::PrepareSnapshotResponse pr;
  if (Status s = Unary(c, "Prepare", prep, &pr); !s.ok()) return s;
  if (pr.mounts_size() != 1) return Wrong("Prepare", "not one mount");

  api::CommitSnapshotRequest com;
  com.set_name(base);
  com.set_key(base_active);
  google::protobuf::Empty empty;
  if (Status s = Unary(c, "Commit", com, &empty); !s.ok()) return s;

  prep.set_key(child);
  prep.set_parent(base);
  if (Status s = Unary(c, "Prepare", prep, &pr); !s.ok()) return s;

  api::MountsRequest mreq;
  mreq.set_key(child);
  api::MountsResponse mr;
  if (Status s = Unary(c, "Mounts", mreq, &mr); !s.ok()) return s;
  if (mr.mounts_size() != 1) return Wrong("Mounts", "not one mount");
  bool has_parent_option = false;
  for (const std::string& o : mr.mounts(0).options()) {
    if (o.rfind("parentLayerPaths=", 0) == 0) has_parent_option = true;
  }
  if (mr.mounts(0).type() == "windows-layer" && !has_parent_option) {
    return Wrong("Mounts", "no parentLayerPaths for a child");
  }

  api::StatSnapshotRequest st;
  st.set_key(child);
  api::StatSnapshotResponse sr;
  if (Status s = Unary(c, "Stat", st, &sr); !s.ok()) return s;
  if (sr.info().name() != child || sr.info().parent() != base ||
      sr.info().kind() != api::ACTIVE) {
    return Wrong("Stat", sr.info().ShortDebugString());
  }

  api::ListSnapshotsRequest lr;
  lr.add_filters("parent==" + base);
  StatusOr<H2CallResult> l =
      c.Call(std::string(kSvc) + "List", lr.SerializeAsString(), "ns");
  if (!l.ok()) return Wrong("List", "transport: " + l.status().message());
  if (!l->status.ok()) return Wrong("List", l->status.ToString());
  int found = 0;
  for (const std::string& batch : l->responses) {
    api::ListSnapshotsResponse resp;
    if (!resp.ParseFromString(batch)) return Wrong("List", "unparsable batch");
    for (const auto& info : resp.info()) {
      if (info.name() != child)
        return Wrong("List", "unexpected " + info.name());
      ++found;
    }
  }
  if (found != 1) return Wrong("List", std::to_string(found) + " children");

  api::RemoveSnapshotRequest rm;
  rm.set_key(base);
  StatusOr<H2CallResult> busy =
      c.Call(std::string(kSvc) + "Remove", rm.SerializeAsString(), "ns");
  if (!busy.ok()) return Wrong("Remove", busy.status().ToString());
  if (busy->status.code() != StatusCode::kFailedPrecondition) {
    return Wrong("Remove", "removing a parent gave " + busy->status.ToString());
  }
  rm.set_key(child);
  if (Status s = Unary(c, "Remove", rm, &empty); !s.ok()) return s;
  rm.set_key(base);
  if (Status s = Unary(c, "Remove", rm, &empty); !s.ok()) return s;

  st.set_key(child);
  StatusOr<H2CallResult> gone =
      c.Call(std::string(kSvc) + "Stat", st.SerializeAsString(), "ns");
  if (!gone.ok()) return Wrong("Stat", gone.status().ToString());
  if (gone->status.code() != StatusCode::kNotFound) {
    return Wrong("Stat", "a removed key gave " + gone->status.ToString());
  }
  return Status();
}

}  // namespace winsnap::proxy::testing
