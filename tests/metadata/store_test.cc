// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "metadata/store.h"

#include <lmdb.h>

#include <filesystem>
#include <fstream>

#include "metadata/lmdb.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::metadata {
namespace {

using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(Reopen()); }

  Status Reopen(StoreOptions opts = {}) {
    store_.reset();
    auto s = Store::Open(meta_, opts);
    if (!s.ok()) return s.status();
    store_ = std::move(s).value();
    return OkStatus();
  }

  SnapshotRecord Rec(uint64_t id, std::string key, Kind kind,
                     std::string parent = "") {
    SnapshotRecord r;
    r.id = id;
    r.key = std::move(key);
    r.kind = kind;
    r.parent = std::move(parent);
    r.path = "/root/snapshots/" + std::to_string(id);
    r.created_ns = r.updated_ns = 1000 + static_cast<int64_t>(id);
    return r;
  }

  StatusOr<uint64_t> Put(std::string key, Kind kind, std::string parent = "") {
    uint64_t id = 0;
    Status s = store_->Update([&](WriteTxn& txn) -> Status {
      WINSNAP_ASSIGN_OR_RETURN(id, txn.AllocateId());
      return txn.PutSnapshot(Rec(id, key, kind, parent));
    });
    if (!s.ok()) return s;
    return id;
  }

  std::optional<SnapshotRecord> Get(std::string_view key) {
    std::optional<SnapshotRecord> out;
    EXPECT_OK(store_->View([&](ReadTxn& txn) -> Status {
      WINSNAP_ASSIGN_OR_RETURN(out, txn.GetSnapshot(key));
      return OkStatus();
    }));
    return out;
  }

  TempDir dir_;
  std::string meta_ = dir_.Sub("meta");
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, PutThenGetRoundTripsEveryField) {
  SnapshotRecord r = Rec(7, "k", Kind::kCommitted);
  r.labels = {{"a", "1"}, {"containerd.io/gc.root", "x"}};
  r.usage = {12345, 6};
  ASSERT_OK(store_->Update([&](WriteTxn& txn) { return txn.PutSnapshot(r); }));
  ASSERT_OK(Reopen());
  auto got = Get("k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, r);
}

TEST_F(StoreTest, IdsAreNeverReusedAcrossDeleteAndReopen) {
  ASSERT_OK_AND_ASSIGN(uint64_t a, Put("a", Kind::kActive));
  ASSERT_OK_AND_ASSIGN(uint64_t b, Put("b", Kind::kActive));
  EXPECT_LT(a, b);
  ASSERT_OK(
      store_->Update([](WriteTxn& txn) { return txn.DeleteSnapshot("b"); }));
  ASSERT_OK(Reopen());
  ASSERT_OK_AND_ASSIGN(uint64_t c, Put("c", Kind::kActive));
  EXPECT_GT(c, b);
}

TEST_F(StoreTest, AbortedTransactionLeavesNothing) {
  Status s = store_->Update([&](WriteTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(uint64_t id, txn.AllocateId());
    WINSNAP_RETURN_IF_ERROR(txn.PutSnapshot(Rec(id, "gone", Kind::kActive)));
    return InternalError("injected");
  });
  EXPECT_THAT(s, StatusIs(StatusCode::kInternal, "injected"));
  EXPECT_FALSE(Get("gone").has_value());
}

TEST_F(StoreTest, RenameByIdKeepsIdAndIndexes) {
  ASSERT_OK_AND_ASSIGN(uint64_t base, Put("base", Kind::kCommitted));
  ASSERT_OK_AND_ASSIGN(uint64_t act, Put("active-key", Kind::kActive, "base"));
  ASSERT_OK(store_->Update([&](WriteTxn& txn) -> Status {
    SnapshotRecord r = Rec(act, "committed-name", Kind::kCommitted, "base");
    return txn.PutSnapshot(r);
  }));
  EXPECT_FALSE(Get("active-key").has_value());
  ASSERT_TRUE(Get("committed-name").has_value());
  ASSERT_OK(store_->View([&](ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto key, txn.KeyForId(act));
    EXPECT_EQ(key, std::optional<std::string>("committed-name"));
    WINSNAP_ASSIGN_OR_RETURN(auto kids, txn.ChildIds(base));
    EXPECT_EQ(kids, std::vector<uint64_t>{act});
    return OkStatus();
  }));
}

