// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Implementation of the containerd -> winsnap in-place migration.

#include "metadata/bbolt/containerd_migration.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "metadata/bbolt/lock_probe.h"

namespace winsnap::bbolt {
namespace {

constexpr size_t kMaxListedConflicts = 20;

// Chain depth of every snapshot (0 for a base). DataLoss for a parent that
// is not in the store or a cycle.
StatusOr<std::unordered_map<std::string, size_t>> Depths(
    const std::string& db_path, const std::vector<ContainerdSnapshot>& snaps) {
  std::unordered_map<std::string, const ContainerdSnapshot*> by_key;
  for (const auto& s : snaps) by_key[s.key] = &s;
  std::unordered_map<std::string, size_t> depth;
  for (const auto& s : snaps) {
    // Walk up until a snapshot of known depth (or a base), then fill in.
    std::vector<const ContainerdSnapshot*> chain;
    const ContainerdSnapshot* cur = &s;
    size_t base = 0;
    while (true) {
      if (auto it = depth.find(cur->key); it != depth.end()) {
        base = it->second + 1;
        break;
      }
      chain.push_back(cur);
      if (chain.size() > snaps.size()) {
        return DataLossError("bbolt file " + db_path + ": snapshot \"" + s.key +
                             "\": its parents form a cycle");
      }
      if (cur->parent.empty()) break;
      auto p = by_key.find(cur->parent);
      if (p == by_key.end()) {
        return DataLossError("bbolt file " + db_path + ": snapshot \"" +
                             cur->key + "\": parent \"" + cur->parent +
                             "\" is not in the store");
      }
      cur = p->second;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      depth[(*it)->key] = base++;
    }
  }
  return depth;
}

metadata::Kind ToKind(SnapshotKind k) {
  return static_cast<metadata::Kind>(static_cast<uint8_t>(k));
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < kMaxListedConflicts; ++i) {
    if (i) out += ", ";
    out += items[i];
  }
  if (items.size() > kMaxListedConflicts) {
    out +=
        " and " + std::to_string(items.size() - kMaxListedConflicts) + " more";
  }
  return out;
}

}  // namespace

StatusOr<MigrationPlan> PlanContainerdMigration(const std::string& root,
                                                base::Env* env) {
  if (env == nullptr) env = base::Env::Default();
  MigrationPlan plan;
  plan.root = NormalizeContainerdRoot(root);
  plan.db_path = base::JoinPath(plan.root, "metadata.db");
  WINSNAP_ASSIGN_OR_RETURN(std::vector<ContainerdSnapshot> snaps,
                           ReadContainerdSnapshots(plan.db_path, env));
  WINSNAP_ASSIGN_OR_RETURN(auto depth, Depths(plan.db_path, snaps));
  // Parents first: by chain depth, then by key for a stable listing.
  std::stable_sort(
      snaps.begin(), snaps.end(),
      [&](const ContainerdSnapshot& a, const ContainerdSnapshot& b) {
        return depth.at(a.key) < depth.at(b.key);
      });
  const std::string snapshots_dir = base::JoinPath(plan.root, "snapshots");
  for (auto& s : snaps) {
    MigrationEntry e;
    e.folder = base::JoinPath(snapshots_dir, std::to_string(s.id));
    e.folder_exists = env->IsDirectory(e.folder);
    e.snapshot = std::move(s);
    plan.entries.push_back(std::move(e));
  }
  auto holders = FileLockHolders(plan.db_path);
  if (holders.ok()) {
    plan.lock_holders = std::move(holders).value();
  } else {
    plan.lock_state_known = false;
  }
  return plan;
}

Status FindConflicts(MigrationPlan& plan, metadata::ReadTxn& txn) {
  std::map<std::string, std::string> key_by_path;
  WINSNAP_RETURN_IF_ERROR(
      txn.ForEachSnapshot([&](const metadata::SnapshotRecord& r) {
        key_by_path.emplace(r.path, r.key);
        return OkStatus();
      }));
  for (auto& e : plan.entries) {
    e.conflict.clear();
    WINSNAP_ASSIGN_OR_RETURN(auto existing, txn.GetSnapshot(e.snapshot.key));
    if (existing) {
      e.conflict = "key exists in the winsnap store (id " +
                   std::to_string(existing->id) + ")";
      continue;
    }
    if (auto it = key_by_path.find(e.folder); it != key_by_path.end()) {
      e.conflict = "folder already adopted as \"" + it->second + "\"";
    }
  }
  return OkStatus();
}

Status FindConflicts(MigrationPlan& plan, metadata::Store& store) {
  return store.View(
      [&](metadata::ReadTxn& txn) { return FindConflicts(plan, txn); });
}

Status CheckSourceUnlocked(const MigrationPlan& plan) {
  if (!plan.lock_holders.empty()) {
    std::string pids;
    for (int64_t pid : plan.lock_holders) {
      pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
    }
    return FailedPreconditionError(
        plan.db_path + " is locked by process " + pids +
        " (containerd still running?); stop containerd before migrating so "
        "it no longer manages the folders");
  }
  return OkStatus();
}

StatusOr<MigrationResult> ApplyContainerdMigration(
    const MigrationPlan& plan, metadata::Store& store,
    const MigrationOptions& options) {
  WINSNAP_RETURN_IF_ERROR(CheckSourceUnlocked(plan));
  MigrationResult result;
  Status s = store.Update([&](metadata::WriteTxn& txn) -> Status {
    // Update may re-run this function (map growth): start from scratch.
    result = MigrationResult();
    MigrationPlan checked = plan;
    WINSNAP_RETURN_IF_ERROR(FindConflicts(checked, txn));
    std::vector<std::string> conflicts;
    for (const auto& e : checked.entries) {
      if (!e.conflict.empty()) {
        conflicts.push_back("\"" + e.snapshot.key + "\" (" + e.conflict + ")");
      }
    }
    if (!conflicts.empty() && !options.skip_existing) {
      return FailedPreconditionError(
          std::to_string(conflicts.size()) +
          " snapshot(s) cannot be adopted: " + QuotedList(conflicts) +
          "; nothing was migrated (rerun with --skip-existing to adopt the "
          "others)");
    }
    for (const auto& e : checked.entries) {
      if (!e.conflict.empty()) {
        result.skipped.push_back(e.snapshot.key);
        continue;
      }
      const ContainerdSnapshot& c = e.snapshot;
      metadata::SnapshotRecord r;
      WINSNAP_ASSIGN_OR_RETURN(r.id, txn.AllocateId());
      r.kind = ToKind(c.kind);
      r.key = c.key;
      r.parent = c.parent;
      r.labels = metadata::Labels(c.labels.begin(), c.labels.end());
      r.created_ns = c.created_ns;
      r.updated_ns = c.updated_ns;
      r.usage.size = c.size;
      r.usage.inodes = c.inodes;
      r.path = e.folder;
      Status put = txn.PutSnapshot(r);
      if (!put.ok()) {
        return put.WithContext("adopting \"" + c.key +
                               "\"; nothing was migrated");
      }
      result.adopted.emplace_back(c.key, r.id);
    }
    return OkStatus();
  });
  WINSNAP_RETURN_IF_ERROR(s);
  return result;
}

}  // namespace winsnap::bbolt
