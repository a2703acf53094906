// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "snapshotter/gc.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

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
  // Images are read after the snapshots: an image written in between can
  // only add roots, never leave a layer it names among the candidates.
  WINSNAP_ASSIGN_OR_RETURN(std::vector<metadata::ImageRecord> images,
                           sn.ListImages());
  for (const auto& img : images) {
    if (!img.top_chain_id.empty()) roots.push_back(img.top_chain_id);
  }
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
  base::Env* env = sn.env();
  base::RobustRemoveOptions ro;
  ro.attempts = options.attempts;
  ro.initial_backoff = options.initial_backoff;
  ro.max_backoff = options.max_backoff;
  ro.before_retry = options.before_retry;
  ro.sleep = options.sleep;
  if (options.orphans) {
    std::string dir = base::JoinPath(sn.root(), "orphans");
    auto names = env->ListDir(dir);
    if (names.ok()) {
      std::sort(names->begin(), names->end());
      if (options.dry_run) {
        report.orphans_removed = *names;
      } else {
        std::vector<std::string> paths;
        for (const auto& n : *names) paths.push_back(base::JoinPath(dir, n));
        base::RobustRemoveReport r = base::RobustRemove(env, paths, ro);
        for (size_t i = 0; i < names->size(); ++i) {
          const base::RemoveOutcome& e = r.entries[i];
          if (e.status.ok()) {
            spdlog::info("gc: deleted orphans/{}", (*names)[i]);
            report.orphans_removed.push_back((*names)[i]);
          } else {
            report.failed.push_back("orphans/" + (*names)[i] + ": " +
                                    e.status.message());
          }
        }
      }
    } else if (names.status().code() != StatusCode::kNotFound) {
      report.failed.push_back("orphans/: " + names.status().message());
    }
  }
  std::string trash = base::JoinPath(sn.root(), "trash");
  WINSNAP_ASSIGN_OR_RETURN(auto names, env->ListDir(trash));
  std::sort(names.begin(), names.end());
  if (options.dry_run) {
    for (const auto& n : names) {
      auto du = env->GetDiskUsage(base::JoinPath(trash, n));
      if (du.ok()) report.reclaimed_bytes += du->size;
    }
    report.trash_removed = static_cast<int64_t>(names.size());
    return report;
  }
  // RobustRemove retries the entries still failing after the others, with
  // growing waits, so one stuck folder costs at most the back-off, never
  // the rest.
  std::vector<std::string> paths;
  for (const auto& n : names) paths.push_back(base::JoinPath(trash, n));
  if (options.on_removed) {
    ro.on_entry = [&](const base::RemoveOutcome& e) {
      if (!e.status.ok()) return;
      // Entry name: the path's last component (JoinPath's separator).
      std::string name = e.path;
      size_t cut = name.find_last_of("/\\");
      if (cut != std::string::npos) name = name.substr(cut + 1);
      options.on_removed(name, e.bytes_freed);
    };
  }
  base::RobustRemoveReport r = base::RobustRemove(env, paths, ro);
  for (size_t i = 0; i < names.size(); ++i) {
    const base::RemoveOutcome& e = r.entries[i];
    if (e.status.ok()) {
      report.trash_removed++;
      report.reclaimed_bytes += e.bytes_freed;
    } else {
      // What a partial deletion freed is freed too.
      report.reclaimed_bytes += e.bytes_freed;
      report.failed.push_back("trash/" + names[i] + ": " + e.status.message());
      // Info, not warn: the caller reports report.failed (snapctl gc prints
      // one line per entry); a warning here printed each entry twice.
      spdlog::info("gc: not yet deleted trash/{}: {}", names[i],
                   e.status.message());
    }
  }
  return report;
}

namespace {

bool ParseFolderId(std::string_view name, uint64_t* id) {
  if (name.empty() || name.size() > 19 || name[0] == '0') return false;
  uint64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *id = v;
  return true;
}

}  // namespace

