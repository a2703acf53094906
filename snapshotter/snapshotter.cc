// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Snapshotter implementation. Ordering rules that make kill -9 safe:
//  - creations (Prepare/View/CommitStaged) make the folder inside the write
//    transaction that inserts the record, so a crash leaves either a record
//    with its folder or a folder with no record;
//  - removals delete the record and write a tombstone (id -> key) in one
//    transaction, then rename the folder into trash/;
//  - recovery (read-write Open) runs inside a write transaction, which LMDB
//    serializes with every other writer of every process. It deletes only
//    what this protocol proves is ours: a record-less snapshots/<id> with a
//    tombstone (an interrupted Remove), one whose id equals the stored next
//    id while no folder has a larger id (an interrupted creation: its
//    transaction allocated the id and never committed), and unlocked
//    staging folders. Those go to trash/, which is then emptied; anything
//    else without a record is moved to <root>/orphans/ and logged, never
//    deleted (`snapctl gc --orphans` deletes it on request).
//  - an entry that cannot be moved or deleted (EPERM, EBUSY) is logged and
//    left for the next run; it never makes Open fail.

#include "snapshotter/snapshotter.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/gojson.h"
#include "snapshotter/filters.h"
#include "snapshotter/validate.h"

namespace winsnap::snapshotter {
namespace {

using metadata::ReadTxn;
using metadata::SnapshotRecord;
using metadata::WriteTxn;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// containerd's metadata storage never stores a label with an empty value
// (Create, Commit and Update all drop them); neither do we.
Labels WithoutEmptyValues(Labels labels) {
  std::erase_if(labels, [](const auto& kv) { return kv.second.empty(); });
  return labels;
}

// A new snapshot "key" over "parent": the key is free (AlreadyExists) and
// the parent, if any, exists (NotFound) and is committed (InvalidArgument).
Status CheckNewSnapshot(ReadTxn& txn, std::string_view key,
                        std::string_view parent) {
  WINSNAP_ASSIGN_OR_RETURN(auto existing, txn.GetSnapshot(key));
  if (existing)
    return AlreadyExistsError("snapshot " + Quote(key) + " already exists");
  if (parent.empty()) return OkStatus();
  WINSNAP_ASSIGN_OR_RETURN(auto p, txn.GetSnapshot(parent));
  if (!p) {
    return NotFoundError("parent snapshot " + Quote(parent) +
                         " does not exist");
  }
  if (p->kind != Kind::kCommitted) {
    return InvalidArgumentError("parent " + Quote(parent) +
                                " is not a committed snapshot");
  }
  return OkStatus();
}

Info ToInfo(SnapshotRecord&& r) {
  Info i;
  i.name = std::move(r.key);
  i.parent = std::move(r.parent);
  i.kind = r.kind;
  i.labels = std::move(r.labels);
  i.created_ns = r.created_ns;
  i.updated_ns = r.updated_ns;
  i.id = r.id;
  i.path = std::move(r.path);
  return i;
}

Info ToInfo(const SnapshotRecord& r) { return ToInfo(SnapshotRecord(r)); }

std::string_view KindFilterName(Kind k) {
  switch (k) {
    case Kind::kActive:
      return "active";
    case Kind::kView:
      return "view";
    case Kind::kCommitted:
      return "committed";
    case Kind::kUnknown:
      break;
  }
  return "unknown";
}

bool ParseId(std::string_view name, uint64_t* id) {
  if (name.empty() || name.size() > 19) return false;
  uint64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v == 0 || std::to_string(v) != name) return false;
  *id = v;
  return true;
}

// Parent folders, nearest parent first, base last.
StatusOr<std::vector<std::string>> ParentPaths(ReadTxn& txn,
                                               const SnapshotRecord& r) {
  std::vector<std::string> out;
  std::string parent = r.parent;
  while (!parent.empty()) {
    WINSNAP_ASSIGN_OR_RETURN(auto p, txn.GetSnapshot(parent));
    if (!p)
      return DataLossError("parent " + Quote(parent) +
                           " of a snapshot is missing");
    out.push_back(p->path);
    parent = p->parent;
    if (out.size() > 100000)
      return DataLossError("parent chain loop at " + Quote(parent));
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view suffix,
                 char sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back(sep);
    out += parts[i];
    out += suffix;
  }
  return out;
}

// Go's strconv.ParseUint(v, 10, bits): decimal digits only.
bool ParseUintBits(std::string_view v, int bits, uint64_t* out) {
  if (v.empty()) return false;
  uint64_t max = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (max - d) / 10) return false;
    n = n * 10 + d;
  }
  *out = n;
  return true;
}

}  // namespace

StatusOr<uint64_t> RequestedScratchSize(const Labels& labels) {
  // containerd >= 1.7.2 getRequestedScratchSize: sizebytes wins, size-gb is
  // the deprecated fallback (containerd-facts.md §1).
  auto it = labels.find(std::string(kRootfsSizeBytesLabel));
  if (it != labels.end()) {
    uint64_t n = 0;
    if (!ParseUintBits(it->second, 64, &n)) {
      return InvalidArgumentError(
          "label " + std::string(kRootfsSizeBytesLabel) + "=" +
          Quote(it->second) + " is not a decimal byte count");
    }
    return n;
  }
  it = labels.find(std::string(kRootfsSizeGbLabel));
  if (it != labels.end()) {
    uint64_t gb = 0;
    if (!ParseUintBits(it->second, 32, &gb)) {
      return InvalidArgumentError("label " + std::string(kRootfsSizeGbLabel) +
                                  "=" + Quote(it->second) +
                                  " is not a 32-bit decimal GB count");
    }
    return gb << 30;
  }
  return uint64_t{0};
}

