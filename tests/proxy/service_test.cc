// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Snapshots gRPC service through a real stub, in process, on a unix
// socket under a temp dir (STYLE.md 29): every RPC, the error mapping, List
// batching and filters, and the pool hand-off.

#include "snapshotter/proxy/service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "base/env.h"
#include "tests/proxy/proxy_test_util.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::proxy {
namespace {

namespace api = ::containerd::services::snapshots::v1;

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using ::winsnap::proxy::testing::Client;
using ::winsnap::proxy::testing::Nanos;
using ::winsnap::testing::TempDir;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(snapshotter::MountType::kWindowsLayer); }

  // Opens a store with "type" and serves it with "threads" pool threads;
  // "hook" runs before each RPC's work (see TEST_SetBeforeWork).
  void Start(snapshotter::MountType type, int threads = 2,
             std::function<void(const std::string&)> hook = nullptr) {
    Stop();
    snapshotter::Options o;
    o.root = dir_.Sub("root-" + std::to_string(generation_++));
    o.mount_type = type;
    ASSERT_OK_AND_ASSIGN(sn_, snapshotter::Snapshotter::Open(o));
    service_ = std::make_unique<SnapshotsService>(sn_.get(), threads);
    if (hook) service_->TEST_SetBeforeWork(std::move(hook));
    grpc::ServerBuilder b;
    std::string sock = dir_.Sub("test.sock");
    b.AddListeningPort("unix://" + sock, grpc::InsecureServerCredentials());
    b.RegisterCallbackGenericService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<Client>(sock);
  }
  void Stop() {
    if (server_) {
      server_->Shutdown();
      server_->Wait();
    }
    client_.reset();
    server_.reset();
    service_.reset();
    sn_.reset();
  }
  void TearDown() override { Stop(); }

  std::string PathOf(const std::string& key) {
    auto i = sn_->Stat(key);
    return i.ok() ? i->path : "<" + i.status().ToString() + ">";
  }

  TempDir dir_;
  int generation_ = 0;
  std::unique_ptr<snapshotter::Snapshotter> sn_;
  std::unique_ptr<SnapshotsService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ServiceTest, PrepareCommitStatRoundTrip) {
  ASSERT_TRUE(client_->Prepare("default/1/base-a", "").ok());
  ASSERT_TRUE(client_->Commit("default/2/base", "default/1/base-a").ok());
  api::PrepareSnapshotResponse resp;
  ASSERT_TRUE(client_
                  ->Prepare("default/3/top", "default/2/base", &resp,
                            {{"containerd.io/snapshot/x", "y"}})
                  .ok());
  ASSERT_EQ(resp.mounts_size(), 1);
  EXPECT_EQ(resp.mounts(0).type(), "windows-layer");
  EXPECT_EQ(resp.mounts(0).source(), PathOf("default/3/top"));
  ASSERT_EQ(resp.mounts(0).options_size(), 2);
  EXPECT_EQ(resp.mounts(0).options(0), "rw");
  EXPECT_EQ(resp.mounts(0).options(1),
            "parentLayerPaths=[\"" + PathOf("default/2/base") + "\"]");

  api::Info info;
  ASSERT_TRUE(client_->Stat("default/3/top", &info).ok());
  EXPECT_EQ(info.name(), "default/3/top");
  EXPECT_EQ(info.kind(), api::ACTIVE);
  EXPECT_EQ(info.parent(), "default/2/base");
  EXPECT_EQ(info.labels().at("containerd.io/snapshot/x"), "y");
  ASSERT_OK_AND_ASSIGN(auto stored, sn_->Stat("default/3/top"));
  EXPECT_EQ(Nanos(info.created_at()), stored.created_ns);
  EXPECT_EQ(Nanos(info.updated_at()), stored.updated_ns);

  api::MountsResponse mresp;
  ASSERT_TRUE(client_->Mounts("default/3/top", &mresp).ok());
  ASSERT_EQ(mresp.mounts_size(), 1);
  EXPECT_EQ(mresp.mounts(0).options(1), resp.mounts(0).options(1));

  ASSERT_TRUE(client_->Stat("default/2/base", &info).ok());
  EXPECT_EQ(info.kind(), api::COMMITTED);
  EXPECT_EQ(info.parent(), "");
}

