// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/spec_command.h"

#include <iostream>
#include <memory>
#include <random>

#include "base/env.h"
#include "runtime/spec.h"

namespace winsnap::tools {

void RegisterSpecCommand(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string snapshot, image, output, cwd, user, hostname;
    std::vector<std::string> env, args;
    bool tty = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "spec",
      "Write an OCI config.json whose windows.layerFolders are ordered\n"
      "[nearest parent ... base, scratch]. With --image a new scratch snapshot "
      "is prepared.\n"
      "Example: snapctl prepare my-test sha256:<chainID> && snapctl spec "
      "--snapshot my-test > "
      "config.json");
  auto* snap = c->add_option("--snapshot,-s", a->snapshot,
                             "Active snapshot to use as scratch");
  auto* img = c->add_option("--image,-i", a->image,
                            "Imported image to run (see snapctl images)");
  snap->excludes(img);
  c->add_option("--output,-o", a->output,
                "Write to this file instead of stdout");
  c->add_option("--env,-e", a->env, "Extra environment K=V (repeatable)");
  c->add_option("--cwd", a->cwd,
                "Working directory (default: image's, else C:\\)");
  c->add_option("--user,-u", a->user, "User name");
  c->add_option("--hostname", a->hostname, "Container host name");
  c->add_flag("--tty,-t", a->tty, "Allocate a terminal");
  c->add_option("args", a->args, "Command and arguments (after --)");
  c->callback([&ctx, a] {
    if (a->snapshot.empty() && a->image.empty()) {
      Fail(InvalidArgumentError("give --snapshot KEY or --image REF"));
    }
    auto sn = Check(ctx.Open(!a->image.empty() ? false : true));
    runtime::SpecOptions o;
    o.args = a->args;
    o.env = a->env;
    o.cwd = a->cwd;
    o.user = a->user;
    o.hostname = a->hostname;
    o.terminal = a->tty;
    std::optional<runtime::ImageDefaults> defaults;
    if (!a->image.empty()) {
      std::optional<metadata::ImageRecord> rec = Check(sn->GetImage(a->image));
      if (!rec)
        Fail(NotFoundError("no image \"" + a->image +
                           "\" (see snapctl images)"));
      if (!rec->config_json.empty())
        defaults = Check(runtime::ParseImageConfig(rec->config_json));
      std::random_device rd;
      char suffix[17];
      snprintf(suffix, sizeof suffix, "%08x%08x", rd(), rd());
      o.snapshot_key = "spec-scratch-" + std::string(suffix);
      Check(sn->Prepare(o.snapshot_key, rec->top_chain_id,
                        {{"winsnap.io/scratch-for", a->image}}));
      std::cerr << "snapctl: prepared scratch snapshot " << o.snapshot_key
                << "\n";
    } else {
      o.snapshot_key = a->snapshot;
      defaults = Check(runtime::ImageForSnapshot(*sn, a->snapshot));
    }
    nlohmann::json spec =
        Check(runtime::GenerateSpec(*sn, o, defaults ? &*defaults : nullptr));
    std::string text = spec.dump(2) + "\n";
    if (a->output.empty()) {
      std::cout << text;
    } else {
      Check(base::Env::Default()->WriteFileAtomic(a->output, text));
    }
  });
}

}  // namespace winsnap::tools
