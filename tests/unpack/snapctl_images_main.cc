// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// snapctl-images: the image commands of snapctl (import, images, rmi,
// export) in a binary of their own, used by the CLI test and the import
// benchmark. Same global options as snapctl.

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "base/logging.h"
#include "tools/cli_context.h"
#include "tools/import_commands.h"

int main(int argc, char** argv) {
  winsnap::tools::CliContext ctx;
  if (const char* root = std::getenv("WINSNAP_ROOT"); root && *root)
    ctx.root = root;
  CLI::App app{"snapctl image commands"};
  app.name("snapctl");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--root", ctx.root, "Data root");
  app.add_flag("--json", ctx.json, "Machine-readable JSON output");
  app.add_option("--log-level", ctx.log_level, "Log level");
  app.parse_complete_callback([&ctx] {
    winsnap::Status s = winsnap::base::InitLogging(ctx.log_level);
    if (!s.ok()) {
      std::cerr << "snapctl: " << s.message() << "\n";
      throw CLI::RuntimeError(2);
    }
  });
  winsnap::tools::RegisterImportCommands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
