// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Store: the LMDB-backed metadata of one winsnap root (<root>/meta). It holds
// snapshot records by key, an id -> key index, a parent id => child ids index,
// image records and the schema version / id counter. The exact layout is in
// docs/metadata-schema.md.
//
// Every mutation is one LMDB write transaction run through Update(); reads run
// through View(). LMDB serializes writers across processes and lets readers in
// other processes see the last committed state at any time, which is what lets
// `snapctl ls` work while `snapctl serve` runs.
//
// Thread-safety: Store is safe to use from many threads. A WriteTxn/ReadTxn is
// confined to the thread that runs the callback and must not escape it.

#ifndef WINSNAP_METADATA_STORE_H_
#define WINSNAP_METADATA_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "metadata/types.h"

namespace winsnap::metadata {

inline constexpr int kSchemaVersion = 1;

class ReadTxn;
class WriteTxn;

struct StoreOptions {
  // Open without write access: no recovery, no schema initialization, fails
  // with NotFound if the store was never created. Other processes may write.
  bool read_only = false;
  // Read-write only: create a new store when <dir>/data.mdb is missing or
  // empty. When false, such an open fails with FailedPrecondition instead,
  // so a lost store is never silently replaced.
  bool create_if_missing = true;
  // Initial LMDB map size; the map doubles whenever a write hits
  // MDB_MAP_FULL, so this only needs to be a guess.
  uint64_t initial_map_size = 64ull << 20;
  base::Env* env = nullptr;  // defaults to Env::Default()
};

class Store {
 public:
  virtual ~Store() = default;

  // Opens (creating unless read_only) the LMDB environment in directory
  // "dir". FailedPrecondition if the stored schema version is not
  // kSchemaVersion; DataLoss if the files are not a valid store.
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& dir,
                                               const StoreOptions& options);

  // Runs "fn" inside one read-only snapshot of the store.
  virtual Status View(const std::function<Status(ReadTxn&)>& fn) = 0;

  // Runs "fn" inside one write transaction and commits it if "fn" returns OK;
  // aborts otherwise. If the map fills up, the transaction is aborted, the
  // map grown and "fn" run again, so "fn" must be safe to re-run (its side
  // effects outside the store must be idempotent or undone on error).
  // PermissionDenied on a read-only store.
  virtual Status Update(const std::function<Status(WriteTxn&)>& fn) = 0;

  // Current LMDB map size in bytes (for tests and metrics).
  virtual uint64_t map_size() const = 0;

  // Writes a consistent copy of the store (one read snapshot, free pages
  // dropped: mdb_env_copy2 with MDB_CP_COMPACT) as <dir>/data.mdb, marked as
  // a backup (see ReadTxn::IsBackupCopy). "dir" must exist; AlreadyExists if
  // <dir>/data.mdb does. Safe while other processes write.
  virtual Status Backup(const std::string& dir) = 0;
};

// Read access inside View() or Update().
class ReadTxn {
 public:
  virtual ~ReadTxn() = default;

  // The record for "key", or nullopt if there is none. DataLoss if the stored
  // record does not decode.
  virtual StatusOr<std::optional<SnapshotRecord>> GetSnapshot(
      std::string_view key) = 0;
  // The key of the snapshot with "id", or nullopt.
  virtual StatusOr<std::optional<std::string>> KeyForId(uint64_t id) = 0;
  // Ids of the direct children of the snapshot with "id", ascending.
  virtual StatusOr<std::vector<uint64_t>> ChildIds(uint64_t id) = 0;
  // How many snapshots there are (LMDB's count: no record is read).
  virtual StatusOr<uint64_t> SnapshotCount() = 0;
  // Calls fn for every snapshot in key order; stops early (returning fn's
  // status) if fn returns non-OK. fn may move from the record: it is not
  // used after fn returns.
  virtual Status ForEachSnapshot(
      const std::function<Status(SnapshotRecord&)>& fn) = 0;

  virtual StatusOr<std::optional<ImageRecord>> GetImage(
      std::string_view name) = 0;
  virtual Status ForEachImage(
      const std::function<Status(const ImageRecord&)>& fn) = 0;

