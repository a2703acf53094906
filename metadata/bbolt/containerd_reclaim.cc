// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Implementation of the containerd leftover reclaim.

#include "metadata/bbolt/containerd_reclaim.h"

#include <algorithm>
#include <set>

#include "metadata/bbolt/containerd_store.h"
#include "metadata/bbolt/lock_probe.h"

namespace winsnap::bbolt {
namespace {

// Folder names the records of metadata.db claim: their ids in decimal.
StatusOr<std::set<std::string>> ReferencedNames(const std::string& db_path,
                                                base::Env* env) {
  WINSNAP_ASSIGN_OR_RETURN(std::vector<ContainerdSnapshot> snaps,
                           ReadContainerdSnapshots(db_path, env));
  std::set<std::string> names;
  for (const auto& s : snaps) names.insert(std::to_string(s.id));
  return names;
}

// Why orphan folders must wait, or "" if containerd is stopped.
std::string LockReason(const ReclaimPlan& plan) {
  if (!plan.lock_state_known) {
    return "cannot tell whether containerd holds " + plan.db_path +
           "; stop containerd and retry";
  }
  if (plan.lock_holders.empty()) return "";
  std::string pids;
  for (int64_t pid : plan.lock_holders) {
    pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
  }
  return "containerd is running (process " + pids + " holds " + plan.db_path +
         "): orphan folders are reclaimed only when it is stopped";
}

void ProbeLock(ReclaimPlan& plan) {
  auto holders = FileLockHolders(plan.db_path);
  if (holders.ok()) {
    plan.lock_holders = std::move(holders).value();
    plan.lock_state_known = true;
  } else {
    plan.lock_holders.clear();
    plan.lock_state_known = false;
  }
}

}  // namespace

const char* LeftoverKindName(LeftoverKind kind) {
  return kind == LeftoverKind::kRemoved ? "removed" : "orphan";
}

StatusOr<ReclaimPlan> PlanContainerdReclaim(const std::string& root,
                                            base::Env* env) {
  if (env == nullptr) env = base::Env::Default();
  ReclaimPlan plan;
  plan.root = NormalizeContainerdRoot(root);
  plan.db_path = base::JoinPath(plan.root, "metadata.db");
  plan.snapshots_dir = base::JoinPath(plan.root, "snapshots");
  // The lock is probed before the records are read, so a containerd that
  // starts in between is seen by the next probe at deletion time.
  ProbeLock(plan);
  WINSNAP_ASSIGN_OR_RETURN(std::set<std::string> referenced,
                           ReferencedNames(plan.db_path, env));
  if (!env->Exists(plan.snapshots_dir)) return plan;
  WINSNAP_ASSIGN_OR_RETURN(std::vector<std::string> names,
                           env->ListDir(plan.snapshots_dir));
  std::sort(names.begin(), names.end());
  const std::string lock_reason = LockReason(plan);
  for (const auto& name : names) {
    std::string folder = base::JoinPath(plan.snapshots_dir, name);
    if (!env->IsDirectory(folder)) continue;
    if (referenced.count(name)) {
      plan.referenced++;
      continue;
    }
    LeftoverFolder f;
    f.name = name;
    f.folder = folder;
    f.kind = name.rfind("rm-", 0) == 0 ? LeftoverKind::kRemoved
                                       : LeftoverKind::kOrphan;
    auto du = env->GetDiskUsage(folder);
    if (du.ok()) {
      f.size = du->size;
      plan.total_size += f.size;
    } else {
      f.size = -1;
      f.size_error = du.status().message();
    }
    if (f.kind == LeftoverKind::kOrphan) f.skip_reason = lock_reason;
    plan.leftovers.push_back(std::move(f));
  }
  return plan;
}

StatusOr<ReclaimResult> ReclaimContainerdLeftovers(
    const std::string& root, const ReclaimOptions& options, base::Env* env) {
  if (env == nullptr) env = base::Env::Default();
  ReclaimResult result;
  WINSNAP_ASSIGN_OR_RETURN(result.plan, PlanContainerdReclaim(root, env));
  ReclaimPlan& plan = result.plan;
  result.entries.resize(plan.leftovers.size());
  for (size_t i = 0; i < plan.leftovers.size(); ++i) {
    result.entries[i].leftover = plan.leftovers[i];
  }
  auto run = [&](const std::vector<size_t>& which) {
    std::vector<std::string> paths;
    for (size_t i : which) paths.push_back(plan.leftovers[i].folder);
    base::RobustRemoveReport report =
        base::RobustRemove(env, paths, options.remove);
    for (size_t k = 0; k < which.size(); ++k) {
      ReclaimEntry& e = result.entries[which[k]];
      const base::RemoveOutcome& o = report.entries[k];
      e.bytes_freed = o.bytes_freed;
      if (o.status.ok()) {
        e.state = ReclaimState::kReclaimed;
      } else {
        e.state = ReclaimState::kFailed;
        e.reason = o.status.ToString();
      }
    }
  };
  auto skip = [&](size_t i, std::string reason) {
    result.entries[i].state = ReclaimState::kSkipped;
    result.entries[i].reason = std::move(reason);
  };

  std::vector<size_t> removed, orphans;
  for (size_t i = 0; i < plan.leftovers.size(); ++i) {
    (plan.leftovers[i].kind == LeftoverKind::kRemoved ? removed : orphans)
        .push_back(i);
  }
  run(removed);

  if (!orphans.empty()) {
    // containerd may have started, or committed records, while the rm-*
    // folders were deleted: probe and read again right before.
    ProbeLock(plan);
    std::string lock_reason = LockReason(plan);
    auto referenced = ReferencedNames(plan.db_path, env);
    std::vector<size_t> go;
    for (size_t i : orphans) {
      if (!lock_reason.empty()) {
        skip(i, lock_reason);
      } else if (!referenced.ok()) {
        skip(i, "cannot read " + plan.db_path +
                    " again: " + referenced.status().message());
      } else if (referenced->count(plan.leftovers[i].name)) {
        skip(i, "a snapshot record names it now");
      } else {
        go.push_back(i);
      }
    }
    run(go);
  }
  for (const auto& e : result.entries) {
    result.bytes_freed += e.bytes_freed;
    switch (e.state) {
      case ReclaimState::kReclaimed:
        result.reclaimed++;
        break;
      case ReclaimState::kSkipped:
        result.skipped++;
        break;
      case ReclaimState::kFailed:
        result.failed++;
        break;
    }
  }
  return result;
}

}  // namespace winsnap::bbolt
