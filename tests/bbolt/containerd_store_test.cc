// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of the containerd metastore decoder: against metastores written by
// containerd's own snapshots/storage code (via tests/bbolt/gen), against the
// Go encodings it uses, and against damaged stores.

#include "metadata/bbolt/containerd_store.h"

#include <random>

#include "base/env.h"
#include "tests/bbolt/bbolt_builder.h"
#include "tests/bbolt/go_gen.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::bbolt {
namespace {

using ::winsnap::bbolt::testing::BuildMetastore;
using ::winsnap::bbolt::testing::FileBuilder;
using ::winsnap::bbolt::testing::GoGenPath;
using ::winsnap::bbolt::testing::GoTimeBinary;
using ::winsnap::bbolt::testing::kNoGoGen;
using ::winsnap::bbolt::testing::PutUvarint;
using ::winsnap::bbolt::testing::PutVarint;
using ::winsnap::bbolt::testing::RunGoGen;
using ::winsnap::bbolt::testing::SnapshotFields;
using ::winsnap::bbolt::testing::SnapshotsToJson;
using ::winsnap::bbolt::testing::TestEntry;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// ---------------------------------------------------------------------------
// Go encodings.

TEST(GoEncodingTest, UvarintAndVarintMatchEncodingBinary) {
  // Values from Go's encoding/binary documentation and PutUvarint.
  EXPECT_THAT(DecodeUvarint(Bytes({0x00})), StatusIs(StatusCode::kOk));
  EXPECT_EQ(*DecodeUvarint(Bytes({0x01})), 1u);
  EXPECT_EQ(*DecodeUvarint(Bytes({0xac, 0x02})), 300u);
  EXPECT_EQ(*DecodeUvarint(Bytes({0xac, 0x02, 0x99})), 300u);  // tail ignored
  EXPECT_EQ(*DecodeUvarint(Bytes(
                {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})),
            UINT64_MAX);
  EXPECT_THAT(DecodeUvarint(""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeUvarint(Bytes({0x80})),
              StatusIs(StatusCode::kInvalidArgument, "truncated"));
  EXPECT_THAT(DecodeUvarint(Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0x02})),
              StatusIs(StatusCode::kInvalidArgument, "overflows"));
  EXPECT_THAT(DecodeUvarint(std::string(11, '\x80')),
              StatusIs(StatusCode::kInvalidArgument, "overflows"));
  // Zig-zag: 0->0, -1->1, 1->2, -65->129.
  EXPECT_EQ(*DecodeVarint(Bytes({0x00})), 0);
  EXPECT_EQ(*DecodeVarint(Bytes({0x01})), -1);
  EXPECT_EQ(*DecodeVarint(Bytes({0x02})), 1);
  EXPECT_EQ(*DecodeVarint(Bytes({0x81, 0x01})), -65);
  for (int64_t v : {int64_t{0}, int64_t{1} << 40, -(int64_t{1} << 50),
                    INT64_MAX, INT64_MIN}) {
    EXPECT_EQ(*DecodeVarint(PutVarint(v)), v);
    EXPECT_EQ(*DecodeUvarint(PutUvarint(static_cast<uint64_t>(v))),
              static_cast<uint64_t>(v));
  }
}