StagingDir& StagingDir::operator=(StagingDir&& o) noexcept {
  if (this != &o) {
    Reset();
    path_ = std::move(o.path_);
    lock_ = std::move(o.lock_);
    env_ = o.env_;
    o.path_.clear();
  }
  return *this;
}

StagingDir::~StagingDir() { Reset(); }

void StagingDir::Release() {
  if (lock_ && env_) env_->RemoveFile(lock_->path()).IgnoreError();
  lock_.reset();  // drops the lock after its file is gone
  path_.clear();
}

void StagingDir::Reset() {
  if (!path_.empty() && env_) {
    Status s = env_->RemoveAll(path_);
    if (!s.ok()) spdlog::warn("removing staging folder: {}", s.ToString());
  }
  Release();
}

struct Snapshotter::Impl {
  Options opts;
  base::Env* env = nullptr;
  std::unique_ptr<metadata::Store> store;
  std::string snapshots_dir, trash_dir, staging_dir, orphans_dir;
  std::atomic<CrashPoint> crash_point{CrashPoint::kNone};

  void MaybeCrash(CrashPoint p) {
    if (crash_point.load() == p) base::CrashProcess();
  }

  // The snapshots matching any of "filters", in key order, read in one
  // transaction; each record is moved into its Info. "interrupt", if set,
  // runs before each record as Walk documents.
  StatusOr<std::vector<Info>> Matching(
      const std::vector<std::string>& filters,
      const std::function<Status()>& interrupt) {
    WINSNAP_ASSIGN_OR_RETURN(Filter filter,
                             Filter::ParseAny(filters, interrupt));
    std::vector<Info> matched;
    WINSNAP_RETURN_IF_ERROR(store->View([&](ReadTxn& txn) -> Status {
      if (filters.empty()) {
        // Every snapshot will be kept: one allocation instead of a vector
        // that doubles (and moves every Info) ~17 times on the way to 100k.
        // The count comes from the file: capped, a damaged one cannot ask
        // for more than a few tens of MB (reserved, not touched).
        constexpr uint64_t kMaxReserve = uint64_t{1} << 18;
        WINSNAP_ASSIGN_OR_RETURN(uint64_t n, txn.SnapshotCount());
        matched.reserve(static_cast<size_t>(std::min(n, kMaxReserve)));
      }
      return txn.ForEachSnapshot([&](SnapshotRecord& r) -> Status {
        if (interrupt) WINSNAP_RETURN_IF_ERROR(interrupt());
        WINSNAP_ASSIGN_OR_RETURN(
            bool match,
            filter.Match(SnapshotFieldLookup(r.key, r.parent,
                                             KindFilterName(r.kind), r.labels),
                         interrupt));
        if (match) matched.push_back(ToInfo(std::move(r)));
        return OkStatus();
      });
    }));
    return matched;
  }

  std::vector<Mount> MountsFor(const SnapshotRecord& r,
                               const std::vector<std::string>& parents) {
    Mount m;
    if (opts.mount_type == MountType::kWindowsLayer) {
      m.type = "windows-layer";
      m.source = r.path;
      m.options.push_back(r.kind == Kind::kView ? "ro" : "rw");
      if (!parents.empty()) {
        m.options.push_back("parentLayerPaths=" +
                            base::GoJsonStringArray(parents));
      }
      return {m};
    }
    // Overlay (Linux): content lives in each folder's Files/.
    std::string files = base::JoinPath(r.path, kFilesDir);
    std::string suffix = "/" + std::string(kFilesDir);
    bool ro = r.kind == Kind::kView;
    if (parents.empty() || (ro && parents.size() == 1)) {
      m.type = "bind";
      m.source = parents.empty() ? files : parents[0] + suffix;
      m.options = {ro ? "ro" : "rw", "rbind"};
      return {m};
    }
    m.type = "overlay";
    m.source = "overlay";
    if (!ro) {
      m.options.push_back("workdir=" + base::JoinPath(r.path, "work"));
      m.options.push_back("upperdir=" + files);
    }
    m.options.push_back("lowerdir=" + Join(parents, suffix, ':'));
    return {m};
  }

  // Moves "path" into trash/ under a fresh name. NotFound is not an error.
  // With "deactivate" and scratch layers set, a PermissionDenied rename is
  // retried once after DeactivateLayer, as containerd's Remove does for a
  // scratch still mounted after a crash (containerd-facts.md §1 Remove).
  Status MoveToTrash(const std::string& path, uint64_t id,
                     bool deactivate = false) {
    std::string base_name = id ? std::to_string(id) : "x";
    std::string dest = base::JoinPath(trash_dir, base_name);
    for (int n = 1; env->Exists(dest); ++n) {
      dest = base::JoinPath(trash_dir, base_name + "-" + std::to_string(n));
    }
    Status s = env->Rename(path, dest);
    if (deactivate && opts.scratch &&
        s.code() == StatusCode::kPermissionDenied) {
      Status d = opts.scratch->DeactivateLayer(path);
      if (!d.ok() && d.code() != StatusCode::kNotFound) {
        spdlog::warn("deactivating {}: {}", path, d.ToString());
      }
      s = env->Rename(path, dest);
    }
    if (s.code() == StatusCode::kNotFound) return OkStatus();
    if (!s.ok()) {
      // A folder adopted from elsewhere may sit on another filesystem; it
      // cannot move into trash/, so delete it where it is.
      spdlog::warn("cannot move {} to trash ({}); deleting in place", path,
                   s.message());
      return env->RemoveAll(path);
    }
    return env->SyncDir(trash_dir);
  }

