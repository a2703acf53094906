// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/snapshot_commands.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "base/env.h"
#include "hcs/layer_remove.h"
#include "snapshotter/gc.h"
#include "tools/output.h"

namespace winsnap::tools {
namespace {

using json = nlohmann::ordered_json;
using snapshotter::Info;
using snapshotter::Snapshotter;

StatusOr<snapshotter::Labels> ParseLabels(const std::vector<std::string>& kvs,
                                          bool allow_empty_value) {
  snapshotter::Labels out;
  for (const auto& kv : kvs) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError("label \"" + kv +
                                  "\" is not of the form key=value");
    }
    std::string v = kv.substr(eq + 1);
    if (v.empty() && !allow_empty_value) {
      return InvalidArgumentError("label \"" + kv + "\" has an empty value");
    }
    out[kv.substr(0, eq)] = v;
  }
  return out;
}

json InfoJson(const Info& i) {
  json j;
  j["Kind"] = std::string(metadata::KindName(i.kind));
  j["Name"] = i.name;
  if (!i.parent.empty()) j["Parent"] = i.parent;
  if (!i.labels.empty()) j["Labels"] = i.labels;
  j["Created"] = Rfc3339Nano(i.created_ns);
  j["Updated"] = Rfc3339Nano(i.updated_ns);
  j["Id"] = i.id;
  j["Path"] = i.path;
  return j;
}

std::vector<Info> WalkAll(Snapshotter& sn,
                          const std::vector<std::string>& filters = {}) {
  return Check(sn.List(filters));
}

