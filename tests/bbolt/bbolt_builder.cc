// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tests/bbolt/bbolt_builder.h"

#include <algorithm>

namespace winsnap::bbolt::testing {
namespace {

void PutLe(std::string& s, size_t off, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s[off + i] = static_cast<char>(v >> (8 * i));
}
void AppendLe(std::string& s, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t Fnv64a(const std::string& bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string EncodeLeaf(uint64_t id, const std::vector<TestEntry>& entries) {
  std::string page;
  AppendLe(page, id, 8);
  AppendLe(page, 0x02, 2);  // leaf
  AppendLe(page, entries.size(), 2);
  AppendLe(page, 0, 4);  // overflow, patched by Append
  std::string data;
  size_t elems_end = 16 + 16 * entries.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const TestEntry& e = entries[i];
    size_t elem_off = 16 + 16 * i;
    AppendLe(page, e.bucket ? 1 : 0, 4);
    AppendLe(page, elems_end + data.size() - elem_off, 4);
    AppendLe(page, e.key.size(), 4);
    AppendLe(page, e.value.size(), 4);
    data += e.key + e.value;
  }
  return page + data;
}

uint64_t FileBuilder::Append(std::string page) {
  uint64_t id = 3 + pages_.size();
  size_t n = (page.size() + page_size_ - 1) / page_size_;
  if (n == 0) n = 1;
  page.resize(n * page_size_, '\0');
  PutLe(page, 0, id, 8);
  PutLe(page, 12, n - 1, 4);
  pages_.push_back(std::move(page));
  // Reserve the ids of the overflow pages.
  for (size_t i = 1; i < n; ++i) pages_.emplace_back();
  return id;
}

uint64_t FileBuilder::AddLeaf(const std::vector<TestEntry>& entries) {
  return Append(EncodeLeaf(0, entries));
}

uint64_t FileBuilder::AddBranch(
    const std::vector<std::pair<std::string, uint64_t>>& children) {
  std::string page;
  AppendLe(page, 0, 8);
  AppendLe(page, 0x01, 2);  // branch
  AppendLe(page, children.size(), 2);
  AppendLe(page, 0, 4);
  std::string data;
  size_t elems_end = 16 + 16 * children.size();
  for (size_t i = 0; i < children.size(); ++i) {
    size_t elem_off = 16 + 16 * i;
    AppendLe(page, elems_end + data.size() - elem_off, 4);
    AppendLe(page, children[i].first.size(), 4);
    AppendLe(page, children[i].second, 8);
    data += children[i].first;
  }
  return Append(page + data);
}

std::string FileBuilder::BucketValue(uint64_t root, uint64_t sequence) {
  std::string v;
  AppendLe(v, root, 8);
  AppendLe(v, sequence, 8);
  return v;
}

std::string FileBuilder::InlineBucketValue(
    const std::vector<TestEntry>& entries, uint64_t sequence) {
  return BucketValue(0, sequence) + EncodeLeaf(0, entries);
}

std::string FileBuilder::Build(uint64_t root, uint64_t txid,
                               uint64_t previous_root) const {
  if (previous_root == 0) previous_root = root;
  uint64_t high_water = 3;
  for (const auto& p : pages_) {
    (void)p;
    ++high_water;
  }
  std::string file(page_size_ * 3, '\0');
  for (int m = 0; m < 2; ++m) {
    bool newest = static_cast<uint64_t>(m) == txid % 2;
    size_t off = static_cast<size_t>(m) * page_size_;
    PutLe(file, off, m, 8);
    PutLe(file, off + 8, 0x04, 2);  // meta
    std::string meta;
    AppendLe(meta, 0xED0CDAED, 4);
    AppendLe(meta, 2, 4);
    AppendLe(meta, page_size_, 4);
    AppendLe(meta, 0, 4);
    AppendLe(meta, newest ? root : previous_root, 8);
    AppendLe(meta, 0, 8);  // root sequence
    AppendLe(meta, 2, 8);  // freelist page
    AppendLe(meta, high_water, 8);
    AppendLe(meta, newest ? txid : txid - 1, 8);
    AppendLe(meta, Fnv64a(meta), 8);
    file.replace(off + 16, meta.size(), meta);
  }
  size_t fl = 2 * static_cast<size_t>(page_size_);
  PutLe(file, fl, 2, 8);
  PutLe(file, fl + 8, 0x10, 2);  // freelist, no ids
  for (const auto& p : pages_) {
    if (!p.empty()) file += p;
  }
  return file;
}

std::string PutUvarint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string PutVarint(int64_t v) {
  uint64_t ux = static_cast<uint64_t>(v) << 1;
  if (v < 0) ux = ~ux;
  return PutUvarint(ux);
}

std::string GoTimeBinary(int64_t unix_ns) {
  int64_t sec = unix_ns / 1000000000;
  int64_t nsec = unix_ns % 1000000000;
  if (nsec < 0) {
    nsec += 1000000000;
    --sec;
  }
  uint64_t abs_sec = static_cast<uint64_t>(sec + 62135596800);
  std::string out(1, '\x01');
  for (int i = 7; i >= 0; --i)
    out.push_back(static_cast<char>(abs_sec >> (8 * i)));
  for (int i = 3; i >= 0; --i) {
    out.push_back(static_cast<char>(static_cast<uint32_t>(nsec) >> (8 * i)));
  }
  out.push_back('\xff');  // zone offset -1 = UTC
  out.push_back('\xff');
  return out;
}

namespace {

std::vector<TestEntry> Sorted(std::vector<TestEntry> entries) {
  std::sort(
      entries.begin(), entries.end(),
      [](const TestEntry& a, const TestEntry& b) { return a.key < b.key; });
  return entries;
}

}  // namespace

std::string BuildMetastore(
    const std::vector<std::pair<std::string, std::vector<TestEntry>>>& snaps) {
  std::vector<TestEntry> buckets;
  for (const auto& [key, fields] : snaps) {
    buckets.push_back(
        {key, FileBuilder::InlineBucketValue(Sorted(fields)), true});
  }
  FileBuilder b;
  uint64_t snapshots = b.AddLeaf(Sorted(buckets));
  uint64_t v1 = b.AddLeaf(
      {{"parents", FileBuilder::InlineBucketValue({}), true},
       {"snapshots", FileBuilder::BucketValue(snapshots, snaps.size()), true}});
  uint64_t root = b.AddLeaf({{"v1", FileBuilder::BucketValue(v1), true}});
  return b.Build(root);
}

std::vector<TestEntry> SnapshotFields(const ContainerdSnapshot& s) {
  std::vector<TestEntry> f = {
      {"id", PutUvarint(s.id)},
      {"kind", std::string(1, static_cast<char>(s.kind))},
      {"createdat", GoTimeBinary(s.created_ns)},
      {"updatedat", GoTimeBinary(s.updated_ns)},
  };
  if (!s.parent.empty()) f.push_back({"parent", s.parent});
  if (!s.labels.empty()) {
    std::vector<TestEntry> labels;
    for (const auto& [k, v] : s.labels) labels.push_back({k, v});
    f.push_back({"labels", FileBuilder::InlineBucketValue(labels), true});
  }
  if (s.kind == SnapshotKind::kCommitted) {
    f.push_back({"size", PutVarint(s.size)});
    f.push_back({"inodes", PutVarint(s.inodes)});
  }
  return f;
}

}  // namespace winsnap::bbolt::testing
