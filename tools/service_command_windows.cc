// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl service install|uninstall` on Windows (issue 10): the service
// control manager side. install: CreateServiceW (own process, auto start,
// LocalSystem) with ServiceCommandLine as the binary path and a
// description; uninstall: stops the service if it runs (waiting for
// SERVICE_STOPPED), then DeleteService.
//
// Thread-safety: main thread only.

#include <windows.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/utf16_windows.h"
#include "snapshotter/proxy/address.h"
#include "tools/service_command.h"

namespace winsnap::tools {
namespace {

struct ScHandleCloser {
  void operator()(SC_HANDLE h) const {
    if (h != nullptr) ::CloseServiceHandle(h);
  }
};
using ScHandle =
    std::unique_ptr<std::remove_pointer_t<SC_HANDLE>, ScHandleCloser>;

struct InstallArgs {
  std::string name = kDefaultServiceName;
  std::string address = proxy::kDefaultPipeAddress;
  int shutdown_grace = 10;
};

Status ScmError(const char* function, DWORD err, const std::string& verb,
                const std::string& name) {
  if (err == ERROR_ACCESS_DENIED) {
    return PermissionDeniedError("service " + verb +
                                 " needs an Administrator prompt");
  }
  if (err == ERROR_SERVICE_EXISTS || err == ERROR_DUPLICATE_SERVICE_NAME) {
    return AlreadyExistsError("service " + name +
                              " is already installed (snapctl service "
                              "uninstall --name " +
                              name + " removes it)");
  }
  if (err == ERROR_SERVICE_DOES_NOT_EXIST) {
    return NotFoundError("service " + name + " is not installed");
  }
  if (err == ERROR_SERVICE_MARKED_FOR_DELETE) {
    return FailedPreconditionError(
        "service " + name +
        " is marked for deletion; close services.msc or wait, then retry");
  }
  return Win32Error(function, err, name);
}

StatusOr<ScHandle> OpenScm(DWORD access, const std::string& verb,
                           const std::string& name) {
  SC_HANDLE scm = ::OpenSCManagerW(nullptr, nullptr, access);
  if (scm == nullptr) {
    return ScmError("OpenSCManagerW", ::GetLastError(), verb, name);
  }
  return ScHandle(scm);
}

StatusOr<std::string> ThisExe() {
  std::vector<wchar_t> buf(MAX_PATH);
  for (;;) {
    DWORD n = ::GetModuleFileNameW(nullptr, buf.data(),
                                   static_cast<DWORD>(buf.size()));
    if (n == 0) return Win32Error("GetModuleFileNameW", ::GetLastError());
    if (n < buf.size()) return base::Narrow(std::wstring(buf.data(), n));
    buf.resize(buf.size() * 2);
  }
}

void Install(CLI::App& app, CliContext& ctx, const InstallArgs& args) {
  ServiceSpec spec;
  spec.name = args.name;
  spec.exe = Check(ThisExe());
  spec.root = Check(ctx.AbsoluteRoot());
  proxy::ServeAddress addr = Check(proxy::ParseServeAddress(args.address));
  if (addr.kind != proxy::ServeAddress::Kind::kPipe) {
    Fail(InvalidArgumentError("--address \"" + args.address +
                              "\": a Windows service listens on a named "
                              "pipe (\\\\.\\pipe\\NAME) only"));
  }
  spec.address = addr.path;
  // Only an explicit --log-level is passed on: a service logs at info
  // otherwise (serve --run-service), not at the console default warn.
  if (app.get_option("--log-level")->count() > 0) {
    spec.log_level = ctx.log_level;
  }
  spec.shutdown_grace = args.shutdown_grace;
  const std::string cmd = Check(ServiceCommandLine(spec));

  ScHandle scm = Check(OpenScm(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE,
                               "install", spec.name));
  const std::wstring wname = base::Widen(spec.name);
  const std::wstring wdisplay = base::Widen(kServiceDisplayName);
  const std::wstring wcmd = base::Widen(cmd);
  ScHandle svc(::CreateServiceW(scm.get(), wname.c_str(), wdisplay.c_str(),
                                SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                                SERVICE_AUTO_START, SERVICE_ERROR_NORMAL,
                                wcmd.c_str(), nullptr, nullptr, nullptr,
                                nullptr /* LocalSystem */, nullptr));
  if (svc == nullptr) {
    Fail(ScmError("CreateServiceW", ::GetLastError(), "install", spec.name));
  }
  std::wstring desc = base::Widen(kServiceDescription);
  SERVICE_DESCRIPTIONW d{desc.data()};
  if (!::ChangeServiceConfig2W(svc.get(), SERVICE_CONFIG_DESCRIPTION, &d)) {
    std::cerr << "snapctl: warning: service description not set (error "
              << ::GetLastError() << ")\n";
  }
  std::cout << "installed service " << spec.name << ": " << cmd << "\n";
}

// Waits until the service reports SERVICE_STOPPED, up to "timeout".
Status WaitStopped(SC_HANDLE svc, const std::string& name,
                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    SERVICE_STATUS s{};
    if (!::QueryServiceStatus(svc, &s)) {
      return Win32Error("QueryServiceStatus", ::GetLastError(), name);
    }
    if (s.dwCurrentState == SERVICE_STOPPED) return Status();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(StatusCode::kDeadlineExceeded,
                    "service " + name + " did not stop within " +
                        std::to_string(timeout.count() / 1000) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void Uninstall(const std::string& name, int timeout_s) {
  Check(ValidateServiceName(name));
  ScHandle scm = Check(OpenScm(SC_MANAGER_CONNECT, "uninstall", name));
  ScHandle svc(::OpenServiceW(scm.get(), base::Widen(name).c_str(),
                              SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
  if (svc == nullptr) {
    Fail(ScmError("OpenServiceW", ::GetLastError(), "uninstall", name));
  }
  SERVICE_STATUS s{};
  if (!::QueryServiceStatus(svc.get(), &s)) {
    Fail(Win32Error("QueryServiceStatus", ::GetLastError(), name));
  }
  if (s.dwCurrentState != SERVICE_STOPPED) {
    if (s.dwCurrentState != SERVICE_STOP_PENDING &&
        !::ControlService(svc.get(), SERVICE_CONTROL_STOP, &s)) {
      DWORD err = ::GetLastError();
      if (err != ERROR_SERVICE_NOT_ACTIVE) {
        Fail(Win32Error("ControlService(STOP)", err, name));
      }
    }
    Check(WaitStopped(svc.get(), name, std::chrono::seconds(timeout_s)));
    std::cout << "stopped service " << name << "\n";
  }
  if (!::DeleteService(svc.get())) {
    Fail(ScmError("DeleteService", ::GetLastError(), "uninstall", name));
  }
  std::cout << "uninstalled service " << name << "\n";
}

}  // namespace

void RegisterServiceCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* c = app.add_subcommand(
      "service", "Install or uninstall snapctl serve as a Windows service");
  c->require_subcommand(1);

  auto in = std::make_shared<InstallArgs>();
  CLI::App* i = c->add_subcommand(
      "install",
      "Register snapctl serve --run-service with the service control "
      "manager (auto start, LocalSystem; logs in <root>\\logs\\serve.log). "
      "Needs an Administrator prompt.\n"
      "Example: snapctl --root C:\\ProgramData\\winsnap service install");
  i->add_option("--name", in->name, "Service name")->capture_default_str();
  i->add_option("--address", in->address, "Named pipe the service serves")
      ->capture_default_str();
  i->add_option("--shutdown-grace", in->shutdown_grace,
                "Seconds in-flight calls get when the service stops")
      ->capture_default_str();
  i->callback([&app, &ctx, in] { Install(app, ctx, *in); });

  auto name = std::make_shared<std::string>(kDefaultServiceName);
  auto timeout = std::make_shared<int>(60);
  CLI::App* u = c->add_subcommand(
      "uninstall",
      "Stop the service if it runs, then remove it. Needs an Administrator "
      "prompt.");
  u->add_option("--name", *name, "Service name")->capture_default_str();
  u->add_option("--stop-timeout", *timeout,
                "Seconds to wait for the service to stop")
      ->capture_default_str();
  u->callback([name, timeout] { Uninstall(*name, *timeout); });
}

}  // namespace winsnap::tools
