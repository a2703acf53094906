// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// snapctl's snapshot commands (prepare, view, mounts, commit, rm, ls, info,
// path, tree, usage, label, cleanup, gc) on the embedded store.
// Main thread only.

#ifndef WINSNAP_TOOLS_SNAPSHOT_COMMANDS_H_
#define WINSNAP_TOOLS_SNAPSHOT_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "tools/cli_context.h"

namespace winsnap::tools {

void RegisterSnapshotCommands(CLI::App& app, CliContext& ctx);

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_SNAPSHOT_COMMANDS_H_