TEST_F(StoreTest, DeleteWithChildrenFailsAndDeleteCleansIndexes) {
  ASSERT_OK_AND_ASSIGN(uint64_t base, Put("base", Kind::kCommitted));
  ASSERT_OK_AND_ASSIGN(uint64_t child, Put("child", Kind::kActive, "base"));
  EXPECT_THAT(
      store_->Update([](WriteTxn& txn) { return txn.DeleteSnapshot("base"); }),
      StatusIs(StatusCode::kFailedPrecondition, "remove"));
  ASSERT_OK(store_->Update(
      [](WriteTxn& txn) { return txn.DeleteSnapshot("child"); }));
  ASSERT_OK(store_->View([&](ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto key, txn.KeyForId(child));
    EXPECT_FALSE(key.has_value());
    WINSNAP_ASSIGN_OR_RETURN(auto kids, txn.ChildIds(base));
    EXPECT_TRUE(kids.empty());
    return OkStatus();
  }));
  EXPECT_OK(
      store_->Update([](WriteTxn& txn) { return txn.DeleteSnapshot("base"); }));
  EXPECT_THAT(
      store_->Update([](WriteTxn& txn) { return txn.DeleteSnapshot("base"); }),
      StatusIs(StatusCode::kNotFound));
}

TEST_F(StoreTest, PutRejectsBadRecords) {
  EXPECT_THAT(store_->Update([&](WriteTxn& txn) {
    return txn.PutSnapshot(
        Rec(1, std::string(MaxKeySize() + 1, 'k'), Kind::kActive));
  }),
              StatusIs(StatusCode::kInvalidArgument, "limit"));
  EXPECT_THAT(store_->Update([&](WriteTxn& txn) {
    return txn.PutSnapshot(Rec(1, "", Kind::kActive));
  }),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Update([&](WriteTxn& txn) {
    return txn.PutSnapshot(Rec(1, "x", Kind::kActive, "no-such-parent"));
  }),
              StatusIs(StatusCode::kNotFound));
  ASSERT_OK(Put("dup", Kind::kActive));
  EXPECT_THAT(store_->Update([&](WriteTxn& txn) {
    return txn.PutSnapshot(Rec(99, "dup", Kind::kActive));
  }),
              StatusIs(StatusCode::kAlreadyExists));
}

TEST_F(StoreTest, MapGrowsWhenFull) {
  StoreOptions opts;
  opts.initial_map_size = 64 << 10;  // far too small on purpose
  meta_ = dir_.Sub("small");  // a fresh file: an existing one keeps its size
  ASSERT_OK(Reopen(opts));
  uint64_t before = store_->map_size();
  for (int i = 0; i < 2000; ++i) {
    ASSERT_OK(
        Put("snapshot-with-a-longish-key-" + std::to_string(i), Kind::kActive));
  }
  EXPECT_GT(store_->map_size(), before);
  int n = 0;
  ASSERT_OK(store_->View([&](ReadTxn& txn) {
    return txn.ForEachSnapshot([&](const SnapshotRecord&) {
      ++n;
      return OkStatus();
    });
  }));
  EXPECT_EQ(n, 2000);
}

TEST_F(StoreTest, SecondHandleSeesGrowthMadeByFirst) {
  StoreOptions small;
  small.initial_map_size = 64 << 10;
  meta_ = dir_.Sub("small");
  ASSERT_OK(Reopen(small));
  StoreOptions ro;
  ro.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto reader, Store::Open(meta_, ro));
  uint64_t before = reader->map_size();
  for (int i = 0; i < 1500; ++i)
    ASSERT_OK(Put("key-" + std::to_string(i), Kind::kActive));
  int n = 0;
  ASSERT_OK(reader->View([&](ReadTxn& txn) {
    return txn.ForEachSnapshot([&](const SnapshotRecord&) {
      ++n;
      return OkStatus();
    });
  }));
  EXPECT_EQ(n, 1500);
  EXPECT_GT(reader->map_size(), before);
}

TEST_F(StoreTest, ReadOnlyStoreRefusesWrites) {
  StoreOptions ro;
  ro.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto reader, Store::Open(dir_.Sub("meta"), ro));
  EXPECT_THAT(reader->Update([](WriteTxn&) { return OkStatus(); }),
              StatusIs(StatusCode::kPermissionDenied));
}

TEST_F(StoreTest, ReadOnlyOpenOfMissingStoreIsNotFound) {
  StoreOptions ro;
  ro.read_only = true;
  EXPECT_THAT(Store::Open(dir_.Sub("nowhere"), ro),
              StatusIs(StatusCode::kNotFound));
}