// Strips "<ns>/<seq>/" from a containerd backend key if it is in namespace ns.
std::optional<std::string> NameInNamespace(const std::string& key,
                                           const std::string& ns) {
  if (key.compare(0, ns.size() + 1, ns + "/") != 0) return std::nullopt;
  std::string rest = key.substr(ns.size() + 1);
  auto slash = rest.find('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  if (!std::all_of(rest.begin(), rest.begin() + static_cast<long>(slash),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return rest.substr(slash + 1);
}

// Resolves KEY, or with --namespace NS the unique NS/<seq>/KEY.
std::string ResolveKey(Snapshotter& sn, const std::string& key,
                       const std::string& ns) {
  if (ns.empty()) return key;
  std::vector<std::string> hits;
  for (const auto& i : WalkAll(sn)) {
    auto name = NameInNamespace(i.name, ns);
    if (name && *name == key) hits.push_back(i.name);
  }
  if (hits.empty())
    Fail(NotFoundError("no snapshot \"" + key + "\" in namespace " + ns));
  if (hits.size() > 1) {
    std::string all;
    for (const auto& h : hits) all += " " + h;
    Fail(FailedPreconditionError("\"" + key + "\" is ambiguous in namespace " +
                                 ns + ":" + all));
  }
  return hits[0];
}

// `--mounts` and `mounts` print the mounts exactly as ctr does, with or
// without --json (the output is JSON either way).
void PrintMounts(const std::vector<snapshotter::Mount>& mounts) {
  std::cout << GoIndentMounts(mounts) << "\n";
}

struct TrashState {
  std::set<std::string> names;
  int64_t bytes = 0;
};

// What <root>/trash holds; empty if it cannot be read (e.g. no store yet).
TrashState ReadTrash(const std::string& trash) {
  TrashState t;
  base::Env* env = base::Env::Default();
  auto names = env->ListDir(trash);
  if (!names.ok()) return t;
  t.names.insert(names->begin(), names->end());
  auto du = env->GetDiskUsage(trash);
  if (du.ok()) t.bytes = du->size;
  return t;
}

void RegisterPrepareOrView(CLI::App& app, CliContext& ctx, bool view) {
  struct Args {
    std::string key, parent;
    std::vector<std::string> labels;
    bool mounts = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      view ? "view" : "prepare",
      view ? "Create a read-only view snapshot KEY of committed PARENT.\n"
             "Example: snapctl view --mounts my-view sha256:<chainID>"
           : "Create an active (writable) snapshot KEY, optionally over "
             "committed PARENT.\n"
             "Example: snapctl prepare --mounts my-test sha256:<chainID>");
  c->add_flag("--mounts", args->mounts,
              "Print the mounts as JSON, exactly as `ctr snapshots prepare "
              "--mounts` does");
  // One value per --label, so `--label a=b KEY PARENT` leaves KEY and
  // PARENT positional (CLI11 would otherwise let the vector take them).
  c->add_option("--label", args->labels, "Label key=value to set (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("key", args->key, "Snapshot key")->required();
  auto* p = c->add_option("parent", args->parent, "Committed parent snapshot");
  if (view) p->required();
  c->callback([&ctx, args, view] {
    auto labels = Check(ParseLabels(args->labels, false));
    auto sn = Check(ctx.Open(false));
    auto mounts = Check(view ? sn->View(args->key, args->parent, labels)
                             : sn->Prepare(args->key, args->parent, labels));
    if (args->mounts) {
      PrintMounts(mounts);
    } else if (ctx.json) {
      PrintJson(InfoJson(Check(sn->Stat(args->key))));
    }
  });
}

void RegisterMounts(CLI::App& app, CliContext& ctx) {
  auto key = std::make_shared<std::string>();
  CLI::App* c = app.add_subcommand("mounts",
                                   "Print the mounts of an active or view "
                                   "snapshot as JSON (as ctr --mounts).\n"
                                   "Example: snapctl mounts my-test");
  c->add_option("key", *key, "Snapshot key")->required();
  c->callback([&ctx, key] {
    auto sn = Check(ctx.Open(true));
    PrintMounts(Check(sn->Mounts(*key)));
  });
}

void RegisterCommit(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string name, key;
    std::vector<std::string> labels;
  };
  auto args = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "commit",
      "Commit active snapshot KEY as NAME (same folder, now read-only).\n"
      "Example: snapctl commit base base-active");
  c->add_option("--label", args->labels,
                "Label key=value for the committed snapshot (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_option("name", args->name, "Name of the committed snapshot")
      ->required();
  c->add_option("key", args->key, "Active snapshot to commit")->required();
  c->callback([&ctx, args] {
    auto labels = Check(ParseLabels(args->labels, false));
    auto sn = Check(ctx.Open(false));
    Check(sn->Commit(args->name, args->key, labels));
    if (ctx.json) PrintJson(InfoJson(Check(sn->Stat(args->name))));
  });
}

void RegisterRm(CLI::App& app, CliContext& ctx) {
  auto keys = std::make_shared<std::vector<std::string>>();
  CLI::App* c = app.add_subcommand("rm",
                                   "Remove snapshots (children first; a "
                                   "snapshot with children is refused).\n"
                                   "Example: snapctl rm my-test");
  c->alias("remove");
  c->add_option("keys", *keys, "Snapshot keys")->required();
  c->callback([&ctx, keys] {
    auto sn = Check(ctx.Open(false));
    int failed = 0;
    json results = json::array();
    for (const auto& k : *keys) {
      Status s = sn->Remove(k);
      if (!s.ok()) {
        ++failed;
        std::cerr << "snapctl: rm " << k << ": " << s.message() << "\n";
      }
      results.push_back({{"key", k}, {"removed", s.ok()}});
    }
    if (ctx.json) PrintJson(results);
    if (failed) throw CLI::RuntimeError(1);
  });
}

void RegisterLs(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::vector<std::string> filters;
    std::string ns;
  };
  auto args = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "ls",
      "List snapshots with their folders (KEY PARENT KIND PATH).\n"
      "Example: snapctl ls --filter 'kind==committed' --namespace default");
  c->add_option("--filter", args->filters,
                "containerd filter, e.g. 'labels.\"k\"==v,kind==active' "
                "(repeat to OR)");
  c->add_option("--namespace,-n", args->ns,
                "Only keys of this containerd namespace (<ns>/<seq>/<name>), "
                "with a NAME "
                "column");
  c->callback([&ctx, args] {
    auto sn = Check(ctx.Open(true));
    auto infos = WalkAll(*sn, args->filters);
    if (ctx.json) {
      json arr = json::array();
      for (const auto& i : infos) {
        if (!args->ns.empty() && !NameInNamespace(i.name, args->ns)) continue;
        arr.push_back(InfoJson(i));
      }
      PrintJson(arr);
      return;
    }
    std::vector<std::vector<std::string>> rows;
    if (args->ns.empty()) {
      rows.push_back({"KEY", "PARENT", "KIND", "PATH"});
    } else {
      rows.push_back({"NAME", "KEY", "PARENT", "KIND", "PATH"});
    }
    for (const auto& i : infos) {
      std::string kind(metadata::KindName(i.kind));
      // Keys are arbitrary bytes: never send their control characters
      // to the terminal raw.
      std::string key = EscapeForTerminal(i.name);
      std::string parent = EscapeForTerminal(i.parent);
      std::string path = EscapePathForTerminal(i.path);
      if (args->ns.empty()) {
        rows.push_back({key, parent, kind, path});
      } else if (auto name = NameInNamespace(i.name, args->ns)) {
        rows.push_back({EscapeForTerminal(*name), key, parent, kind, path});
      }
    }
    std::cout << Table(rows);
  });
}

