// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Finds and deletes what containerd's windows (and native) snapshotter
// leaks under <root>/snapshots: `rm-<id>` folders its Remove renamed but
// its Cleanup could not delete (files in use, read-only attributes, long
// paths), and folders no snapshot record of <root>/metadata.db names any
// more (orphan numbered folders, `new-*` temporaries of a crashed create).
// A folder some record names is never listed or touched, whatever its name.
//
// rm-* folders are no longer referenced by containerd and may be reclaimed
// while it runs; every other unreferenced folder only while metadata.db is
// unlocked (containerd stopped), because a running containerd may be about
// to commit a record for it. Deletion goes through base::RobustRemove:
// retries with back-off, never through a mount point or a link, a stuck
// folder reported and skipped without blocking the others.
//
// Planning only reads (metadata.db is never locked or written).
// Thread-safety: free functions; plans and results are values.

#ifndef WINSNAP_METADATA_BBOLT_CONTAINERD_RECLAIM_H_
#define WINSNAP_METADATA_BBOLT_CONTAINERD_RECLAIM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/robust_remove.h"
#include "base/status.h"

namespace winsnap::bbolt {

enum class LeftoverKind {
  kRemoved,  // "rm-*": renamed by containerd's Remove, not deleted
  kOrphan,   // any other folder no record names (numbered, new-*, ...)
};

// "removed" or "orphan".
const char* LeftoverKindName(LeftoverKind kind);

struct LeftoverFolder {
  std::string name;    // entry name under <root>/snapshots
  std::string folder;  // absolute path
  LeftoverKind kind = LeftoverKind::kOrphan;
  // Allocated bytes (Env::GetDiskUsage, as containerd's fs.DiskUsage
  // counts them: a mount inside is counted, though deletion never crosses
  // it); -1 with size_error set if the folder could not be measured.
  int64_t size = 0;
  std::string size_error;
  // Why reclaim would leave it alone now (containerd holds metadata.db);
  // empty if reclaim would delete it.
  std::string skip_reason;
};

struct ReclaimPlan {
  std::string root;           // absolute, normalized snapshotter root
  std::string db_path;        // <root>/metadata.db
  std::string snapshots_dir;  // <root>/snapshots
  // Folders no record names, sorted by name.
  std::vector<LeftoverFolder> leftovers;
  int64_t total_size = 0;  // sum of the measurable leftovers' sizes
  size_t referenced = 0;   // folders under snapshots/ some record names
  // Processes holding a lock on metadata.db; lock_state_known is false if
  // the OS could not tell (then containerd counts as running).
  std::vector<int64_t> lock_holders;
  bool lock_state_known = true;
};

// Reads <root>/metadata.db and lists every directory under <root>/snapshots
// whose name is not the id of a snapshot record, with its size. Writes
// nothing. NotFound if metadata.db is missing; DataLoss if it is corrupt; an
// absent snapshots/ yields no leftovers.
StatusOr<ReclaimPlan> PlanContainerdReclaim(const std::string& root,
                                            base::Env* env = nullptr);

enum class ReclaimState { kReclaimed, kSkipped, kFailed };

struct ReclaimEntry {
  LeftoverFolder leftover;
  ReclaimState state = ReclaimState::kSkipped;
  // Why it was skipped or failed (empty if reclaimed).
  std::string reason;
  int64_t bytes_freed = 0;  // also what a failed, partial deletion freed
};

struct ReclaimResult {
  ReclaimPlan plan;                   // the plan the deletion followed
  std::vector<ReclaimEntry> entries;  // plan order
  int64_t bytes_freed = 0;
  size_t reclaimed = 0, skipped = 0, failed = 0;
  // True if every leftover was reclaimed.
  bool complete() const { return skipped == 0 && failed == 0; }
};

struct ReclaimOptions {
  // Retries, back-off, cancel. on_entry is called per folder as it is
  // finished (progress output).
  base::RobustRemoveOptions remove;
};

// Plans afresh (PlanContainerdReclaim) and deletes the leftovers: rm-*
// folders first, then, if metadata.db is still unlocked and the records,
// read again, still name none of them, the orphans. Errors of single
// folders are in the result; a non-OK status means metadata.db could not be
// read.
StatusOr<ReclaimResult> ReclaimContainerdLeftovers(
    const std::string& root, const ReclaimOptions& options = {},
    base::Env* env = nullptr);

}  // namespace winsnap::bbolt

#endif  // WINSNAP_METADATA_BBOLT_CONTAINERD_RECLAIM_H_
