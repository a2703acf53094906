// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Helpers for the proxy tests: real gRPC stubs on a unix socket, a raw
// HTTP GET for the metrics endpoint, and a `snapctl serve` child process.
// Not thread-safe unless stated; Client calls may be made from many threads.

#ifndef WINSNAP_TESTS_PROXY_PROXY_TEST_UTIL_H_
#define WINSNAP_TESTS_PROXY_PROXY_TEST_UTIL_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "containerd/services/snapshots/v1/snapshots.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace winsnap::proxy::testing {

namespace api = ::containerd::services::snapshots::v1;
namespace health = ::grpc::health::v1;

// A Snapshots + Health client on "unix://<socket path>". Thread-safe.
class Client {
 public:
  explicit Client(const std::string& socket_path);

  grpc::Status Prepare(const std::string& key, const std::string& parent,
                       api::PrepareSnapshotResponse* resp = nullptr,
                       const std::map<std::string, std::string>& labels = {},
                       const std::string& snapshotter = "winsnap");
  grpc::Status View(const std::string& key, const std::string& parent,
                    api::ViewSnapshotResponse* resp = nullptr);
  grpc::Status Commit(const std::string& name, const std::string& key,
                      const std::string& parent = "",
                      const std::map<std::string, std::string>& labels = {});
  grpc::Status Remove(const std::string& key);
  grpc::Status Stat(const std::string& key, api::Info* info = nullptr);
  grpc::Status Mounts(const std::string& key, api::MountsResponse* resp);
  grpc::Status Usage(const std::string& key, api::UsageResponse* resp);
  grpc::Status Cleanup();
  grpc::Status Update(const api::Info& info,
                      const std::vector<std::string>& paths,
                      api::Info* out = nullptr);
  // Reads the whole List stream; the batches as received.
  std::vector<api::ListSnapshotsResponse> List(
      const std::vector<std::string>& filters, grpc::Status* status);
  // Names of every snapshot List returns.
  std::vector<std::string> ListNames(const std::vector<std::string>& filters,
                                     grpc::Status* status);
  // grpc.health.v1.Health/Check for service "".
  grpc::Status Health(health::HealthCheckResponse::ServingStatus* status);
  // True once Health answers SERVING, polling until "timeout".
  bool WaitServing(std::chrono::milliseconds timeout);

  api::Snapshots::Stub* stub() { return stub_.get(); }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<api::Snapshots::Stub> stub_;
  std::unique_ptr<health::Health::Stub> health_;
};

// Nanoseconds since the epoch of a Timestamp.
int64_t Nanos(const google::protobuf::Timestamp& t);

// Sends "GET <target> HTTP/1.0" to "host:port" or a unix socket path; the
// whole response (head and body), or "" if the connection failed.
std::string HttpGet(const std::string& address, const std::string& target);

// True if "path" is a socket someone accepts on.
bool SocketAccepts(const std::string& path);

// `snapctl <global...> serve <serve...>` as a child process; stdout and
// stderr go to "log_path". The destructor SIGKILLs a child still running.
class ServeProcess {
 public:
  ServeProcess(std::vector<std::string> args, std::string log_path);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits until "socket" accepts connections, or the child exits, or
  // "timeout" passes. True if it accepts.
  bool WaitForSocket(const std::string& socket,
                     std::chrono::milliseconds timeout);
  // Sends "sig" and waits up to "timeout" for exit. Returns the exit code,
  // 128+signal if killed by a signal, or -1 on timeout (child then killed).
  int Stop(int sig, std::chrono::milliseconds timeout);
  // Waits for an exit the child makes by itself (see Stop for the result).
  int Wait(std::chrono::milliseconds timeout);
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

}  // namespace winsnap::proxy::testing

#endif  // WINSNAP_TESTS_PROXY_PROXY_TEST_UTIL_H_