  // The id the next AllocateId() will return (1 for a new store). Every
  // committed snapshot id is smaller; a folder named by an id >= NextId()
  // can only come from a creation whose transaction never committed.
  virtual StatusOr<uint64_t> NextId() = 0;
  // True for a store written by Store::Backup and not yet opened read-write
  // since: its next_id may be older than the folders beside it, so it proves
  // nothing about them.
  virtual StatusOr<bool> IsBackupCopy() = 0;
  // Removals in progress (see WriteTxn::PutTombstone): id -> key, ascending.
  virtual Status ForEachTombstone(
      const std::function<Status(uint64_t id, std::string_view key)>& fn) = 0;

  // Raw walks for consistency checks (snapctl check): every entry is passed
  // on, with its decoding error instead of stopping at the first one.
  virtual Status ForEachSnapshotEntry(
      const std::function<Status(std::string_view key,
                                 const StatusOr<SnapshotRecord>& record)>&
          fn) = 0;
  virtual Status ForEachImageEntry(
      const std::function<Status(std::string_view name,
                                 const StatusOr<ImageRecord>& record)>& fn) = 0;
  // ids index entries; id is an error if the stored id does not decode.
  virtual Status ForEachIdEntry(
      const std::function<Status(const StatusOr<uint64_t>& id,
                                 std::string_view key)>& fn) = 0;
  // children index entries (parent id, child id).
  virtual Status ForEachChildEntry(
      const std::function<Status(const StatusOr<uint64_t>& parent,
                                 const StatusOr<uint64_t>& child)>& fn) = 0;
};

// Write access inside Update(). Writes are visible to later reads of the same
// transaction.
class WriteTxn : public virtual ReadTxn {
 public:
  // Returns a snapshot id greater than any id a committed transaction of
  // this store ever got. (An aborted transaction's id may be handed out
  // again; recovery sweeps any folder such a transaction left behind.)
  virtual StatusOr<uint64_t> AllocateId() = 0;
  // Inserts or replaces the record under record.key and maintains the id and
  // children indexes. InvalidArgument if the key is empty or longer than
  // MaxKeySize().
  virtual Status PutSnapshot(const SnapshotRecord& record) = 0;
  // Deletes the record for "key" and its index entries. NotFound if absent.
  virtual Status DeleteSnapshot(std::string_view key) = 0;

  virtual Status PutImage(const ImageRecord& image) = 0;
  virtual Status DeleteImage(std::string_view name) = 0;

  // Records that the folder of snapshot "id" (formerly "key") is being
  // removed, in the transaction that deletes its record, so recovery can
  // prove a record-less snapshots/<id> is one of ours and not a stranger's.
  virtual Status PutTombstone(uint64_t id, std::string_view key) = 0;
  // Drops the tombstone of "id"; OK if there is none.
  virtual Status DeleteTombstone(uint64_t id) = 0;
  // Clears the IsBackupCopy mark.
  virtual Status ClearBackupMark() = 0;
};

// Every entry of a store as stored, for consistency checks (snapctl check):
// an entry that does not decode carries its decoding error instead of its
// value. Each list is in the store's key order.
struct StoreEntries {
  std::vector<std::pair<std::string, StatusOr<SnapshotRecord>>> snapshots;
  std::vector<std::pair<StatusOr<uint64_t>, std::string>> ids;  // id -> key
  // children index entries (parent id, child id).
  std::vector<std::pair<StatusOr<uint64_t>, StatusOr<uint64_t>>> children;
  std::vector<std::pair<uint64_t, std::string>> tombstones;  // id -> key
  std::vector<std::pair<std::string, StatusOr<ImageRecord>>> images;
  uint64_t next_id = 0;
};

// Reads every entry of "store" inside one View(), so the lists are one
// consistent state. Fails only if the read itself fails.
StatusOr<StoreEntries> ReadEntries(Store& store);

// Largest key LMDB accepts for this build (511 bytes with default LMDB).
size_t MaxKeySize();

}  // namespace winsnap::metadata

#endif  // WINSNAP_METADATA_STORE_H_
