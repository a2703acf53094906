// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "snapshotter/proxy/server.h"

#include <grpc/grpc.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility>

#include "base/unique_fd.h"

namespace winsnap::proxy {
namespace {

// Creates "dir" and missing parents with mode 0700 (umask aside).
Status MakeDirs(const std::string& dir) {
  if (dir.empty()) return OkStatus();
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return FailedPreconditionError(dir + " exists and is not a directory");
    }
    return OkStatus();
  }
  size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    WINSNAP_RETURN_IF_ERROR(MakeDirs(dir.substr(0, slash)));
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError("mkdir", errno, dir);
  }
  return OkStatus();
}

}  // namespace

Status CheckSocketDir(const std::string& dir) {
  WINSNAP_RETURN_IF_ERROR(MakeDirs(dir.empty() ? "/" : dir));
  const std::string d = dir.empty() ? "/" : dir;
  struct stat st;
  if (::stat(d.c_str(), &st) != 0) return ErrnoError("stat", errno, d);
  // Whoever can write the directory can replace the socket and impersonate
  // the snapshotter (issue 12 item 6), sticky bit or not.
  if (st.st_uid != ::geteuid()) {
    return FailedPreconditionError(
        "socket directory " + d + " is owned by uid " +
        std::to_string(st.st_uid) + ", not by this user (uid " +
        std::to_string(::geteuid()) +
        "); use a directory only this user can write");
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o",
                  static_cast<unsigned>(st.st_mode & 07777));
    return FailedPreconditionError(
        "socket directory " + d + " is writable by group or others (mode " +
        mode + "); use a directory only this user can write");
  }
  return OkStatus();
}

Status PrepareSocketPath(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return InvalidArgumentError(
        "the socket address must be an absolute path, got \"" + path + "\"");
  }
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    return InvalidArgumentError("socket path " + path + " is longer than " +
                                std::to_string(sizeof addr.sun_path - 1) +
                                " bytes");
  }
  WINSNAP_RETURN_IF_ERROR(CheckSocketDir(path.substr(0, path.rfind('/'))));
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoError("lstat", errno, path);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return FailedPreconditionError(
        path +
        " exists and is not a socket; refusing to replace it (remove "
        "it or choose another --address)");
  }
  base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return ErrnoError("socket", errno);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  bool live =
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  fd.reset();
  if (live) {
    return FailedPreconditionError("another server is accepting on " + path +
                                   "; stop it first");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("unlink", errno, path);
  }
  spdlog::info("replaced stale socket {}", path);
  return OkStatus();
}

Status Server::StartGrpc(const std::string& address) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + address,
                           grpc::InsecureServerCredentials());
  builder.RegisterCallbackGenericService(service_.get());
  // bind() happens inside BuildAndStart; with umask 0177 the socket is
  // born 0600, so no other user can connect before a chmod.
  mode_t old_umask = ::umask(0177);
  grpc_ = builder.BuildAndStart();
  ::umask(old_umask);
  if (!grpc_) return UnavailableError("cannot listen on unix://" + address);
  return OkStatus();
}

