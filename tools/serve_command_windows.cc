// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl serve` on Windows (issue 10): containerd's proxy snapshotter on a
// named pipe (default \\.\pipe\winsnap), over the nghttp2 transport, the
// only one in the Windows build (no gRPC C++). Replaces the placeholder of
// the same name; serve_command.cc (gRPC on a unix socket) stays Linux-only.
//
// Threads: the main thread waits on stop_event; Ctrl+C, Ctrl+Break and
// console close arrive on a thread the system creates for the console
// control handler, which sets the event (a second one exits at once); the
// transport runs its own I/O thread and the store work on its pool.

#include <windows.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/logging.h"
#include "snapshotter/proxy/address.h"
#include "snapshotter/proxy/core.h"
#include "snapshotter/proxy/h2_server.h"
#include "tools/serve_command.h"

namespace winsnap::tools {
namespace {

struct ServeArgs {
  std::string address = proxy::kDefaultPipeAddress;
  std::string log_format = "text";
  int threads = 4;
  int shutdown_grace = 10;
};

// Set by the console control handler; waited on by Serve. A manual-reset
// event created before the handler is installed.
HANDLE g_stop_event = nullptr;
LONG g_stop_requests = 0;

BOOL WINAPI OnConsoleControl(DWORD type) {
  switch (type) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      if (::InterlockedIncrement(&g_stop_requests) > 1) {
        // A second request means "now": the store is crash-safe.
        std::_Exit(130);
      }
      ::SetEvent(g_stop_event);
      // CTRL_CLOSE_EVENT: the process is ended when this handler returns;
      // wait (bounded by the system's own timeout) for the graceful stop.
      if (type == CTRL_CLOSE_EVENT || type == CTRL_SHUTDOWN_EVENT) {
        ::Sleep(INFINITE);
      }
      return TRUE;
    default:
      return FALSE;
  }
}

void Serve(CliContext& ctx, const ServeArgs& args) {
  if (args.log_format != "text" && args.log_format != "json") {
    Fail(InvalidArgumentError("--log-format must be text or json, got \"" +
                              args.log_format + "\""));
  }
  if (args.threads < 1 || args.threads > 256) {
    Fail(InvalidArgumentError("--threads must be 1..256"));
  }
  if (args.shutdown_grace < 0) {
    Fail(InvalidArgumentError("--shutdown-grace must not be negative"));
  }
  proxy::ServeAddress addr = Check(proxy::ParseServeAddress(args.address));
  if (addr.kind != proxy::ServeAddress::Kind::kPipe) {
    Fail(InvalidArgumentError("address \"" + args.address +
                              "\": on Windows serve listens on a named pipe "
                              "(\\\\.\\pipe\\NAME) only"));
  }
  Check(base::InitLogging(ctx.log_level, args.log_format == "json"));
  g_stop_event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (g_stop_event == nullptr) {
    Fail(Win32Error("CreateEventW", ::GetLastError()));
  }
  std::unique_ptr<snapshotter::Snapshotter> sn = Check(ctx.Open(false));
  proxy::ServiceCore core(sn.get(), args.threads);
  std::unique_ptr<proxy::H2Server> server =
      Check(proxy::H2Server::StartPipe(&core, addr.path));
  if (!::SetConsoleCtrlHandler(&OnConsoleControl, TRUE)) {
    spdlog::warn(
        "SetConsoleCtrlHandler failed (error {}); stop with "
        "taskkill",
        ::GetLastError());
  }
  spdlog::info(
      "serving containerd.services.snapshots.v1 on {} transport=h2 root={} "
      "mount_type={} threads={}",
      addr.path, sn->root(), ctx.mount_type, args.threads);
  ::WaitForSingleObject(g_stop_event, INFINITE);
  spdlog::info("stop requested, shutting down (grace {}s)",
               args.shutdown_grace);
  server->Shutdown(std::chrono::seconds(args.shutdown_grace));
  server.reset();
  spdlog::info("stopped");
}

}  // namespace

void RegisterServeCommands(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* c = app.add_subcommand(
      "serve",
      "Run the containerd proxy snapshotter on a named pipe (Ctrl+C stops)");
  c->add_option("--address", args->address,
                "Named pipe: \\\\.\\pipe\\NAME, //./pipe/NAME or "
                "npipe://./pipe/NAME")
      ->capture_default_str();
  c->add_option(
       "--transport",
       [](const CLI::results_t& r) { return r.size() == 1 && r[0] == "h2"; },
       "Only h2 (nghttp2 over the pipe) on Windows")
      ->type_name("h2");
  c->add_option("--log-format", args->log_format, "text or json")
      ->capture_default_str();
  c->add_option("--threads", args->threads, "Store worker threads")
      ->capture_default_str();
  c->add_option("--shutdown-grace", args->shutdown_grace,
                "Seconds to let calls in flight finish on stop")
      ->capture_default_str();
  c->callback([&ctx, args] { Serve(ctx, *args); });
}

}  // namespace winsnap::tools
