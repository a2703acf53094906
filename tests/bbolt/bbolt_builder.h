// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// FileBuilder: a test-only writer of small bbolt files, for tests that need
// a precise page layout (a given branch, overflow or inline bucket) or a
// precise corruption, and for tests that must run without Go. Files from
// Go's own bbolt (tests/bbolt/gen) check that this builder and the reader
// agree with the reference. Not thread-safe.

#ifndef WINSNAP_TESTS_BBOLT_BBOLT_BUILDER_H_
#define WINSNAP_TESTS_BBOLT_BBOLT_BUILDER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "metadata/bbolt/containerd_store.h"

namespace winsnap::bbolt::testing {

struct TestEntry {
  std::string key;
  std::string value;  // for a bucket: a BucketValue/InlineBucketValue
  bool bucket = false;
};

class FileBuilder {
 public:
  explicit FileBuilder(uint32_t page_size = 4096) : page_size_(page_size) {}

  uint32_t page_size() const { return page_size_; }

  // Appends a leaf page holding "entries" (in the given order), with
  // overflow pages if they do not fit in one page. Returns its page id.
  uint64_t AddLeaf(const std::vector<TestEntry>& entries);
  // Appends a branch page whose elements are (first key, child page id).
  uint64_t AddBranch(
      const std::vector<std::pair<std::string, uint64_t>>& children);

  // The value of a bucket entry whose tree is rooted at page "root".
  static std::string BucketValue(uint64_t root, uint64_t sequence = 0);
  // The value of an inline bucket holding "entries".
  static std::string InlineBucketValue(const std::vector<TestEntry>& entries,
                                       uint64_t sequence = 0);

  // The file: meta pages 0 and 1, an empty freelist page 2, then the
  // appended pages (ids from 3). The meta page txid % 2 carries "txid" and
  // "root"; the other carries txid - 1 and "previous_root" (defaults to
  // "root").
  std::string Build(uint64_t root, uint64_t txid = 3,
                    uint64_t previous_root = 0) const;

  // Byte offset of page "pgid" in the built file.
  uint64_t Offset(uint64_t pgid) const { return pgid * page_size_; }

 private:
  uint64_t Append(std::string page);
  uint32_t page_size_;
  std::vector<std::string> pages_;  // from page 3 on, each padded
};

// Encodes a leaf page image (header + elements + data), unpadded; "id" goes
// into the header.
std::string EncodeLeaf(uint64_t id, const std::vector<TestEntry>& entries);

// Go encodings, for building containerd metastores.
std::string PutUvarint(uint64_t v);
std::string PutVarint(int64_t v);
// time.Time.MarshalBinary (version 1, UTC) of a Unix ns instant.
std::string GoTimeBinary(int64_t unix_ns);

// A containerd metastore as containerd's bolt.go lays it out:
// v1/snapshots/<key>/{id,kind,parent,createdat,updatedat,labels/,size,
// inodes} and an empty v1/parents. "fields" maps a snapshot key to its
// bucket entries (any order); use SnapshotFields for well-formed ones.
std::string BuildMetastore(
    const std::vector<std::pair<std::string, std::vector<TestEntry>>>& snaps);
// The bucket entries containerd writes for "s" (size/inodes only for
// committed snapshots, parent only if set, labels only if any).
std::vector<TestEntry> SnapshotFields(const ContainerdSnapshot& s);

}  // namespace winsnap::bbolt::testing

#endif  // WINSNAP_TESTS_BBOLT_BBOLT_BUILDER_H_