TEST(GoEncodingTest, TimeMarshalBinary) {
  // time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC).MarshalBinary():
  // 1704164645 + 62135596800 = 63839761445 = 0xEDD257425 seconds,
  // 123456789 = 0x75BCD15 ns.
  std::string v1 = Bytes({0x01, 0x00, 0x00, 0x00, 0x0e, 0xdd, 0x25, 0x74, 0x25,
                          0x07, 0x5b, 0xcd, 0x15, 0xff, 0xff});
  EXPECT_EQ(*DecodeGoTime(v1), 1704164645123456789);
  // Same instant with a +02:00 zone (offset 120 minutes): same Unix time.
  std::string zoned = v1;
  zoned[13] = 0x00;
  zoned[14] = 0x78;
  EXPECT_EQ(*DecodeGoTime(zoned), 1704164645123456789);
  // Version 2 adds a seconds-of-offset byte.
  std::string v2 = zoned + std::string(1, '\x1e');
  v2[0] = 0x02;
  EXPECT_EQ(*DecodeGoTime(v2), 1704164645123456789);
  EXPECT_EQ(*DecodeGoTime(GoTimeBinary(-5)), -5);  // before 1970
  // Go's zero Time (year 1) is "not set".
  EXPECT_EQ(
      *DecodeGoTime(Bytes({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff})),
      0);

  EXPECT_THAT(DecodeGoTime(""), StatusIs(StatusCode::kInvalidArgument));
  std::string bad_version = v1;
  bad_version[0] = 3;
  EXPECT_THAT(DecodeGoTime(bad_version),
              StatusIs(StatusCode::kInvalidArgument, "version 3"));
  EXPECT_THAT(DecodeGoTime(v1.substr(0, 14)),
              StatusIs(StatusCode::kInvalidArgument, "14 bytes"));
  EXPECT_THAT(DecodeGoTime(v1 + "x"), StatusIs(StatusCode::kInvalidArgument));
  std::string bad_nsec = v1;
  bad_nsec[9] = 0x7f;
  EXPECT_THAT(DecodeGoTime(bad_nsec),
              StatusIs(StatusCode::kInvalidArgument, "nanoseconds"));
  std::string far = v1;
  far[1] = 0x7f;  // ~year 292 billion
  EXPECT_THAT(DecodeGoTime(far),
              StatusIs(StatusCode::kInvalidArgument, "range"));
}

// ---------------------------------------------------------------------------
// Metastores written by containerd's own code.

class ContainerdGenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (GoGenPath().empty()) GTEST_SKIP() << kNoGoGen;
  }
  TempDir dir_;
};

TEST_F(ContainerdGenTest, MatchesContainerdsOwnReader) {
  std::string path = dir_.Sub("metadata.db");
  ASSERT_OK_AND_ASSIGN(
      nlohmann::json want,
      RunGoGen({"-scenario", "containerd", "-out", path, "-n", "200"}));
  ASSERT_OK_AND_ASSIGN(std::vector<ContainerdSnapshot> got,
                       ReadContainerdSnapshots(path));
  ASSERT_EQ(got.size(), want["snapshots"].size());
  nlohmann::json got_json = SnapshotsToJson(got);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got_json[i], want["snapshots"][i]) << i;
  }
  // The scenario's shape, so a generator change cannot make this vacuous.
  int kinds[4] = {0, 0, 0, 0};
  bool big_label = false, updated = false, usage = false;
  for (const auto& s : got) {
    ++kinds[static_cast<int>(s.kind)];
    for (const auto& [k, v] : s.labels) big_label |= v.size() > 4096;
    updated |= s.updated_ns > s.created_ns;
    usage |= s.size > 0 && s.inodes > 0;
    EXPECT_GT(s.created_ns, 1600000000000000000) << s.key;
  }
  EXPECT_EQ(kinds[0], 0);
  EXPECT_EQ(kinds[1], 11);   // a view on every other image top + a base view
  EXPECT_EQ(kinds[2], 11);   // a container on the same tops + a parentless one
  EXPECT_EQ(kinds[3], 195);  // 200 layers, 5 removed
  EXPECT_TRUE(big_label);
  EXPECT_TRUE(updated);
  EXPECT_TRUE(usage);
}

TEST_F(ContainerdGenTest, FiveThousandSnapshots) {
  std::string path = dir_.Sub("metadata.db");
  ASSERT_OK_AND_ASSIGN(
      nlohmann::json want,
      RunGoGen({"-scenario", "containerd", "-out", path, "-n", "5000"}));
  ASSERT_OK_AND_ASSIGN(std::vector<ContainerdSnapshot> got,
                       ReadContainerdSnapshots(path));
  EXPECT_GT(got.size(), 5000u);
  EXPECT_EQ(SnapshotsToJson(got), want["snapshots"]);
}