void RegisterInfo(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string key, ns;
  };
  auto args = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "info",
      "Show a snapshot as JSON, including its id and folder.\n"
      "Example: snapctl info sha256:<chainID>");
  c->add_option("key", args->key, "Snapshot key")->required();
  c->add_option("--namespace,-n", args->ns,
                "Resolve KEY as a name in this namespace");
  c->callback([&ctx, args] {
    auto sn = Check(ctx.Open(true));
    PrintJson(InfoJson(Check(sn->Stat(ResolveKey(*sn, args->key, args->ns)))));
  });
}

void RegisterPath(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string key, ns;
  };
  auto args = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "path",
      "Print only the folder of a snapshot (which snapshots/<id> holds "
      "KEY).\n"
      "Example: snapctl path --namespace default sha256:<chainID>");
  c->add_option("key", args->key, "Snapshot key")->required();
  c->add_option("--namespace,-n", args->ns,
                "Resolve KEY as a name in this namespace");
  c->callback([&ctx, args] {
    auto sn = Check(ctx.Open(true));
    std::string key = ResolveKey(*sn, args->key, args->ns);
    Info i = Check(sn->Stat(key));
    if (ctx.json) {
      PrintJson(json{{"key", key}, {"path", i.path}, {"id", i.id}});
    } else {
      std::cout << i.path << "\n";
    }
  });
}

void RegisterTree(CLI::App& app, CliContext& ctx) {
  CLI::App* c = app.add_subcommand("tree",
                                   "Show snapshots as a tree of parents and "
                                   "children (as ctr snapshots tree).\n"
                                   "Example: snapctl tree");
  c->callback([&ctx] {
    auto sn = Check(ctx.Open(true));
    auto infos = WalkAll(*sn);
    std::map<std::string, std::vector<std::string>> children;
    std::vector<std::string> roots;
    std::map<std::string, bool> exists;
    for (const auto& i : infos) exists[i.name] = true;
    for (const auto& i : infos) {
      if (i.parent.empty() || !exists.count(i.parent)) {
        roots.push_back(i.name);
      } else {
        children[i.parent].push_back(i.name);
      }
    }
    if (ctx.json) {
      std::function<json(const std::string&)> node = [&](const std::string& n) {
        json j{{"name", n}, {"children", json::array()}};
        for (const auto& c : children[n]) j["children"].push_back(node(c));
        return j;
      };
      json arr = json::array();
      for (const auto& r : roots) arr.push_back(node(r));
      PrintJson(arr);
      return;
    }
    std::function<void(const std::string&, int)> print =
        [&](const std::string& n, int level) {
          std::string prefix;
          for (int l = 0; l < level; ++l) prefix += "  ";
          if (level > 0) prefix += "\\_";
          std::cout << prefix << " " << EscapeForTerminal(n) << "\n";
          for (const auto& c : children[n]) print(c, level + 1);
        };
    for (const auto& r : roots) print(r, 0);
  });
}

void RegisterUsage(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::vector<std::string> keys;
    bool bytes = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* c =
      app.add_subcommand("usage",
                         "Show disk usage: live for active snapshots, "
                         "recorded at commit otherwise.\n"
                         "Example: snapctl usage -b sha256:<chainID>");
  c->add_flag("-b", args->bytes, "Print sizes in bytes");
  c->add_option("keys", args->keys, "Snapshot keys (default: all)");
  c->callback([&ctx, args] {
    auto sn = Check(ctx.Open(true));
    std::vector<std::string> keys = args->keys;
    if (keys.empty()) {
      for (const auto& i : WalkAll(*sn)) keys.push_back(i.name);
    }
    std::vector<std::vector<std::string>> rows{{"KEY", "SIZE", "INODES"}};
    json arr = json::array();
    for (const auto& k : keys) {
      snapshotter::Usage u = Check(sn->GetUsage(k));
      rows.push_back({k,
                      args->bytes ? std::to_string(u.size) : HumanSize(u.size),
                      std::to_string(u.inodes)});
      arr.push_back({{"key", k}, {"size", u.size}, {"inodes", u.inodes}});
    }
    if (ctx.json) {
      PrintJson(arr);
    } else {
      std::cout << Table(rows);
    }
  });
}

void RegisterLabel(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string key;
    std::vector<std::string> labels;
  };
  auto args = std::make_shared<Args>();
  CLI::App* c = app.add_subcommand(
      "label",
      "Set labels on a snapshot; 'key=' deletes a label. Prints the labels.\n"
      "Example: snapctl label my-test team=infra old=");
  c->add_option("key", args->key, "Snapshot key")->required();
  c->add_option("labels", args->labels, "key=value pairs")->required();
  c->callback([&ctx, args] {
    auto labels = Check(ParseLabels(args->labels, true));
    auto sn = Check(ctx.Open(false));
    Info in;
    in.name = args->key;
    std::vector<std::string> paths;
    for (const auto& [k, v] : labels) {
      paths.push_back("labels." + k);
      if (!v.empty()) in.labels[k] = v;
    }
    Info out = Check(sn->Update(in, paths));
    if (ctx.json) {
      PrintJson(json(out.labels));
    } else {
      for (const auto& [k, v] : out.labels) std::cout << k << "=" << v << "\n";
    }
  });
}

