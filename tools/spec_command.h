// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl spec`: writes an OCI config.json with correctly ordered
// windows.layerFolders. Main thread only.

#ifndef WINSNAP_TOOLS_SPEC_COMMAND_H_
#define WINSNAP_TOOLS_SPEC_COMMAND_H_

#include <CLI/CLI.hpp>

#include "tools/cli_context.h"

namespace winsnap::tools {

void RegisterSpecCommand(CLI::App& app, CliContext& ctx);

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_SPEC_COMMAND_H_