TEST_F(ServiceTest, NamespacedKeysAreStoredVerbatim) {
  // What containerd's metadata layer sends for an unpack (facts §2).
  const std::string extract =
      "default/12/extract-123456789-AbCd sha256:0123abcd";
  const std::string committed = "default/13/sha256:0123abcd";
  ASSERT_TRUE(client_->Prepare(extract, "").ok());
  ASSERT_TRUE(client_->Commit(committed, extract).ok());
  EXPECT_OK(sn_->Stat(committed));
  EXPECT_THAT(sn_->Stat(extract),
              ::winsnap::testing::StatusIs(StatusCode::kNotFound));
  grpc::Status st;
  EXPECT_THAT(client_->ListNames({}, &st), ElementsAre(committed));
  EXPECT_TRUE(st.ok());
}

TEST_F(ServiceTest, SnapshotterFieldIsIgnored) {
  ASSERT_TRUE(client_->Prepare("a", "", nullptr, {}, "winsnap").ok());
  ASSERT_TRUE(client_->Prepare("b", "", nullptr, {}, "some-other-name").ok());
  ASSERT_TRUE(client_->Prepare("c", "", nullptr, {}, "").ok());
  grpc::Status st;
  EXPECT_THAT(client_->ListNames({}, &st), UnorderedElementsAre("a", "b", "c"));
}

