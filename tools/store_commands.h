// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// snapctl's store maintenance commands: `check` (verifies the metadata
// against itself and the folders) and `backup DEST` (a consistent,
// compacted hot copy of <root>/meta/data.mdb). Both open the store
// read-only, so they work while `snapctl serve` runs. Main thread only.

#ifndef WINSNAP_TOOLS_STORE_COMMANDS_H_
#define WINSNAP_TOOLS_STORE_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "tools/cli_context.h"

namespace winsnap::tools {

void RegisterStoreCommands(CLI::App& app, CliContext& ctx);

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_STORE_COMMANDS_H_