  // Moves "path" (named "name" in snapshots/) into orphans/ under a fresh
  // name and returns that name. Never deletes anything.
  StatusOr<std::string> MoveToOrphans(const std::string& path,
                                      const std::string& name) {
    WINSNAP_RETURN_IF_ERROR(env->CreateDirs(orphans_dir));
    std::string dest_name = name;
    for (int n = 1; env->Exists(base::JoinPath(orphans_dir, dest_name)); ++n)
      dest_name = name + "-" + std::to_string(n);
    WINSNAP_RETURN_IF_ERROR(
        env->Rename(path, base::JoinPath(orphans_dir, dest_name)));
    WINSNAP_RETURN_IF_ERROR(env->SyncDir(orphans_dir));
    return dest_name;
  }

  // Drops tombstones whose folder has left snapshots/ (the removal
  // finished). Best effort: a failure only leaves them for the next run.
  void PruneTombstones(WriteTxn& txn) {
    std::vector<uint64_t> done;
    Status s = txn.ForEachTombstone([&](uint64_t id, std::string_view) {
      if (!env->Exists(base::JoinPath(snapshots_dir, std::to_string(id))))
        done.push_back(id);
      return OkStatus();
    });
    for (uint64_t id : done) {
      if (s.ok()) s = txn.DeleteTombstone(id);
    }
    if (!s.ok()) spdlog::warn("pruning tombstones: {}", s.ToString());
  }

  Status Recover() {
    int moved = 0;
    Status s = store->Update([&](WriteTxn& txn) -> Status {
      moved = 0;
      WINSNAP_ASSIGN_OR_RETURN(uint64_t next_id, txn.NextId());
      std::map<uint64_t, std::string> tombstones;
      WINSNAP_RETURN_IF_ERROR(
          txn.ForEachTombstone([&](uint64_t id, std::string_view key) {
            tombstones.emplace(id, std::string(key));
            return OkStatus();
          }));
      // A folder that cannot be listed is left for the next open; it never
      // makes this one fail.
      auto listed = env->ListDir(snapshots_dir);
      if (!listed.ok()) {
        spdlog::warn("recovery: cannot list snapshots/: {}",
                     listed.status().ToString());
      }
      std::vector<std::string> names =
          listed.ok() ? std::move(listed).value() : std::vector<std::string>{};
      std::vector<std::pair<std::string, uint64_t>> unrecorded;
      uint64_t max_id = 0;
      for (const auto& name : names) {
        uint64_t id = 0;
        if (ParseId(name, &id)) {
          max_id = std::max(max_id, id);
          WINSNAP_ASSIGN_OR_RETURN(auto key, txn.KeyForId(id));
          if (key) continue;
        }
        unrecorded.emplace_back(name, id);
      }
      // Only one creation can be interrupted at a time (writers are
      // serialized and the next one reuses the id), so a folder above the
      // next id means these folders and this store do not belong together
      // (e.g. a restored backup): then nothing is provably ours.
      bool ids_consistent = max_id <= next_id;
      WINSNAP_ASSIGN_OR_RETURN(bool restored, txn.IsBackupCopy());
      if (restored) {
        // A restored backup's next_id predates the folders: quarantine
        // every unrecorded one (tombstones still prove removals).
        spdlog::warn(
            "recovery: the store was restored from a backup; folders without "
            "a record go to orphans/");
        ids_consistent = false;
        WINSNAP_RETURN_IF_ERROR(txn.ClearBackupMark());
      }
      for (const auto& [name, id] : unrecorded) {
        std::string path = base::JoinPath(snapshots_dir, name);
        std::string why;
        if (id != 0 && tombstones.count(id)) {
          why = "removal of " + Quote(tombstones[id]) + " was interrupted";
        } else if (id != 0 && id == next_id && ids_consistent) {
          why = "its creation was interrupted (id " + std::to_string(id) +
                " was never committed)";
        }
        if (!why.empty()) {
          spdlog::info("recovery: snapshots/{}: {}; moving it to trash", name,
                       why);
          Status ms = MoveToTrash(path, id);
          if (ms.ok()) {
            ++moved;
          } else {
            spdlog::warn("recovery: cannot move snapshots/{} to trash yet: {}",
                         name, ms.ToString());
          }
          continue;
        }
        auto dest = MoveToOrphans(path, name);
        if (dest.ok()) {
          spdlog::warn(
              "recovery: snapshots/{} has no record and is not provably a "
              "leftover of this store; moved it to orphans/{} (inspect it; "
              "`snapctl gc --orphans` deletes it)",
              name, *dest);
        } else {
          spdlog::warn(
              "recovery: snapshots/{} has no record; cannot move it to "
              "orphans/ ({}); leaving it in place",
              name, dest.status().ToString());
        }
      }
      PruneTombstones(txn);
      auto staged_or = env->ListDir(staging_dir);
      if (!staged_or.ok()) {
        spdlog::warn("recovery: cannot list staging/: {}",
                     staged_or.status().ToString());
      }
      std::vector<std::string> staged = staged_or.ok()
                                            ? std::move(staged_or).value()
                                            : std::vector<std::string>{};
      for (const auto& name : staged) {
        if (name.size() > 5 && name.ends_with(".lock")) continue;
        std::string dir = base::JoinPath(staging_dir, name);
        std::string lock = dir + ".lock";
        auto held = env->OpenLockFile(lock, /*create=*/false);
        if (held.ok() && !(*held)->TryLock().ok())
          continue;  // a live import owns it
        spdlog::info("recovery: sweeping unfinished staging/{}", name);
        Status ms = MoveToTrash(dir, 0);
        if (!ms.ok()) {
          spdlog::warn("recovery: cannot move staging/{} to trash yet: {}",
                       name, ms.ToString());
          --moved;
        }
        if (held.ok()) env->RemoveFile(lock).IgnoreError();
        ++moved;
      }
      // Lock files whose folder is gone.
      for (const auto& name : staged) {
        if (!(name.size() > 5 && name.ends_with(".lock"))) continue;
        std::string lock = base::JoinPath(staging_dir, name);
        if (env->Exists(lock.substr(0, lock.size() - 5))) continue;
        auto held = env->OpenLockFile(lock, /*create=*/false);
        if (held.ok() && (*held)->TryLock().ok())
          env->RemoveFile(lock).IgnoreError();
      }
      return OkStatus();
    });
    if (moved) spdlog::info("recovery moved {} folder(s) to trash", moved);
    return s;
  }

