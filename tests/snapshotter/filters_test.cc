// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "snapshotter/filters.h"

#include "tests/testutil/status_matchers.h"

namespace winsnap::snapshotter {
namespace {

using ::winsnap::testing::StatusIs;

struct Obj {
  std::string name, parent, kind;
  std::map<std::string, std::string> labels;
};

bool Matches(const std::vector<std::string>& filters, const Obj& o) {
  auto f = Filter::ParseAny(filters);
  EXPECT_OK(f);
  if (!f.ok()) return false;
  return f->Match(SnapshotFieldLookup(o.name, o.parent, o.kind, o.labels));
}

const Obj kC1{"c1", "", "committed", {}};
const Obj kA1{"a1", "c2", "active", {{"l", "2"}}};
const Obj kV1{
    "v1", "c2", "view", {{"containerd.io/gc.root", "check-walk"}, {"l", "1"}}};

// The walk cases of containerd's snapshot testsuite (checkWalk).
TEST(FilterTest, ContainerdWalkCases) {
  EXPECT_TRUE(Matches({"kind==committed"}, kC1));
  EXPECT_FALSE(Matches({"kind==committed"}, kA1));
  EXPECT_TRUE(Matches({"name==a1", "name==v1"}, kA1));
  EXPECT_TRUE(Matches({"name==a1", "name==v1"}, kV1));
  EXPECT_FALSE(Matches({"name==a1", "name==v1"}, kC1));
  EXPECT_TRUE(Matches({"parent==c2"}, kA1));
  EXPECT_FALSE(Matches({"parent==c2"}, kC1));
  EXPECT_TRUE(Matches({"parent!=\"\""}, kA1));
  EXPECT_FALSE(Matches({"parent!=\"\""}, kC1));
  EXPECT_TRUE(Matches({"labels.l"}, kA1));
  EXPECT_FALSE(Matches({"labels.l"}, kC1));
  EXPECT_TRUE(Matches({"labels.l==2"}, kA1));
  EXPECT_FALSE(Matches({"labels.l==2"}, kV1));
  EXPECT_TRUE(Matches({R"(labels."containerd.io/gc.root"==check-walk)"}, kV1));
  EXPECT_FALSE(Matches({R"(labels."containerd.io/gc.root"==check-walk)"}, kA1));
}

TEST(FilterTest, EmptyMatchesEverything) {
  EXPECT_TRUE(Matches({}, kC1));
  EXPECT_TRUE(Matches({""}, kC1));
  EXPECT_TRUE(Matches({"name==zzz", ""}, kC1));
}

TEST(FilterTest, CommaAndsInsideOneFilter) {
  EXPECT_TRUE(Matches({"parent==c2,labels.l==2"}, kA1));
  EXPECT_FALSE(Matches({"parent==c2,labels.l==2"}, kV1));
  EXPECT_TRUE(
      Matches({"parent==c2 , kind==view"}, kV1));  // spaces around tokens
}

TEST(FilterTest, NotEqualComparesMissingFieldsAsEmpty) {
  EXPECT_TRUE(Matches({"labels.nope!=x"}, kC1));
  EXPECT_FALSE(Matches({"labels.nope!=\"\""}, kC1));
}

TEST(FilterTest, UnquotedLabelKeyWithDotsJoinsRest) {
  Obj o{"n", "", "view", {{"a.b.c", "v"}}};
  EXPECT_TRUE(Matches({"labels.a.b.c==v"}, o));
}

TEST(FilterTest, RegexpSearchAndAltQuotes) {
  EXPECT_TRUE(Matches({"name~=^a"}, kA1));
  EXPECT_FALSE(Matches({"name~=^v"}, kA1));
  EXPECT_TRUE(Matches({"name~=/^a[0-9]$/"}, kA1));
  EXPECT_TRUE(Matches({"name~=|1$|"}, kA1));
  EXPECT_TRUE(Matches({"labels.l~=[12]"}, kV1));
  EXPECT_THAT(Filter::Parse("name==/a/"),
              StatusIs(StatusCode::kInvalidArgument, "invalid quote"));
  EXPECT_THAT(Filter::Parse("name~=("),
              StatusIs(StatusCode::kInvalidArgument, "regular"));
}

TEST(FilterTest, QuotedEscapes) {
  Obj o{"a\"b\n\xc3\xa9", "", "view", {}};
  EXPECT_TRUE(Matches({R"(name=="a\"b\n\u00e9")"}, o));
  EXPECT_TRUE(Matches({R"(name=="a\x22b\012\xc3\xa9")"}, o));
  EXPECT_THAT(Filter::Parse(R"(name=="a\qb")"),
              StatusIs(StatusCode::kInvalidArgument, "unquot"));
  EXPECT_THAT(Filter::Parse(R"(name=="a\x4")"),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Filter::Parse(R"(name=="\uD800")"),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(FilterTest, BadInputIsInvalidArgumentWithPosition) {
  for (const char* bad :
       {"name==", "name=", "name=x", "==x", ".name", "name.", "name==\"open",
        "name==x,", ",name", "name==x y", "labels.\"k==v", "name!x", "na-me==x",
        "name==x,,y"}) {
    auto f = Filter::Parse(bad);
    EXPECT_THAT(f, StatusIs(StatusCode::kInvalidArgument, "<-- here")) << bad;
  }
  EXPECT_THAT(Filter::ParseAny({"name==a", "kind=="}),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(FilterTest, HugeInputIsRejectedNotCrashed) {
  std::string huge(1 << 20, 'a');
  EXPECT_THAT(Filter::Parse(huge),
              StatusIs(StatusCode::kInvalidArgument, "limit"));
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "a.";
  deep += "b";
  ASSERT_OK(Filter::Parse(deep));
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "name==x,";
  many += "name==x";
  ASSERT_OK(Filter::Parse(many));
}

TEST(FilterTest, UnknownFieldsAreAbsent) {
  EXPECT_FALSE(Matches({"size"}, kC1));
  EXPECT_FALSE(Matches({"size==1"}, kC1));
  EXPECT_TRUE(Matches({"name"}, kC1));
}

}  // namespace
}  // namespace winsnap::snapshotter
