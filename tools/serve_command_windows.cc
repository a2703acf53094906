// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl serve` in the Windows build until its named-pipe transport lands
// (issue 10 replaces this file): the command exists and says so in one line.
// serve_command.cc (gRPC on a unix socket) is Linux-only.

#include "tools/serve_command.h"

namespace winsnap::tools {

void RegisterServeCommands(CLI::App& app, CliContext& /*ctx*/) {
  CLI::App* c = app.add_subcommand(
      "serve", "Run the containerd proxy snapshotter (not in this build yet)");
  c->allow_extras();
  c->callback([] {
    Fail(UnimplementedError("serve on Windows: not in this build yet"));
  });
}

}  // namespace winsnap::tools
