// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/migrate_command.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/env.h"
#include "hcs/layer_remove.h"
#include "metadata/bbolt/containerd_migration.h"
#include "metadata/bbolt/containerd_reclaim.h"
#include "metadata/store.h"
#include "tools/output.h"

namespace winsnap::tools {
namespace {

using json = nlohmann::ordered_json;
using bbolt::MigrationEntry;
using bbolt::MigrationPlan;
using bbolt::ReclaimPlan;

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

std::string SizeText(const bbolt::LeftoverFolder& f) {
  return f.size < 0 ? "?" : HumanSize(f.size);
}

json LeftoverJson(const bbolt::LeftoverFolder& f) {
  json j;
  j["name"] = f.name;
  j["folder"] = f.folder;
  j["kind"] = bbolt::LeftoverKindName(f.kind);
  j["size"] = f.size;
  if (!f.size_error.empty()) j["size_error"] = f.size_error;
  j["reclaimable"] = f.skip_reason.empty();
  j["skip_reason"] = f.skip_reason;
  return j;
}

json LeftoversJson(const ReclaimPlan& plan) {
  json list = json::array();
  for (const auto& f : plan.leftovers) list.push_back(LeftoverJson(f));
  return list;
}

// The folders under ROOT/snapshots no record names, with a total line.
std::string LeftoversTable(const ReclaimPlan& plan) {
  std::vector<std::vector<std::string>> rows = {
      {"UNREFERENCED FOLDER", "KIND", "SIZE", "NOTE"}};
  for (const auto& f : plan.leftovers) {
    std::string note = f.skip_reason.empty() ? "" : "SKIP: " + f.skip_reason;
    if (!f.size_error.empty())
      note += (note.empty() ? "" : "; ") + f.size_error;
    rows.push_back(
        {f.folder, bbolt::LeftoverKindName(f.kind), SizeText(f), note});
  }
  return Table(rows) + "total: " + HumanSize(plan.total_size) + " (" +
         std::to_string(plan.total_size) + " bytes) in " +
         std::to_string(plan.leftovers.size()) +
         " unreferenced folder(s); `snapctl reclaim --from-containerd " +
         plan.root + "` deletes them\n";
}

// The migration (metadata/bbolt) adopts records in its own transactions on
// the store itself, so it gets the store, not the snapshotter, which keeps
// its store to itself. The caller opens no snapshotter at the same time
// (LMDB: one environment handle per process).
StatusOr<std::unique_ptr<metadata::Store>> OpenStore(const CliContext& ctx,
                                                     bool read_only) {
  WINSNAP_ASSIGN_OR_RETURN(std::string root, ctx.AbsoluteRoot());
  metadata::StoreOptions o;
  o.read_only = read_only;
  o.create_if_missing = false;
  return metadata::Store::Open(base::JoinPath(root, "meta"), o);
}

void DryRun(const CliContext& ctx, MigrationPlan& plan) {
  // Conflicts with the winsnap store, if there is one; never creates it.
  auto store = OpenStore(ctx, /*read_only=*/true);
  if (store.ok()) {
    Check(bbolt::FindConflicts(plan, **store));
  } else if (store.status().code() != StatusCode::kNotFound) {
    Fail(store.status());
  }
  WarnAboutSource(plan, true);
  ReclaimPlan leftovers = Check(bbolt::PlanContainerdReclaim(plan.root));
  if (ctx.json) {
    json out = PlanJson(plan);
    out["unreferenced"] = LeftoversJson(leftovers);
    out["unreferenced_total"] = leftovers.total_size;
    std::cout << out.dump(4) << "\n";
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
  std::cout << Table(rows) << "\n" << LeftoversTable(leftovers);
}

void Migrate(const CliContext& ctx, const MigrateArgs& args,
             const MigrationPlan& plan) {
  // A held source is refused in one line, before any warning and before
  // the winsnap store is created.
  Check(bbolt::CheckSourceUnlocked(plan));
  WarnAboutSource(plan, false);
  // A read-write open of the snapshotter creates the store if there is
  // none and runs its recovery; it is closed again before the migration
  // opens the store.
  Check(ctx.Open(false).status());
  auto store = Check(OpenStore(ctx, /*read_only=*/false));
  bbolt::MigrationOptions options;
  options.skip_existing = args.skip_existing;
  bbolt::MigrationResult result =
      Check(bbolt::ApplyContainerdMigration(plan, *store, options));
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

struct ReclaimArgs {
  std::string from;
  bool dry_run = false;
};

const char* StateName(bbolt::ReclaimState s) {
  switch (s) {
    case bbolt::ReclaimState::kReclaimed:
      return "reclaimed";
    case bbolt::ReclaimState::kSkipped:
      return "skipped";
    case bbolt::ReclaimState::kFailed:
      return "failed";
  }
  return "unknown";
}

void Reclaim(const CliContext& ctx, const ReclaimArgs& args) {
  if (args.dry_run) {
    ReclaimPlan plan = Check(bbolt::PlanContainerdReclaim(args.from));
    if (ctx.json) {
      json out;
      out["root"] = plan.root;
      out["dry_run"] = true;
      out["locked_by"] = plan.lock_holders;
      out["unreferenced"] = LeftoversJson(plan);
      out["unreferenced_total"] = plan.total_size;
      std::cout << out.dump(4) << "\n";
    } else {
      std::cout << LeftoversTable(plan);
    }
    return;
  }
  bbolt::ReclaimOptions options;
  options.remove.attempts = 5;
  options.remove.initial_backoff = std::chrono::milliseconds(100);
#ifdef _WIN32
  // Plain deletion failed: vmcompute deactivates and destroys the layer.
  options.remove.before_retry = hcs::NewLayerRemoveFallback();
#endif
  bbolt::ReclaimResult result =
      Check(bbolt::ReclaimContainerdLeftovers(args.from, options));
  if (ctx.json) {
    json entries = json::array();
    for (const auto& e : result.entries) {
      json j = LeftoverJson(e.leftover);
      j["result"] = StateName(e.state);
      j["reason"] = e.reason;
      j["bytes_freed"] = e.bytes_freed;
      entries.push_back(std::move(j));
    }
    json out;
    out["root"] = result.plan.root;
    out["dry_run"] = false;
    out["locked_by"] = result.plan.lock_holders;
    out["folders"] = std::move(entries);
    out["bytes_freed"] = result.bytes_freed;
    out["reclaimed"] = result.reclaimed;
    out["skipped"] = result.skipped;
    out["failed"] = result.failed;
    std::cout << out.dump(4) << "\n";
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"FOLDER", "KIND", "RESULT", "FREED", "REASON"}};
    for (const auto& e : result.entries) {
      rows.push_back({e.leftover.folder,
                      bbolt::LeftoverKindName(e.leftover.kind),
                      StateName(e.state), HumanSize(e.bytes_freed), e.reason});
    }
    std::cout << Table(rows) << "total freed: " << HumanSize(result.bytes_freed)
              << " (" << result.bytes_freed << " bytes)\n";
  }
  std::cerr << "snapctl: reclaimed " << result.reclaimed << " folder(s), "
            << result.bytes_freed << " bytes";
  if (result.skipped) std::cerr << "; skipped " << result.skipped;
  if (result.failed) std::cerr << "; could not delete " << result.failed;
  std::cerr << "\n";
  if (!result.complete()) throw CLI::RuntimeError(1);
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

  auto rargs = std::make_shared<ReclaimArgs>();
  CLI::App* r = app.add_subcommand(
      "reclaim",
      "Delete the folders under ROOT/snapshots that no snapshot record of "
      "ROOT/metadata.db\nnames (rm-* leftovers, orphan folders) and report "
      "the bytes freed. rm-* folders go\nwhile containerd runs, the others "
      "only once it is stopped. Never crosses a mount point\nor follows a "
      "link; a folder that cannot be deleted is reported (exit 1).\n"
      "Example: snapctl reclaim --dry-run --from-containerd "
      "'C:\\ProgramData\\containerd\\root\\io.containerd.snapshotter.v1."
      "windows'");
  r->add_option("--from-containerd", rargs->from,
                "containerd snapshotter root holding metadata.db and "
                "snapshots/")
      ->required();
  r->add_flag("--dry-run", rargs->dry_run,
              "Only list the unreferenced folders and their sizes");
  r->callback([&ctx, rargs] { Reclaim(ctx, *rargs); });
}

}  // namespace winsnap::tools
