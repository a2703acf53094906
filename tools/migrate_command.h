// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// snapctl migrate --from-containerd ROOT [--dry-run] [--skip-existing]:
// adopts the snapshot folders of a containerd windows snapshotter root
// (ROOT/metadata.db + ROOT/snapshots/<id>) into the winsnap store in place,
// or with --dry-run only prints the key -> folder map. See docs/migrate.md.
// Main thread only.

#ifndef WINSNAP_TOOLS_MIGRATE_COMMAND_H_
#define WINSNAP_TOOLS_MIGRATE_COMMAND_H_

#include <CLI/CLI.hpp>

#include "tools/cli_context.h"

namespace winsnap::tools {

void RegisterMigrateCommands(CLI::App& app, CliContext& ctx);

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_MIGRATE_COMMAND_H_
