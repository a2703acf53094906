// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/store_commands.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <system_error>

#include "base/env.h"
#include "snapshotter/gc.h"
#include "tools/output.h"

namespace winsnap::tools {
namespace {

using json = nlohmann::ordered_json;

// DEST made absolute; FailedPrecondition if it exists and is not an empty
// directory.
StatusOr<std::string> BackupDest(const std::string& dest) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(dest, ec);
  if (ec || dest.empty())
    return InvalidArgumentError("backup destination \"" + dest +
                                "\" is not a usable path");
  std::string out = abs.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (std::filesystem::exists(abs, ec)) {
    if (!std::filesystem::is_directory(abs, ec))
      return FailedPreconditionError(out + " exists and is not a directory");
    if (!std::filesystem::is_empty(abs, ec))
      return FailedPreconditionError(
          out + " is not empty; give a new or empty directory");
  }
  return out;
}

}  // namespace

void RegisterStoreCommands(CLI::App& app, CliContext& ctx) {
  {
    CLI::App* c = app.add_subcommand(
        "check",
        "Verify the store: every record decodes, the ids and children "
        "indexes agree,\n"
        "images name existing layers, folders and records match. Lists "
        "problems; exit 1 on any.\n"
        "Example: snapctl check --json");
    c->callback([&ctx] {
      auto sn = Check(ctx.Open(true));
      snapshotter::CheckReport r = Check(snapshotter::CheckStore(*sn));
      if (ctx.json) {
        json problems = json::array();
        for (const auto& p : r.problems)
          problems.push_back({{"what", p.what}, {"detail", p.detail}});
        PrintJson({{"snapshots", r.snapshots},
                   {"images", r.images},
                   {"folders", r.folders},
                   {"problems", problems},
                   {"ok", r.problems.empty()}});
      } else {
        for (const auto& p : r.problems) {
          std::cout << p.what << ": " << EscapeForTerminal(p.detail) << "\n";
        }
        std::cout << (r.problems.empty() ? "ok: " : "problems found: ")
                  << r.snapshots << " snapshot record(s), " << r.images
                  << " image(s), " << r.folders << " folder(s) checked";
        if (!r.problems.empty())
          std::cout << ", " << r.problems.size() << " problem(s)";
        std::cout << "\n";
      }
      if (!r.problems.empty()) throw CLI::RuntimeError(1);
    });
  }

  {
    auto dest = std::make_shared<std::string>();
    CLI::App* c = app.add_subcommand(
        "backup",
        "Write a consistent, compacted copy of the store's metadata to "
        "DEST/data.mdb\n"
        "(safe while serve runs; DEST must be new or empty). Restore by "
        "stopping writers and\n"
        "copying it over <root>/meta/data.mdb.\n"
        "Example: snapctl backup /var/backups/winsnap-meta");
    c->add_option("dest", *dest, "Destination directory")->required();
    c->callback([&ctx, dest] {
      std::string dir = Check(BackupDest(*dest));
      auto sn = Check(ctx.Open(true));
      Check(base::Env::Default()->CreateDirs(dir));
      Check(sn->BackupStore(dir));
      std::string file = base::JoinPath(dir, "data.mdb");
      std::error_code ec;
      auto bytes = std::filesystem::file_size(file, ec);
      if (ctx.json) {
        PrintJson({{"backup", file},
                   {"bytes", ec ? 0 : static_cast<int64_t>(bytes)}});
      } else {
        std::cout << "backed up " << base::JoinPath(sn->root(), "meta")
                  << " to " << file << " (" << HumanSize(ec ? 0 : bytes)
                  << ")\n";
      }
    });
  }
}

}  // namespace winsnap::tools