StatusOr<std::unique_ptr<Server>> Server::Start(snapshotter::Snapshotter* sn,
                                                const ServerOptions& options) {
  if (options.threads < 1) {
    return InvalidArgumentError("threads must be at least 1");
  }
  if (options.transport != "grpc" && options.transport != "h2") {
    return InvalidArgumentError("transport must be grpc or h2, got \"" +
                                options.transport + "\"");
  }
  WINSNAP_RETURN_IF_ERROR(PrepareSocketPath(options.address));
  std::unique_ptr<Server> s(new Server());
  s->address_ = options.address;
  ServiceCore* core = nullptr;
  if (options.transport == "h2") {
    s->core_ = std::make_unique<ServiceCore>(sn, options.threads);
    core = s->core_.get();
    if (options.TEST_before_work) {
      core->TEST_SetBeforeWork(options.TEST_before_work);
    }
    auto h2 = H2Server::StartUnix(core, options.address);
    if (!h2.ok()) return h2.status();
    s->h2_ = std::move(h2).value();
  } else {
    s->service_ = std::make_unique<SnapshotsService>(sn, options.threads);
    core = &s->service_->core();
    if (options.TEST_before_work) {
      s->service_->TEST_SetBeforeWork(options.TEST_before_work);
    }
    WINSNAP_RETURN_IF_ERROR(s->StartGrpc(options.address));
  }
  s->stopped_ = false;
  struct stat st;
  if (::lstat(options.address.c_str(), &st) != 0) {
    Status err = ErrnoError("lstat", errno, options.address);
    s->Shutdown(std::chrono::milliseconds(0));
    return err;
  }
  s->socket_ino_ = st.st_ino;
  s->socket_dev_ = st.st_dev;
  if ((st.st_mode & 07777) != 0600 &&
      ::chmod(options.address.c_str(), 0600) != 0) {
    Status err = ErrnoError("chmod", errno, options.address);
    s->Shutdown(std::chrono::milliseconds(0));
    return err;
  }
  if (!options.metrics_address.empty()) {
    auto m = MetricsServer::Start(options.metrics_address, [core, sn] {
      std::string text = core->metrics().RenderPrometheus();
      auto store = RenderStoreMetrics(*sn);
      if (store.ok()) {
        text += *store;
      } else {
        spdlog::warn("metrics: store gauges unavailable: {}",
                     store.status().ToString());
      }
      return text;
    });
    if (!m.ok()) {
      s->Shutdown(std::chrono::milliseconds(0));
      return m.status().WithContext("metrics");
    }
    s->metrics_ = std::move(m).value();
  }
  return s;
}

Server::~Server() { Shutdown(std::chrono::milliseconds(0)); }

std::string Server::metrics_address() const {
  return metrics_ ? metrics_->address() : "";
}

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (stopped_ || (!grpc_ && !h2_)) return;
  stopped_ = true;
  if (h2_) {
    h2_->Shutdown(grace);
    h2_.reset();
    core_.reset();  // joins the pool: no RPC touches the store after this
  } else {
    ShutdownGrpc(grace);
  }
  if (metrics_) metrics_->Stop();
  struct stat st;
  if (::lstat(address_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
      st.st_ino == socket_ino_ && st.st_dev == socket_dev_) {
    ::unlink(address_.c_str());
  }
}

void Server::ShutdownGrpc(std::chrono::milliseconds grace) {
  if (auto* health = grpc_->GetHealthCheckService()) health->Shutdown();
  service_->core().SetServing(false);
  auto deadline = std::chrono::system_clock::now() + grace;
  // grpc::Server::Shutdown refuses new calls and waits until the calls in
  // flight are done AND every client has hung up its connection (containerd
  // keeps one open), or the deadline passes. Waiting for idle connections
  // is pointless, so this thread closes them as soon as no call of ours is
  // in flight; it repeats until Shutdown returns, which also covers a
  // client that reconnects before the shutdown has begun in "stopper".
  // Once the grace period is over, the core refuses queued work and stops
  // List walks between records, and every call is cancelled, so Shutdown
  // returns soon after "grace" whatever the calls were doing (issue 12
  // item 5).
  std::atomic<bool> done{false};
  std::thread stopper([this, deadline, &done] {
    grpc_->Shutdown(deadline);
    done = true;
  });
  while (!done) {
    const bool late = std::chrono::system_clock::now() >= deadline;
    if (late) service_->core().Stop();
    if (late || service_->live_calls() == 0) {
      grpc_server_cancel_all_calls(grpc_->c_server());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stopper.join();
  grpc_->Wait();
  // Every reactor has finished, so no pool task is left but possibly the
  // tail of one; resetting the service joins the pool.
  service_.reset();
}

}  // namespace winsnap::proxy
