// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Threads: main thread blocks SIGINT/SIGTERM before any other thread exists
// (so every thread inherits the mask) and waits for them with sigwait; gRPC
// runs its own callback threads; the service runs store work on its pool; a
// GC thread empties trash/ periodically.

#include "tools/serve_command.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "base/env.h"
#include "base/logging.h"
#include "snapshotter/gc.h"
#include "snapshotter/proxy/service.h"

namespace winsnap::tools {
namespace {

const std::set<std::string> kConfigKeys = {
    "root",        "address",  "mount_type", "log_level",      "log_format",
    "gc_interval", "gc_prune", "threads",    "metrics_address"};

struct ServeArgs {
  std::string address = "/run/winsnap/winsnap.sock";
  std::string config;
  std::string log_format = "text";
  int gc_interval = 600;
  bool gc_prune = false;
  int threads = 4;
};

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Makes "path" ready for bind: parent created (0700), a stale socket
// removed; a live socket or a non-socket file is an error.
Status PrepareSocketPath(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return InvalidArgumentError(
        "--address must be an absolute socket path, got \"" + path + "\"");
  }
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return InvalidArgumentError(
        "socket path is longer than " +
        std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
  }
  std::string dir = path.substr(0, path.find_last_of('/'));
  if (!dir.empty())
    WINSNAP_RETURN_IF_ERROR(base::Env::Default()->CreateDirs(dir));
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoError("lstat", errno, path);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return FailedPreconditionError(
        path + " exists and is not a socket; refusing to replace it");
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool live =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  if (live)
    return FailedPreconditionError("another server is listening on " + path);
  if (::unlink(path.c_str()) != 0) return ErrnoError("unlink", errno, path);
  spdlog::info("replaced stale socket {}", path);
  return OkStatus();
}

int Serve(CLI::App& app, CliContext& ctx, ServeArgs args, CLI::App* cmd) {
  // Precedence: defaults < config file < flags.
  std::string config_path = args.config;
  if (config_path.empty() &&
      base::Env::Default()->Exists("/etc/winsnap/config.toml")) {
    config_path = "/etc/winsnap/config.toml";
  }
  if (!config_path.empty()) {
    auto text = Check(base::Env::Default()->ReadFile(config_path));
    auto cfg = ParseServeConfig(text);
    if (!cfg.ok()) Fail(cfg.status().WithContext(config_path));
    auto given = [&](CLI::App* a, const char* name) {
      return a->get_option(name)->count() > 0;
    };
    try {
      for (const auto& [k, v] : *cfg) {
        if (k == "root" && !given(&app, "--root")) ctx.root = v;
        if (k == "mount_type" && !given(&app, "--mount-type"))
          ctx.mount_type = v;
        if (k == "log_level" && !given(&app, "--log-level")) ctx.log_level = v;
        if (k == "address" && !given(cmd, "--address")) args.address = v;
        if (k == "log_format" && !given(cmd, "--log-format"))
          args.log_format = v;
        if (k == "gc_interval" && !given(cmd, "--gc-interval"))
          args.gc_interval = std::stoi(v);
        if (k == "gc_prune" && !given(cmd, "--gc-prune"))
          args.gc_prune = v == "true";
        if (k == "threads" && !given(cmd, "--threads"))
          args.threads = std::stoi(v);
      }
    } catch (const std::exception&) {
      Fail(InvalidArgumentError(config_path +
                                ": gc_interval and threads must be integers"));
    }
  }
  if (args.log_format != "text" && args.log_format != "json") {
    Fail(InvalidArgumentError("--log-format must be text or json"));
  }
  if (args.threads < 1 || args.threads > 256)
    Fail(InvalidArgumentError("--threads must be 1..256"));
  Check(base::InitLogging(ctx.log_level, args.log_format == "json"));

  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  auto sn = Check(ctx.Open(false));
  Check(PrepareSocketPath(args.address));
  auto service =
      std::make_unique<proxy::SnapshotsService>(sn.get(), args.threads);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + args.address,
                           grpc::InsecureServerCredentials());
  builder.RegisterService(service.get());
  // The socket is created by bind(); a 0177 umask makes it 0600 from birth.
  mode_t old_umask = ::umask(0177);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ::umask(old_umask);
  if (!server)
    Fail(UnavailableError("cannot listen on unix://" + args.address));
  if (::chmod(args.address.c_str(), 0600) != 0)
    Fail(ErrnoError("chmod", errno, args.address));
  spdlog::info(
      "serving containerd snapshots API on unix://{} root={} mount_type={}",
      args.address, sn->root(), ctx.mount_type);

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread gc([&] {
    if (args.gc_interval <= 0) return;
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, std::chrono::seconds(args.gc_interval),
                        [&] { return stopping; })) {
      lock.unlock();
      snapshotter::GcOptions o;
      o.prune = args.gc_prune;
      auto r = snapshotter::RunGc(*sn, o);
      if (!r.ok()) {
        spdlog::warn("gc: {}", r.status().ToString());
      } else if (r->trash_removed || !r->pruned.empty() || !r->failed.empty()) {
        spdlog::info(
            "gc: pruned={} trash_removed={} reclaimed_bytes={} failed={}",
            r->pruned.size(), r->trash_removed, r->reclaimed_bytes,
            r->failed.size());
      }
      lock.lock();
    }
  });

  int sig = 0;
  sigwait(&sigs, &sig);
  spdlog::info("received {}, shutting down",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  cv.notify_all();
  // In-flight calls get up to 10 s to finish; new ones are refused.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  server->Wait();
  gc.join();
  service.reset();  // drains the pool before the store closes
  sn.reset();
  ::unlink(args.address.c_str());
  spdlog::info("stopped");
  return 0;
}

}  // namespace