  // A folder holding a Windows OS tree (Files\Windows): a Windows base
  // image layer, or a parentless scratch turned into one.
  bool IsWindowsBaseLayer(const std::string& folder) {
    return env->IsDirectory(
        base::JoinPath(base::JoinPath(folder, std::string(kFilesDir)),
                       std::string(kWindowsDir)));
  }

  // containerd >= 1.7.2 createScratchLayer: <base>/blank.vhdx copied to
  // <dir>/sandbox.vhdx (CreateSandboxLayer when the base has no template),
  // then ExpandSandboxSize for a nonzero requested size.
  Status CreateScratch(const std::string& dir,
                       const std::vector<std::string>& parents,
                       const Labels& labels) {
    WINSNAP_ASSIGN_OR_RETURN(uint64_t bytes, RequestedScratchSize(labels));
    std::string tmpl =
        base::JoinPath(parents.back(), std::string(kScratchTemplate));
    if (env->Exists(tmpl)) {
      WINSNAP_RETURN_IF_ERROR(opts.scratch->CopyDiskFile(
          tmpl, base::JoinPath(dir, std::string(kSandboxVhdx))));
    } else if (IsWindowsBaseLayer(parents.back())) {
      WINSNAP_RETURN_IF_ERROR(opts.scratch->CreateSandboxLayer(dir, parents));
    } else {
      // Not over Windows image layers (layers built by hand with
      // prepare/commit): no sandbox now; mounting the scratch creates one
      // if it is ever run (hcsshim ensureScratchVHD).
      return OkStatus();
    }
    if (bytes != 0) {
      WINSNAP_RETURN_IF_ERROR(opts.scratch->ExpandSandboxSize(dir, bytes));
    }
    return OkStatus();
  }

  StatusOr<std::vector<Mount>> Create(Kind kind, std::string_view key,
                                      std::string_view parent,
                                      const Labels& labels) {
    if (key.empty())
      return InvalidArgumentError("snapshot key must not be empty");
    WINSNAP_RETURN_IF_ERROR(ValidateUtf8("snapshot key", key));
    WINSNAP_RETURN_IF_ERROR(ValidateUtf8("parent", parent));
    WINSNAP_RETURN_IF_ERROR(ValidateLabels(labels));
    std::string path;
    std::vector<Mount> mounts;
    Status s = store->Update([&](WriteTxn& txn) -> Status {
      WINSNAP_RETURN_IF_ERROR(CheckNewSnapshot(txn, key, parent));
      WINSNAP_ASSIGN_OR_RETURN(uint64_t id, txn.AllocateId());
      SnapshotRecord r;
      r.id = id;
      r.kind = kind;
      r.key = std::string(key);
      r.parent = std::string(parent);
      r.labels = WithoutEmptyValues(labels);
      r.created_ns = r.updated_ns = env->NowNanos();
      r.path = base::JoinPath(snapshots_dir, std::to_string(id));
      path = r.path;
      // A folder left by a crashed or failed transaction that got the same
      // id: never committed (id == next id), so provably ours.
      if (env->Exists(path)) WINSNAP_RETURN_IF_ERROR(MoveToTrash(path, id));
      WINSNAP_RETURN_IF_ERROR(env->CreateDir(path));
      bool extract = key.find(kUnpackKeyPrefix) != std::string_view::npos;
      bool overlay = opts.mount_type == MountType::kOverlay;
      if (overlay || (!extract && parent.empty())) {
        // The container's root: 0755 like containerd's overlay "fs" folder
        // (its conformance suite checks it), the snapshot folder stays 0700.
        std::string files = base::JoinPath(path, kFilesDir);
        WINSNAP_RETURN_IF_ERROR(env->CreateDir(files));
        WINSNAP_RETURN_IF_ERROR(env->Chmod(files, 0755));
      }
      if (overlay && kind == Kind::kActive) {
        WINSNAP_RETURN_IF_ERROR(env->CreateDir(base::JoinPath(path, "work")));
      }
      if (opts.scratch && !overlay && kind == Kind::kActive && !extract &&
          !parent.empty()) {
        WINSNAP_ASSIGN_OR_RETURN(auto parents, ParentPaths(txn, r));
        Status cs = CreateScratch(path, parents, r.labels);
        if (!cs.ok()) {
          return Status(cs.code(), "scratch for snapshot " + Quote(key) + ": " +
                                       std::string(cs.message()));
        }
      }
      WINSNAP_RETURN_IF_ERROR(env->SyncDir(snapshots_dir));
      MaybeCrash(CrashPoint::kPrepareAfterMkdir);
      WINSNAP_RETURN_IF_ERROR(txn.PutSnapshot(r));
      WINSNAP_ASSIGN_OR_RETURN(auto parents, ParentPaths(txn, r));
      mounts = MountsFor(r, parents);
      return OkStatus();
    });
    if (!s.ok()) {
      if (!path.empty()) env->RemoveAll(path).IgnoreError();
      return s;
    }
    MaybeCrash(CrashPoint::kPrepareAfterCommit);
    return mounts;
  }

