// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Implementation of the containerd metastore decoder. Field names and
// encodings: containerd snapshots/storage/bolt.go (readSnapshot, getUsage)
// and metadata/boltutil/helpers.go (ReadTimestamps, ReadLabels), as
// summarized in reference/containerd-facts.md §2.

#include "metadata/bbolt/containerd_store.h"

#include <filesystem>
#include <limits>
#include <optional>
#include <utility>

namespace winsnap::bbolt {
namespace {

constexpr std::string_view kBucketV1 = "v1";
constexpr std::string_view kBucketSnapshots = "snapshots";
constexpr std::string_view kKeyId = "id";
constexpr std::string_view kKeyKind = "kind";
constexpr std::string_view kKeyParent = "parent";
constexpr std::string_view kKeyCreatedAt = "createdat";
constexpr std::string_view kKeyUpdatedAt = "updatedat";
constexpr std::string_view kKeyLabels = "labels";
constexpr std::string_view kKeySize = "size";
constexpr std::string_view kKeyInodes = "inodes";

// Seconds from 0001-01-01 (Go's internal epoch) to 1970-01-01.
constexpr int64_t kUnixToInternal = 62135596800;
constexpr int kMaxVarintLen64 = 10;

uint64_t Be(std::string_view b) {
  uint64_t v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  return v;
}

class SnapshotDecoder {
 public:
  SnapshotDecoder(const DB& db, std::string key, const Bucket& bucket)
      : db_(db), bucket_(bucket) {
    snap_.key = std::move(key);
  }

  StatusOr<ContainerdSnapshot> Decode() {
    WINSNAP_ASSIGN_OR_RETURN(std::optional<std::string_view> id, Field(kKeyId));
    if (!id) return Bad("has no id");
    auto id_or = DecodeUvarint(*id);
    if (!id_or.ok()) return Bad("id: " + id_or.status().message());
    if (*id_or == 0) return Bad("has id 0");
    snap_.id = *id_or;

    WINSNAP_ASSIGN_OR_RETURN(std::optional<std::string_view> kind,
                             Field(kKeyKind));
    if (!kind) return Bad("has no kind");
    unsigned k = kind->empty() ? 0 : static_cast<unsigned char>((*kind)[0]);
    if (kind->size() != 1 || k < 1 || k > 3) {
      return Bad("kind is not View, Active or Committed (" +
                 std::to_string(kind->size()) + " bytes, first " +
                 (kind->empty() ? std::string("none") : std::to_string(k)) +
                 ")");
    }
    snap_.kind = static_cast<SnapshotKind>(k);

    WINSNAP_ASSIGN_OR_RETURN(std::optional<std::string_view> parent,
                             Field(kKeyParent));
    if (parent) snap_.parent = std::string(*parent);

    WINSNAP_ASSIGN_OR_RETURN(snap_.created_ns, Time(kKeyCreatedAt));
    WINSNAP_ASSIGN_OR_RETURN(snap_.updated_ns, Time(kKeyUpdatedAt));
    WINSNAP_ASSIGN_OR_RETURN(snap_.size, Signed(kKeySize));
    WINSNAP_ASSIGN_OR_RETURN(snap_.inodes, Signed(kKeyInodes));

    auto labels = bucket_.GetBucket(kKeyLabels);
    if (!labels.ok()) return AsDataLoss(labels.status(), "labels");
    if (labels->has_value()) {
      WINSNAP_RETURN_IF_ERROR((*labels)->ForEach([&](const Entry& e) {
        if (e.is_bucket) {
          return Bad("label \"" + std::string(e.key) + "\" is a bucket");
        }
        snap_.labels.emplace(std::string(e.key), std::string(e.value));
        return OkStatus();
      }));
    }
    return std::move(snap_);
  }

 private:
  Status Bad(const std::string& msg) const {
    return DataLossError("bbolt file " + db_.name() + ": snapshot \"" +
                         snap_.key + "\": " + msg);
  }
  Status AsDataLoss(const Status& s, std::string_view field) const {
    if (s.code() == StatusCode::kDataLoss) return s;
    return Bad(std::string(field) + ": " + s.message());
  }

  StatusOr<std::optional<std::string_view>> Field(std::string_view name) {
    auto v = bucket_.Get(name);
    if (!v.ok()) return AsDataLoss(v.status(), name);
    return *v;
  }

  StatusOr<int64_t> Time(std::string_view name) {
    WINSNAP_ASSIGN_OR_RETURN(std::optional<std::string_view> v, Field(name));
    if (!v) return int64_t{0};
    auto t = DecodeGoTime(*v);
    if (!t.ok()) return Bad(std::string(name) + ": " + t.status().message());
    return *t;
  }

  StatusOr<int64_t> Signed(std::string_view name) {
    WINSNAP_ASSIGN_OR_RETURN(std::optional<std::string_view> v, Field(name));
    if (!v) return int64_t{0};
    auto n = DecodeVarint(*v);
    if (!n.ok()) return Bad(std::string(name) + ": " + n.status().message());
    return *n;
  }

