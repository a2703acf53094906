// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of the read-only bbolt reader: against files written by Go's bbolt
// (tests/bbolt/gen), against hand-built layouts, and against corrupted and
// truncated files (which must give DataLoss, never a crash: run under ASan).

#include "metadata/bbolt/bbolt.h"

#include <random>

#include "base/env.h"
#include "tests/bbolt/bbolt_builder.h"
#include "tests/bbolt/go_gen.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::bbolt {
namespace {

using ::testing::HasSubstr;
using ::winsnap::bbolt::testing::DumpBucket;
using ::winsnap::bbolt::testing::FileBuilder;
using ::winsnap::bbolt::testing::GoGenPath;
using ::winsnap::bbolt::testing::kNoGoGen;
using ::winsnap::bbolt::testing::RunGoGen;
using ::winsnap::bbolt::testing::TestEntry;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

// Visits every key and value of "bucket", nested buckets included; returns
// the first error.
Status WalkAll(const Bucket& bucket) {
  return bucket.ForEach([&](const Entry& e) -> Status {
    if (!e.is_bucket) return OkStatus();
    WINSNAP_ASSIGN_OR_RETURN(Bucket child, bucket.OpenBucket(e));
    return WalkAll(child);
  });
}
Status WalkAll(const DB& db) { return WalkAll(db.root()); }

std::vector<std::string> Keys(const Bucket& b) {
  std::vector<std::string> keys;
  EXPECT_OK(b.ForEach([&](const Entry& e) {
    keys.emplace_back(e.key);
    return OkStatus();
  }));
  return keys;
}

// ---------------------------------------------------------------------------
// Files written by Go's bbolt.

class GoBboltTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (GoGenPath().empty()) GTEST_SKIP() << kNoGoGen;
  }
  TempDir dir_;
};

TEST_P(GoBboltTest, TreeMatchesWhatGoReads) {
  const int page_size = GetParam();
  std::string path = dir_.Sub("generic.db");
  ASSERT_OK_AND_ASSIGN(nlohmann::json want,
                       RunGoGen({"-scenario", "generic", "-out", path,
                                 "-pagesize", std::to_string(page_size)}));
  ASSERT_OK_AND_ASSIGN(DB db, DB::Open(path));
  EXPECT_EQ(db.meta().page_size, static_cast<uint32_t>(page_size));
  // Init writes txids 0 and 1, then three update transactions.
  EXPECT_EQ(db.meta().txid, 4u);
  ASSERT_OK_AND_ASSIGN(nlohmann::json got, DumpBucket(db.root()));
  // Compare bucket by bucket first so a mismatch names the bucket.
  ASSERT_EQ(got["entries"].size(), want["final"]["entries"].size());
  for (size_t i = 0; i < got["entries"].size(); ++i) {
    EXPECT_EQ(got["entries"][i], want["final"]["entries"][i])
        << "top-level bucket " << want["final"]["entries"][i]["k"];
  }
  EXPECT_EQ(got, want["final"]);
}

