// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// In-place migration of a containerd windows snapshotter root into a winsnap
// metadata store. containerd keeps <root>/metadata.db (bbolt) and one folder
// per snapshot, <root>/snapshots/<id> (reference/containerd-facts.md §1);
// migration copies no data: each containerd snapshot becomes a winsnap
// record with the same key, parent, kind, labels, timestamps and usage whose
// path is the existing folder. Records get fresh winsnap ids; the folders
// keep their names.
//
// Planning only reads (the bbolt file is never locked or written), so it is
// safe while containerd runs and is what `snapctl migrate --dry-run` prints.
// Applying is one write transaction of the store: it adopts every snapshot
// or none.
//
// Thread-safety: free functions; a MigrationPlan is a value.

#ifndef WINSNAP_METADATA_BBOLT_CONTAINERD_MIGRATION_H_
#define WINSNAP_METADATA_BBOLT_CONTAINERD_MIGRATION_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "metadata/bbolt/containerd_store.h"
#include "metadata/store.h"

namespace winsnap::bbolt {

struct MigrationEntry {
  ContainerdSnapshot snapshot;
  std::string folder;  // absolute <root>/snapshots/<id>
  bool folder_exists = false;
  // Why this snapshot cannot be adopted into the store it was checked
  // against (FindConflicts): the key exists, or another record already uses
  // the folder. Empty if none.
  std::string conflict;
};

struct MigrationPlan {
  std::string root;     // absolute, normalized containerd snapshotter root
  std::string db_path;  // <root>/metadata.db
  // Every snapshot of the store; a parent always comes before its children.
  std::vector<MigrationEntry> entries;
  // Processes holding a lock on metadata.db (a running containerd); empty
  // if none. lock_state_known is false if the OS could not tell.
  std::vector<int64_t> lock_holders;
  bool lock_state_known = true;
};

// Reads <root>/metadata.db and lists what a migration would adopt. Writes
// nothing. NotFound if the file is missing; DataLoss if it is corrupt, if a
// parent key is not in the store, or if parents form a cycle.
StatusOr<MigrationPlan> PlanContainerdMigration(const std::string& root,
                                                base::Env* env = nullptr);

// Sets entry.conflict for every entry whose key already exists in the store
// read by "txn", or whose folder is already the path of another record.
Status FindConflicts(MigrationPlan& plan, metadata::ReadTxn& txn);
// The same inside one read snapshot of "store".
Status FindConflicts(MigrationPlan& plan, metadata::Store& store);

struct MigrationOptions {
  // Adopt the snapshots without conflicts and leave the others alone,
  // instead of failing.
  bool skip_existing = false;
};

struct MigrationResult {
  // (key, new winsnap id) of each adopted snapshot, in plan order.
  std::vector<std::pair<std::string, uint64_t>> adopted;
  // Keys left alone because of a conflict (only with skip_existing).
  std::vector<std::string> skipped;
};

// OK unless the plan saw metadata.db locked (containerd still running: it
// would keep managing the folders): then FailedPrecondition naming the file
// and the holders. ApplyContainerdMigration checks this first; callers may
// check it before creating a store to migrate into.
Status CheckSourceUnlocked(const MigrationPlan& plan);

// Adopts the plan's snapshots into "store" in one write transaction: for
// each entry (parents first) allocates an id and puts a record with the
// snapshot's key, parent, kind, labels, timestamps and usage and
// path = entry.folder. Missing folders are adopted too (containerd 1.6 views
// have none); callers warn about them. On any error nothing is adopted.
// FailedPrecondition if the plan saw metadata.db locked (containerd still
// running: it would keep managing the folders), or if some entries conflict
// (listing them) and !options.skip_existing.
StatusOr<MigrationResult> ApplyContainerdMigration(
    const MigrationPlan& plan, metadata::Store& store,
    const MigrationOptions& options = {});

}  // namespace winsnap::bbolt

#endif  // WINSNAP_METADATA_BBOLT_CONTAINERD_MIGRATION_H_
