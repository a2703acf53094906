// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Decoder of containerd's snapshotter metastore (snapshots/storage/bolt.go):
// the `metadata.db` bbolt file that containerd's windows snapshotter (and
// the native and overlayfs snapshotters, with the same schema) keeps at the
// root of its snapshotter directory. Schema: reference/containerd-facts.md §2
// and docs/migrate.md. Also the Go encodings that schema uses
// (encoding/binary varints, time.Time.MarshalBinary).
//
// Reading never locks or writes the file (see bbolt.h), so it works while
// containerd runs; the result is then the state of the last commit before
// the read.
//
// Thread-safety: free functions over values; safe to call concurrently.

#ifndef WINSNAP_METADATA_BBOLT_CONTAINERD_STORE_H_
#define WINSNAP_METADATA_BBOLT_CONTAINERD_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "metadata/bbolt/bbolt.h"

namespace winsnap::bbolt {

// containerd's snapshots.Kind numbering.
enum class SnapshotKind : uint8_t {
  kUnknown = 0,
  kView = 1,
  kActive = 2,
  kCommitted = 3
};

// "View", "Active", "Committed" or "Unknown", as containerd prints them.
std::string_view SnapshotKindName(SnapshotKind kind);

// One snapshot as containerd's metastore records it.
struct ContainerdSnapshot {
  std::string key;  // the snapshotter key (for committed: the name)
  uint64_t id = 0;  // metastore id; the folder is <root>/snapshots/<id>
  SnapshotKind kind = SnapshotKind::kUnknown;
  std::string parent;  // parent's key; empty for a base
  std::map<std::string, std::string> labels;
  int64_t created_ns = 0;  // Unix ns, UTC; 0 if not recorded
  int64_t updated_ns = 0;
  int64_t size = 0;  // usage recorded at commit; 0 otherwise
  int64_t inodes = 0;
  friend bool operator==(const ContainerdSnapshot&,
                         const ContainerdSnapshot&) = default;
};

// Reads every snapshot of the metastore file at "db_path" (e.g.
// <root>/metadata.db), in key order. An empty store (no v1 bucket yet)
// yields an empty vector. NotFound if the file is missing; DataLoss naming
// the file, bucket and page (or snapshot and field) if anything is invalid:
// a snapshot without an id, a kind other than View/Active/Committed, an
// undecodable timestamp or varint, a non-bucket entry where a snapshot
// bucket belongs.
StatusOr<std::vector<ContainerdSnapshot>> ReadContainerdSnapshots(
    const std::string& db_path, base::Env* env = nullptr);

// "root" (a containerd snapshotter root as the user typed it) made absolute
// and lexically normal, without a trailing separator: the form migrate and
// reclaim print and join folder names to.
std::string NormalizeContainerdRoot(const std::string& root);

// As ReadContainerdSnapshots, over an opened DB.
StatusOr<std::vector<ContainerdSnapshot>> DecodeContainerdSnapshots(
    const DB& db);

// Go's binary.Uvarint / binary.Varint over the start of "bytes" (trailing
// bytes are ignored, as Go does). InvalidArgument if empty, truncated or
// overflowing 64 bits.
StatusOr<uint64_t> DecodeUvarint(std::string_view bytes);
StatusOr<int64_t> DecodeVarint(std::string_view bytes);

// Go's time.Time.UnmarshalBinary (versions 1 and 2) converted to Unix
// nanoseconds; the zone offset only affects presentation and is ignored.
// Go's zero Time maps to 0. InvalidArgument for a bad version or length, a
// nanosecond field outside [0, 1e9), or an instant outside the int64 ns
// range (years 1678..2262).
StatusOr<int64_t> DecodeGoTime(std::string_view bytes);

}  // namespace winsnap::bbolt

#endif  // WINSNAP_METADATA_BBOLT_CONTAINERD_STORE_H_