TEST_P(GoBboltTest, LookupFindsEveryKeyThroughBranchPages) {
  std::string path = dir_.Sub("generic.db");
  ASSERT_OK(RunGoGen({"-scenario", "generic", "-out", path, "-pagesize",
                      std::to_string(GetParam())})
                .status());
  ASSERT_OK_AND_ASSIGN(DB db, DB::Open(path));
  ASSERT_OK_AND_ASSIGN(std::optional<Bucket> many, db.root().GetBucket("many"));
  ASSERT_TRUE(many.has_value());
  // The generator deleted every 3rd key, then every 5th from key 1 on.
  int found = 0;
  for (int i = 0; i < 5000; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "key-%06d", i);
    ASSERT_OK_AND_ASSIGN(std::optional<std::string_view> v, many->Get(key));
    bool deleted = i % 3 == 0 || i % 5 == 1;
    EXPECT_EQ(v.has_value(), !deleted) << key;
    found += v.has_value();
  }
  EXPECT_EQ(static_cast<size_t>(found), Keys(*many).size());
  ASSERT_OK_AND_ASSIGN(auto before_first, many->Get("a"));
  EXPECT_FALSE(before_first.has_value());
  ASSERT_OK_AND_ASSIGN(auto after_last, many->Get("zzz"));
  EXPECT_FALSE(after_last.has_value());

  // Values larger than a page (overflow pages) come back whole.
  ASSERT_OK_AND_ASSIGN(std::optional<Bucket> big, db.root().GetBucket("big"));
  ASSERT_TRUE(big.has_value());
  ASSERT_OK_AND_ASSIGN(auto v19, big->Get("big-19"));
  ASSERT_TRUE(v19.has_value());
  EXPECT_EQ(v19->size(), static_cast<size_t>(19 * GetParam() / 3 + 17));

  // 12 levels of nested buckets, sequences included.
  Bucket b = db.root();
  ASSERT_OK_AND_ASSIGN(std::optional<Bucket> nest, b.GetBucket("nest"));
  ASSERT_TRUE(nest.has_value());
  b = *nest;
  for (int depth = 0; depth < 12; ++depth) {
    ASSERT_OK_AND_ASSIGN(auto k1, b.Get("k1"));
    ASSERT_TRUE(k1.has_value());
    EXPECT_EQ(*k1, "depth " + std::to_string(depth));
    ASSERT_OK_AND_ASSIGN(std::optional<Bucket> sub, b.GetBucket("sub"));
    ASSERT_TRUE(sub.has_value());
    EXPECT_EQ(sub->sequence(), 1u);
    b = *sub;
  }
  EXPECT_EQ(b.path(), "nest/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub/sub");
  EXPECT_THAT(b.Get("sub").status(), StatusIs(StatusCode::kOk));
  EXPECT_THAT(nest->Get("sub"), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(nest->GetBucket("k1"), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_P(GoBboltTest, CorruptNewestMetaFallsBackToPreviousTransaction) {
  std::string path = dir_.Sub("generic.db");
  ASSERT_OK_AND_ASSIGN(nlohmann::json want,
                       RunGoGen({"-scenario", "generic", "-out", path,
                                 "-pagesize", std::to_string(GetParam())}));
  ASSERT_OK_AND_ASSIGN(std::string bytes, base::Env::Default()->ReadFile(path));
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(bytes));
  int newest = db.meta().page;
  uint64_t txid = db.meta().txid;
  // Flip a byte of the newest meta's root page id (covered by the checksum).
  bytes[static_cast<size_t>(newest) * GetParam() + 16 + 16] ^= 0x40;
  ASSERT_OK_AND_ASSIGN(DB older, DB::FromBytes(bytes));
  EXPECT_EQ(older.meta().page, 1 - newest);
  EXPECT_EQ(older.meta().txid, txid - 1);
  ASSERT_OK_AND_ASSIGN(nlohmann::json got, DumpBucket(older.root()));
  EXPECT_EQ(got, want["previous"]);
  EXPECT_NE(got, want["final"]);

  // Both metas bad: DataLoss naming both.
  bytes[static_cast<size_t>(1 - newest) * GetParam() + 16 + 40] ^= 0x01;
  EXPECT_THAT(DB::FromBytes(bytes, "x.db"),
              StatusIs(StatusCode::kDataLoss, "no valid meta page"));
}

TEST_P(GoBboltTest, FlippedAndTruncatedFilesNeverCrash) {
  // Same edge cases with fewer keys, so thousands of mutations stay cheap.
  std::string path = dir_.Sub("generic.db");
  ASSERT_OK(RunGoGen({"-scenario", "generic", "-out", path, "-pagesize",
                      std::to_string(GetParam()), "-keys", "300"})
                .status());
  ASSERT_OK_AND_ASSIGN(std::string bytes, base::Env::Default()->ReadFile(path));
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(bytes));
  const uint64_t ps = db.meta().page_size;
  const uint64_t used = db.meta().high_water * ps;
  std::mt19937_64 rng(GetParam());
  int data_loss = 0, ok = 0;
  auto check = [&](std::string mutated, const std::string& what) {
    auto opened = DB::FromBytes(std::move(mutated), what);
    Status s = opened.ok() ? WalkAll(*opened) : opened.status();
    if (s.ok()) {
      ++ok;
    } else {
      ++data_loss;
      EXPECT_EQ(s.code(), StatusCode::kDataLoss) << what << ": " << s;
    }
  };
  // Page headers of pages in use (id, flags, count, overflow bytes) and
  // random bytes anywhere in the used part of the file.
  for (int i = 0; i < 150; ++i) {
    uint64_t page = rng() % db.meta().high_water;
    for (uint64_t off : {0, 1, 8, 10, 11, 12, 15}) {
      std::string m = bytes;
      m[page * ps + off] ^= static_cast<char>(1 + rng() % 255);
      check(std::move(m), "page " + std::to_string(page) + " header byte " +
                              std::to_string(off));
    }
  }
  for (int i = 0; i < 1000; ++i) {
    uint64_t off = rng() % used;
    std::string m = bytes;
    m[off] ^= static_cast<char>(1 + rng() % 255);
    check(std::move(m), "byte " + std::to_string(off));
  }
  // Element headers of the first pages, every byte.
  for (uint64_t page = 2; page < std::min<uint64_t>(12, db.meta().high_water);
       ++page) {
    for (uint64_t off = 16; off < 16 + 16 * 8; ++off) {
      std::string m = bytes;
      m[page * ps + off] ^= 0xff;
      check(std::move(m),
            "page " + std::to_string(page) + " byte " + std::to_string(off));
    }
  }
  for (int i = 0; i < 200; ++i) {
    uint64_t len = rng() % used;
    check(bytes.substr(0, len), "truncated to " + std::to_string(len));
  }
  EXPECT_GT(data_loss, 100);
  EXPECT_GT(ok, 0);
}

