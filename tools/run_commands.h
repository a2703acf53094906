// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The embedded run engine's commands (runhcs's set): run, create, start,
// exec, ps, pause, resume, state, kill, delete and containers (list). They
// drive runtime::Runtime over <root>/containers. Main thread only.

#ifndef WINSNAP_TOOLS_RUN_COMMANDS_H_
#define WINSNAP_TOOLS_RUN_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "tools/cli_context.h"

namespace winsnap::tools {

void RegisterRunCommands(CLI::App& app, CliContext& ctx);

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_RUN_COMMANDS_H_
