// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Snapshots gRPC service through a real stub, in process, on a unix
// socket under a temp dir.

#include "snapshotter/proxy/service.h"

#include <grpcpp/grpcpp.h>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::proxy {
namespace {

using ::winsnap::testing::TempDir;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshotter::Options o;
    o.root = dir_.Sub("root");
    auto sn = snapshotter::Snapshotter::Open(o);
    ASSERT_OK(sn);
    sn_ = std::move(sn).value();
    service_ = std::make_unique<SnapshotsService>(sn_.get(), 2);
    grpc::ServerBuilder b;
    std::string addr = "unix://" + dir_.Sub("test.sock");
    b.AddListeningPort(addr, grpc::InsecureServerCredentials());
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = api::Snapshots::NewStub(
        grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_->Shutdown();
    service_.reset();
  }

  grpc::Status Prepare(const std::string& key, const std::string& parent,
                       api::PrepareSnapshotResponse* resp = nullptr) {
    grpc::ClientContext c;
    api::PrepareSnapshotRequest req;
    req.set_snapshotter("winsnap");
    req.set_key(key);
    req.set_parent(parent);
    (*req.mutable_labels())["containerd.io/snapshot/x"] = "y";
    api::PrepareSnapshotResponse r;
    return stub_->Prepare(&c, req, resp ? resp : &r);
  }
  grpc::Status Commit(const std::string& name, const std::string& key,
                      const std::string& parent = "") {
    grpc::ClientContext c;
    api::CommitSnapshotRequest req;
    req.set_name(name);
    req.set_key(key);
    req.set_parent(parent);
    google::protobuf::Empty e;
    return stub_->Commit(&c, req, &e);
  }
  grpc::Status Remove(const std::string& key) {
    grpc::ClientContext c;
    api::RemoveSnapshotRequest req;
    req.set_key(key);
    google::protobuf::Empty e;
    return stub_->Remove(&c, req, &e);
  }
  std::vector<api::ListSnapshotsResponse> List(std::vector<std::string> filters,
                                               grpc::Status* status) {
    grpc::ClientContext c;
    api::ListSnapshotsRequest req;
    for (const auto& f : filters) req.add_filters(f);
    auto reader = stub_->List(&c, req);
    std::vector<api::ListSnapshotsResponse> out;
    api::ListSnapshotsResponse r;
    while (reader->Read(&r)) out.push_back(r);
    *status = reader->Finish();
    return out;
  }

  TempDir dir_;
  std::unique_ptr<snapshotter::Snapshotter> sn_;
  std::unique_ptr<SnapshotsService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<api::Snapshots::Stub> stub_;
};

TEST_F(ServiceTest, PrepareCommitStatRoundTrip) {
  ASSERT_TRUE(Prepare("default/1/base-a", "").ok());
  ASSERT_TRUE(Commit("default/2/base", "default/1/base-a").ok());
  api::PrepareSnapshotResponse resp;
  ASSERT_TRUE(Prepare("default/3/top", "default/2/base", &resp).ok());
  ASSERT_EQ(resp.mounts_size(), 1);
  EXPECT_EQ(resp.mounts(0).type(), "windows-layer");
  EXPECT_EQ(resp.mounts(0).source(), sn_->Stat("default/3/top")->path);
  ASSERT_EQ(resp.mounts(0).options_size(), 2);
  EXPECT_EQ(resp.mounts(0).options(0), "rw");
  EXPECT_EQ(resp.mounts(0).options(1),
            "parentLayerPaths=[\"" + sn_->Stat("default/2/base")->path + "\"]");

  grpc::ClientContext c;
  api::StatSnapshotRequest sreq;
  sreq.set_key("default/3/top");
  api::StatSnapshotResponse sresp;
  ASSERT_TRUE(stub_->Stat(&c, sreq, &sresp).ok());
  EXPECT_EQ(sresp.info().kind(), api::ACTIVE);
  EXPECT_EQ(sresp.info().parent(), "default/2/base");
  EXPECT_EQ(sresp.info().labels().at("containerd.io/snapshot/x"), "y");
  auto info = sn_->Stat("default/3/top");
  EXPECT_EQ(sresp.info().created_at().seconds() * 1000000000 +
                sresp.info().created_at().nanos(),
            info->created_ns);

  grpc::ClientContext mc;
  api::MountsRequest mreq;
  mreq.set_key("default/3/top");
  api::MountsResponse mresp;
  ASSERT_TRUE(stub_->Mounts(&mc, mreq, &mresp).ok());
  EXPECT_EQ(mresp.mounts(0).options(1), resp.mounts(0).options(1));
}