INSTANTIATE_TEST_SUITE_P(PageSizes, GoBboltTest,
                         ::testing::Values(1024, 4096, 16384));

// ---------------------------------------------------------------------------
// Hand-built layouts.

class BuiltFileTest : public ::testing::Test {
 protected:
  // Root bucket with a paged bucket "paged" (a branch over three leaves), an
  // inline bucket "inline" and a paged bucket "big" with an overflow value.
  std::string BuildSample() {
    leaf_a_ = b_.AddLeaf({{"a1", "v1"}, {"a2", "v2"}});
    leaf_b_ = b_.AddLeaf({{"b1", "v3"}});
    leaf_c_ = b_.AddLeaf({{"c1", ""}, {"c2", "v5"}});
    branch_ = b_.AddBranch({{"a1", leaf_a_}, {"b1", leaf_b_}, {"c1", leaf_c_}});
    big_ = b_.AddLeaf({{"huge", std::string(3 * b_.page_size() + 5, 'h')}});
    root_ = b_.AddLeaf(
        {{"big", FileBuilder::BucketValue(big_, 9), true},
         {"inline", FileBuilder::InlineBucketValue({{"x", "1"}, {"y", "2"}}, 4),
          true},
         {"paged", FileBuilder::BucketValue(branch_, 77), true}});
    return b_.Build(root_);
  }

  FileBuilder b_;
  uint64_t leaf_a_ = 0, leaf_b_ = 0, leaf_c_ = 0, branch_ = 0, big_ = 0,
           root_ = 0;
};

TEST_F(BuiltFileTest, ReadsBranchesInlineBucketsAndOverflowValues) {
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(BuildSample()));
  EXPECT_EQ(db.meta().txid, 3u);
  EXPECT_EQ(db.meta().page, 1);
  EXPECT_EQ(Keys(db.root()),
            (std::vector<std::string>{"big", "inline", "paged"}));

  ASSERT_OK_AND_ASSIGN(std::optional<Bucket> paged,
                       db.root().GetBucket("paged"));
  ASSERT_TRUE(paged.has_value());
  EXPECT_EQ(paged->sequence(), 77u);
  EXPECT_EQ(Keys(*paged),
            (std::vector<std::string>{"a1", "a2", "b1", "c1", "c2"}));
  for (auto [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"a1", "v1"},
                                                        {"a2", "v2"},
                                                        {"b1", "v3"},
                                                        {"c1", ""},
                                                        {"c2", "v5"}}) {
    ASSERT_OK_AND_ASSIGN(auto got, paged->Get(k));
    ASSERT_TRUE(got.has_value()) << k;
    EXPECT_EQ(*got, v);
  }
  for (std::string missing : {"", "a", "a3", "b0", "b2", "d"}) {
    ASSERT_OK_AND_ASSIGN(auto got, paged->Get(missing));
    EXPECT_FALSE(got.has_value()) << missing;
  }

  ASSERT_OK_AND_ASSIGN(std::optional<Bucket> in, db.root().GetBucket("inline"));
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->sequence(), 4u);
  EXPECT_EQ(Keys(*in), (std::vector<std::string>{"x", "y"}));
  ASSERT_OK_AND_ASSIGN(auto y, in->Get("y"));
  EXPECT_EQ(y, std::optional<std::string_view>("2"));

  ASSERT_OK_AND_ASSIGN(std::optional<Bucket> big, db.root().GetBucket("big"));
  ASSERT_TRUE(big.has_value());
  ASSERT_OK_AND_ASSIGN(auto huge, big->Get("huge"));
  ASSERT_TRUE(huge.has_value());
  EXPECT_EQ(*huge, std::string(3 * b_.page_size() + 5, 'h'));

  ASSERT_OK_AND_ASSIGN(auto none, db.root().GetBucket("nope"));
  EXPECT_FALSE(none.has_value());
}

