// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Server: the running proxy snapshotter. It owns the gRPC server on a unix
// socket with the Snapshots service and gRPC's default health service
// (grpc.health.v1.Health, "" = SERVING while up), and optionally the
// Prometheus metrics endpoint. The socket:
//   - its parent directory is created with mode 0700 if missing; an
//     existing one must be owned by this user and not writable by group or
//     others (else anyone who can write it could swap the socket);
//   - it is bound under umask 0177, so it is 0600 from the moment it
//     exists (no window in which another user could connect), and its mode
//     is checked after binding;
//   - a stale socket (nobody accepting) is replaced; a live one, or any
//     non-socket file at the path, is an error and nothing is touched;
//   - it is removed at Shutdown if it is still ours (same inode).
//
// Thread-safety: Start, Shutdown and the destructor are for one owner
// thread. The umask is process-wide: Start changes it only for the moment
// of bind, so call Start before other threads create files.

#ifndef WINSNAP_SNAPSHOTTER_PROXY_SERVER_H_
#define WINSNAP_SNAPSHOTTER_PROXY_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "snapshotter/proxy/h2_server.h"
#include "snapshotter/proxy/metrics.h"
#include "snapshotter/proxy/service.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::proxy {

inline constexpr char kDefaultAddress[] = "/run/winsnap/winsnap.sock";

struct ServerOptions {
  std::string address = kDefaultAddress;  // absolute unix socket path
  int threads = 4;                        // store worker threads
  std::string metrics_address;            // "" = no metrics endpoint
  // "grpc" (gRPC C++, the Linux default) or "h2" (winsnap's nghttp2
  // transport, the one Windows has).
  std::string transport = "grpc";
  // Test only: see SnapshotsService::TEST_SetBeforeWork.
  std::function<void(const std::string&)> TEST_before_work;
};

// Creates "dir" (and missing parents) 0700 if it does not exist; then
// FailedPrecondition unless it is a directory owned by the effective user
// and not writable by group or others. "" means "/".
Status CheckSocketDir(const std::string& dir);

// Makes "path" ready for bind: its directory checked by CheckSocketDir, a
// stale socket removed. InvalidArgument for a relative or too
// long path; FailedPrecondition if a non-socket file is there or a server
// accepts on the socket; errno errors otherwise.
Status PrepareSocketPath(const std::string& path);

class Server {
 public:
  // Starts serving *sn. *sn must outlive the Server. Errors from
  // PrepareSocketPath, Unavailable if gRPC cannot listen, errors of
  // MetricsServer::Start; nothing is left listening on error.
  static StatusOr<std::unique_ptr<Server>> Start(snapshotter::Snapshotter* sn,
                                                 const ServerOptions& options);
  ~Server();  // Shutdown(0) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Graceful stop: health turns NOT_SERVING, new calls are refused, calls
  // already received get "grace" to finish (work a pool thread has started
  // always completes; queued work not started by then ends CANCELLED), the
  // pool drains, metrics stop and the socket is removed. When it returns no
  // RPC touches the snapshotter any more. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

  const std::string& address() const { return address_; }
  // Bound metrics address ("" if none), e.g. "127.0.0.1:40123".
  std::string metrics_address() const;
  SnapshotsService* service() { return service_.get(); }

 private:
  Server() = default;
  Status StartGrpc(const std::string& address);
  void ShutdownGrpc(std::chrono::milliseconds grace);

  std::string address_;
  ino_t socket_ino_ = 0;
  dev_t socket_dev_ = 0;
  std::unique_ptr<SnapshotsService> service_;
  std::unique_ptr<grpc::Server> grpc_;
  // transport "h2": the core and its nghttp2 server instead.
  std::unique_ptr<ServiceCore> core_;
  std::unique_ptr<H2Server> h2_;
  std::unique_ptr<MetricsServer> metrics_;
  bool stopped_ = false;
};

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_SERVER_H_