void RegisterCleanup(CLI::App& app, CliContext& ctx) {
  CLI::App* c = app.add_subcommand(
      "cleanup",
      "Delete removed snapshots' folders waiting in <root>/trash.\n"
      "Example: snapctl cleanup");
  c->callback([&ctx] {
    // Opening read-write already empties trash/ (recovery), so the
    // library's report alone would say 0 after every `rm`. Report what
    // this command as a whole deleted: the trash before versus after.
    std::string trash = base::JoinPath(Check(ctx.AbsoluteRoot()), "trash");
    TrashState before = ReadTrash(trash);
    auto sn = Check(ctx.Open(false));
    snapshotter::CleanupReport r = Check(sn->Cleanup());
    TrashState after = ReadTrash(trash);
    int64_t gone = 0;
    for (const auto& n : before.names) gone += after.names.count(n) ? 0 : 1;
    r.removed = std::max(r.removed, gone);
    r.reclaimed_bytes = std::max(r.reclaimed_bytes, before.bytes - after.bytes);
    r.remaining = static_cast<int64_t>(after.names.size());
    if (ctx.json) {
      PrintJson({{"removed", r.removed},
                 {"reclaimed_bytes", r.reclaimed_bytes},
                 {"remaining", r.remaining}});
    } else {
      std::cout << "removed " << r.removed << ", reclaimed "
                << HumanSize(r.reclaimed_bytes) << ", remaining " << r.remaining
                << "\n";
    }
  });
}

void RegisterGc(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<snapshotter::GcOptions>();
  CLI::App* c =
      app.add_subcommand("gc",
                         "Collect garbage: delete trash with retries; "
                         "--prune also removes committed\n"
                         "layers no image and no active snapshot uses.\n"
                         "Example: snapctl gc --prune --dry-run");
  c->add_flag("--prune", opts->prune,
              "Also remove unreferenced committed snapshots");
  c->add_flag("--orphans", opts->orphans,
              "Also delete the folders recovery quarantined in "
              "<root>/orphans");
  c->add_flag("--dry-run", opts->dry_run, "Only report what would be done");
  c->callback([&ctx, opts] {
    // Trash is collected by RunGc, not by the open, so it is reported.
    auto sn = Check(ctx.Open(false, /*cleanup=*/false));
#ifdef _WIN32
    // Plain deletion failed: vmcompute deactivates and destroys the layer.
    opts->before_retry = hcs::NewLayerRemoveFallback(sn->env());
#endif
    snapshotter::GcReport r = Check(snapshotter::RunGc(*sn, *opts));
    if (ctx.json) {
      json j = {{"pruned", r.pruned},
                {"trash_removed", r.trash_removed},
                {"reclaimed_bytes", r.reclaimed_bytes},
                {"failed", r.failed},
                {"dry_run", opts->dry_run}};
      if (opts->orphans) j["orphans_removed"] = r.orphans_removed;
      PrintJson(j);
    } else {
      for (const auto& k : r.pruned) {
        std::cout << (opts->dry_run ? "would prune " : "pruned ") << k << "\n";
      }
      for (const auto& o : r.orphans_removed) {
        std::cout << (opts->dry_run ? "would delete orphans/"
                                    : "deleted orphans/")
                  << EscapeForTerminal(o) << "\n";
      }
      std::cout << (opts->dry_run ? "would delete " : "deleted ")
                << r.trash_removed << " trash folder(s), "
                << HumanSize(r.reclaimed_bytes) << "\n";
      for (const auto& f : r.failed)
        std::cerr << "snapctl: gc: not yet deleted: " << f << "\n";
    }
    if (!r.failed.empty()) throw CLI::RuntimeError(1);
  });
}

}  // namespace

void RegisterSnapshotCommands(CLI::App& app, CliContext& ctx) {
  for (bool view : {false, true}) RegisterPrepareOrView(app, ctx, view);
  RegisterMounts(app, ctx);
  RegisterCommit(app, ctx);
  RegisterRm(app, ctx);
  RegisterLs(app, ctx);
  RegisterInfo(app, ctx);
  RegisterPath(app, ctx);
  RegisterTree(app, ctx);
  RegisterUsage(app, ctx);
  RegisterLabel(app, ctx);
  RegisterCleanup(app, ctx);
  RegisterGc(app, ctx);
}

}  // namespace winsnap::tools