TEST_F(BuiltFileTest, OpenReadsTheFileAndReportsMissingFiles) {
  TempDir dir;
  ASSERT_OK(
      base::Env::Default()->WriteFileAtomic(dir.Sub("m.db"), BuildSample()));
  ASSERT_OK_AND_ASSIGN(DB db, DB::Open(dir.Sub("m.db")));
  EXPECT_EQ(db.name(), dir.Sub("m.db"));
  EXPECT_EQ(Keys(db.root()).size(), 3u);
  EXPECT_THAT(DB::Open(dir.Sub("absent.db")), StatusIs(StatusCode::kNotFound));
}

TEST_F(BuiltFileTest, PageSizeIsFoundFromMetaOneWhenMetaZeroIsBad) {
  b_ = FileBuilder(16384);
  std::string file = BuildSample();
  // Destroy meta page 0 entirely: its page size field is gone too.
  for (int i = 0; i < 80; ++i) file[i] = 0;
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(file));
  EXPECT_EQ(db.meta().page_size, 16384u);
  EXPECT_EQ(db.meta().page, 1);
  EXPECT_EQ(Keys(db.root()).size(), 3u);
}

TEST_F(BuiltFileTest, NotABboltFile) {
  EXPECT_THAT(DB::FromBytes("", "empty.db"),
              StatusIs(StatusCode::kDataLoss, "empty.db: no valid meta page"));
  EXPECT_THAT(DB::FromBytes(std::string(20000, 'x'), "junk.db"),
              StatusIs(StatusCode::kDataLoss, "bad magic"));
}

// Patches a little-endian field of page "pgid" at "off".
void Patch(std::string& file, uint64_t page_off, size_t off, uint64_t v,
           int n) {
  for (int i = 0; i < n; ++i) {
    file[page_off + off + i] = static_cast<char>(v >> (8 * i));
  }
}