  StatusOr<SnapshotRecord> Get(std::string_view key) {
    std::optional<SnapshotRecord> rec;
    WINSNAP_RETURN_IF_ERROR(store->View([&](ReadTxn& txn) -> Status {
      WINSNAP_ASSIGN_OR_RETURN(rec, txn.GetSnapshot(key));
      return OkStatus();
    }));
    if (!rec)
      return NotFoundError("snapshot " + Quote(key) + " does not exist");
    return std::move(*rec);
  }
};

Snapshotter::Snapshotter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Snapshotter::~Snapshotter() = default;

StatusOr<std::unique_ptr<Snapshotter>> Snapshotter::Open(
    const Options& options) {
  WINSNAP_ASSIGN_OR_RETURN(
      std::string root, base::CleanRoot(base::NativePathStyle(), options.root));
  auto impl = std::make_unique<Impl>();
  impl->opts = options;
  impl->crash_point = options.TEST_crash_point;
  impl->env = options.env ? options.env : base::Env::Default();
  impl->opts.root = root;
  impl->snapshots_dir = base::JoinPath(root, "snapshots");
  impl->trash_dir = base::JoinPath(root, "trash");
  impl->staging_dir = base::JoinPath(root, "staging");
  impl->orphans_dir = base::JoinPath(root, "orphans");
  base::Env* env = impl->env;
  // A store is created only over an empty root: if the metadata is gone
  // while folders remain, a fresh store would disown (and recovery once
  // deleted) every layer. A read-only open never creates one, so it lists
  // nothing: snapshots/ holds a folder per snapshot, and in a store of 20k
  // the listing was 12 of the 29 ms `snapctl path` took.
  int64_t held = 0;
  std::string held_what;
  if (!options.read_only) {
    for (const auto& d :
         {impl->snapshots_dir, impl->trash_dir, impl->staging_dir}) {
      auto names = env->ListDir(d);
      if (!names.ok() || names->empty()) continue;
      held += static_cast<int64_t>(names->size());
      if (!held_what.empty()) held_what += ", ";
      held_what += std::to_string(names->size()) + " in " +
                   d.substr(root.size() + (root == "/" ? 0 : 1)) + "/";
    }
    for (const auto& d :
         {root, impl->snapshots_dir, impl->trash_dir, impl->staging_dir}) {
      WINSNAP_RETURN_IF_ERROR(env->CreateDirs(d));
    }
  }
  metadata::StoreOptions so;
  so.read_only = options.read_only;
  so.initial_map_size = options.initial_map_size;
  so.env = env;
  so.create_if_missing = !options.read_only && held == 0;
  auto store = metadata::Store::Open(base::JoinPath(root, "meta"), so);
  if (!store.ok() && !options.read_only && held > 0 &&
      store.status().code() == StatusCode::kFailedPrecondition &&
      store.status().message().starts_with("metadata ")) {
    std::string data_file =
        base::JoinPath(base::JoinPath(root, "meta"), "data.mdb");
    return FailedPreconditionError(
        "metadata " + data_file + " is missing or empty but " + root +
        " still holds folders (" + held_what +
        "): refusing to create a new, empty store over them; restore " +
        base::JoinPath(root, "meta") +
        " from a `snapctl backup` copy, or move snapshots/, trash/ and "
        "staging/ out of " +
        root + " to start afresh");
  }
  WINSNAP_RETURN_IF_ERROR(store.status());
  impl->store = std::move(store).value();
  std::unique_ptr<Snapshotter> sn(new Snapshotter(std::move(impl)));
  if (!options.read_only) {
    WINSNAP_RETURN_IF_ERROR(sn->impl_->Recover());
    if (options.cleanup_on_open) {
      auto report = sn->Cleanup();
      if (!report.ok())
        spdlog::warn("cleanup after recovery: {}", report.status().ToString());
    }
  }
  return sn;
}

StatusOr<std::vector<Mount>> Snapshotter::Prepare(std::string_view key,
                                                  std::string_view parent,
                                                  const Labels& labels) {
  return impl_->Create(Kind::kActive, key, parent, labels);
}

StatusOr<std::vector<Mount>> Snapshotter::View(std::string_view key,
                                               std::string_view parent,
                                               const Labels& labels) {
  return impl_->Create(Kind::kView, key, parent, labels);
}