TEST_F(ContainerdGenTest, FlippedAndTruncatedStoresGiveDataLossOrData) {
  std::string path = dir_.Sub("metadata.db");
  ASSERT_OK(
      RunGoGen({"-scenario", "containerd", "-out", path, "-n", "40"}).status());
  ASSERT_OK_AND_ASSIGN(std::string bytes, base::Env::Default()->ReadFile(path));
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(bytes));
  const uint64_t used = db.meta().high_water * db.meta().page_size;
  ASSERT_LE(used, bytes.size());
  std::mt19937_64 rng(1);
  int data_loss = 0, ok = 0;
  auto check = [&](std::string mutated, const std::string& what) {
    auto opened = DB::FromBytes(std::move(mutated), what);
    Status s = opened.ok() ? DecodeContainerdSnapshots(*opened).status()
                           : opened.status();
    if (s.ok()) {
      ++ok;
      return;
    }
    ++data_loss;
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << what << ": " << s;
    EXPECT_NE(s.message().find(what), std::string::npos) << s;
  };
  // Every page-header byte of every page in use, random bytes anywhere in
  // use, and truncations.
  for (uint64_t off = 0; off < used; off += db.meta().page_size) {
    for (uint64_t i = 0; i < 16; ++i) {
      std::string m = bytes;
      m[off + i] ^= static_cast<char>(1 + rng() % 255);
      check(std::move(m), "flip@" + std::to_string(off + i));
    }
  }
  for (int i = 0; i < 2500; ++i) {
    uint64_t off = rng() % used;
    std::string m = bytes;
    m[off] ^= static_cast<char>(1 + rng() % 255);
    check(std::move(m), "flip@" + std::to_string(off));
  }
  for (int i = 0; i < 300; ++i) {
    uint64_t len = rng() % used;
    check(bytes.substr(0, len), "cut@" + std::to_string(len));
  }
  EXPECT_GT(data_loss, 500);
  EXPECT_GT(ok, 0);
}

// ---------------------------------------------------------------------------
// Hand-built stores.

ContainerdSnapshot Snap(std::string key, uint64_t id, SnapshotKind kind,
                        std::string parent = "") {
  ContainerdSnapshot s;
  s.key = std::move(key);
  s.id = id;
  s.kind = kind;
  s.parent = std::move(parent);
  s.created_ns = 1700000000000000000 + static_cast<int64_t>(id);
  s.updated_ns = s.created_ns + 5;
  if (kind == SnapshotKind::kCommitted) {
    s.size = 1000 * static_cast<int64_t>(id);
    s.inodes = static_cast<int64_t>(id);
  }
  return s;
}

TEST(ContainerdStoreTest, DecodesEveryField) {
  std::vector<ContainerdSnapshot> want = {
      Snap("default/1/sha256:base", 1, SnapshotKind::kCommitted),
      Snap("default/3/container", 3, SnapshotKind::kActive,
           "default/1/sha256:base"),
      Snap("default/4/view", 4, SnapshotKind::kView, "default/1/sha256:base"),
  };
  want[0].labels = {{"containerd.io/snapshot.ref", "sha256:base"},
                    {"empty-ok", "x"}};
  want[0].size = -7;  // signed varints round-trip
  want[1].labels = {{"containerd.io/snapshot/windows/rootfs.sizebytes", "1"}};
  std::vector<std::pair<std::string, std::vector<TestEntry>>> raw;
  for (const auto& s : want) raw.emplace_back(s.key, SnapshotFields(s));
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(BuildMetastore(raw)));
  ASSERT_OK_AND_ASSIGN(std::vector<ContainerdSnapshot> got,
                       DecodeContainerdSnapshots(db));
  EXPECT_EQ(got, want);
  EXPECT_EQ(SnapshotKindName(got[2].kind), "View");
}

TEST(ContainerdStoreTest, MissingOptionalFieldsAreZero) {
  ContainerdSnapshot s = Snap("k", 9, SnapshotKind::kActive);
  ASSERT_OK_AND_ASSIGN(
      DB db, DB::FromBytes(BuildMetastore(
                 {{"k", {{"id", PutUvarint(9)}, {"kind", "\x02"}}}})));
  ASSERT_OK_AND_ASSIGN(auto got, DecodeContainerdSnapshots(db));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, 9u);
  EXPECT_EQ(got[0].kind, SnapshotKind::kActive);
  EXPECT_EQ(got[0].created_ns, 0);
  EXPECT_TRUE(got[0].labels.empty());
  EXPECT_TRUE(got[0].parent.empty());
}

