// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl service install|uninstall` (issue 10): registers `snapctl.exe
// serve --run-service` with the Windows service control manager, as
// `containerd --register-service` does. The command line the SCM starts is
// built here, portably, so its quoting is tested on Linux too; the SCM calls
// are in service_command_windows.cc. On Linux the `service` command exists
// only to say, in one line and with exit status 2, that it is Windows-only;
// it is hidden from --help (service_command_posix.cc).
//
// Thread-safety: pure functions; RegisterServiceCommands on the main thread.

#ifndef WINSNAP_TOOLS_SERVICE_COMMAND_H_
#define WINSNAP_TOOLS_SERVICE_COMMAND_H_

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

#include "base/status.h"
#include "tools/cli_context.h"

namespace winsnap::tools {

inline constexpr char kDefaultServiceName[] = "winsnap";
inline constexpr char kServiceDisplayName[] = "winsnap snapshotter";
inline constexpr char kServiceDescription[] =
    "winsnap: containerd proxy snapshotter for Windows layers (snapctl "
    "serve on a named pipe)";

// What `service install` registers.
struct ServiceSpec {
  std::string name = kDefaultServiceName;
  std::string exe;      // absolute path of snapctl.exe
  std::string root;     // absolute data root
  std::string address;  // named pipe, e.g. \\.\pipe\winsnap
  std::string log_level;
  int shutdown_grace = 10;
};

// The service's binary path:
//   "<exe>" serve --run-service --root <root> --address <address>
//     [--log-level <level>] --shutdown-grace <s> --service-name <name>
// with the exe always in double quotes (the SCM's own rule for a path with
// spaces, and what stops C:\Program.exe hijacks) and every argument through
// hcs::EscapeArg (Go's windows.EscapeArg, which CommandLineToArgvW and the
// MSVC runtime invert). InvalidArgument (one line) for an empty or relative exe
// or root, an exe path containing '"', or a bad service name.
StatusOr<std::string> ServiceCommandLine(const ServiceSpec& spec);

// OK for a service name the SCM accepts and we can put in a path: 1..80
// characters, no '/', '\\', '"' or control characters.
Status ValidateServiceName(std::string_view name);

void RegisterServiceCommands(CLI::App& app, CliContext& ctx);

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_SERVICE_COMMAND_H_
