// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// A read-only reader of bbolt (go.etcd.io/bbolt, file format version 2)
// database files, the format containerd keeps its snapshotter metadata in.
// The whole file is read into memory once (no mmap, no flock, no writes), so
// a containerd that holds the file open is never disturbed; the reader sees
// the state of the newest valid meta page at the moment of the read.
//
// The file is untrusted input: every page id, page extent and element offset
// is bounds-checked, trees are walked with a depth limit and a visited set,
// and any inconsistency is reported as DataLoss naming the file, the bucket
// path and the page id. No input makes the reader crash or loop.
//
// Format facts (page header, meta layout, FNV-64a checksum, element headers,
// inline buckets, overflow pages) are from bbolt's page.go, db.go, bucket.go
// and node.go; docs/migrate.md summarizes them.
//
// Thread-safety: a DB is immutable after Open; DB and Bucket const methods
// may be called from many threads. A Bucket (and every string_view it hands
// out) is valid only while its DB lives.

#ifndef WINSNAP_METADATA_BBOLT_BBOLT_H_
#define WINSNAP_METADATA_BBOLT_BBOLT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/env.h"
#include "base/status.h"

namespace winsnap::bbolt {

inline constexpr uint32_t kMagic = 0xED0CDAED;
inline constexpr uint32_t kFormatVersion = 2;
// Deepest B+tree (root page to leaf) and deepest bucket nesting accepted.
inline constexpr int kMaxTreeDepth = 64;
inline constexpr int kMaxBucketDepth = 64;

// The meta page the reader chose.
struct MetaInfo {
  int page = 0;  // 0 or 1
  uint32_t page_size = 0;
  uint64_t root_pgid = 0;
  uint64_t root_sequence = 0;
  uint64_t freelist_pgid = 0;
  uint64_t high_water = 0;  // meta.pgid: first page id never allocated
  uint64_t txid = 0;
};

// One key of a bucket. For a sub-bucket, is_bucket is true and value holds
// the raw bucket header (root page id, sequence, and the inline page if the
// root is 0); open it with Bucket::OpenBucket.
struct Entry {
  std::string_view key;
  std::string_view value;
  bool is_bucket = false;
};

namespace internal {
struct Image;
}  // namespace internal

class Bucket {
 public:
  // Calls fn for every entry in key order (unsigned byte order). Stops and
  // returns fn's status if fn returns non-OK. DataLoss if any page of the
  // bucket's tree is invalid, a page is reached twice, the tree is deeper
  // than kMaxTreeDepth or keys are out of order.
  Status ForEach(const std::function<Status(const Entry&)>& fn) const;

  // The entry for "key" (a value or a sub-bucket), or nullopt.
  StatusOr<std::optional<Entry>> Lookup(std::string_view key) const;

  // The value stored under "key", or nullopt if there is none.
  // FailedPrecondition if "key" names a sub-bucket.
  StatusOr<std::optional<std::string_view>> Get(std::string_view key) const;

  // The sub-bucket "key", or nullopt if there is none. FailedPrecondition if
  // "key" holds a plain value; DataLoss if its header is invalid.
  StatusOr<std::optional<Bucket>> GetBucket(std::string_view key) const;

  // Opens the sub-bucket described by "entry" (from ForEach or Lookup on
  // this bucket). REQUIRES: entry.is_bucket.
  StatusOr<Bucket> OpenBucket(const Entry& entry) const;

  // The bucket's NextSequence counter.
  uint64_t sequence() const { return sequence_; }
  // Slash-joined names from the root, e.g. "v1/snapshots"; "" for the root.
  const std::string& path() const { return path_; }

 private:
  friend class DB;
  Bucket(const internal::Image* image, std::string path, int depth,
         uint64_t root, uint64_t sequence, std::string_view inline_page)
      : image_(image),
        path_(std::move(path)),
        depth_(depth),
        root_(root),
        sequence_(sequence),
        inline_page_(inline_page) {}

  const internal::Image* image_;
  std::string path_;
  int depth_;
  uint64_t root_;  // 0: inline bucket, its page is inline_page_
  uint64_t sequence_;
  std::string_view inline_page_;
};

class DB {
 public:
  // Reads the file at "path" through "env" (Env::Default() if null) and
  // selects the valid meta page with the highest txid. NotFound etc. from
  // the read; DataLoss if neither meta page is valid.
  static StatusOr<DB> Open(const std::string& path, base::Env* env = nullptr);
  // As Open, over bytes already in memory; "name" is used in messages.
  static StatusOr<DB> FromBytes(std::string bytes,
                                std::string name = "<memory>");

  DB(DB&&) noexcept;
  DB& operator=(DB&&) noexcept;
  ~DB();

  const MetaInfo& meta() const;
  // The path (or name) given to Open/FromBytes, for messages.
  const std::string& name() const;
  // The root bucket (whose keys are the top-level buckets).
  Bucket root() const;

 private:
  explicit DB(std::unique_ptr<internal::Image> image);
  // Invariant: non-null except in a moved-from DB.
  std::unique_ptr<internal::Image> image_;
};

}  // namespace winsnap::bbolt

#endif  // WINSNAP_METADATA_BBOLT_BBOLT_H_
