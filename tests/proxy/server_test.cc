// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// proxy::Server in process: the socket's mode and life cycle, health, the
// metrics endpoint, and graceful shutdown with calls in flight.

#include "snapshotter/proxy/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "base/env.h"
#include "tests/proxy/proxy_test_util.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::proxy {
namespace {

namespace api = ::containerd::services::snapshots::v1;

using ::testing::HasSubstr;
using ::winsnap::proxy::testing::Client;
using ::winsnap::proxy::testing::HttpGet;
using ::winsnap::proxy::testing::SocketAccepts;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;
using HealthStatus = ::grpc::health::v1::HealthCheckResponse;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

bool IsSocket(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// Binds a unix socket at "path"; listens if "listen". Returns the fd.
int BindSocket(const std::string& path, bool listen) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    ::close(fd);
    return -1;
  }
  if (listen) ::listen(fd, 4);
  return fd;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshotter::Options o;
    o.root = dir_.Sub("root");
    ASSERT_OK_AND_ASSIGN(sn_, snapshotter::Snapshotter::Open(o));
  }

  ServerOptions Opts(const std::string& sock) {
    ServerOptions o;
    o.address = sock;
    o.threads = 2;
    return o;
  }

  TempDir dir_;
  std::unique_ptr<snapshotter::Snapshotter> sn_;
};

TEST_F(ServerTest, SocketIs0600InANew0700DirEvenWithAnOpenUmask) {
  std::string sock = dir_.Sub("run/winsnap/w.sock");
  mode_t old = ::umask(0);  // the most permissive caller
  auto server = Server::Start(sn_.get(), Opts(sock));
  mode_t during = ::umask(old);
  ASSERT_OK(server);
  EXPECT_EQ(during, 0u) << "Start must restore the caller's umask";
  EXPECT_TRUE(IsSocket(sock));
  EXPECT_EQ(ModeOf(sock), 0600u);
  EXPECT_EQ(ModeOf(dir_.Sub("run/winsnap")), 0700u);
  EXPECT_EQ(ModeOf(dir_.Sub("run")), 0700u);
  // An existing directory keeps its mode.
  EXPECT_EQ(ModeOf(dir_.path()), 0700u);  // mkdtemp's
  Client c(sock);
  EXPECT_TRUE(c.WaitServing(std::chrono::seconds(10)));
}

TEST_F(ServerTest, ExistingParentDirectoryModeIsLeftAlone) {
  ASSERT_EQ(::mkdir(dir_.Sub("shared").c_str(), 0755), 0);
  ::chmod(dir_.Sub("shared").c_str(), 0755);
  ASSERT_OK_AND_ASSIGN(
      auto server, Server::Start(sn_.get(), Opts(dir_.Sub("shared/w.sock"))));
  EXPECT_EQ(ModeOf(dir_.Sub("shared")), 0755u);
  EXPECT_EQ(ModeOf(dir_.Sub("shared/w.sock")), 0600u);
}

TEST_F(ServerTest, StaleSocketIsReplaced) {
  std::string sock = dir_.Sub("w.sock");
  int fd = BindSocket(sock, /*listen=*/false);
  ASSERT_GE(fd, 0);
  ::close(fd);  // the file stays: a stale socket, as after kill -9
  ASSERT_TRUE(IsSocket(sock));
  ASSERT_FALSE(SocketAccepts(sock));
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(sn_.get(), Opts(sock)));
  Client c(sock);
  EXPECT_TRUE(c.WaitServing(std::chrono::seconds(10)));
  EXPECT_TRUE(c.Prepare("k", "").ok());
}

TEST_F(ServerTest, LiveSocketIsRefusedAndKept) {
  std::string sock = dir_.Sub("w.sock");
  int fd = BindSocket(sock, /*listen=*/true);
  ASSERT_GE(fd, 0);
  EXPECT_THAT(Server::Start(sn_.get(), Opts(sock)),
              StatusIs(StatusCode::kFailedPrecondition, "another server"));
  EXPECT_TRUE(SocketAccepts(sock)) << "the live socket must not be unlinked";
  ::close(fd);
}

