// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// H2Client (the transport library's own client, what the Wine tests use over
// a named pipe) against H2Server over a unix socket: the snapshot round
// trip, errors as grpc-status, unknown methods, several connections at once,
// and the refused call after a graceful stop.

#include "snapshotter/proxy/h2_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "snapshotter/proxy/core.h"
#include "snapshotter/proxy/h2_server.h"
#include "tests/proxy/h2_scenario.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::proxy {
namespace {

using ::testing::HasSubstr;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

class UnixByteStream final : public ByteStream {
 public:
  explicit UnixByteStream(int fd) : fd_(fd) {}
  ~UnixByteStream() override { ::close(fd_); }
  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    ssize_t r = ::read(fd_, buf, n);
    if (r < 0) return ErrnoError("read", errno);
    return static_cast<size_t>(r);
  }
  Status Write(const uint8_t* data, size_t n) override {
    while (n > 0) {
      // MSG_NOSIGNAL: a closed peer is an error here, not SIGPIPE.
      ssize_t w = ::send(fd_, data, n, MSG_NOSIGNAL);
      if (w < 0) return ErrnoError("send", errno);
      data += w;
      n -= static_cast<size_t>(w);
    }
    return Status();
  }

 private:
  int fd_;
};

std::unique_ptr<H2Client> Connect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
    ::close(fd);
    return nullptr;
  }
  return std::make_unique<H2Client>(std::make_unique<UnixByteStream>(fd));
}

class H2ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshotter::Options o;
    o.root = dir_.Sub("root");
    ASSERT_OK_AND_ASSIGN(sn_, snapshotter::Snapshotter::Open(o));
    core_ = std::make_unique<ServiceCore>(sn_.get(), 4);
    path_ = dir_.Sub("h2.sock");
    ASSERT_OK_AND_ASSIGN(server_, H2Server::StartUnix(core_.get(), path_));
  }
  void TearDown() override {
    server_.reset();
    core_.reset();
    sn_.reset();
  }

  TempDir dir_;
  std::unique_ptr<snapshotter::Snapshotter> sn_;
  std::unique_ptr<ServiceCore> core_;
  std::string path_;
  std::unique_ptr<H2Server> server_;
};

TEST_F(H2ClientTest, RoundTripOverOneConnection) {
  auto c = Connect(path_);
  ASSERT_NE(c, nullptr);
  EXPECT_OK(testing::RunSnapshotRoundTrip(*c, "one"));
  // The same connection goes on serving after the round trip.
  EXPECT_OK(testing::RunSnapshotRoundTrip(*c, "again"));
}

TEST_F(H2ClientTest, ErrorsArriveAsGrpcStatusWithTheirMessage) {
  auto c = Connect(path_);
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(
      H2CallResult r,
      c->Call("/containerd.services.snapshots.v1.Snapshots/Stat",
              "\x12\x04nope"));
  EXPECT_THAT(r.status, StatusIs(StatusCode::kNotFound, "nope"));
  EXPECT_TRUE(r.responses.empty());
  ASSERT_OK_AND_ASSIGN(r, c->Call("/no.Such/Method", ""));
  EXPECT_THAT(r.status, StatusIs(StatusCode::kUnimplemented));
}

TEST_F(H2ClientTest, EightConnectionsAtOnce) {
  std::vector<std::thread> threads;
  std::vector<Status> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto c = Connect(path_);
      if (c == nullptr) {
        results[i] = UnavailableError("connect failed");
        return;
      }
      results[i] = testing::RunSnapshotRoundTrip(*c, "c" + std::to_string(i));
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_OK(results[i]) << "connection " << i;
}

TEST_F(H2ClientTest, GracefulStopEndsTheConnection) {
  auto c = Connect(path_);
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(int serving, testing::HealthCheck(*c));
  EXPECT_EQ(serving, 1);
  server_->Shutdown(std::chrono::milliseconds(500));
  auto r = c->Call("/grpc.health.v1.Health/Check", "");
  EXPECT_FALSE(r.ok() && r->status.ok());
  EXPECT_EQ(Connect(path_), nullptr);
}

}  // namespace
}  // namespace winsnap::proxy
