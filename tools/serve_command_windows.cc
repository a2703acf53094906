// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl serve` on Windows (issue 10): containerd's proxy snapshotter on a
// named pipe (default \\.\pipe\winsnap), over the nghttp2 transport, the
// only one in the Windows build (no gRPC C++). serve_command.cc (gRPC on a
// unix socket) stays Linux-only.
//
// Two ways to run:
//   in a console: Ctrl+C, Ctrl+Break and console close stop it gracefully;
//   under the service control manager (`serve --run-service`, the command
//     line `snapctl service install` registers): StartServiceCtrlDispatcherW,
//     SERVICE_START_PENDING -> RUNNING -> STOP_PENDING -> STOPPED, and
//     SERVICE_CONTROL_STOP / SHUTDOWN make the same graceful stop; logs go
//     to <root>\logs\serve.log (a service has no console).
//
// Threads: in a console the main thread waits on g_stop_event; console
// controls arrive on a thread the system creates for the handler, which
// sets the event (a second one exits at once). Under the SCM the main
// thread sits in StartServiceCtrlDispatcherW, which calls ServiceMain on a
// thread of its own (that thread serves and waits) and the control handler
// on the main thread. The transport runs its own I/O thread and the store
// work on its pool.

#include <windows.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "base/logging.h"
#include "base/utf16_windows.h"
#include "snapshotter/proxy/address.h"
#include "snapshotter/proxy/core.h"
#include "snapshotter/proxy/h2_server.h"
#include "tools/serve_command.h"
#include "tools/service_command.h"

namespace winsnap::tools {
namespace {

struct ServeArgs {
  std::string address = proxy::kDefaultPipeAddress;
  std::string log_format = "text";
  int threads = 4;
  int shutdown_grace = 10;
  bool run_service = false;
  bool log_level_given = false;  // the global --log-level was on the line
  std::string service_name = kDefaultServiceName;
};

// Set by the console control handler or the service control handler;
// waited on by RunServer. A manual-reset event created before either
// handler is installed.
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

Status CheckArgs(const ServeArgs& args, proxy::ServeAddress* addr) {
  if (args.log_format != "text" && args.log_format != "json") {
    return InvalidArgumentError("--log-format must be text or json, got \"" +
                                args.log_format + "\"");
  }
  if (args.threads < 1 || args.threads > 256) {
    return InvalidArgumentError("--threads must be 1..256");
  }
  if (args.shutdown_grace < 0) {
    return InvalidArgumentError("--shutdown-grace must not be negative");
  }
  WINSNAP_ASSIGN_OR_RETURN(*addr, proxy::ParseServeAddress(args.address));
  if (addr->kind != proxy::ServeAddress::Kind::kPipe) {
    return InvalidArgumentError("address \"" + args.address +
                                "\": on Windows serve listens on a named pipe "
                                "(\\\\.\\pipe\\NAME) only");
  }
  return Status();
}

// Opens the store, serves until g_stop_event is set, stops gracefully.
// on_running runs once the pipe is served, on_stopping when the stop
// begins.
Status RunServer(CliContext& ctx, const ServeArgs& args,
                 const proxy::ServeAddress& addr,
                 const std::function<void()>& on_running,
                 const std::function<void()>& on_stopping) {
  WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<snapshotter::Snapshotter> sn,
                           ctx.Open(false));
  proxy::ServiceCore core(sn.get(), args.threads);
  WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<proxy::H2Server> server,
                           proxy::H2Server::StartPipe(&core, addr.path));
  spdlog::info(
      "serving containerd.services.snapshots.v1 on {} transport=h2 root={} "
      "mount_type={} threads={}{}",
      addr.path, sn->root(), ctx.mount_type, args.threads,
      args.run_service ? " service=" + args.service_name : "");
  on_running();
  ::WaitForSingleObject(g_stop_event, INFINITE);
  on_stopping();
  spdlog::info("stop requested, shutting down (grace {}s)",
               args.shutdown_grace);
  server->Shutdown(std::chrono::seconds(args.shutdown_grace));
  server.reset();
  sn.reset();  // closes the store
  spdlog::info("stopped");
  spdlog::default_logger()->flush();
  return Status();
}

// ---- Under the service control manager ----

struct ServiceState {
  CliContext* ctx = nullptr;
  ServeArgs args;
  proxy::ServeAddress addr;
  SERVICE_STATUS_HANDLE handle = nullptr;
  SERVICE_STATUS status{};
  Status result;
};
ServiceState* g_service = nullptr;

void Report(DWORD state, DWORD wait_hint_ms = 0, DWORD exit_code = NO_ERROR,
            DWORD specific = 0) {
  SERVICE_STATUS& s = g_service->status;
  s.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.dwCurrentState = state;
  s.dwControlsAccepted = state == SERVICE_RUNNING
                             ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN
                             : 0;
  s.dwWin32ExitCode = exit_code;
  s.dwServiceSpecificExitCode = specific;
  s.dwWaitHint = wait_hint_ms;
  s.dwCheckPoint = state == SERVICE_RUNNING || state == SERVICE_STOPPED
                       ? 0
                       : s.dwCheckPoint + 1;
  ::SetServiceStatus(g_service->handle, &s);
}