StatusOr<std::vector<Mount>> Snapshotter::Mounts(std::string_view key) {
  std::vector<Mount> mounts;
  WINSNAP_RETURN_IF_ERROR(impl_->store->View([&](ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto rec, txn.GetSnapshot(key));
    if (!rec)
      return NotFoundError("snapshot " + Quote(key) + " does not exist");
    if (rec->kind == Kind::kCommitted) {
      return FailedPreconditionError(
          "snapshot " + Quote(key) +
          " is committed; only active and view snapshots have mounts");
    }
    WINSNAP_ASSIGN_OR_RETURN(auto parents, ParentPaths(txn, *rec));
    mounts = impl_->MountsFor(*rec, parents);
    return OkStatus();
  }));
  return mounts;
}

Status Snapshotter::Commit(std::string_view name, std::string_view key,
                           const Labels& labels) {
  if (name.empty())
    return InvalidArgumentError("commit name must not be empty");
  WINSNAP_RETURN_IF_ERROR(ValidateUtf8("commit name", name));
  WINSNAP_RETURN_IF_ERROR(ValidateUtf8("snapshot key", key));
  WINSNAP_RETURN_IF_ERROR(ValidateLabels(labels));
  WINSNAP_ASSIGN_OR_RETURN(SnapshotRecord before, impl_->Get(key));
  if (before.kind != Kind::kActive) {
    return FailedPreconditionError(
        "snapshot " + Quote(key) + " is not active (it is " +
        std::string(metadata::KindName(before.kind)) + ")");
  }
  // containerd >= 1.7.2 Commit of a container scratch (not an "extract"
  // key): ConvertToBaseLayer without parents, else export + import over
  // itself (containerd-facts.md §1 Commit). Run outside the write
  // transaction so the writer lock is not held across the conversion.
  if (impl_->opts.scratch &&
      impl_->opts.mount_type == MountType::kWindowsLayer &&
      key.find(kUnpackKeyPrefix) == std::string_view::npos) {
    std::vector<std::string> parents;
    WINSNAP_RETURN_IF_ERROR(impl_->store->View([&](ReadTxn& txn) -> Status {
      WINSNAP_ASSIGN_OR_RETURN(parents, ParentPaths(txn, before));
      return OkStatus();
    }));
    // Only a Windows container layer is converted: a parentless one that
    // holds a Windows tree, or a scratch over image layers that has its
    // sandbox.vhdx. A layer built by hand is committed as it is.
    Status cs;
    if (parents.empty()) {
      if (impl_->IsWindowsBaseLayer(before.path))
        cs = impl_->opts.scratch->ConvertToBaseLayer(before.path);
    } else if (impl_->env->Exists(
                   base::JoinPath(before.path, std::string(kSandboxVhdx)))) {
      cs = impl_->opts.scratch->ConvertScratchToReadOnlyLayer(before.path,
                                                              parents);
    }
    if (!cs.ok()) {
      return Status(cs.code(), "commit of " + Quote(key) + ": " +
                                   std::string(cs.message()));
    }
  }
  // Usage is measured before the transaction so the writer lock is not held
  // across a walk of a large folder.
  WINSNAP_ASSIGN_OR_RETURN(base::DiskUsage du,
                           impl_->env->GetDiskUsage(before.path));
  impl_->MaybeCrash(CrashPoint::kCommitBeforeTxn);
  return impl_->store->Update([&](WriteTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto rec, txn.GetSnapshot(key));
    if (!rec)
      return NotFoundError("snapshot " + Quote(key) + " does not exist");
    if (rec->kind != Kind::kActive) {
      return FailedPreconditionError("snapshot " + Quote(key) +
                                     " is not active");
    }
    WINSNAP_ASSIGN_OR_RETURN(auto existing, txn.GetSnapshot(name));
    if (existing)
      return AlreadyExistsError("snapshot " + Quote(name) + " already exists");
    rec->key = std::string(name);
    rec->kind = Kind::kCommitted;
    rec->labels = WithoutEmptyValues(labels);
    rec->created_ns = rec->updated_ns = impl_->env->NowNanos();
    rec->usage = Usage{du.size, du.inodes};
    return txn.PutSnapshot(*rec);
  });
}

Status Snapshotter::Remove(std::string_view key) {
  SnapshotRecord removed;
  WINSNAP_RETURN_IF_ERROR(impl_->store->Update([&](WriteTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto rec, txn.GetSnapshot(key));
    if (!rec)
      return NotFoundError("snapshot " + Quote(key) + " does not exist");
    WINSNAP_ASSIGN_OR_RETURN(auto children, txn.ChildIds(rec->id));
    if (!children.empty()) {
      return FailedPreconditionError(
          "cannot remove snapshot " + Quote(key) + ": it has " +
          std::to_string(children.size()) + " child snapshot(s)");
    }
    removed = *rec;
    WINSNAP_RETURN_IF_ERROR(txn.DeleteSnapshot(key));
    // Proof for recovery that a record-less snapshots/<id> left by a crash
    // before the rename below is ours to delete.
    return txn.PutTombstone(rec->id, key);
  }));
  impl_->MaybeCrash(CrashPoint::kRemoveAfterTxn);
  // The record is gone; a crash before the rename leaves a tombstoned
  // folder that the next read-write open moves to trash.
  Status s = impl_->MoveToTrash(removed.path, removed.id, /*deactivate=*/true);
  if (!s.ok())
    spdlog::warn("remove {}: folder stays for recovery: {}", key, s.ToString());
  impl_->MaybeCrash(CrashPoint::kRemoveAfterRename);
  return OkStatus();
}

StatusOr<Info> Snapshotter::Stat(std::string_view key) {
  WINSNAP_ASSIGN_OR_RETURN(SnapshotRecord rec, impl_->Get(key));
  return ToInfo(rec);
}