  const DB& db_;
  const Bucket& bucket_;
  ContainerdSnapshot snap_;
};

}  // namespace

std::string_view SnapshotKindName(SnapshotKind kind) {
  switch (kind) {
    case SnapshotKind::kView:
      return "View";
    case SnapshotKind::kActive:
      return "Active";
    case SnapshotKind::kCommitted:
      return "Committed";
    case SnapshotKind::kUnknown:
      break;
  }
  return "Unknown";
}

StatusOr<uint64_t> DecodeUvarint(std::string_view bytes) {
  if (bytes.empty()) return InvalidArgumentError("empty varint");
  uint64_t x = 0;
  unsigned shift = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == kMaxVarintLen64) break;
    auto b = static_cast<unsigned char>(bytes[i]);
    if (b < 0x80) {
      if (i == kMaxVarintLen64 - 1 && b > 1) break;
      return x | (static_cast<uint64_t>(b) << shift);
    }
    x |= static_cast<uint64_t>(b & 0x7f) << shift;
    shift += 7;
  }
  if (bytes.size() < kMaxVarintLen64) {
    return InvalidArgumentError("truncated varint");
  }
  return InvalidArgumentError("varint overflows 64 bits");
}

StatusOr<int64_t> DecodeVarint(std::string_view bytes) {
  WINSNAP_ASSIGN_OR_RETURN(uint64_t ux, DecodeUvarint(bytes));
  auto x = static_cast<int64_t>(ux >> 1);
  if ((ux & 1) != 0) x = ~x;
  return x;
}

StatusOr<int64_t> DecodeGoTime(std::string_view b) {
  if (b.empty()) return InvalidArgumentError("time: no data");
  unsigned version = static_cast<unsigned char>(b[0]);
  if (version != 1 && version != 2) {
    return InvalidArgumentError("time: unsupported encoding version " +
                                std::to_string(version));
  }
  size_t want = version == 1 ? 15 : 16;
  if (b.size() != want) {
    return InvalidArgumentError("time: " + std::to_string(b.size()) +
                                " bytes, version " + std::to_string(version) +
                                " needs " + std::to_string(want));
  }
  auto sec = static_cast<int64_t>(Be(b.substr(1, 8)));
  auto nsec = static_cast<int32_t>(static_cast<uint32_t>(Be(b.substr(9, 4))));
  if (sec == 0 && nsec == 0) return int64_t{0};  // Go's zero Time
  if (nsec < 0 || nsec >= 1000000000) {
    return InvalidArgumentError("time: nanoseconds field " +
                                std::to_string(nsec) + " out of range");
  }
  int64_t unix_sec = 0, ns = 0;
  if (__builtin_sub_overflow(sec, kUnixToInternal, &unix_sec) ||
      __builtin_mul_overflow(unix_sec, int64_t{1000000000}, &ns) ||
      __builtin_add_overflow(ns, int64_t{nsec}, &ns)) {
    return InvalidArgumentError(
        "time: instant outside the representable range of Unix nanoseconds");
  }
  return ns;
}

StatusOr<std::vector<ContainerdSnapshot>> DecodeContainerdSnapshots(
    const DB& db) {
  std::vector<ContainerdSnapshot> out;
  // A missing bucket means containerd never wrote a snapshot; a value where
  // the bucket belongs is damage.
  auto sub = [&](const Bucket& parent,
                 std::string_view name) -> StatusOr<std::optional<Bucket>> {
    auto b = parent.GetBucket(name);
    if (!b.ok() && b.status().code() == StatusCode::kFailedPrecondition) {
      return DataLossError(b.status().message());
    }
    return b;
  };
  WINSNAP_ASSIGN_OR_RETURN(std::optional<Bucket> v1, sub(db.root(), kBucketV1));
  if (!v1) return out;
  WINSNAP_ASSIGN_OR_RETURN(std::optional<Bucket> snapshots,
                           sub(*v1, kBucketSnapshots));
  if (!snapshots) return out;
  Status s = snapshots->ForEach([&](const Entry& e) -> Status {
    if (!e.is_bucket) {
      return DataLossError("bbolt file " + db.name() + ": entry \"" +
                           std::string(e.key) +
                           "\" in v1/snapshots is a value, not a snapshot "
                           "bucket");
    }
    WINSNAP_ASSIGN_OR_RETURN(Bucket b, snapshots->OpenBucket(e));
    SnapshotDecoder decoder(db, std::string(e.key), b);
    WINSNAP_ASSIGN_OR_RETURN(ContainerdSnapshot snap, decoder.Decode());
    out.push_back(std::move(snap));
    return OkStatus();
  });
  WINSNAP_RETURN_IF_ERROR(s);
  return out;
}

StatusOr<std::vector<ContainerdSnapshot>> ReadContainerdSnapshots(
    const std::string& db_path, base::Env* env) {
  WINSNAP_ASSIGN_OR_RETURN(DB db, DB::Open(db_path, env));
  return DecodeContainerdSnapshots(db);
}

std::string NormalizeContainerdRoot(const std::string& root) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(root, ec);
  if (ec) p = root;
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && (s.back() == '/' || s.back() == '\\')) s.pop_back();
  return s;
}

}  // namespace winsnap::bbolt