// Writes a raw value into a named database, bypassing the Store API.
void RawPut(const std::string& dir, const char* db, std::string_view key,
            std::string_view value) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  lmdb::UniqueEnv owner(env);
  ASSERT_EQ(mdb_env_set_maxdbs(env, 8), 0);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0600), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, db, 0, &dbi), 0);
  MDB_val k = lmdb::Val(key), v = lmdb::Val(value);
  ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
}

TEST_F(StoreTest, UnknownSchemaVersionIsRefused) {
  store_.reset();
  RawPut(dir_.Sub("meta"), "meta", "schema_version", "99");
  EXPECT_THAT(Store::Open(dir_.Sub("meta"), {}),
              StatusIs(StatusCode::kFailedPrecondition, "schema version 99"));
}

TEST_F(StoreTest, CorruptRecordIsDataLoss) {
  store_.reset();
  for (std::string_view bad :
       {"{not json", "[]", R"({"id":0,"kind":2,"path":"/x"})",
        R"({"id":3,"kind":9,"path":"/x"})", R"({"id":"x","kind":2})"}) {
    RawPut(dir_.Sub("meta"), "snapshots", "bad", bad);
    ASSERT_OK(Reopen());
    EXPECT_THAT(store_->View([](ReadTxn& txn) {
      return txn.GetSnapshot("bad").status();
    }),
                StatusIs(StatusCode::kDataLoss, "bad"))
        << bad;
    store_.reset();
  }
}

// The record decoder reads JSON through SAX (store.cc): the rules of the
// DOM decoder it replaced still hold, value by value.
TEST_F(StoreTest, CorruptRecordFieldsAreDataLossNamingTheField) {
  store_.reset();
  const std::pair<std::string_view, std::string_view> cases[] = {
      {R"({"kind":2,"path":"/x"})", "no id"},
      {R"({"id":3,"path":"/x"})", "no kind"},
      {R"({"id":3,"kind":2})", "no path"},
      {R"({"id":3,"kind":2,"path":7})", "path: not a string"},
      {R"({"id":3,"kind":2,"path":"/x","parent":null})", "parent"},
      {R"({"id":3,"kind":2,"path":"/x","labels":[]})", "labels"},
      {R"({"id":3,"kind":2,"path":"/x","labels":{"a":1}})", "label \"a\""},
      {R"({"id":3,"kind":2,"path":"/x","labels":{"a":{}}})", "label \"a\""},
      {R"({"id":3,"kind":2,"path":"/x","created":"1"})", "created"},
      {R"({"id":3,"kind":2,"path":"/x"} trailing)", "not JSON"},
      {R"("just a string")", "not a JSON object"},
      {R"({"id":3,"kind":2,"path":"/x")", "not JSON"},
  };
  for (const auto& [bad, what] : cases) {
    RawPut(dir_.Sub("meta"), "snapshots", "bad", bad);
    ASSERT_OK(Reopen());
    EXPECT_THAT(store_->View([](ReadTxn& txn) {
      return txn.GetSnapshot("bad").status();
    }),
                StatusIs(StatusCode::kDataLoss, std::string(what)))
        << bad;
    store_.reset();
  }
}

TEST_F(StoreTest, RecordDecodingIgnoresUnknownMembersAndTakesTheLastValue) {
  store_.reset();
  RawPut(dir_.Sub("meta"), "snapshots", "k",
         R"({"future":{"a":[1,{"b":[]}],"c":null},"id":1,"kind":1,)"
         R"("labels":{"x":"old"},"labels":{"y":"2","z":"3","y":"4"},)"
         R"("path":"/old","path":"/p","parent":"par","created":5,)"
         R"("updated":6.0,"size":18446744073709551615,"inodes":-2,)"
         R"("more":[[],[{}]],"id":9})");
  ASSERT_OK(Reopen());
  ASSERT_OK(store_->View([](ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto r, txn.GetSnapshot("k"));
    EXPECT_TRUE(r.has_value());
    if (!r) return OkStatus();
    EXPECT_EQ(r->key, "k");
    EXPECT_EQ(r->id, 9u);
    EXPECT_EQ(r->kind, Kind::kView);
    EXPECT_EQ(r->parent, "par");
    EXPECT_EQ(r->path, "/p");
    EXPECT_EQ(r->labels, (Labels{{"y", "4"}, {"z", "3"}}));
    EXPECT_EQ(r->created_ns, 5);
    EXPECT_EQ(r->updated_ns, 6);
    EXPECT_EQ(r->usage.size, -1);
    EXPECT_EQ(r->usage.inodes, -2);
    return OkStatus();
  }));
}

