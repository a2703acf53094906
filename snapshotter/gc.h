// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Garbage collection: deletes trash/ entries through base::RobustRemove,
// the deletion path `snapctl reclaim` uses too (retries with back-off, an
// entry that cannot be deleted yet reported and skipped, never blocking the
// others), on request the quarantined orphans/ entries, and, when asked,
// prunes committed snapshots that no image record and no active/view
// snapshot references. This is what containerd's windows snapshotter never
// does for its rm-<id> folders. CheckStore is the read-only verifier behind
// `snapctl check`.
//
// Thread-safety: RunGc may run concurrently with any Snapshotter call; the
// snapshotter's own transactions keep the store consistent.

#ifndef WINSNAP_SNAPSHOTTER_GC_H_
#define WINSNAP_SNAPSHOTTER_GC_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/robust_remove.h"
#include "base/status.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::snapshotter {

struct GcOptions {
  // Also remove committed snapshots that no image and no active/view
  // snapshot references (leaves first).
  bool prune = false;
  // Also delete what recovery quarantined in <root>/orphans/ (folders no
  // record names and that the store could not prove were its own).
  bool orphans = false;
  // Report what would be done without doing it.
  bool dry_run = false;
  // Attempts per trash or orphans entry within one run, with exponential
  // back-off starting at initial_backoff, capped at max_backoff.
  int attempts = 3;
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  // Called after each trash entry is deleted, with its name and size (for
  // progress output). May be empty.
  std::function<void(const std::string& entry, int64_t bytes)> on_removed;
  // Run after a transient deletion failure before the retry; on Windows
  // tools/ installs the layer-API fallback (DeactivateLayer, DestroyLayer).
  // Its errors end up in the entry's line of GcReport::failed. May be empty.
  base::RemoveRetryHook before_retry;
  // Waits between retry rounds; std::this_thread::sleep_for if empty.
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct GcReport {
  std::vector<std::string> pruned;  // snapshot keys removed (or to remove)
  int64_t trash_removed = 0;        // trash entries deleted
  int64_t reclaimed_bytes = 0;
  std::vector<std::string> failed;  // entries left, with reasons
  // orphans/ entries deleted (or, with dry_run, that would be deleted).
  std::vector<std::string> orphans_removed;
};

// One inconsistency found by CheckStore: what is wrong and where.
struct CheckProblem {
  std::string what;  // e.g. "record", "ids index", "folder", "image"
  std::string detail;
};

struct CheckReport {
  int64_t snapshots = 0;  // records read
  int64_t images = 0;
  int64_t folders = 0;  // entries of snapshots/
  std::vector<CheckProblem> problems;
};

// Verifies the store against itself and the folders in one read snapshot:
// every snapshot and image record decodes, the ids and children indexes
// match the records, parents exist and are committed, next_id is above
// every id, image top layers exist, each record's folder exists, and every
// folder of snapshots/ has a record (a removal or creation in flight is not
// a problem). orphans/ entries are reported too. Works on a read-only
// snapshotter. A non-OK status means the store could not be read at all.
StatusOr<CheckReport> CheckStore(Snapshotter& sn);

// Runs one collection over "sn". Errors of individual entries are reported
// in the result, not returned; a non-OK status means the store itself could
// not be read.
StatusOr<GcReport> RunGc(Snapshotter& sn, const GcOptions& options);

// The committed snapshots RunGc(prune) would remove, in removal order
// (children before parents).
StatusOr<std::vector<std::string>> PruneCandidates(Snapshotter& sn);

}  // namespace winsnap::snapshotter

#endif  // WINSNAP_SNAPSHOTTER_GC_H_
