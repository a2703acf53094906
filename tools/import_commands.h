// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// snapctl image commands: `import FILE|DIR [--name REF] [--platform P]`
// (OCI layouts and docker-save archives into committed layer snapshots, with
// a progress bar per layer on a terminal and JSON events with --json),
// `images`, `rmi NAME` and `export KEY OUT.tar` (a layer folder back to a
// Windows layer tar). Built on unpack::Importer / unpack::Exporter.
//
// Thread-safety: used from the main thread; import progress callbacks arrive
// serialized from worker threads.

#ifndef WINSNAP_TOOLS_IMPORT_COMMANDS_H_
#define WINSNAP_TOOLS_IMPORT_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "tools/cli_context.h"

namespace winsnap::tools {

void RegisterImportCommands(CLI::App& app, CliContext& ctx);

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_IMPORT_COMMANDS_H_