TEST_F(ServerTest, NonSocketFileIsRefusedAndKept) {
  std::string path = dir_.Sub("w.sock");
  { std::ofstream(path) << "precious"; }
  EXPECT_THAT(Server::Start(sn_.get(), Opts(path)),
              StatusIs(StatusCode::kFailedPrecondition, "is not a socket"));
  ASSERT_OK_AND_ASSIGN(auto text, base::Env::Default()->ReadFile(path));
  EXPECT_EQ(text, "precious");
  // Nor may the parent be a file.
  EXPECT_THAT(Server::Start(sn_.get(), Opts(path + "/x.sock")),
              StatusIs(StatusCode::kFailedPrecondition, "not a directory"));
}

TEST_F(ServerTest, BadAddressesAreInvalidArgument) {
  EXPECT_THAT(Server::Start(sn_.get(), Opts("relative.sock")),
              StatusIs(StatusCode::kInvalidArgument, "absolute"));
  EXPECT_THAT(Server::Start(sn_.get(), Opts("/" + std::string(200, 'x'))),
              StatusIs(StatusCode::kInvalidArgument, "longer than"));
}

TEST_F(ServerTest, ShutdownTurnsHealthOffAndRemovesTheSocket) {
  std::string sock = dir_.Sub("w.sock");
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(sn_.get(), Opts(sock)));
  Client c(sock);
  HealthStatus::ServingStatus st = HealthStatus::UNKNOWN;
  ASSERT_TRUE(c.Health(&st).ok());
  EXPECT_EQ(st, HealthStatus::SERVING);
  server->Shutdown(std::chrono::seconds(5));
  EXPECT_FALSE(base::Env::Default()->Exists(sock));
  EXPECT_FALSE(c.Health(&st).ok());
  server->Shutdown(std::chrono::seconds(5));  // idempotent
  // A new server can take the address over.
  ASSERT_OK_AND_ASSIGN(auto again, Server::Start(sn_.get(), Opts(sock)));
  Client c2(sock);
  EXPECT_TRUE(c2.WaitServing(std::chrono::seconds(10)));
}

// Holds Prepare calls inside the pool so shutdown finds them in flight.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  int entered = 0;
  bool open = false;
  void Hold(const std::string& rpc) {
    if (rpc != "Prepare") return;
    std::unique_lock lock(mu);
    ++entered;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
  }
  bool WaitEntered(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10),
                       [&] { return entered >= n; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST_F(ServerTest, InFlightCallFinishesDuringGracefulShutdown) {
  std::string sock = dir_.Sub("w.sock");
  Gate gate;
  ServerOptions o = Opts(sock);
  o.TEST_before_work = [&](const std::string& rpc) { gate.Hold(rpc); };
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(sn_.get(), o));
  Client c(sock);
  auto call = std::async(std::launch::async, [&] {
    api::PrepareSnapshotResponse r;
    return c.Prepare("in-flight", "", &r);
  });
  ASSERT_TRUE(gate.WaitEntered(1));
  auto stopped = std::async(
      std::launch::async, [&] { server->Shutdown(std::chrono::seconds(20)); });
  // Shutdown must wait for the call rather than return under it.
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(300)),
            std::future_status::timeout);
  gate.Open();
  grpc::Status s = call.get();
  EXPECT_TRUE(s.ok()) << s.error_message();
  stopped.get();
  EXPECT_OK(sn_->Stat("in-flight"));
  EXPECT_FALSE(base::Env::Default()->Exists(sock));
}