StatusOr<CheckReport> CheckStore(Snapshotter& sn) {
  CheckReport rep;
  base::Env* env = sn.env();
  auto add = [&](std::string what, std::string detail) {
    rep.problems.push_back({std::move(what), std::move(detail)});
  };
  std::string snapshots_dir = base::JoinPath(sn.root(), "snapshots");
  // Every entry from one read snapshot, so the cross-checks below compare
  // one state; the folders are listed after it, as before.
  WINSNAP_ASSIGN_OR_RETURN(metadata::StoreEntries entries,
                           sn.ReadStoreEntries());
  {
    std::map<std::string, metadata::SnapshotRecord> recs;  // by key
    std::map<uint64_t, std::string> by_id;                 // from records
    for (const auto& [key, r] : entries.snapshots) {
      ++rep.snapshots;
      if (!r.ok()) {
        add("record", r.status().message());
        continue;
      }
      if (by_id.count(r->id)) {
        add("record", "snapshots \"" + by_id[r->id] + "\" and \"" + key +
                          "\" share id " + std::to_string(r->id));
      }
      by_id[r->id] = key;
      recs.emplace(key, *r);
    }
    const uint64_t next_id = entries.next_id;
    std::map<uint64_t, std::string> ids;
    for (const auto& [id, key] : entries.ids) {
      if (!id.ok()) {
        add("ids index", id.status().message());
        continue;
      }
      ids[*id] = key;
      auto it = recs.find(key);
      if (it == recs.end()) {
        add("ids index", "id " + std::to_string(*id) + " names \"" + key +
                             "\", which has no record");
      } else if (it->second.id != *id) {
        add("ids index", "id " + std::to_string(*id) + " names \"" + key +
                             "\", whose record has id " +
                             std::to_string(it->second.id));
      }
    }
    std::set<std::pair<uint64_t, uint64_t>> edges;
    for (const auto& [p, c] : entries.children) {
      if (!p.ok() || !c.ok()) {
        add("children index", (!p.ok() ? p.status() : c.status()).message());
        continue;
      }
      edges.emplace(*p, *c);
    }
    for (const auto& [key, r] : recs) {
      std::string q = "\"" + key + "\"";
      auto idit = ids.find(r.id);
      if (idit == ids.end() || idit->second != key) {
        add("ids index", "snapshot " + q + " (id " + std::to_string(r.id) +
                             ") is missing from the ids index");
      }
      if (r.id >= next_id) {
        add("record", "snapshot " + q + " has id " + std::to_string(r.id) +
                          " but next_id is " + std::to_string(next_id));
      }
      if (!r.parent.empty()) {
        auto pit = recs.find(r.parent);
        if (pit == recs.end()) {
          add("record",
              "parent \"" + r.parent + "\" of " + q + " does not exist");
        } else {
          if (pit->second.kind != metadata::Kind::kCommitted) {
            add("record",
                "parent \"" + r.parent + "\" of " + q + " is not committed");
          }
          if (!edges.count({pit->second.id, r.id})) {
            add("children index", "snapshot " + q +
                                      " is missing under its parent \"" +
                                      r.parent + "\"");
          }
        }
      }
      std::string want = base::JoinPath(snapshots_dir, std::to_string(r.id));
      if (r.path != want) {
        add("record",
            "snapshot " + q + " has folder " + r.path + ", expected " + want);
      }
      if (!env->IsDirectory(r.path)) {
        add("folder",
            "folder " + r.path + " of snapshot " + q + " does not exist");
      }
    }
    for (const auto& [p, c] : edges) {
      auto cit = by_id.find(c);
      auto pit = by_id.find(p);
      if (cit == by_id.end() || pit == by_id.end() ||
          recs[cit->second].parent != pit->second) {
        add("children index", "entry " + std::to_string(p) + " => " +
                                  std::to_string(c) +
                                  " matches no parent/child records");
      }
    }
    std::set<uint64_t> tombstones;
    for (const auto& t : entries.tombstones) tombstones.insert(t.first);
    for (const auto& [name, r] : entries.images) {
      ++rep.images;
      if (!r.ok()) {
        add("image", r.status().message());
        continue;
      }
      if (r->top_chain_id.empty()) continue;
      auto it = recs.find(r->top_chain_id);
      if (it == recs.end()) {
        add("image", "image \"" + name + "\" names layer \"" + r->top_chain_id +
                         "\", which does not exist");
      } else if (it->second.kind != metadata::Kind::kCommitted) {
        add("image", "image \"" + name + "\" names layer \"" + r->top_chain_id +
                         "\", which is not committed");
      }
    }
    auto names = env->ListDir(snapshots_dir);
    if (!names.ok()) add("folder", names.status().message());
    std::vector<std::string> folders =
        names.ok() ? *names : std::vector<std::string>();
    std::sort(folders.begin(), folders.end());
    for (const auto& n : folders) {
      ++rep.folders;
      uint64_t id = 0;
      if (!ParseFolderId(n, &id)) {
        add("folder", "snapshots/" + n + " is not a snapshot id folder");
        continue;
      }
      if (by_id.count(id) || tombstones.count(id)) continue;
      if (id == next_id) continue;  // a creation in flight
      add("folder", "snapshots/" + n + " has no record");
    }
  }
  auto orphans = env->ListDir(base::JoinPath(sn.root(), "orphans"));
  if (orphans.ok()) {
    std::sort(orphans->begin(), orphans->end());
    for (const auto& n : *orphans) {
      add("orphan", "orphans/" + n +
                        " was quarantined by recovery; inspect it, then "
                        "`snapctl gc --orphans` deletes it");
    }
  }
  return rep;
}

}  // namespace winsnap::snapshotter
