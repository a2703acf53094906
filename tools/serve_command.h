// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl serve`: the containerd proxy snapshotter on a unix socket.
// Main thread only (it blocks until SIGTERM/SIGINT).

#ifndef WINSNAP_TOOLS_SERVE_COMMAND_H_
#define WINSNAP_TOOLS_SERVE_COMMAND_H_

#include <CLI/CLI.hpp>

#include <map>
#include <string>

#include "base/status.h"
#include "tools/cli_context.h"

namespace winsnap::tools {

void RegisterServeCommands(CLI::App& app, CliContext& ctx);

// Parses a serve config file: JSON (an object) or TOML key = value lines
// (strings quoted, numbers bare, '#' comments, no tables). Returns key ->
// value as strings. InvalidArgument naming the line for bad syntax or an
// unknown key.
StatusOr<std::map<std::string, std::string>> ParseServeConfig(
    const std::string& text);

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_SERVE_COMMAND_H_