TEST(ContainerdStoreTest, EmptyAndMissingStores) {
  FileBuilder b;
  uint64_t root = b.AddLeaf({});
  ASSERT_OK_AND_ASSIGN(DB empty, DB::FromBytes(b.Build(root)));
  ASSERT_OK_AND_ASSIGN(auto none, DecodeContainerdSnapshots(empty));
  EXPECT_TRUE(none.empty());
  ASSERT_OK_AND_ASSIGN(DB no_snapshots, DB::FromBytes(BuildMetastore({})));
  ASSERT_OK_AND_ASSIGN(none, DecodeContainerdSnapshots(no_snapshots));
  EXPECT_TRUE(none.empty());
  TempDir dir;
  EXPECT_THAT(ReadContainerdSnapshots(dir.Sub("metadata.db")),
              StatusIs(StatusCode::kNotFound));
}

TEST(ContainerdStoreTest, BadFieldsGiveDataLossNamingSnapshotAndField) {
  auto good = [] {
    return SnapshotFields(Snap("s", 5, SnapshotKind::kCommitted));
  };
  auto with = [&](const std::string& field, std::string value,
                  bool bucket = false) {
    auto f = good();
    std::erase_if(f, [&](const TestEntry& e) { return e.key == field; });
    f.push_back({field, std::move(value), bucket});
    return f;
  };
  auto without = [&](const std::string& field) {
    auto f = good();
    std::erase_if(f, [&](const TestEntry& e) { return e.key == field; });
    return f;
  };
  struct Case {
    std::vector<TestEntry> fields;
    std::string message;
  };
  std::vector<Case> cases = {
      {without("id"), "snapshot \"s\": has no id"},
      {with("id", ""), "snapshot \"s\": id: empty varint"},
      {with("id", "\x80"), "id: truncated varint"},
      {with("id", std::string(1, '\0')), "has id 0"},
      {without("kind"), "has no kind"},
      {with("kind", "\x07"), "kind is not View, Active or Committed"},
      {with("kind", "\x03\x03"), "kind is not"},
      {with("createdat", "\x01"), "createdat: time: 1 bytes"},
      {with("updatedat", "\x09" + std::string(14, '\0')),
       "updatedat: time: unsupported encoding version 9"},
      {with("size", "\xff"), "size: truncated varint"},
      {with("inodes", std::string(11, '\xff')), "inodes: varint overflows"},
      {with("kind", FileBuilder::InlineBucketValue({}), true),
       "kind: bbolt file"},
      {with("labels", "not a bucket"), "labels: bbolt file"},
      {with("labels",
            FileBuilder::InlineBucketValue(
                {{"nested", FileBuilder::InlineBucketValue({}), true}}),
            true),
       "label \"nested\" is a bucket"},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(
        DB db, DB::FromBytes(BuildMetastore({{"s", c.fields}}), "m.db"));
    EXPECT_THAT(DecodeContainerdSnapshots(db),
                StatusIs(StatusCode::kDataLoss, c.message))
        << c.message;
  }
}

TEST(ContainerdStoreTest, ValueWhereABucketBelongs) {
  FileBuilder b;
  uint64_t v1 =
      b.AddLeaf({{"snapshots",
                  FileBuilder::InlineBucketValue({{"plain", "value"}}), true}});
  uint64_t root = b.AddLeaf({{"v1", FileBuilder::BucketValue(v1), true}});
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(b.Build(root), "m.db"));
  EXPECT_THAT(DecodeContainerdSnapshots(db),
              StatusIs(StatusCode::kDataLoss,
                       "entry \"plain\" in v1/snapshots is a value"));

  FileBuilder b2;
  root = b2.AddLeaf({{"v1", "just a value"}});
  ASSERT_OK_AND_ASSIGN(DB db2, DB::FromBytes(b2.Build(root), "m.db"));
  EXPECT_THAT(DecodeContainerdSnapshots(db2),
              StatusIs(StatusCode::kDataLoss, "is a value, not a bucket"));
}

}  // namespace
}  // namespace winsnap::bbolt