StatusOr<Info> Snapshotter::Update(const Info& info,
                                   const std::vector<std::string>& fieldpaths) {
  for (const auto& p : fieldpaths) {
    if (p != "labels" && !(p.starts_with("labels.") && p.size() > 7)) {
      return InvalidArgumentError("cannot update " + Quote(p) +
                                  " field on snapshot " + Quote(info.name));
    }
  }
  WINSNAP_RETURN_IF_ERROR(ValidateUtf8("snapshot key", info.name));
  WINSNAP_RETURN_IF_ERROR(ValidateLabels(info.labels));
  Info out;
  WINSNAP_RETURN_IF_ERROR(impl_->store->Update([&](WriteTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto rec, txn.GetSnapshot(info.name));
    if (!rec)
      return NotFoundError("snapshot " + Quote(info.name) + " does not exist");
    if (fieldpaths.empty()) {
      rec->labels = info.labels;
    } else {
      for (const auto& p : fieldpaths) {
        if (p == "labels") {
          rec->labels = info.labels;
          continue;
        }
        std::string k = p.substr(7);
        auto it = info.labels.find(k);
        if (it != info.labels.end()) {
          rec->labels[k] = it->second;
        } else {
          rec->labels.erase(k);
        }
      }
    }
    rec->labels = WithoutEmptyValues(rec->labels);
    WINSNAP_RETURN_IF_ERROR(ValidateLabels(rec->labels));
    rec->updated_ns = impl_->env->NowNanos();
    WINSNAP_RETURN_IF_ERROR(txn.PutSnapshot(*rec));
    out = ToInfo(*rec);
    return OkStatus();
  }));
  return out;
}

StatusOr<Usage> Snapshotter::GetUsage(std::string_view key) {
  WINSNAP_ASSIGN_OR_RETURN(SnapshotRecord rec, impl_->Get(key));
  if (rec.kind == Kind::kActive) {
    WINSNAP_ASSIGN_OR_RETURN(base::DiskUsage du,
                             impl_->env->GetDiskUsage(rec.path));
    return Usage{du.size, du.inodes};
  }
  if (rec.kind == Kind::kView) return Usage{};
  return rec.usage;
}

Status Snapshotter::Walk(const std::function<Status(const Info&)>& fn,
                         const std::vector<std::string>& filters) {
  return Walk(fn, filters, nullptr);
}

Status Snapshotter::Walk(const std::function<Status(const Info&)>& fn,
                         const std::vector<std::string>& filters,
                         const std::function<Status()>& interrupt) {
  WINSNAP_ASSIGN_OR_RETURN(std::vector<Info> matched,
                           impl_->Matching(filters, interrupt));
  // fn runs outside the read transaction so it may call back into us.
  for (const auto& info : matched) {
    if (interrupt) WINSNAP_RETURN_IF_ERROR(interrupt());
    WINSNAP_RETURN_IF_ERROR(fn(info));
  }
  return OkStatus();
}

StatusOr<std::vector<Info>> Snapshotter::List(
    const std::vector<std::string>& filters) {
  return impl_->Matching(filters, nullptr);
}

StatusOr<CleanupReport> Snapshotter::Cleanup() {
  if (impl_->opts.read_only)
    return PermissionDeniedError("cleanup needs a writable store");
  base::Env* env = impl_->env;
  CleanupReport report;
  WINSNAP_ASSIGN_OR_RETURN(auto names, env->ListDir(impl_->trash_dir));
  for (const auto& name : names) {
    std::string path = base::JoinPath(impl_->trash_dir, name);
    auto du = env->GetDiskUsage(path);
    // Delete child by child so a crash mid-way leaves a smaller trash entry
    // that the next Cleanup finishes.
    Status s;
    if (env->IsDirectory(path)) {
      auto children = env->ListDir(path);
      if (children.ok()) {
        for (const auto& c : *children) {
          Status cs = env->RemoveAll(base::JoinPath(path, c));
          if (!cs.ok() && s.ok()) s = cs;
          impl_->MaybeCrash(CrashPoint::kCleanupMidDelete);
        }
      }
    }
    if (s.ok()) s = env->RemoveAll(path);
    if (s.ok()) {
      report.removed++;
      if (du.ok()) report.reclaimed_bytes += du->size;
    } else {
      report.remaining++;
      spdlog::warn("cleanup: cannot delete trash/{} yet: {}", name,
                   s.ToString());
    }
  }
  bool any_tombstone = false;
  Status ts = impl_->store->View([&](ReadTxn& txn) {
    return txn.ForEachTombstone([&](uint64_t, std::string_view) {
      any_tombstone = true;
      return OkStatus();
    });
  });
  if (ts.ok() && any_tombstone) {
    ts = impl_->store->Update([&](WriteTxn& txn) {
      impl_->PruneTombstones(txn);
      return OkStatus();
    });
  }
  if (!ts.ok()) spdlog::warn("cleanup: tombstones: {}", ts.ToString());
  return report;
}

StatusOr<StagingDir> Snapshotter::BeginStaging() {
  if (impl_->opts.read_only)
    return PermissionDeniedError("staging needs a writable store");
  base::Env* env = impl_->env;
  StagingDir out;
  // Created inside a write transaction so recovery (also a write
  // transaction) never sees the folder before its lock is held.
  WINSNAP_RETURN_IF_ERROR(impl_->store->Update([&](WriteTxn&) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(std::string tmpl,
                             env->CreateTempDir(impl_->staging_dir, "layer-"));
    std::string lock = tmpl + ".lock";
    auto held = env->OpenLockFile(lock, /*create=*/true);
    Status s = held.ok() ? (*held)->TryLock() : held.status();
    if (!s.ok()) {
      if (held.ok()) env->RemoveFile(lock).IgnoreError();
      env->RemoveAll(tmpl).IgnoreError();
      return s;
    }
    out = StagingDir(tmpl, std::move(*held), env);
    return OkStatus();
  }));
  return out;
}

