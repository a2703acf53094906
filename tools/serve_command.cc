// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Threads: the main thread blocks SIGINT/SIGTERM before any other thread
// exists (so every thread inherits the mask) and waits for them with
// sigwait; gRPC runs its own callback threads; the service runs store work
// on its pool; a GC thread empties trash/ periodically; after the first
// signal a watcher thread turns a second one into an immediate exit.

#include "tools/serve_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/env.h"
#include "base/logging.h"
#include "snapshotter/gc.h"
#include "snapshotter/proxy/config.h"
#include "snapshotter/proxy/server.h"

namespace winsnap::tools {
namespace {

struct ServeArgs {
  std::string address = proxy::kDefaultAddress;
  std::string config;
  std::string log_format = "text";
  std::string metrics_address;
  std::string transport = "grpc";
  int gc_interval = 600;
  bool gc_prune = false;
  int threads = 4;
  int shutdown_grace = 10;
};

bool Given(CLI::App* app, const char* name) {
  return app->get_option(name)->count() > 0;
}

// Applies the config file under the flags (and WINSNAP_ROOT for root).
void ApplyConfig(const proxy::ServeConfig& cfg, CLI::App& app, CLI::App* cmd,
                 CliContext& ctx, ServeArgs& args) {
  const char* env_root = std::getenv("WINSNAP_ROOT");
  bool root_from_env = env_root && *env_root;
  if (cfg.root && !Given(&app, "--root") && !root_from_env)
    ctx.root = *cfg.root;
  if (cfg.mount_type && !Given(&app, "--mount-type"))
    ctx.mount_type = *cfg.mount_type;
  if (cfg.log_level && !Given(&app, "--log-level"))
    ctx.log_level = *cfg.log_level;
  if (cfg.address && !Given(cmd, "--address")) args.address = *cfg.address;
  if (cfg.log_format && !Given(cmd, "--log-format"))
    args.log_format = *cfg.log_format;
  if (cfg.metrics_address && !Given(cmd, "--metrics-address"))
    args.metrics_address = *cfg.metrics_address;
  if (cfg.gc_interval && !Given(cmd, "--gc-interval"))
    args.gc_interval = *cfg.gc_interval;
  if (cfg.gc_prune && !Given(cmd, "--gc-prune")) args.gc_prune = *cfg.gc_prune;
  if (cfg.threads && !Given(cmd, "--threads")) args.threads = *cfg.threads;
}

void Serve(CLI::App& app, CliContext& ctx, ServeArgs args, CLI::App* cmd) {
  base::Env* env = base::Env::Default();
  std::string config_path = args.config;
  if (!Given(cmd, "--config") && env->Exists(kDefaultServeConfig)) {
    config_path = kDefaultServeConfig;
  }
  if (!config_path.empty()) {
    auto text = env->ReadFile(config_path);
    if (!text.ok()) Fail(text.status().WithContext("config " + config_path));
    auto cfg = proxy::ParseServeConfig(*text);
    if (!cfg.ok()) Fail(cfg.status().WithContext(config_path));
    ApplyConfig(*cfg, app, cmd, ctx, args);
  }
  if (args.log_format != "text" && args.log_format != "json") {
    Fail(InvalidArgumentError("--log-format must be text or json, got \"" +
                              args.log_format + "\""));
  }
  if (args.threads < 1 || args.threads > 256) {
    Fail(InvalidArgumentError("--threads must be 1..256"));
  }
  if (args.gc_interval < 0 || args.shutdown_grace < 0) {
    Fail(InvalidArgumentError(
        "--gc-interval and --shutdown-grace must not be negative"));
  }
  Check(base::InitLogging(ctx.log_level, args.log_format == "json"));

  // Before any thread exists: every thread inherits the blocked set, so the
  // signals are only ever consumed by sigwait below.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  std::unique_ptr<snapshotter::Snapshotter> sn = Check(ctx.Open(false));
  proxy::ServerOptions so;
  so.address = args.address;
  so.threads = args.threads;
  so.metrics_address = args.metrics_address;
  so.transport = args.transport;
  std::unique_ptr<proxy::Server> server =
      Check(proxy::Server::Start(sn.get(), so));
  spdlog::info(
      "serving containerd.services.snapshots.v1 on unix://{} transport={} "
      "root={} mount_type={} threads={}{}",
      server->address(), args.transport, sn->root(), ctx.mount_type,
      args.threads,
      server->metrics_address().empty()
          ? ""
          : " metrics=http://" + server->metrics_address() + "/metrics");

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
  spdlog::info("received {}, shutting down (grace {}s)",
               sig == SIGTERM ? "SIGTERM" : "SIGINT", args.shutdown_grace);
  // A second signal means "now": the store is crash-safe, so exiting
  // without closing it loses nothing that was acknowledged.
  std::thread([sigs] {
    int again = 0;
    sigwait(&sigs, &again);
    spdlog::warn("second signal, exiting without waiting for calls");
    std::_Exit(130);
  }).detach();
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  cv.notify_all();
  server->Shutdown(std::chrono::seconds(args.shutdown_grace));
  gc.join();
  server.reset();
  sn.reset();  // closes the store
  spdlog::info("stopped");
}

}  // namespace

void RegisterServeCommands(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* c = app.add_subcommand(
      "serve",
      "Serve the store to containerd as a proxy snapshotter (gRPC on a unix "
      "socket, mode 0600) until SIGTERM/SIGINT.\n"
      "containerd config:  [proxy_plugins.winsnap]\n"
      "                      type = \"snapshot\"\n"
      "                      address = \"/run/winsnap/winsnap.sock\"\n"
      "Settings: flags > WINSNAP_ROOT > config file > defaults.\n"
      "Example: snapctl --root /var/lib/winsnap serve --address "
      "/run/winsnap/winsnap.sock");
  c->add_option("--address,-a", args->address,
                "Unix socket path (default /run/winsnap/winsnap.sock)");
  c->add_option("--config,-c", args->config,
                "Config file: TOML key = value lines or a JSON object "
                "(default /etc/winsnap/config.toml if it exists). Keys: root, "
                "address, mount_type, log_level, log_format, metrics_address, "
                "threads, gc_interval, gc_prune");
  c->add_option("--log-format", args->log_format,
                "text, or json (one JSON object per line)");
  c->add_option("--transport", args->transport,
                "grpc (gRPC C++, default) or h2 (winsnap's HTTP/2 transport "
                "on nghttp2, the one Windows uses); same socket rules")
      ->check(CLI::IsMember({"grpc", "h2"}));
  c->add_option("--metrics-address", args->metrics_address,
                "Serve Prometheus metrics on host:port or a unix socket path");
  c->add_option("--gc-interval", args->gc_interval,
                "Seconds between trash GC runs; 0 disables (default 600)");
  c->add_flag("--gc-prune", args->gc_prune,
              "GC also prunes layers no image references (not with "
              "containerd, which removes its snapshots itself)");
  c->add_option("--threads", args->threads,
                "Worker threads for store operations (default 4)");
  c->add_option("--shutdown-grace", args->shutdown_grace,
                "Seconds in-flight calls get to finish at shutdown (default "
                "10)");
  c->callback([&app, &ctx, args, c] { Serve(app, ctx, *args, c); });
}

}  // namespace winsnap::tools