TEST_F(BuiltFileTest, CorruptPagesGiveDataLossNamingThePage) {
  const std::string good = BuildSample();
  const uint64_t branch = b_.Offset(branch_);
  struct Case {
    std::string name;
    std::function<void(std::string&)> corrupt;
    std::string message;
  };
  std::vector<Case> cases = {
      {"child beyond high water",
       [&](std::string& f) { Patch(f, branch, 16 + 8, 9999, 8); },
       "page 9999 is beyond the high-water mark"},
      {"child is a meta page",
       [&](std::string& f) { Patch(f, branch, 16 + 16 + 8, 1, 8); },
       "page 1 is a meta page"},
      {"branch points to itself",
       [&](std::string& f) { Patch(f, branch, 16 + 16 + 8, branch_, 8); },
       "page " + std::to_string(branch_) +
           " is referenced more than once (cycle)"},
      {"two branch elements share a child",
       [&](std::string& f) { Patch(f, branch, 16 + 16 + 8, leaf_a_, 8); },
       "page " + std::to_string(leaf_a_) + " is referenced more than once"},
      {"header id mismatch",
       [&](std::string& f) { Patch(f, b_.Offset(leaf_b_), 0, 42, 8); },
       "page " + std::to_string(leaf_b_) + ": header carries page id 42"},
      {"bad page flags",
       [&](std::string& f) { Patch(f, b_.Offset(leaf_b_), 8, 0x10, 2); },
       "page " + std::to_string(leaf_b_) + ": flags 0x10"},
      {"element count too large",
       [&](std::string& f) { Patch(f, b_.Offset(leaf_b_), 10, 0xffff, 2); },
       "65535 element headers do not fit"},
      {"empty branch", [&](std::string& f) { Patch(f, branch, 10, 0, 2); },
       "branch page has no elements"},
      {"leaf key offset past the page",
       [&](std::string& f) {
         Patch(f, b_.Offset(leaf_a_), 16 + 4, 0xfffffff0, 4);
       },
       "leaf element 0 (2-byte key, 2-byte value at offset"},
      {"leaf value size past the page",
       [&](std::string& f) {
         Patch(f, b_.Offset(leaf_a_), 16 + 16 + 12, 5000, 4);
       },
       "lies outside the page's data area"},
      {"leaf key inside the element headers",
       [&](std::string& f) { Patch(f, b_.Offset(leaf_a_), 16 + 4, 0, 4); },
       "lies outside the page's data area"},
      {"branch key past the page",
       [&](std::string& f) { Patch(f, branch, 16 + 4, 0x7fffffff, 4); },
       "branch element 0"},
      {"unknown leaf flags",
       [&](std::string& f) { Patch(f, b_.Offset(leaf_c_), 16, 0x8, 4); },
       "unknown flags 0x8"},
      {"empty key",
       [&](std::string& f) { Patch(f, b_.Offset(leaf_c_), 16 + 8, 0, 4); },
       "empty key"},
      {"keys out of order",
       [&](std::string& f) {
         // Swap the children of the branch: b1's leaf before a1's.
         Patch(f, branch, 16 + 8, leaf_b_, 8);
         Patch(f, branch, 16 + 16 + 8, leaf_a_, 8);
       },
       "not after the previous key"},
      {"overflow past the end of the file",
       [&](std::string& f) { Patch(f, b_.Offset(big_), 12, 1000, 4); },
       "page " + std::to_string(big_) + ": its 1000 overflow pages run past"},
  };
  for (const Case& c : cases) {
    std::string file = good;
    c.corrupt(file);
    ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(file, "c.db"));
    Status s = WalkAll(db);
    EXPECT_THAT(s, StatusIs(StatusCode::kDataLoss, c.message)) << c.name;
    EXPECT_THAT(s, StatusIs(StatusCode::kDataLoss, "bbolt file c.db: bucket"))
        << c.name;
  }
}

TEST_F(BuiltFileTest, LookupStopsOnCyclesAndBadChildren) {
  std::string file = BuildSample();
  // Every branch element points back at the branch itself: a descent would
  // never reach a leaf.
  for (int i = 0; i < 3; ++i)
    Patch(file, b_.Offset(branch_), 16 + 16 * i + 8, branch_, 8);
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(file));
  ASSERT_OK_AND_ASSIGN(std::optional<Bucket> paged,
                       db.root().GetBucket("paged"));
  ASSERT_TRUE(paged.has_value());
  EXPECT_THAT(paged->Get("b1"),
              StatusIs(StatusCode::kDataLoss, "more than 64 levels"));
  EXPECT_THAT(paged->ForEach([](const Entry&) { return OkStatus(); }),
              StatusIs(StatusCode::kDataLoss, "cycle"));
}

TEST_F(BuiltFileTest, BadBucketHeaders) {
  FileBuilder b;
  uint64_t root = b.AddLeaf({
      {"short", "12345", true},
      {"shortinline", FileBuilder::BucketValue(0) + "abc", true},
      {"valueflag", "plain"},
  });
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(b.Build(root)));
  EXPECT_THAT(db.root().GetBucket("short"),
              StatusIs(StatusCode::kDataLoss, "bucket header is 5 bytes"));
  EXPECT_THAT(db.root().GetBucket("shortinline"),
              StatusIs(StatusCode::kDataLoss, "inline page is 3 bytes"));
  EXPECT_THAT(db.root().GetBucket("valueflag"),
              StatusIs(StatusCode::kFailedPrecondition, "is a value"));
}