StatusOr<std::map<std::string, std::string>> ParseServeConfig(
    const std::string& text) {
  std::map<std::string, std::string> out;
  std::string trimmed = Trim(text);
  if (!trimmed.empty() && trimmed[0] == '{') {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return InvalidArgumentError("not a JSON object");
    for (const auto& [k, v] : j.items()) {
      if (!kConfigKeys.count(k))
        return InvalidArgumentError("unknown key \"" + k + "\"");
      if (v.is_string()) {
        out[k] = v.get<std::string>();
      } else if (v.is_number_integer() || v.is_boolean()) {
        out[k] = v.dump();
      } else {
        return InvalidArgumentError("key \"" + k +
                                    "\" must be a string, integer or boolean");
      }
    }
    return out;
  }
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string l = Trim(line);
    if (l.empty() || l[0] == '#') continue;
    auto where = [&] { return "line " + std::to_string(n) + ": "; };
    auto eq = l.find('=');
    if (eq == std::string::npos)
      return InvalidArgumentError(where() + "expected key = value");
    std::string k = Trim(l.substr(0, eq));
    std::string v = Trim(l.substr(eq + 1));
    if (!kConfigKeys.count(k))
      return InvalidArgumentError(where() + "unknown key \"" + k + "\"");
    if (!v.empty() && (v[0] == '"' || v[0] == '\'')) {
      char q = v[0];
      auto end = v.find(q, 1);
      if (end == std::string::npos)
        return InvalidArgumentError(where() + "unterminated string");
      std::string rest = Trim(v.substr(end + 1));
      if (!rest.empty() && rest[0] != '#')
        return InvalidArgumentError(where() + "text after value");
      v = v.substr(1, end - 1);
    } else {
      auto hash = v.find('#');
      if (hash != std::string::npos) v = Trim(v.substr(0, hash));
      if (v.empty()) return InvalidArgumentError(where() + "missing value");
    }
    out[k] = v;
  }
  return out;
}

void RegisterServeCommands(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* c = app.add_subcommand(
      "serve",
      "Serve the store to containerd as a proxy snapshotter (gRPC on a unix "
      "socket, 0600).\n"
      "containerd config:  [proxy_plugins.winsnap]\n"
      "                      type = \"snapshot\"\n"
      "                      address = \"/run/winsnap/winsnap.sock\"\n"
      "Example: snapctl --root /var/lib/winsnap serve --address "
      "/run/winsnap/winsnap.sock");
  c->add_option("--address,-a", args->address, "Unix socket path");
  c->add_option("--config,-c", args->config,
                "Config file (TOML key = value, or JSON); default "
                "/etc/winsnap/config.toml if "
                "present. Keys: root, address, mount_type, log_level, "
                "log_format, gc_interval, "
                "gc_prune, threads");
  c->add_option("--log-format", args->log_format, "text or json (structured)");
  c->add_option("--gc-interval", args->gc_interval,
                "Seconds between GC runs; 0 disables");
  c->add_flag("--gc-prune", args->gc_prune,
              "GC also prunes layers no image references");
  c->add_option("--threads", args->threads,
                "Worker threads for store operations");
  c->callback([&app, &ctx, args, c] {
    int rc = Serve(app, ctx, *args, c);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace winsnap::tools