TEST_F(StoreTest, SnapshotCountCountsWithoutReading) {
  ASSERT_OK(store_->View([](ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(uint64_t n, txn.SnapshotCount());
    EXPECT_EQ(n, 0u);
    return OkStatus();
  }));
  for (int i = 0; i < 3; ++i)
    ASSERT_OK(Put("k" + std::to_string(i), Kind::kActive));
  ASSERT_OK(store_->View([](ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(uint64_t n, txn.SnapshotCount());
    EXPECT_EQ(n, 3u);
    return OkStatus();
  }));
}

TEST_F(StoreTest, CorruptEnvironmentFileIsAnError) {
  store_.reset();
  TempDir other;
  std::string d = other.Sub("meta");
  ASSERT_OK(base::Env::Default()->CreateDirs(d));
  ASSERT_OK(base::Env::Default()->WriteFileAtomic(d + "/data.mdb",
                                                  std::string(8192, 'Z')));
  auto s = Store::Open(d, {});
  EXPECT_FALSE(s.ok());
}

TEST_F(StoreTest, ImagesRoundTripAndDelete) {
  ImageRecord img{"docker.io/library/nanoserver:ltsc2022",
                  "sha256:m",
                  "sha256:c",
                  "sha256:top",
                  "windows/amd64",
                  42,
                  {{"l", "v"}},
                  R"({"config":{"Cmd":["cmd"]}})"};
  ASSERT_OK(store_->Update([&](WriteTxn& txn) { return txn.PutImage(img); }));
  ASSERT_OK(store_->View([&](ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(auto got, txn.GetImage(img.name));
    EXPECT_EQ(got, std::optional<ImageRecord>(img));
    return OkStatus();
  }));
  ASSERT_OK(
      store_->Update([&](WriteTxn& txn) { return txn.DeleteImage(img.name); }));
  EXPECT_THAT(
      store_->Update([&](WriteTxn& txn) { return txn.DeleteImage(img.name); }),
      StatusIs(StatusCode::kNotFound));
}

TEST(LmdbTxnTest, MoveTransfersOwnershipAndSelfMoveIsSafe) {
  TempDir dir;
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  lmdb::UniqueEnv owner(env);
  ASSERT_EQ(mdb_env_open(env, dir.path().c_str(), 0, 0600), 0);
  ASSERT_OK_AND_ASSIGN(lmdb::Txn a, lmdb::Txn::Begin(env, MDB_RDONLY));
  MDB_txn* h = a.handle();
  lmdb::Txn b(std::move(a));
  // Checking the moved-from owner is the point of this test.
  // NOLINTNEXTLINE(bugprone-use-after-move)
  EXPECT_EQ(a.handle(), nullptr);
  EXPECT_EQ(b.handle(), h);
  lmdb::Txn& alias = b;
  b = std::move(alias);
  EXPECT_EQ(b.handle(), h);
  b.Abort();
  b.Abort();  // double reset is a no-op
  EXPECT_EQ(b.handle(), nullptr);
}

TEST_F(StoreTest, TruncatedFileIsDataLossBeforeMapping) {
  for (int i = 0; i < 50; ++i)
    ASSERT_OK(Put("k" + std::to_string(i), Kind::kActive));
  store_.reset();
  std::string data = meta_ + "/data.mdb";
  std::filesystem::resize_file(data, uintmax_t{3} * 4096);
  StoreOptions ro;
  ro.read_only = true;
  EXPECT_THAT(Store::Open(meta_, ro),
              StatusIs(StatusCode::kDataLoss, "truncated"));
  EXPECT_THAT(Store::Open(meta_, {}),
              StatusIs(StatusCode::kDataLoss, "data.mdb"));
}