DWORD WINAPI OnServiceControl(DWORD control, DWORD, void*, void*) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      spdlog::info("service control {}",
                   control == SERVICE_CONTROL_STOP ? "STOP" : "SHUTDOWN");
      ::SetEvent(g_stop_event);
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

// <root>\logs\serve.log as the only log sink (appending).
Status LogToFile(const CliContext& ctx, const ServeArgs& args) {
  WINSNAP_ASSIGN_OR_RETURN(std::string root, ctx.AbsoluteRoot());
  const std::filesystem::path dir =
      std::filesystem::path(base::Widen(root)) / L"logs";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return UnavailableError("cannot create " + base::Narrow(dir.wstring()) +
                            ": " + ec.message());
  }
  WINSNAP_RETURN_IF_ERROR(
      base::InitLogging(args.log_level_given ? ctx.log_level : "info",
                        args.log_format == "json"));
  auto logger = spdlog::default_logger();
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(
        (dir / L"serve.log").string(), /*truncate=*/false);
    logger->sinks().clear();
    logger->sinks().push_back(sink);
  } catch (const spdlog::spdlog_ex& e) {
    return UnavailableError(std::string("log file: ") + e.what());
  }
  logger->flush_on(spdlog::level::info);
  return Status();
}

void WINAPI ServiceMain(DWORD, LPWSTR*) {
  ServiceState& st = *g_service;
  st.handle = ::RegisterServiceCtrlHandlerExW(
      base::Widen(st.args.service_name).c_str(), &OnServiceControl, nullptr);
  if (st.handle == nullptr) {
    st.result = Win32Error("RegisterServiceCtrlHandlerExW", ::GetLastError(),
                           st.args.service_name);
    return;
  }
  Report(SERVICE_START_PENDING, 30000);
  const DWORD stop_hint =
      static_cast<DWORD>(st.args.shutdown_grace) * 1000 + 5000;
  st.result = LogToFile(*st.ctx, st.args);
  if (st.result.ok()) {
    st.result = RunServer(
        *st.ctx, st.args, st.addr, [] { Report(SERVICE_RUNNING); },
        [stop_hint] { Report(SERVICE_STOP_PENDING, stop_hint); });
  }
  if (!st.result.ok()) {
    spdlog::error("serve: {}", st.result.message());
    spdlog::default_logger()->flush();
    Report(SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR,
           static_cast<DWORD>(st.result.code()));
    return;
  }
  Report(SERVICE_STOPPED);
}

void RunAsService(CliContext& ctx, const ServeArgs& args,
                  const proxy::ServeAddress& addr) {
  Check(ValidateServiceName(args.service_name));
  static ServiceState state;
  state.ctx = &ctx;
  state.args = args;
  state.addr = addr;
  g_service = &state;
  std::wstring name = base::Widen(args.service_name);
  SERVICE_TABLE_ENTRYW table[] = {{name.data(), &ServiceMain},
                                  {nullptr, nullptr}};
  if (!::StartServiceCtrlDispatcherW(table)) {
    DWORD err = ::GetLastError();
    if (err == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
      Fail(FailedPreconditionError(
          "serve --run-service is started by the service control manager "
          "(snapctl service install); in a console run snapctl serve"));
    }
    Fail(Win32Error("StartServiceCtrlDispatcherW", err));
  }
  Check(state.result);
}

void Serve(CliContext& ctx, const ServeArgs& args) {
  proxy::ServeAddress addr;
  Check(CheckArgs(args, &addr));
  g_stop_event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (g_stop_event == nullptr) {
    Fail(Win32Error("CreateEventW", ::GetLastError()));
  }
  if (args.run_service) {
    RunAsService(ctx, args, addr);
    return;
  }
  Check(base::InitLogging(ctx.log_level, args.log_format == "json"));
  Check(RunServer(
      ctx, args, addr,
      [] {
        if (!::SetConsoleCtrlHandler(&OnConsoleControl, TRUE)) {
          spdlog::warn(
              "SetConsoleCtrlHandler failed (error {}); stop with "
              "taskkill",
              ::GetLastError());
        }
      },
      [] {}));
}

}  // namespace

void RegisterServeCommands(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* c = app.add_subcommand(
      "serve",
      "Run the containerd proxy snapshotter on a named pipe (Ctrl+C stops; "
      "snapctl service install runs it as a Windows service)");
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
  c->add_flag("--run-service", args->run_service,
              "Run under the service control manager (the command line "
              "snapctl service install registers; logs go to "
              "<root>\\logs\\serve.log)");
  c->add_option("--service-name", args->service_name,
                "With --run-service: the service's name")
      ->capture_default_str();
  c->callback([&app, &ctx, args] {
    args->log_level_given = app.get_option("--log-level")->count() > 0;
    Serve(ctx, *args);
  });
}

}  // namespace winsnap::tools