TEST_F(BuiltFileTest, InlinePageMustBeALeaf) {
  FileBuilder b;
  std::string inline_value = FileBuilder::InlineBucketValue({{"k", "v"}});
  inline_value[16 + 8] = 0x01;  // branch flag
  uint64_t root = b.AddLeaf({{"b", inline_value, true}});
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(b.Build(root)));
  EXPECT_THAT(db.root().GetBucket("b"),
              StatusIs(StatusCode::kDataLoss, "inline page is not a leaf"));
}

TEST_F(BuiltFileTest, DeepBucketNestingIsBounded) {
  // 70 inline buckets, each inside the previous one.
  std::string value = FileBuilder::InlineBucketValue({{"leaf", "v"}});
  for (int i = 0; i < 70; ++i) {
    value = FileBuilder::InlineBucketValue({{"n", value, true}});
  }
  FileBuilder b;
  uint64_t root = b.AddLeaf({{"n", value, true}});
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(b.Build(root)));
  EXPECT_THAT(WalkAll(db),
              StatusIs(StatusCode::kDataLoss, "nested more than 64"));
}

TEST_F(BuiltFileTest, DeepTreesAreBounded) {
  // A chain of 80 single-element branch pages: no cycle, but deeper than
  // any real tree; the walk must stop before exhausting the stack.
  FileBuilder b;
  uint64_t child = b.AddLeaf({{"k", "v"}});
  for (int i = 0; i < 80; ++i) child = b.AddBranch({{"k", child}});
  uint64_t root = b.AddLeaf({{"deep", FileBuilder::BucketValue(child), true}});
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(b.Build(root)));
  EXPECT_THAT(WalkAll(db),
              StatusIs(StatusCode::kDataLoss, "more than 64 levels"));
  ASSERT_OK_AND_ASSIGN(auto deep, db.root().GetBucket("deep"));
  ASSERT_TRUE(deep.has_value());
  EXPECT_THAT(deep->Get("k"), StatusIs(StatusCode::kDataLoss, "more than 64"));
}

TEST_F(BuiltFileTest, MetaSelectionPrefersHighestValidTxid) {
  FileBuilder b;
  uint64_t old_root = b.AddLeaf(
      {{"old", FileBuilder::BucketValue(0) + testing::EncodeLeaf(0, {}),
        true}});
  uint64_t new_root =
      b.AddLeaf({{"new", FileBuilder::InlineBucketValue({}), true}});
  for (uint64_t txid : {6, 7}) {
    std::string file = b.Build(new_root, txid, old_root);
    ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(file));
    EXPECT_EQ(db.meta().txid, txid);
    EXPECT_EQ(db.meta().page, static_cast<int>(txid % 2));
    EXPECT_EQ(Keys(db.root()), std::vector<std::string>{"new"});
    // A meta whose checksum fails is skipped.
    file[(txid % 2) * 4096 + 16 + 48] ^= 1;  // txid byte
    ASSERT_OK_AND_ASSIGN(DB older, DB::FromBytes(file));
    EXPECT_EQ(older.meta().txid, txid - 1);
    EXPECT_EQ(Keys(older.root()), std::vector<std::string>{"old"});
  }
  // A zero checksum means "not recorded" to bbolt; accepted.
  std::string file = b.Build(new_root, 7, old_root);
  Patch(file, 4096, 16 + 56, 0, 8);
  ASSERT_OK_AND_ASSIGN(DB db, DB::FromBytes(file));
  EXPECT_EQ(db.meta().txid, 7u);
  // Wrong magic and version are reported.
  std::string bad = b.Build(new_root, 7, old_root);
  Patch(bad, 0, 16, 0x12345678, 4);
  Patch(bad, 4096, 16 + 4, 3, 4);
  EXPECT_THAT(DB::FromBytes(bad),
              StatusIs(StatusCode::kDataLoss, "bad magic 0x12345678"));
}

TEST_F(BuiltFileTest, TruncationAtEveryLengthIsHandled) {
  const std::string good = BuildSample();
  for (size_t len = 0; len < good.size(); len += 61) {
    auto db = DB::FromBytes(good.substr(0, len));
    Status s = db.ok() ? WalkAll(*db) : db.status();
    EXPECT_THAT(s, StatusIs(StatusCode::kDataLoss)) << len;
  }
}

}  // namespace
}  // namespace winsnap::bbolt