TEST_F(ServiceTest, ErrorsKeepContainerdCodesAndMessages) {
  EXPECT_EQ(Prepare("k", "missing").error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Prepare("k", "").ok());
  EXPECT_EQ(Prepare("k", "").error_code(), grpc::StatusCode::ALREADY_EXISTS);
  ASSERT_TRUE(Commit("c", "k").ok());
  ASSERT_TRUE(Prepare("child", "c").ok());
  grpc::Status s = Remove("c");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("remove"),
            std::string::npos);  // testsuite checks this
  EXPECT_EQ(Commit("x", "c").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Commit("x", "child", "other-parent").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_TRUE(Commit("x", "child", "c").ok());
  grpc::ClientContext mc;
  api::MountsRequest mreq;
  mreq.set_key("c");
  api::MountsResponse mresp;
  EXPECT_EQ(stub_->Mounts(&mc, mreq, &mresp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ServiceTest, ListStreamsInBatchesAndFilters) {
  ASSERT_TRUE(Prepare("base-a", "").ok());
  ASSERT_TRUE(Commit("base", "base-a").ok());
  for (int i = 0; i < 250; ++i)
    ASSERT_TRUE(Prepare("a" + std::to_string(i), "base").ok());
  grpc::Status st;
  auto batches = List({}, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].info_size(), kListBatch);
  int total = 0;
  for (const auto& b : batches) total += b.info_size();
  EXPECT_EQ(total, 251);
  batches = List({"kind==committed", "name==a7"}, &st);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].info_size(), 2);
  List({"name=="}, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServiceTest, UpdateUsageCleanupView) {
  ASSERT_TRUE(Prepare("a", "").ok());
  ASSERT_TRUE(Commit("c", "a").ok());
  grpc::ClientContext uc;
  api::UpdateSnapshotRequest ureq;
  ureq.mutable_info()->set_name("c");
  (*ureq.mutable_info()->mutable_labels())["l1"] = "v1";
  ureq.mutable_update_mask()->add_paths("labels.l1");
  api::UpdateSnapshotResponse uresp;
  ASSERT_TRUE(stub_->Update(&uc, ureq, &uresp).ok());
  EXPECT_EQ(uresp.info().labels().at("l1"), "v1");
  grpc::ClientContext bad;
  ureq.mutable_update_mask()->add_paths("parent");
  EXPECT_EQ(stub_->Update(&bad, ureq, &uresp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext usc;
  api::UsageRequest usreq;
  usreq.set_key("c");
  api::UsageResponse usresp;
  ASSERT_TRUE(stub_->Usage(&usc, usreq, &usresp).ok());
  EXPECT_GT(usresp.inodes(), 0);

  grpc::ClientContext vc;
  api::ViewSnapshotRequest vreq;
  vreq.set_key("v");
  vreq.set_parent("c");
  api::ViewSnapshotResponse vresp;
  ASSERT_TRUE(stub_->View(&vc, vreq, &vresp).ok());
  EXPECT_EQ(vresp.mounts(0).options(0), "ro");

  ASSERT_TRUE(Remove("v").ok());
  grpc::ClientContext cc;
  api::CleanupRequest creq;
  google::protobuf::Empty e;
  ASSERT_TRUE(stub_->Cleanup(&cc, creq, &e).ok());
  ASSERT_OK_AND_ASSIGN(auto trash,
                       base::Env::Default()->ListDir(dir_.Sub("root/trash")));
  EXPECT_TRUE(trash.empty());
}

TEST_F(ServiceTest, ConcurrentClients) {
  ASSERT_TRUE(Prepare("base-a", "").ok());
  ASSERT_TRUE(Commit("base", "base-a").ok());
  std::vector<std::thread> ts;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string k = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!Prepare(k, "base").ok() || !Commit(k + "-c", k).ok()) failures++;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  grpc::Status st;
  int total = 0;
  for (const auto& b : List({}, &st)) total += b.info_size();
  EXPECT_EQ(total, 81);
}

}  // namespace
}  // namespace winsnap::proxy
