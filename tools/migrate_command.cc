// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/migrate_command.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metadata/bbolt/containerd_migration.h"
#include "tools/output.h"

namespace winsnap::tools {
namespace {

using json = nlohmann::ordered_json;
using bbolt::MigrationEntry;
using bbolt::MigrationPlan;

struct MigrateArgs {
  std::string from;
  bool dry_run = false;
  bool skip_existing = false;
};

std::string KindOf(const MigrationEntry& e) {
  return std::string(bbolt::SnapshotKindName(e.snapshot.kind));
}

// Warnings about the source go to stderr so stdout stays a clean table or
// JSON document.
void WarnAboutSource(const MigrationPlan& plan, bool dry_run) {
  if (!plan.lock_holders.empty()) {
    std::string pids;
    for (int64_t pid : plan.lock_holders) {
      pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
    }
    std::cerr << "snapctl: warning: " << plan.db_path
              << " is locked by process " << pids
              << " (containerd is running): this is its last committed state"
              << (dry_run ? "; a real migration waits until containerd stops"
                          : "")
              << "\n";
  } else if (!plan.lock_state_known) {
    std::cerr << "snapctl: warning: cannot tell whether containerd still "
                 "uses "
              << plan.db_path << "; stop it before migrating\n";
  }
  size_t missing = 0;
  for (const auto& e : plan.entries) missing += !e.folder_exists;
  if (missing > 0) {
    std::cerr << "snapctl: warning: " << missing
              << " snapshot folder(s) do not exist (marked MISSING; views of "
                 "containerd before 1.7.2 have none)\n";
  }
}

json PlanJson(const MigrationPlan& plan) {
  json snaps = json::array();
  for (const auto& e : plan.entries) {
    const auto& s = e.snapshot;
    json j;
    j["key"] = s.key;
    j["kind"] = KindOf(e);
    j["parent"] = s.parent;
    j["containerd_id"] = s.id;
    j["folder"] = e.folder;
    j["folder_exists"] = e.folder_exists;
    j["conflict"] = e.conflict;
    j["labels"] = s.labels;
    j["created"] = Rfc3339Nano(s.created_ns);
    j["updated"] = Rfc3339Nano(s.updated_ns);
    j["size"] = s.size;
    j["inodes"] = s.inodes;
    snaps.push_back(std::move(j));
  }
  json out;
  out["root"] = plan.root;
  out["metadata_db"] = plan.db_path;
  out["locked_by"] = plan.lock_holders;
  out["snapshots"] = std::move(snaps);
  return out;
}

void DryRun(const CliContext& ctx, MigrationPlan& plan) {
  // Conflicts with the winsnap store, if there is one; never creates it.
  auto sn = ctx.Open(true);
  if (sn.ok()) {
    Check((*sn)->store()->View([&](metadata::ReadTxn& txn) {
      return bbolt::FindConflicts(plan, txn);
    }));
  } else if (sn.status().code() != StatusCode::kNotFound) {
    Fail(sn.status());
  }
  WarnAboutSource(plan, true);
  if (ctx.json) {
    std::cout << PlanJson(plan).dump(4) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"KEY", "KIND", "FOLDER", "NOTE"}};
  for (const auto& e : plan.entries) {
    std::string note = e.folder_exists ? "" : "MISSING";
    if (!e.conflict.empty()) {
      note +=
          (note.empty() ? "" : "; ") + std::string("CONFLICT: ") + e.conflict;
    }
    rows.push_back({e.snapshot.key, KindOf(e), e.folder, note});
  }
  std::cout << Table(rows);
}

void Migrate(const CliContext& ctx, const MigrateArgs& args,
             const MigrationPlan& plan) {
  WarnAboutSource(plan, false);
  auto sn = Check(ctx.Open(false));
  bbolt::MigrationOptions options;
  options.skip_existing = args.skip_existing;
  bbolt::MigrationResult result =
      Check(bbolt::ApplyContainerdMigration(plan, *sn->store(), options));
  std::map<std::string, const MigrationEntry*> by_key;
  for (const auto& e : plan.entries) by_key[e.snapshot.key] = &e;
  if (ctx.json) {
    json adopted = json::array();
    for (const auto& [key, id] : result.adopted) {
      adopted.push_back(
          {{"key", key}, {"id", id}, {"path", by_key.at(key)->folder}});
    }
    json out;
    out["adopted"] = std::move(adopted);
    out["skipped"] = result.skipped;
    std::cout << out.dump(4) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"KEY", "KIND", "ID", "FOLDER"}};
  for (const auto& [key, id] : result.adopted) {
    const MigrationEntry& e = *by_key.at(key);
    rows.push_back({key, KindOf(e), std::to_string(id), e.folder});
  }
  std::cout << Table(rows);
  std::cerr << "snapctl: adopted " << result.adopted.size()
            << " snapshot(s) in place from " << plan.root;
  if (!result.skipped.empty()) {
    std::cerr << "; skipped " << result.skipped.size()
              << " already in the store";
  }
  std::cerr << "\n";
}

}  // namespace

void RegisterMigrateCommands(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<MigrateArgs>();
  CLI::App* c = app.add_subcommand(
      "migrate",
      "Adopt the snapshots of a containerd windows snapshotter root in place "
      "(no copy):\nsame keys, parents, kinds, labels, times and usage; folders "
      "stay in ROOT/snapshots/<id>.\n"
      "Example: snapctl migrate --dry-run --from-containerd "
      "'C:\\ProgramData\\containerd\\root\\io.containerd.snapshotter.v1."
      "windows'");
  c->add_option("--from-containerd", args->from,
                "containerd snapshotter root holding metadata.db and "
                "snapshots/")
      ->required();
  c->add_flag("--dry-run", args->dry_run,
              "Only print the key -> folder map (works while containerd runs)");
  c->add_flag("--skip-existing", args->skip_existing,
              "Adopt the others when some keys or folders are already in the "
              "winsnap store");
  c->callback([&ctx, args] {
    MigrationPlan plan = Check(bbolt::PlanContainerdMigration(args->from));
    if (args->dry_run) {
      DryRun(ctx, plan);
    } else {
      Migrate(ctx, *args, plan);
    }
  });
}

}  // namespace winsnap::tools
