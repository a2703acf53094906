// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl serve`: runs the containerd proxy snapshotter (proxy::Server) on
// a unix socket until SIGTERM or SIGINT, then shuts down gracefully. Settings
// come from, strongest first: command-line flags, the WINSNAP_ROOT
// environment variable (root only), the config file (--config, or
// /etc/winsnap/config.toml if it exists; syntax in snapshotter/proxy/config.h
// and docs/service.md), built-in defaults.
//
// Thread-safety: main thread only; the command blocks until it is told to
// stop.

#ifndef WINSNAP_TOOLS_SERVE_COMMAND_H_
#define WINSNAP_TOOLS_SERVE_COMMAND_H_

#include <CLI/CLI.hpp>

#include "tools/cli_context.h"

namespace winsnap::tools {

inline constexpr char kDefaultServeConfig[] = "/etc/winsnap/config.toml";

void RegisterServeCommands(CLI::App& app, CliContext& ctx);

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_SERVE_COMMAND_H_
