// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl service` on Linux: hidden from --help (a Linux host runs
// `snapctl serve` under systemd or similar); `snapctl service ...` answers
// in one line that it is Windows-only, with exit status 2, whatever follows
// it.

#include "tools/service_command.h"

namespace winsnap::tools {

void RegisterServiceCommands(CLI::App& app, CliContext& ctx) {
  (void)ctx;
  CLI::App* c = app.add_subcommand("service", "");
  c->group("");  // not listed by --help
  // Runs as soon as `service` is seen, before the words after it are parsed
  // (which would otherwise be "not expected" arguments).
  c->preparse_callback([](size_t) {
    Fail(InvalidArgumentError(
        "snapctl service is Windows-only (it registers snapctl.exe serve "
        "with the service control manager); on Linux run snapctl serve "
        "under your init system"));
  });
}

}  // namespace winsnap::tools
