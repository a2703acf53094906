// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The nghttp2 transport (serve --transport h2) against gRPC C++'s own
// client: every RPC, health, deadlines mid-List, oversize
// messages, malformed HTTP/2 from a raw socket and a client that vanishes
// mid-stream, while the server keeps serving others.

#include <grpcpp/grpcpp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "snapshotter/proxy/h2_session.h"
#include "snapshotter/proxy/server.h"
#include "tests/proxy/proxy_test_util.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::proxy {
namespace {

namespace api = ::containerd::services::snapshots::v1;
using ::testing::HasSubstr;
using ::winsnap::proxy::testing::Client;
using ::winsnap::testing::TempDir;
using HealthStatus = ::grpc::health::v1::HealthCheckResponse;

int ConnectUnix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

class H2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshotter::Options o;
    o.root = dir_.Sub("root");
    ASSERT_OK_AND_ASSIGN(sn_, snapshotter::Snapshotter::Open(o));
    ServerOptions so;
    so.address = dir_.Sub("h2.sock");
    so.threads = 2;
    so.transport = "h2";
    ASSERT_OK_AND_ASSIGN(server_, Server::Start(sn_.get(), so));
    client_ = std::make_unique<Client>(so.address);
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    sn_.reset();
  }

  TempDir dir_;
  std::unique_ptr<snapshotter::Snapshotter> sn_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(H2Test, EveryRpcAndHealthWork) {
  HealthStatus::ServingStatus hs;
  ASSERT_TRUE(client_->Health(&hs).ok());
  EXPECT_EQ(hs, HealthStatus::SERVING);
  ASSERT_TRUE(client_->Prepare("base-a", "").ok());
  ASSERT_TRUE(client_->Commit("base", "base-a").ok());
  api::PrepareSnapshotResponse pr;
  ASSERT_TRUE(client_->Prepare("c", "base", &pr).ok());
  EXPECT_EQ(pr.mounts_size(), 1);
  api::MountsResponse mr;
  ASSERT_TRUE(client_->Mounts("c", &mr).ok());
  api::Info info;
  ASSERT_TRUE(client_->Stat("c", &info).ok());
  EXPECT_EQ(info.parent(), "base");
  api::UsageResponse ur;
  ASSERT_TRUE(client_->Usage("base", &ur).ok());
  grpc::Status st;
  EXPECT_THAT(client_->ListNames({}, &st),
              ::testing::UnorderedElementsAre("base", "c"));
  ASSERT_TRUE(st.ok()) << st.error_message();
  // Errors keep code and message (percent-encoded on the wire).
  grpc::Status e = client_->Prepare("c", "");
  EXPECT_EQ(e.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(e.error_message(), HasSubstr("\"c\" already exists"));
  e = client_->Prepare("d\xc3\xa9j\xc3\xa0 %", "missing-\xe2\x9c\x93");
  EXPECT_EQ(e.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(e.error_message(), HasSubstr("missing-\xe2\x9c\x93"));
  ASSERT_TRUE(client_->Remove("c").ok());
  ASSERT_TRUE(client_->Cleanup().ok());
}

TEST_F(H2Test, ListStreamsBatches) {
  for (int i = 0; i < 250; ++i) {
    ASSERT_OK(sn_->Prepare("a" + std::to_string(i), "").status());
  }
  grpc::Status st;
  auto batches = client_->List({}, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[2].info_size(), 50);
}

TEST_F(H2Test, DeadlineMidListStopsTheWork) {
  const std::string big(4000, 'v');
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(
        sn_->Prepare("s" + std::to_string(i), "", {{"big", big}}).status());
  }
  api::ListSnapshotsRequest req;
  for (int i = 0; i < 60; ++i) {
    req.add_filters("labels.\"big\"~=(v?){300}v{300}x");
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(800));
    auto r = client_->stub()->List(&ctx, req);
    api::ListSnapshotsResponse b;
    while (r->Read(&b)) {
    }
    EXPECT_EQ(r->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  // The walk stopped: a short call is served promptly. (Cancellation by
  // RST_STREAM mid-List is not asserted here yet: see the issue 10 note.)
  auto start = std::chrono::steady_clock::now();
  api::Info info;
  ASSERT_TRUE(client_->Stat("s0", &info).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(H2Test, OversizeRequestIsResourceExhausted) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  auto ch = grpc::CreateCustomChannel("unix://" + dir_.Sub("h2.sock"),
                                      grpc::InsecureChannelCredentials(), args);
  auto stub = api::Snapshots::NewStub(ch);
  grpc::ClientContext ctx;
  api::PrepareSnapshotRequest req;
  req.set_key(std::string(kDefaultMaxMessageBytes + 10, 'k'));
  api::PrepareSnapshotResponse resp;
  grpc::Status st = stub->Prepare(&ctx, req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << st.error_message();
  ASSERT_TRUE(client_->Prepare("after", "").ok());
}

TEST_F(H2Test, MalformedHttp2IsDroppedAndOthersAreServed) {
  for (const std::string& junk :
       {std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
            std::string("\x00\x00\x04\x07\x00\x00\x00\x00\x00garbage!", 17),
        std::string(4096, '\xff')}) {
    int fd = ConnectUnix(dir_.Sub("h2.sock"));
    ASSERT_GE(fd, 0);
    (void)::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    // The server answers with GOAWAY (or nothing) and closes.
    char buf[512];
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n;
    int reads = 0;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0 && reads++ < 100) {
    }
    EXPECT_LE(n, 0);
    ::close(fd);
  }
  ASSERT_TRUE(client_->Prepare("still-serving", "").ok());
}

TEST_F(H2Test, ClientVanishingMidStreamLeavesOthersServed) {
  for (int i = 0; i < 300; ++i) {
    ASSERT_OK(sn_->Prepare("a" + std::to_string(i), "",
                           {{"pad", std::string(3000, 'p')}})
                  .status());
  }
  for (int round = 0; round < 3; ++round) {
    auto c = std::make_unique<Client>(dir_.Sub("h2.sock"));
    grpc::ClientContext ctx;
    api::ListSnapshotsRequest req;
    auto r = c->stub()->List(&ctx, req);
    api::ListSnapshotsResponse b;
    ASSERT_TRUE(r->Read(&b));
    ctx.TryCancel();
    r.reset();
    c.reset();
  }
  grpc::Status st;
  EXPECT_EQ(client_->ListNames({}, &st).size(), 300u);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST(GrpcWireTest, TimeoutsAndPercentEncoding) {
  std::chrono::nanoseconds d;
  ASSERT_TRUE(ParseGrpcTimeout("1S", &d));
  EXPECT_EQ(d, std::chrono::seconds(1));
  ASSERT_TRUE(ParseGrpcTimeout("250m", &d));
  EXPECT_EQ(d, std::chrono::milliseconds(250));
  ASSERT_TRUE(ParseGrpcTimeout("2H", &d));
  EXPECT_EQ(d, std::chrono::hours(2));
  for (const char* bad : {"", "S", "1", "1x", "123456789S", "-1S"}) {
    EXPECT_FALSE(ParseGrpcTimeout(bad, &d)) << bad;
  }
  EXPECT_EQ(PercentEncode("a b%c\n\xc3\xa9"), "a b%25c%0A%C3%A9");
}

// Issue 10: a client that RST_STREAMs (gRPC C++ TryCancel) a List whose walk
// is still running stops that walk: with ONE store thread, a Stat sent
// afterwards could only be answered once the walk gave the thread back, and
// the metrics record List as Cancelled (the walk saw the cancellation; a
// walk that ran to its end would be OK). Then a client that resets after
// the first streamed message, 10 times over: the server drops the rest of
// each stream, in-flight returns to 0, others are served, and ASan's leak
// check (at exit) finds nothing left behind.
TEST(H2CancelTest, ResetMidListStopsTheWalkAndOthersAreServed) {
  TempDir dir;
  snapshotter::Options o;
  o.root = dir.Sub("root");
  ASSERT_OK_AND_ASSIGN(auto sn, snapshotter::Snapshotter::Open(o));
  const std::string big(4000, 'v');
  for (int i = 0; i < 300; ++i) {
    ASSERT_OK(
        sn->Prepare("s" + std::to_string(i), "", {{"big", big}}).status());
  }
  ServerOptions so;
  so.address = dir.Sub("h2.sock");
  so.threads = 1;
  so.transport = "h2";
  so.metrics_address = "127.0.0.1:0";
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(sn.get(), so));
  Client client(so.address);

  // A walk of many seconds: every record's 4000-byte label against 100
  // filters that never match (RE2-style linear matching, still slow).
  api::ListSnapshotsRequest slow;
  for (int i = 0; i < 100; ++i) {
    slow.add_filters("labels.\"big\"~=(v?){300}v{300}x");
  }
  {
    grpc::ClientContext ctx;
    auto r = client.stub()->List(&ctx, slow);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ctx.TryCancel();  // RST_STREAM(CANCEL) while the walk runs
    api::ListSnapshotsResponse b;
    while (r->Read(&b)) {
    }
    EXPECT_EQ(r->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  api::Info info;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.Stat("s0", &info).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3))
      << "Stat waited for the walk: the reset did not stop it";
  std::string m;
  for (int i = 0; i < 100; ++i) {  // the walk's outcome is recorded async
    m = testing::HttpGet(server->metrics_address(), "/metrics");
    if (m.find("method=\"List\",code=\"Cancelled\"} 1") != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_THAT(m, HasSubstr("winsnap_rpc_total{method=\"List\",code="
                           "\"Cancelled\"} 1"));
  EXPECT_THAT(m, ::testing::Not(HasSubstr("method=\"List\",code=\"OK\"")));

  // Reset after the first message of a List of several batches.
  for (int round = 0; round < 10; ++round) {
    auto c = std::make_unique<Client>(so.address);
    grpc::ClientContext ctx;
    auto r = c->stub()->List(&ctx, api::ListSnapshotsRequest());
    api::ListSnapshotsResponse b;
    ASSERT_TRUE(r->Read(&b));
    EXPECT_GT(b.info_size(), 0);
    ctx.TryCancel();
    while (r->Read(&b)) {
    }
    r.reset();
  }
  grpc::Status st;
  EXPECT_EQ(client.ListNames({}, &st).size(), 300u);
  EXPECT_TRUE(st.ok()) << st.error_message();
  ASSERT_TRUE(client.Stat("s1", &info).ok());
  m = testing::HttpGet(server->metrics_address(), "/metrics");
  EXPECT_THAT(m, HasSubstr("winsnap_rpc_in_flight 0"));
}

}  // namespace
}  // namespace winsnap::proxy