Status Snapshotter::CommitStaged(StagingDir staging, std::string_view name,
                                 std::string_view parent,
                                 const Labels& labels) {
  if (name.empty())
    return InvalidArgumentError("snapshot name must not be empty");
  WINSNAP_RETURN_IF_ERROR(ValidateUtf8("snapshot name", name));
  WINSNAP_RETURN_IF_ERROR(ValidateUtf8("parent", parent));
  WINSNAP_RETURN_IF_ERROR(ValidateLabels(labels));
  if (staging.path().empty())
    return InvalidArgumentError("staging folder was already used");
  base::Env* env = impl_->env;
  WINSNAP_ASSIGN_OR_RETURN(base::DiskUsage du,
                           env->GetDiskUsage(staging.path()));
  std::string dest;
  Status s = impl_->store->Update([&](WriteTxn& txn) -> Status {
    WINSNAP_RETURN_IF_ERROR(CheckNewSnapshot(txn, name, parent));
    WINSNAP_ASSIGN_OR_RETURN(uint64_t id, txn.AllocateId());
    dest = base::JoinPath(impl_->snapshots_dir, std::to_string(id));
    // Idempotent when LMDB re-runs this after growing the map: the aborted
    // attempt got the same id and may already have moved the folder.
    if (env->Exists(staging.path())) {
      WINSNAP_RETURN_IF_ERROR(env->RemoveAll(dest));
      WINSNAP_RETURN_IF_ERROR(env->Rename(staging.path(), dest));
      WINSNAP_RETURN_IF_ERROR(env->SyncDir(impl_->snapshots_dir));
    }
    SnapshotRecord r;
    r.id = id;
    r.kind = Kind::kCommitted;
    r.key = std::string(name);
    r.parent = std::string(parent);
    r.labels = WithoutEmptyValues(labels);
    r.created_ns = r.updated_ns = env->NowNanos();
    r.usage = Usage{du.size, du.inodes};
    r.path = dest;
    return txn.PutSnapshot(r);
  });
  if (!s.ok()) {
    if (!dest.empty() && !env->Exists(staging.path()))
      env->RemoveAll(dest).IgnoreError();
    return s;  // ~StagingDir deletes what is left of the staging folder
  }
  staging.Release();
  return OkStatus();
}

const std::string& Snapshotter::root() const { return impl_->opts.root; }
MountType Snapshotter::mount_type() const { return impl_->opts.mount_type; }
base::Env* Snapshotter::env() const { return impl_->env; }
metadata::Store* Snapshotter::TEST_store() { return impl_->store.get(); }

Status Snapshotter::PutImages(
    const std::vector<metadata::ImageRecord>& images) {
  return impl_->store->Update([&](WriteTxn& txn) -> Status {
    for (const auto& img : images) WINSNAP_RETURN_IF_ERROR(txn.PutImage(img));
    return OkStatus();
  });
}

StatusOr<std::optional<metadata::ImageRecord>> Snapshotter::GetImage(
    std::string_view name) {
  std::optional<metadata::ImageRecord> rec;
  WINSNAP_RETURN_IF_ERROR(impl_->store->View([&](ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(rec, txn.GetImage(name));
    return OkStatus();
  }));
  return rec;
}

StatusOr<std::vector<metadata::ImageRecord>> Snapshotter::ListImages() {
  std::vector<metadata::ImageRecord> recs;
  WINSNAP_RETURN_IF_ERROR(impl_->store->View([&](ReadTxn& txn) {
    recs.clear();
    return txn.ForEachImage([&](const metadata::ImageRecord& r) {
      recs.push_back(r);
      return OkStatus();
    });
  }));
  return recs;
}

Status Snapshotter::RemoveImage(std::string_view name) {
  return impl_->store->Update([&](WriteTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto img, txn.GetImage(name));
    if (!img)
      return NotFoundError("image \"" + std::string(name) +
                           "\" does not exist");
    return txn.DeleteImage(name);
  });
}

StatusOr<StoreSummary> Snapshotter::Summary() {
  StoreSummary sum;
  WINSNAP_RETURN_IF_ERROR(impl_->store->View([&](ReadTxn& txn) {
    sum = StoreSummary();
    WINSNAP_RETURN_IF_ERROR(txn.ForEachSnapshot([&](const SnapshotRecord& r) {
      ++sum.snapshots[r.kind];
      if (r.kind == Kind::kCommitted) sum.committed_bytes += r.usage.size;
      return OkStatus();
    }));
    return txn.ForEachImage([&](const metadata::ImageRecord&) {
      ++sum.images;
      return OkStatus();
    });
  }));
  return sum;
}

StatusOr<metadata::StoreEntries> Snapshotter::ReadStoreEntries() {
  return metadata::ReadEntries(*impl_->store);
}

Status Snapshotter::BackupStore(const std::string& dir) {
  return impl_->store->Backup(dir);
}

void Snapshotter::TEST_SetCrashPoint(CrashPoint point) {
  impl_->crash_point = point;
}

}  // namespace winsnap::snapshotter