TEST_F(ServiceTest, ErrorsKeepContainerdCodesAndMessages) {
  grpc::Status s = client_->Prepare("k", "missing");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("missing"), std::string::npos);
  ASSERT_TRUE(client_->Prepare("k", "").ok());
  EXPECT_EQ(client_->Prepare("k", "").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(client_->Prepare("", "").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(client_->Commit("c", "k").ok());
  EXPECT_EQ(client_->Commit("c", "nonexistent").error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(client_->Prepare("child", "c").ok());
  EXPECT_EQ(client_->Prepare("k2", "child").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // parent not committed
  s = client_->Remove("c");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // containerd's conformance suite checks for "remove" in this message.
  EXPECT_NE(s.error_message().find("remove"), std::string::npos)
      << s.error_message();
  EXPECT_EQ(client_->Commit("x", "c").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(client_->Remove("nope").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(client_->Stat("nope").error_code(), grpc::StatusCode::NOT_FOUND);
  api::MountsResponse mresp;
  EXPECT_EQ(client_->Mounts("c", &mresp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // The message text is the store's, unchanged.
  Status direct = sn_->Remove("c");
  EXPECT_EQ(client_->Remove("c").error_message(), direct.message());
}

TEST_F(ServiceTest, CommitParentMustMatchTheActiveParent) {
  ASSERT_TRUE(client_->Prepare("b-a", "").ok());
  ASSERT_TRUE(client_->Commit("b", "b-a").ok());
  ASSERT_TRUE(client_->Prepare("child", "b").ok());
  grpc::Status s = client_->Commit("x", "child", "other-parent");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(sn_->Stat("child")->kind, snapshotter::Kind::kActive);  // untouched
  EXPECT_TRUE(client_->Commit("x", "child", "b").ok());
  api::Info info;
  ASSERT_TRUE(client_->Stat("x", &info).ok());
  EXPECT_EQ(info.parent(), "b");
}

TEST_F(ServiceTest, ListStreamsInBatchesOfAHundred) {
  ASSERT_TRUE(client_->Prepare("base-a", "").ok());
  ASSERT_TRUE(client_->Commit("base", "base-a").ok());
  for (int i = 0; i < 250; ++i) {
    ASSERT_TRUE(client_->Prepare("a" + std::to_string(i), "base").ok());
  }
  grpc::Status st;
  auto batches = client_->List({}, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].info_size(), kListBatch);
  EXPECT_EQ(batches[1].info_size(), kListBatch);
  EXPECT_EQ(batches[2].info_size(), 51);
  std::set<std::string> names;
  for (const auto& b : batches) {
    for (const auto& i : b.info()) names.insert(i.name());
  }
  EXPECT_EQ(names.size(), 251u);
}

TEST_F(ServiceTest, ListAppliesContainerdFilters) {
  ASSERT_TRUE(client_->Prepare("base-a", "").ok());
  ASSERT_TRUE(client_
                  ->Commit("base", "base-a", "",
                           {{"containerd.io/snapshot.ref", "sha256:x"}})
                  .ok());
  ASSERT_TRUE(client_->Prepare("a1", "base", nullptr, {{"l", "2"}}).ok());
  ASSERT_TRUE(client_->Prepare("a2", "base").ok());
  api::ViewSnapshotResponse vresp;
  ASSERT_TRUE(client_->View("v1", "base", &vresp).ok());
  grpc::Status st;
  EXPECT_THAT(client_->ListNames({"kind==committed", "name==a2"}, &st),
              UnorderedElementsAre("base", "a2"));
  EXPECT_THAT(client_->ListNames({"kind==view"}, &st), ElementsAre("v1"));
  EXPECT_THAT(client_->ListNames({"parent==base,labels.l==2"}, &st),
              ElementsAre("a1"));
  EXPECT_THAT(client_->ListNames({"parent!=\"\""}, &st),
              UnorderedElementsAre("a1", "a2", "v1"));
  // The query containerd's metadata layer makes for remote snapshots.
  EXPECT_THAT(
      client_->ListNames(
          {"labels.\"containerd.io/snapshot.ref\"==sha256:x,parent==\"\""},
          &st),
      ElementsAre("base"));
  ASSERT_TRUE(st.ok()) << st.error_message();
  client_->List({"name=="}, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServiceTest, UpdateFollowsFieldMaskPaths) {
  ASSERT_TRUE(client_->Prepare("a", "").ok());
  ASSERT_TRUE(
      client_->Commit("c", "a", "", {{"keep", "1"}, {"drop", "2"}}).ok());
  api::Info before;
  ASSERT_TRUE(client_->Stat("c", &before).ok());

  api::Info in;
  in.set_name("c");
  (*in.mutable_labels())["new"] = "3";
  api::Info out;
  // labels.<k>: set "new", delete "drop" (absent from the request).
  ASSERT_TRUE(client_->Update(in, {"labels.new", "labels.drop"}, &out).ok());
  EXPECT_EQ(out.labels().size(), 2u);
  EXPECT_EQ(out.labels().at("keep"), "1");
  EXPECT_EQ(out.labels().at("new"), "3");
  EXPECT_EQ(Nanos(out.created_at()), Nanos(before.created_at()));
  EXPECT_GE(Nanos(out.updated_at()), Nanos(before.updated_at()));
  EXPECT_EQ(out.kind(), api::COMMITTED);

  // No paths: replace all labels; Parent in the request is ignored.
  in.set_parent("doesnotexist");
  ASSERT_TRUE(client_->Update(in, {}, &out).ok());
  EXPECT_EQ(out.labels().size(), 1u);
  EXPECT_EQ(out.parent(), "");
  api::Info stat;
  ASSERT_TRUE(client_->Stat("c", &stat).ok());
  EXPECT_EQ(stat.labels().size(), 1u);
  EXPECT_EQ(stat.labels().at("new"), "3");

  EXPECT_EQ(client_->Update(in, {"parent"}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  in.set_name("missing");
  EXPECT_EQ(client_->Update(in, {}).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, UsageViewKindAndCleanup) {
  ASSERT_TRUE(client_->Prepare("a", "").ok());
  ASSERT_TRUE(client_->Commit("c", "a").ok());
  api::UsageResponse usage;
  ASSERT_TRUE(client_->Usage("c", &usage).ok());
  ASSERT_OK_AND_ASSIGN(auto direct, sn_->GetUsage("c"));
  EXPECT_EQ(usage.size(), direct.size);
  EXPECT_EQ(usage.inodes(), direct.inodes);
  EXPECT_GT(usage.inodes(), 0);

  api::ViewSnapshotResponse vresp;
  ASSERT_TRUE(client_->View("v", "c", &vresp).ok());
  ASSERT_EQ(vresp.mounts_size(), 1);
  EXPECT_EQ(vresp.mounts(0).options(0), "ro");
  api::Info info;
  ASSERT_TRUE(client_->Stat("v", &info).ok());
  EXPECT_EQ(info.kind(), api::VIEW);

  ASSERT_TRUE(client_->Remove("v").ok());
  ASSERT_TRUE(client_->Cleanup().ok());
  ASSERT_OK_AND_ASSIGN(auto trash,
                       base::Env::Default()->ListDir(sn_->root() + "/trash"));
  EXPECT_TRUE(trash.empty());
}

TEST_F(ServiceTest, OverlayMountsFollowTheContract) {
  Start(snapshotter::MountType::kOverlay);
  api::PrepareSnapshotResponse p;
  ASSERT_TRUE(client_->Prepare("l1-a", "", &p).ok());
  ASSERT_EQ(p.mounts_size(), 1);
  EXPECT_EQ(p.mounts(0).type(), "bind");
  EXPECT_EQ(p.mounts(0).source(), PathOf("l1-a") + "/Files");
  ASSERT_TRUE(client_->Commit("l1", "l1-a").ok());
  ASSERT_TRUE(client_->Prepare("l2-a", "l1").ok());
  ASSERT_TRUE(client_->Commit("l2", "l2-a").ok());
  ASSERT_TRUE(client_->Prepare("top", "l2", &p).ok());
  EXPECT_EQ(p.mounts(0).type(), "overlay");
  std::vector<std::string> opts(p.mounts(0).options().begin(),
                                p.mounts(0).options().end());
  EXPECT_THAT(
      opts, ::testing::IsSupersetOf({"upperdir=" + PathOf("top") + "/Files",
                                     "workdir=" + PathOf("top") + "/work",
                                     "lowerdir=" + PathOf("l2") +
                                         "/Files:" + PathOf("l1") + "/Files"}));
}

TEST_F(ServiceTest, ConcurrentClients) {
  ASSERT_TRUE(client_->Prepare("base-a", "").ok());
  ASSERT_TRUE(client_->Commit("base", "base-a").ok());
  std::vector<std::thread> ts;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string k = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!client_->Prepare(k, "base").ok() ||
            !client_->Commit(k + "-c", k).ok()) {
          failures++;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  grpc::Status st;
  EXPECT_EQ(client_->ListNames({"kind==committed"}, &st).size(), 81u);
  EXPECT_EQ(service_->metrics().Count("Commit", StatusCode::kOk), 81);
  EXPECT_EQ(service_->metrics().Count("Prepare", StatusCode::kOk), 81);
  EXPECT_EQ(service_->metrics().Count("List", StatusCode::kOk), 1);
}

// One pool thread, held busy: a second call whose deadline passes while it
// waits in the queue must be dropped, not run late.
TEST_F(ServiceTest, WorkCancelledWhileQueuedIsNotRun) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  Start(snapshotter::MountType::kWindowsLayer, /*threads=*/1,
        [&](const std::string& rpc) {
          if (rpc != "Stat") return;
          std::unique_lock lock(mu);
          entered = true;
          cv.notify_all();
          cv.wait(lock, [&] { return release; });
        });
  std::thread blocker([&] { client_->Stat("whatever"); });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(
        cv.wait_for(lock, std::chrono::seconds(10), [&] { return entered; }));
  }
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() +
                 std::chrono::milliseconds(200));
  api::PrepareSnapshotRequest req;
  req.set_key("late");
  api::PrepareSnapshotResponse resp;
  grpc::Status s = client_->stub()->Prepare(&c, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server's own deadline timer starts when the request arrives, a
  // little after the client's; let it fire before the pool frees up.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  blocker.join();
  // Let the pool reach the queued Prepare, then check it did nothing.
  for (int i = 0; i < 100 && service_->metrics().Count(
                                 "Prepare", StatusCode::kCancelled) == 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(service_->metrics().Count("Prepare", StatusCode::kCancelled), 1);
  EXPECT_THAT(sn_->Stat("late"),
              ::winsnap::testing::StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace winsnap::proxy
