// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "snapshotter/gc.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <thread>

#include "base/env.h"

namespace winsnap::snapshotter {

StatusOr<std::vector<std::string>> PruneCandidates(Snapshotter& sn) {
  std::map<std::string, Info> all;
  WINSNAP_RETURN_IF_ERROR(sn.Walk([&](const Info& i) {
    all.emplace(i.name, i);
    return OkStatus();
  }));
  // Roots: image top layers and every active/view snapshot.
  std::vector<std::string> roots;
  WINSNAP_RETURN_IF_ERROR(sn.store()->View([&](metadata::ReadTxn& txn) {
    return txn.ForEachImage([&](const metadata::ImageRecord& img) {
      if (!img.top_chain_id.empty()) roots.push_back(img.top_chain_id);
      return OkStatus();
    });
  }));
  for (const auto& [name, info] : all) {
    if (info.kind != Kind::kCommitted) roots.push_back(name);
  }
  std::set<std::string> live;
  for (std::string k : roots) {
    while (!k.empty() && live.insert(k).second) {
      auto it = all.find(k);
      if (it == all.end()) break;
      k = it->second.parent;
    }
  }
  // Dead committed snapshots, children before parents: repeatedly take the
  // dead ones no remaining snapshot names as parent.
  std::set<std::string> dead;
  for (const auto& [name, info] : all) {
    if (!live.count(name)) dead.insert(name);
  }
  std::vector<std::string> order;
  while (!dead.empty()) {
    std::set<std::string> parents;
    for (const auto& d : dead) parents.insert(all[d].parent);
    std::vector<std::string> leaves;
    for (const auto& d : dead) {
      if (!parents.count(d)) leaves.push_back(d);
    }
    if (leaves.empty()) return InternalError("parent cycle among snapshots");
    for (const auto& l : leaves) {
      order.push_back(l);
      dead.erase(l);
    }
  }
  return order;
}

StatusOr<GcReport> RunGc(Snapshotter& sn, const GcOptions& options) {
  GcReport report;
  if (options.prune) {
    WINSNAP_ASSIGN_OR_RETURN(report.pruned, PruneCandidates(sn));
    if (!options.dry_run) {
      std::vector<std::string> done;
      for (const auto& k : report.pruned) {
        Status s = sn.Remove(k);
        // A snapshot that gained a child or vanished since we looked is not
        // ours to remove any more.
        if (s.ok()) {
          done.push_back(k);
        } else {
          spdlog::info("gc: keeping {}: {}", k, s.message());
        }
      }
      report.pruned = std::move(done);
    }
  }
  base::Env* env = base::Env::Default();
  std::string trash = base::JoinPath(sn.root(), "trash");
  WINSNAP_ASSIGN_OR_RETURN(auto names, env->ListDir(trash));
  if (options.dry_run) {
    for (const auto& n : names) {
      auto du = env->GetDiskUsage(base::JoinPath(trash, n));
      if (du.ok()) report.reclaimed_bytes += du->size;
    }
    report.trash_removed = static_cast<int64_t>(names.size());
    return report;
  }
  // Entries still failing are retried after the others, with growing
  // waits, so one stuck folder costs at most the back-off, never the rest.
  std::map<std::string, Status> pending;
  std::map<std::string, int64_t> sizes;
  for (const auto& n : names) {
    pending.emplace(n, OkStatus());
    auto du = env->GetDiskUsage(base::JoinPath(trash, n));
    sizes[n] = du.ok() ? du->size : 0;
  }
  auto backoff = options.initial_backoff;
  for (int attempt = 0;
       attempt < std::max(1, options.attempts) && !pending.empty(); ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    for (auto it = pending.begin(); it != pending.end();) {
      Status s = env->RemoveAll(base::JoinPath(trash, it->first));
      if (s.ok()) {
        report.trash_removed++;
        report.reclaimed_bytes += sizes[it->first];
        if (options.on_removed) options.on_removed(it->first, sizes[it->first]);
        it = pending.erase(it);
      } else {
        it->second = s;
        ++it;
      }
    }
  }
  for (const auto& [name, s] : pending) {
    report.failed.push_back("trash/" + name + ": " + s.message());
  }
  return report;
}

}  // namespace winsnap::snapshotter