TEST_F(StoreTest, EmptyFileReadOnlyIsDataLossAndNotCreatedWhenForbidden) {
  store_.reset();
  std::filesystem::resize_file(meta_ + "/data.mdb", 0);
  StoreOptions ro;
  ro.read_only = true;
  EXPECT_THAT(Store::Open(meta_, ro), StatusIs(StatusCode::kDataLoss, "empty"));
  StoreOptions no_create;
  no_create.create_if_missing = false;
  EXPECT_THAT(Store::Open(meta_, no_create),
              StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(std::filesystem::file_size(meta_ + "/data.mdb"), 0u);
  EXPECT_OK(Reopen());  // allowed: a new store
}

TEST_F(StoreTest, GarbageHeaderIsDataLoss) {
  store_.reset();
  std::ofstream(meta_ + "/data.mdb", std::ios::trunc) << std::string(8192, 'x');
  EXPECT_THAT(Store::Open(meta_, {}), StatusIs(StatusCode::kDataLoss, "LMDB"));
}

TEST_F(StoreTest, TombstonesRoundTripAndNextId) {
  ASSERT_OK(Put("a", Kind::kActive));
  ASSERT_OK(store_->Update([](WriteTxn& txn) {
    WINSNAP_RETURN_IF_ERROR(txn.PutTombstone(7, "gone"));
    return txn.PutTombstone(3, "also");
  }));
  std::vector<std::pair<uint64_t, std::string>> seen;
  uint64_t next = 0;
  ASSERT_OK(store_->View([&](ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(next, txn.NextId());
    return txn.ForEachTombstone([&](uint64_t id, std::string_view k) {
      seen.emplace_back(id, std::string(k));
      return OkStatus();
    });
  }));
  EXPECT_EQ(next, 2u);
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, std::string>>{{3, "also"},
                                                                 {7, "gone"}}));
  ASSERT_OK(
      store_->Update([](WriteTxn& txn) { return txn.DeleteTombstone(3); }));
  seen.clear();
  ASSERT_OK(store_->View([&](ReadTxn& txn) {
    return txn.ForEachTombstone([&](uint64_t id, std::string_view k) {
      seen.emplace_back(id, std::string(k));
      return OkStatus();
    });
  }));
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(StoreTest, BackupIsACompactMarkedCopy) {
  ASSERT_OK(Put("a", Kind::kCommitted));
  TempDir out;
  ASSERT_OK(store_->Backup(out.path()));
  EXPECT_THAT(store_->Backup(out.path()), StatusIs(StatusCode::kAlreadyExists));
  auto copy = Store::Open(out.path(), {});
  ASSERT_OK(copy);
  bool marked = false;
  std::optional<SnapshotRecord> rec;
  ASSERT_OK((*copy)->View([&](ReadTxn& txn) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(marked, txn.IsBackupCopy());
    WINSNAP_ASSIGN_OR_RETURN(rec, txn.GetSnapshot("a"));
    return OkStatus();
  }));
  EXPECT_TRUE(marked);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->kind, Kind::kCommitted);
}

// ReadEntries lists every table as stored, an entry that does not decode
// with its error, so snapctl check can report it instead of stopping.
TEST_F(StoreTest, ReadEntriesListsEveryTableWithDecodingErrors) {
  ASSERT_OK_AND_ASSIGN(uint64_t base, Put("base", Kind::kCommitted));
  ASSERT_OK_AND_ASSIGN(uint64_t top, Put("top", Kind::kActive, "base"));
  ImageRecord img;
  img.name = "example.com/a:1";
  img.top_chain_id = "base";
  ASSERT_OK(store_->Update([&](WriteTxn& txn) -> Status {
    WINSNAP_RETURN_IF_ERROR(txn.PutImage(img));
    return txn.PutTombstone(77, "gone");
  }));
  store_.reset();
  RawPut(meta_, "snapshots", "bad", "{not json");
  ASSERT_OK(Reopen());

  ASSERT_OK_AND_ASSIGN(StoreEntries e, ReadEntries(*store_));
  ASSERT_EQ(e.snapshots.size(), 3u);  // key order: bad, base, top
  EXPECT_EQ(e.snapshots[0].first, "bad");
  EXPECT_THAT(e.snapshots[0].second.status(),
              StatusIs(StatusCode::kDataLoss, "bad"));
  ASSERT_OK(e.snapshots[1].second);
  EXPECT_EQ(e.snapshots[1].second->id, base);
  ASSERT_OK(e.snapshots[2].second);
  EXPECT_EQ(e.snapshots[2].second->parent, "base");
  ASSERT_EQ(e.ids.size(), 2u);
  ASSERT_OK(e.ids[0].first);
  EXPECT_EQ(*e.ids[0].first, base);
  EXPECT_EQ(e.ids[0].second, "base");
  ASSERT_EQ(e.children.size(), 1u);
  ASSERT_OK(e.children[0].first);
  ASSERT_OK(e.children[0].second);
  EXPECT_EQ(*e.children[0].first, base);
  EXPECT_EQ(*e.children[0].second, top);
  ASSERT_EQ(e.tombstones.size(), 1u);
  EXPECT_EQ(e.tombstones[0], (std::pair<uint64_t, std::string>(77, "gone")));
  ASSERT_EQ(e.images.size(), 1u);
  ASSERT_OK(e.images[0].second);
  EXPECT_EQ(*e.images[0].second, img);
  EXPECT_EQ(e.next_id, top + 1);
}

}  // namespace
}  // namespace winsnap::metadata