TEST_F(ServerTest, QueuedWorkPastTheGracePeriodIsDropped) {
  std::string sock = dir_.Sub("w.sock");
  Gate gate;
  ServerOptions o = Opts(sock);
  o.threads = 1;
  o.TEST_before_work = [&](const std::string& rpc) { gate.Hold(rpc); };
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(sn_.get(), o));
  Client c(sock);
  auto first =
      std::async(std::launch::async, [&] { return c.Prepare("first", ""); });
  ASSERT_TRUE(gate.WaitEntered(1));
  auto second =
      std::async(std::launch::async, [&] { return c.Prepare("second", ""); });
  // Give the second call time to reach the server's queue.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto stopped = std::async(std::launch::async, [&] {
    server->Shutdown(std::chrono::milliseconds(100));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  gate.Open();
  stopped.get();
  first.get();
  // The client sees the shutdown (gRPC reports UNAVAILABLE or CANCELLED).
  EXPECT_THAT(second.get().error_code(),
              ::testing::AnyOf(grpc::StatusCode::CANCELLED,
                               grpc::StatusCode::UNAVAILABLE));
  EXPECT_OK(sn_->Stat("first")) << "started work always completes";
  EXPECT_THAT(sn_->Stat("second"), StatusIs(StatusCode::kNotFound))
      << "queued work past the grace period must not run";
}

TEST_F(ServerTest, MetricsEndpointCountsRpcs) {
  std::string sock = dir_.Sub("w.sock");
  ServerOptions o = Opts(sock);
  o.metrics_address = "127.0.0.1:0";
  ASSERT_OK_AND_ASSIGN(auto server, Server::Start(sn_.get(), o));
  ASSERT_THAT(server->metrics_address(), HasSubstr("127.0.0.1:"));
  EXPECT_THAT(server->metrics_address(), ::testing::Not(HasSubstr(":0")));
  Client c(sock);
  ASSERT_TRUE(c.Prepare("a", "").ok());
  ASSERT_FALSE(c.Prepare("a", "").ok());
  std::string resp = HttpGet(server->metrics_address(), "/metrics");
  EXPECT_THAT(resp, HasSubstr("HTTP/1.0 200 OK"));
  EXPECT_THAT(resp,
              HasSubstr("winsnap_rpc_total{method=\"Prepare\",code=\"OK\"} 1"));
  EXPECT_THAT(resp, HasSubstr("winsnap_rpc_total{method=\"Prepare\",code="
                              "\"AlreadyExists\"} 1"));
  EXPECT_THAT(resp, HasSubstr("winsnap_rpc_in_flight 0"));
  // Store gauges, read at scrape time.
  EXPECT_THAT(resp, HasSubstr("winsnap_snapshots{kind=\"active\"} 1\n"));
  EXPECT_THAT(resp, HasSubstr("winsnap_snapshots{kind=\"committed\"} 0\n"));
  EXPECT_THAT(resp, HasSubstr("winsnap_trash_entries 0\n"));
  ASSERT_TRUE(c.Remove("a").ok());
  resp = HttpGet(server->metrics_address(), "/metrics");
  EXPECT_THAT(resp, HasSubstr("winsnap_snapshots{kind=\"active\"} 0\n"));
  EXPECT_THAT(resp, HasSubstr("winsnap_trash_entries 1\n"));
  std::string addr = server->metrics_address();
  server->Shutdown(std::chrono::seconds(1));
  EXPECT_EQ(HttpGet(addr, "/metrics"), "") << "metrics must stop too";
}

TEST_F(ServerTest, MetricsAddressErrorsFailStartAndReleaseTheSocket) {
  std::string sock = dir_.Sub("w.sock");
  ServerOptions o = Opts(sock);
  o.metrics_address = "no-port";
  EXPECT_THAT(Server::Start(sn_.get(), o),
              StatusIs(StatusCode::kInvalidArgument, "metrics"));
  EXPECT_FALSE(SocketAccepts(sock));
  o.metrics_address = "";
  EXPECT_OK(Server::Start(sn_.get(), o));
}

}  // namespace
}  // namespace winsnap::proxy
