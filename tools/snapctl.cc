// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// snapctl: winsnap's command line. Embedded by default (opens the store under
// --root directly); `snapctl serve` runs the containerd proxy snapshotter.
// Each command group registers itself; this file only wires globals.

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "base/logging.h"
#include "tools/cli_context.h"
#include "tools/import_commands.h"
#include "tools/migrate_command.h"
#include "tools/run_commands.h"
#include "tools/serve_command.h"
#include "tools/service_command.h"
#include "tools/snapshot_commands.h"
#include "tools/spec_command.h"
#include "tools/store_commands.h"

int main(int argc, char** argv) {
  using winsnap::tools::CliContext;
  CliContext ctx;
  if (const char* root = std::getenv("WINSNAP_ROOT"); root && *root)
    ctx.root = root;

  CLI::App app{
      "snapctl: windows-layer snapshots with containerd semantics, a key -> "
      "folder map you\n"
      "can read while the service runs, image import and an embedded run "
      "engine."};
  app.name("snapctl");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--root", ctx.root,
                 "Data root (default /var/lib/winsnap; env WINSNAP_ROOT)");
  app.add_flag("--json", ctx.json, "Machine-readable JSON output");
  app.add_option("--log-level", ctx.log_level,
                 "trace, debug, info, warn, error or off");
  app.add_option(
      "--mount-type", ctx.mount_type,
      "windows-layer (default, as containerd's windows snapshotter) or overlay "
      "(Linux)");
  app.parse_complete_callback([&ctx] {
    winsnap::Status s = winsnap::base::InitLogging(ctx.log_level);
    if (!s.ok()) {
      std::cerr << "snapctl: " << s.message() << "\n";
      throw CLI::RuntimeError(2);
    }
  });

  winsnap::tools::RegisterSnapshotCommands(app, ctx);
  winsnap::tools::RegisterStoreCommands(app, ctx);
  winsnap::tools::RegisterSpecCommand(app, ctx);
  winsnap::tools::RegisterServeCommands(app, ctx);
  winsnap::tools::RegisterServiceCommands(app, ctx);
  winsnap::tools::RegisterImportCommands(app, ctx);
  winsnap::tools::RegisterMigrateCommands(app, ctx);
  winsnap::tools::RegisterRunCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    std::cerr << "snapctl: " << e.what() << " (see snapctl --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "snapctl: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
