// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests for the containerd filter language: containerd's own walk cases and
// error strings, quoting, precedence, matching rules, the "~=" pattern
// limits, hostile input, and a differential test that runs the same filters
// through containerd's real snapshot storage Walk (built from the Debian
// golang-github-containerd-containerd-dev sources) and compares every
// result and error message.

#include "snapshotter/filters.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::snapshotter {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::winsnap::testing::StatusIs;

struct Snap {
  std::string name;
  std::string parent;
  std::string kind;
  std::map<std::string, std::string> labels;
};

bool Matches(const Filter& f, const Snap& s) {
  return f.Match(SnapshotFieldLookup(s.name, s.parent, s.kind, s.labels));
}

// The names of the snapshots in "corpus" that the filter list selects, in
// corpus order, as Walk would report them.
std::vector<std::string> Select(const std::vector<Snap>& corpus,
                                const std::vector<std::string>& filters) {
  auto f = Filter::ParseAny(filters);
  EXPECT_OK(f);
  std::vector<std::string> out;
  if (!f.ok()) return {"<parse error>"};
  for (const Snap& s : corpus) {
    if (Matches(*f, s)) out.push_back(s.name);
  }
  return out;
}

std::vector<std::string> Select1(const std::vector<Snap>& corpus,
                                 const std::string& filter) {
  return Select(corpus, std::vector<std::string>{filter});
}

// The message of Parse(expr)'s error, or "OK".
std::string ParseError(std::string_view expr) {
  auto f = Filter::Parse(expr);
  if (f.ok()) return "OK";
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument) << f.status();
  return f.status().message();
}

const std::map<std::string, std::string> kGcRoot = {
    {"containerd.io/gc.root", "check-walk"}};

std::map<std::string, std::string> GcRootAnd(std::string l) {
  return {{"containerd.io/gc.root", "check-walk"}, {"l", std::move(l)}};
}

// The snapshots containerd's testsuite checkWalk creates.
const std::vector<Snap>& CheckWalkCorpus() {
  static const auto* corpus = new std::vector<Snap>{
      {"a-np", "", "active", kGcRoot},
      {"p", "", "committed", kGcRoot},
      {"a", "p", "active", kGcRoot},
      {"v", "p", "view", kGcRoot},
      {"p-wl", "", "committed", GcRootAnd("1")},
      {"a-wl", "p-wl", "active", GcRootAnd("2")},
      {"v-wl", "p-wl", "view", GcRootAnd("3")},
      {"a-np-wl", "", "active", GcRootAnd("2")},
  };
  return *corpus;
}

// Every case of containerd's snapshot testsuite checkWalk, with its expected
// result.
TEST(FilterTest, ContainerdCheckWalkCases) {
  const auto& c = CheckWalkCorpus();
  EXPECT_THAT(
      Select1(c, R"(labels."containerd.io/gc.root"==check-walk)"),
      ElementsAre("a-np", "p", "a", "v", "p-wl", "a-wl", "v-wl", "a-np-wl"));
  EXPECT_THAT(
      Select1(c, R"(kind==active,labels."containerd.io/gc.root"==check-walk)"),
      ElementsAre("a-np", "a", "a-wl", "a-np-wl"));
  EXPECT_THAT(
      Select1(c, R"(kind==view,labels."containerd.io/gc.root"==check-walk)"),
      ElementsAre("v", "v-wl"));
  EXPECT_THAT(Select1(c, R"(kind==committed,labels."containerd.io/gc.root")"
                         R"(==check-walk)"),
              ElementsAre("p", "p-wl"));
  EXPECT_THAT(Select(c, {"name==p", "name==a-np-wl"}),
              ElementsAre("p", "a-np-wl"));
  EXPECT_THAT(Select1(c, "name==a-wl,labels.l"), ElementsAre("a-wl"));
  EXPECT_THAT(Select1(c, "parent==p"), ElementsAre("a", "v"));
  EXPECT_THAT(Select1(c, R"(parent!="",labels."containerd.io/gc.root")"
                         R"(==check-walk)"),
              ElementsAre("a", "v", "a-wl", "v-wl"));
  EXPECT_THAT(Select1(c, "labels.l"),
              ElementsAre("p-wl", "a-wl", "v-wl", "a-np-wl"));
  EXPECT_THAT(Select1(c, "labels.l==2"), ElementsAre("a-wl", "a-np-wl"));
}

// The filter containerd's metadata snapshotter sends for remote snapshots.
TEST(FilterTest, RemoteSnapshotLookupFilter) {
  std::vector<Snap> c = {
      {"1", "", "committed", {{"containerd.io/snapshot.ref", "sha256:aa"}}},
      {"2", "1", "committed", {{"containerd.io/snapshot.ref", "sha256:bb"}}},
      {"3", "", "committed", {{"containerd.io/snapshot.ref", "sha256:bb"}}},
  };
  EXPECT_THAT(
      Select1(c,
              R"(labels."containerd.io/snapshot.ref"==sha256:bb,parent=="")"),
      ElementsAre("3"));
  EXPECT_THAT(
      Select1(c,
              R"(labels."containerd.io/snapshot.ref"==sha256:bb,parent=="1")"),
      ElementsAre("2"));
}

TEST(FilterTest, EmptyListOrEmptyStringMatchesEverything) {
  const auto& c = CheckWalkCorpus();
  EXPECT_EQ(Select(c, {}).size(), c.size());
  EXPECT_EQ(Select1(c, "").size(), c.size());
  EXPECT_EQ(Select(c, {"name==zzz", ""}).size(), c.size());
  ASSERT_OK_AND_ASSIGN(Filter f, Filter::ParseAny({"name==p", ""}));
  EXPECT_TRUE(f.matches_everything());
  EXPECT_TRUE(Filter().matches_everything());
  EXPECT_TRUE(Filter().Match(SnapshotFieldLookup("x", "", "view", {})));
  ASSERT_OK_AND_ASSIGN(Filter g, Filter::Parse("name==p"));
  EXPECT_FALSE(g.matches_everything());
}

TEST(FilterTest, ParseAnyReportsErrorsAfterAnEmptyFilter) {
  EXPECT_THAT(Filter::ParseAny({"", "name=="}),
              StatusIs(StatusCode::kInvalidArgument, "expected value"));
  EXPECT_THAT(
      Filter::ParseAny({"name==p", "kind=", "name==a"}),
      StatusIs(StatusCode::kInvalidArgument, "unsupported operator \"=\""));
}

// A deadline or cancellation stops the parse between strings: compiling many
// large "~=" patterns is the slow part of a List with many filters.
TEST(FilterTest, ParseAnyStopsWhenInterrupted) {
  int calls = 0;
  auto interrupt = [&]() -> Status {
    return ++calls == 3 ? Status(StatusCode::kDeadlineExceeded, "late")
                        : OkStatus();
  };
  EXPECT_THAT(
      Filter::ParseAny({"name==a", "name==b", "name==c", "name==d"}, interrupt),
      StatusIs(StatusCode::kDeadlineExceeded, "late"));
  EXPECT_EQ(calls, 3);
  calls = 0;
  ASSERT_OK_AND_ASSIGN(Filter f,
                       Filter::ParseAny({"name==a", "name==b"}, interrupt));
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(f.Match(SnapshotFieldLookup("b", "", "active", {})));
}

// Matching one object against many ORed filters checks between them.
TEST(FilterTest, MatchStopsWhenInterrupted) {
  ASSERT_OK_AND_ASSIGN(Filter f,
                       Filter::ParseAny({"name==a", "name==b", "name==c"}));
  int calls = 0;
  auto interrupt = [&]() -> Status {
    return ++calls == 2 ? Status(StatusCode::kCancelled, "stop") : OkStatus();
  };
  EXPECT_THAT(f.Match(SnapshotFieldLookup("c", "", "active", {}), interrupt),
              StatusIs(StatusCode::kCancelled, "stop"));
  EXPECT_EQ(calls, 2);
  calls = 10;
  ASSERT_OK_AND_ASSIGN(
      bool m, f.Match(SnapshotFieldLookup("c", "", "active", {}), interrupt));
  EXPECT_TRUE(m);
  EXPECT_EQ(calls, 13);
}

// ',' binds inside one filter string, the list ORs the strings.
TEST(FilterTest, CommaAndsInsideAStringAndTheListOrs) {
  const auto& c = CheckWalkCorpus();
  EXPECT_THAT(Select(c, {"kind==active,labels.l==2", "name==p"}),
              ElementsAre("p", "a-wl", "a-np-wl"));
  EXPECT_THAT(Select1(c, "kind==active,labels.l==2,parent==p-wl"),
              ElementsAre("a-wl"));
  EXPECT_THAT(Select(c, {"kind==view,labels.l==3", "kind==view,parent==p"}),
              ElementsAre("v", "v-wl"));
  EXPECT_THAT(Select1(c, "kind==view,kind==active"), IsEmpty());
}

// containerd has no OR inside one string: '|' quotes "~=" patterns and is an
// ordinary character inside an unquoted value.
TEST(FilterTest, PipeIsNotAnOrOperator) {
  std::vector<Snap> c = {{"a", "", "active", {}},
                         {"v", "", "view", {}},
                         {"a|name==v", "", "view", {}}};
  EXPECT_THAT(Select1(c, "name==a|name==v"), ElementsAre("a|name==v"));
  EXPECT_EQ(ParseError(R"(name=="a"|name=="v")"),
            R"(filters: parse error: [name=="a" >|||< name=="v"]: )"
            "unexpected input: |");
  EXPECT_EQ(ParseError("labels.a|labels.b"),
            "filters: parse error: [labels.a >|||< labels.b]: "
            "quoted literal not terminated");
  EXPECT_THAT(Select1(c, "name~=|^a$|"), ElementsAre("a"));
}

// Backticks are not quotes in containerd's scanner.
TEST(FilterTest, BacktickIsAnOrdinaryValueCharacter) {
  std::vector<Snap> c = {{"`x`", "", "view", {{"k", "`x`"}}},
                         {"x", "", "view", {{"k", "x"}}}};
  EXPECT_THAT(Select1(c, "name==`x`"), ElementsAre("`x`"));
  EXPECT_THAT(Select1(c, "labels.k==`x`"), ElementsAre("`x`"));
  EXPECT_EQ(ParseError("labels.`k`==x"),
            "filters: parse error: [labels. >|`|< k`==x]: "
            "expected field or quoted");
}

// containerd: "!=" is value != x with value "" for an absent field.
TEST(FilterTest, NotEqualTreatsAMissingFieldAsEmpty) {
  std::vector<Snap> c = {{"nolabels", "", "active", {}},
                         {"other", "", "active", {{"k", "1"}}},
                         {"x", "", "active", {{"l", "x"}}},
                         {"empty", "", "active", {{"l", ""}}}};
  EXPECT_THAT(Select1(c, "labels.l!=x"),
              ElementsAre("nolabels", "other", "empty"));
  EXPECT_THAT(Select1(c, R"(labels.l!="")"), ElementsAre("x"));
  EXPECT_THAT(Select1(c, "labels.l==x"), ElementsAre("x"));
  EXPECT_THAT(Select1(c, R"(labels.l=="")"), ElementsAre("empty"));
  EXPECT_THAT(Select1(c, "size!=1"),
              ElementsAre("nolabels", "other", "x", "empty"));
  EXPECT_THAT(Select1(c, R"(size!="")"), IsEmpty());
  EXPECT_THAT(Select1(c, R"(size=="")"), IsEmpty());
}

TEST(FilterTest, PresenceFollowsContainerdSnapshotAdaptor) {
  std::vector<Snap> c = {{"root", "", "committed", {}},
                         {"child", "root", "active", {{"", "blank"}}},
                         {"weird", "", "bogus-kind", {{"l", "1"}}}};
  EXPECT_THAT(Select1(c, "name"), ElementsAre("root", "child", "weird"));
  EXPECT_THAT(Select1(c, "parent"), ElementsAre("root", "child", "weird"));
  EXPECT_THAT(Select1(c, "kind"), ElementsAre("root", "child"));
  EXPECT_THAT(Select1(c, "labels"), ElementsAre("child"));  // label ""
  EXPECT_THAT(Select1(c, "labels.l"), ElementsAre("weird"));
  EXPECT_THAT(Select1(c, "size"), IsEmpty());
  EXPECT_THAT(Select1(c, "name.x==child"), ElementsAre("child"));
  EXPECT_THAT(Select1(c, "kind.x==active"), ElementsAre("child"));
  EXPECT_THAT(Select1(c, "Name==child"), IsEmpty());  // case-sensitive
}

TEST(FilterTest, SnapshotFieldLookupJoinsLabelPath) {
  std::map<std::string, std::string> labels = {
      {"a.b.c", "joined"}, {"a", "short"}, {"containerd.io/gc.root", "r"}};
  std::string name = "n", parent = "p";
  FieldLookup lookup = SnapshotFieldLookup(name, parent, "view", labels);
  EXPECT_EQ(lookup({"labels", "a", "b", "c"}), "joined");
  EXPECT_EQ(lookup({"labels", "a"}), "short");
  EXPECT_EQ(lookup({"labels", "containerd.io/gc.root"}), "r");
  EXPECT_EQ(lookup({"labels", "a", "b"}), std::nullopt);
  EXPECT_EQ(lookup({"kind"}), "view");
  EXPECT_EQ(lookup({"name"}), "n");
  EXPECT_EQ(lookup({"parent"}), "p");
  EXPECT_EQ(lookup({}), std::nullopt);
  EXPECT_EQ(lookup({"created"}), std::nullopt);
  // Arguments are read when looked up, not copied.
  labels["a"] = "changed";
  EXPECT_EQ(lookup({"labels", "a"}), "changed");
}

TEST(FilterTest, QuotedFieldPaths) {
  std::vector<Snap> c = {
      {"1", "", "view", {{"containerd.io/gc.root", "x"}}},
      {"2", "", "view", {{"more complex label", "present"}}},
      {"3", "", "view", {{R"(with \ and ")", "present"}}},
      {"4", "", "view", {{R"(with \ and ".post)", "present"}}},
      {"5", "", "view", {{"a.b.c", "v"}}},
      {"6", "", "view", {{"é,x=y", "v"}}},
  };
  EXPECT_THAT(Select1(c, R"(labels."containerd.io/gc.root")"),
              ElementsAre("1"));
  EXPECT_THAT(Select1(c, R"(labels."more complex label"==present)"),
              ElementsAre("2"));
  EXPECT_THAT(Select1(c, R"(labels."with \\ and \""==present)"),
              ElementsAre("3"));
  EXPECT_THAT(Select1(c, R"(labels."with \\ and \"".post==present)"),
              ElementsAre("4"));
  EXPECT_THAT(Select1(c, "labels.a.b.c==v"), ElementsAre("5"));
  EXPECT_THAT(Select1(c, R"(labels."a"."b".c==v)"), ElementsAre("5"));
  EXPECT_THAT(Select1(c, R"(labels."a.b.c")"), ElementsAre("5"));
  EXPECT_THAT(Select1(c, R"(labels."\u00e9,x=y"==v)"), ElementsAre("6"));
  EXPECT_THAT(Select1(c, R"("labels"."more complex label")"), ElementsAre("2"));
}

TEST(FilterTest, QuotedValuesTakeGoEscapes) {
  struct Case {
    const char* filter;
    std::string name;
  };
  const Case cases[] = {
      {R"(name=="a\"b")", "a\"b"},
      {R"(name=="back\\slash")", "back\\slash"},
      {R"(name=="\a\b\f\n\r\t\v")", "\a\b\f\n\r\t\v"},
      {R"(name=="\x41\101\u00e9\U0001F600")", "AA\xc3\xa9\xf0\x9f\x98\x80"},
      {R"(name=="\xff")", "\xff"},                  // a raw byte, as in Go
      {R"(name=="\uD800")", "\xef\xbf\xbd"},        // surrogate -> U+FFFD
      {R"(name=="\000x")", std::string("\0x", 2)},  // NUL via an escape
      {R"(name=="a,b c")", "a,b c"},
      {R"(name=="")", ""},
      {R"(name=="é")", "é"},
      {R"(name=="/|")", "/|"},
      {R"(name~=/a\/b/)", "a/b"},  // "~=" takes /.../ with \/
      {R"(name~=|a\|b|)", "a|b"},  // and |...| with \|
      {R"(name~=/a"b/)", "a\"b"},  // where '"' needs no escape
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.filter);
    auto f = Filter::Parse(tc.filter);
    ASSERT_OK(f);
    EXPECT_TRUE(Matches(*f, {tc.name, "", "view", {}}));
    EXPECT_FALSE(Matches(*f, {tc.name + "?", "", "view", {}}) &&
                 std::string_view(tc.filter).find("~=") ==
                     std::string_view::npos);
  }
}

TEST(FilterTest, BadEscapesAreRejectedLikeContainerd) {
  EXPECT_EQ(ParseError(R"(name=="a\qb")"),
            R"(filters: parse error: [name== >|"|< a\qb"]: )"
            "illegal escape sequence");
  EXPECT_EQ(ParseError(R"(name=="\x4")"),
            R"(filters: parse error: [name== >|"|< \x4"]: )"
            "illegal numeric escape sequence");
  EXPECT_EQ(ParseError(R"(name=="\777")"),
            R"(filters: parse error: [name== >|"|< \777"]: )"
            "unquoting failed: quote syntax error");
  EXPECT_EQ(ParseError(R"(name=="\U00110000")"),
            R"(filters: parse error: [name== >|"|< \U00110000"]: )"
            "unquoting failed: quote syntax error");
  EXPECT_EQ(ParseError(R"(name=="\/")"),
            R"(filters: parse error: [name== >|"|< \/"]: )"
            "illegal escape sequence");
  EXPECT_EQ(ParseError(R"(name~=/\"/)"),
            R"(filters: parse error: [name~= >|/|< \"/]: )"
            "illegal escape sequence");
  EXPECT_EQ(ParseError("name==\"a\nb\""),
            "filters: parse error: [name== >|\"|< a\nb\"]: "
            "quoted literal not terminated");
}

TEST(FilterTest, AltQuotesOnlyForRegexpValues) {
  EXPECT_EQ(ParseError("name==/a/"),
            "filters: parse error: [name== >|/|< a/]: "
            "invalid quote encountered");
  EXPECT_EQ(ParseError("name!=|a|"),
            "filters: parse error: [name!= >|||< a|]: "
            "invalid quote encountered");
  EXPECT_EQ(ParseError("labels.|foo|==omg_asdf.asdf-qwer"),
            "filters: parse error: [labels. >|||< foo|==omg_asdf.asdf-qwer]: "
            "invalid quote encountered");
  EXPECT_EQ(ParseError("labels./k/"),
            "filters: parse error: [labels. >|/|< k/]: "
            "invalid quote encountered");
}

TEST(FilterTest, UnquotedValuesRunToCommaOrSpace) {
  std::vector<Snap> c = {
      {"sha256:0123", "", "committed", {{"k", "a=b!=c~=d"}}},
      {"x.y-z_1/2", "", "view", {{"k", "omg_asdf.asdf-qwer"}}},
      {"é", "", "view", {{"k", "'q'"}}},
  };
  EXPECT_THAT(Select1(c, "name==sha256:0123"), ElementsAre("sha256:0123"));
  EXPECT_THAT(Select1(c, "labels.k==a=b!=c~=d"), ElementsAre("sha256:0123"));
  EXPECT_THAT(Select1(c, "name==x.y-z_1/2"), ElementsAre("x.y-z_1/2"));
  EXPECT_THAT(Select1(c, "labels.k==omg_asdf.asdf-qwer"),
              ElementsAre("x.y-z_1/2"));
  EXPECT_THAT(Select1(c, "name==é"), ElementsAre("é"));
  EXPECT_THAT(Select1(c, "labels.k=='q'"), ElementsAre("é"));
  // A value may start with a character that may not follow ('\x01').
  ASSERT_OK_AND_ASSIGN(Filter f, Filter::Parse("name==\x01"));
  EXPECT_TRUE(Matches(f, {"\x01", "", "view", {}}));
  EXPECT_EQ(ParseError("name==a\x01"),
            "filters: parse error: [name==a >|\x01|< ]: "
            "unexpected input: \x01");
}

TEST(FilterTest, WhitespaceOnlyBeforeFieldsOperatorsAndValues) {
  const auto& c = CheckWalkCorpus();
  EXPECT_THAT(Select1(c, " \tname == a-wl"), ElementsAre("a-wl"));
  EXPECT_THAT(Select1(c, "name==a-wl, kind==active"), ElementsAre("a-wl"));
  EXPECT_THAT(Select1(c, "labels.\n l==3"), ElementsAre("v-wl"));
  EXPECT_THAT(Select1(c, "name==\xc2\xa0v"), ElementsAre("v"));  // NBSP
}

TEST(FilterTest, WhitespaceBeforeCommaOrEndIsAnError) {
  EXPECT_EQ(ParseError("name==a "),
            "filters: parse error: [name==a >| |< ]: unexpected input:  ");
  EXPECT_EQ(ParseError("name==a ,kind==view"),
            "filters: parse error: [name==a >| |< ,kind==view]: "
            "unexpected input:  ");
  EXPECT_EQ(ParseError(R"(parent!="" ,kind==view)"),
            R"(filters: parse error: [parent!="" >| |< ,kind==view]: )"
            "unexpected input:  ");
  EXPECT_EQ(ParseError("labels .l"),
            "filters: parse error: [labels  >|.|< l]: "
            R"(expected an operator ("=="|"!="|"~="))");
  EXPECT_EQ(ParseError("labels.l ,name"),
            "filters: parse error: [labels.l  >|,|< name]: "
            R"(expected an operator ("=="|"!="|"~="))");
  EXPECT_EQ(ParseError("name==a\xe2\x80\x8b"),  // ZERO WIDTH SPACE is Cf
            "filters: parse error: [name==a >|\xe2|< \x80\x8b]: "
            "unexpected input: \xe2\x80\x8b");
  EXPECT_EQ(ParseError("   "),
            "filters: parse error: [   ]: expected field or quoted");
}

// Error strings from containerd's filter_test.go, byte for byte.
TEST(FilterTest, ErrorMessagesMatchContainerd) {
  EXPECT_EQ(
      ParseError(
          R"(labels.?"more complex label with \\ and \"".post==present)"),
      R"(filters: parse error: [labels. >|?|< "more complex label with \\ )"
      R"(and \"".post==present]: expected field or quoted)");
  EXPECT_EQ(ParseError("name==foo,"),
            "filters: parse error: [name==foo,]: expected field or quoted");
  EXPECT_EQ(ParseError("labels."),
            "filters: parse error: [labels.]: expected field or quoted");
  EXPECT_EQ(ParseError("image~=,id?=?fbaq"),
            "filters: parse error: [image~= >|,|< id?=?fbaq]: "
            "expected value or quoted");
  EXPECT_EQ(ParseError("labels.ns/key==value"),
            "filters: parse error: [labels.ns >|/|< key==value]: "
            "quoted literal not terminated");
  EXPECT_EQ(ParseError("labels.key==/value"),
            "filters: parse error: [labels.key== >|/|< value]: "
            "quoted literal not terminated");
}

TEST(FilterTest, DanglingAndMalformedSelectorsAreInvalidArgument) {
  struct Case {
    std::string input;
    std::string message;
  };
  const Case cases[] = {
      {"name==", "filters: parse error: [name==]: expected value or quoted"},
      {"name!=", "filters: parse error: [name!=]: expected value or quoted"},
      {"name~=", "filters: parse error: [name~=]: expected value or quoted"},
      {"name=",
       "filters: parse error: [name >|=|< ]: unsupported operator "
       "\"=\""},
      {"name===x",
       "filters: parse error: [name >|=|< ==x]: unsupported "
       "operator \"===\""},
      {"name=!x",
       "filters: parse error: [name >|=|< !x]: unsupported "
       "operator \"=!\""},
      {"==x", "filters: parse error: [ >|=|< =x]: expected field or quoted"},
      {",", "filters: parse error: [ >|,|< ]: expected field or quoted"},
      {".", "filters: parse error: [ >|.|< ]: expected field or quoted"},
      {"a..b", "filters: parse error: [a. >|.|< b]: expected field or quoted"},
      {"name==x,,y",
       "filters: parse error: [name==x, >|,|< y]: expected "
       "field or quoted"},
      {"name==x,",
       "filters: parse error: [name==x,]: expected field or "
       "quoted"},
      {"na-me==x",
       "filters: parse error: [na >|-|< me==x]: expected an "
       "operator (\"==\"|\"!=\"|\"~=\")"},
      {"name x",
       "filters: parse error: [name  >|x|< ]: expected an operator "
       "(\"==\"|\"!=\"|\"~=\")"},
      {"name== ==",
       "filters: parse error: [name==  >|=|< =]: expected value "
       "or quoted"},
      {"name==.x",
       "filters: parse error: [name== >|.|< x]: expected value "
       "or quoted"},
      {"name==\"open",
       "filters: parse error: [name== >|\"|< open]: quoted "
       "literal not terminated"},
      {"labels.\"k==v",
       "filters: parse error: [labels. >|\"|< k==v]: quoted "
       "literal not terminated"},
      {"\"",
       "filters: parse error: [ >|\"|< ]: quoted literal not "
       "terminated"},
      {"name==\"a\\",
       "filters: parse error: [name== >|\"|< a\\]: illegal "
       "escape sequence"},
      {"name\"x\"==y",
       "filters: parse error: [name >|\"|< x\"==y]: expected "
       "an operator (\"==\"|\"!=\"|\"~=\")"},
      {"name==\"x\"y",
       "filters: parse error: [name==\"x\" >|y|< ]: "
       "unexpected input: y"},
  };
  for (const Case& tc : cases) {
    EXPECT_EQ(ParseError(tc.input), tc.message) << tc.input;
  }
}

TEST(FilterTest, NulAndInvalidUtf8AreRejected) {
  const std::string nul(1, '\0');
  EXPECT_EQ(ParseError("name==a" + nul + "b"),
            "filters: parse error: [name==a >|" + nul +
                "|< b]: unexpected input: \xef\xbf\xbd");
  EXPECT_EQ(ParseError("na" + nul + "me"),
            "filters: parse error: [na >|" + nul + "|< me]: unexpected null");
  EXPECT_EQ(ParseError("name==\"\xff\""),
            "filters: parse error: [name== >|\"|< \xff\"]: rune error");
  EXPECT_EQ(ParseError("\xc3"),
            "filters: parse error: [ >|\xc3|< ]: rune error");
  EXPECT_EQ(ParseError("name==\xed\xa0\x80"),  // UTF-8 encoded surrogate
            "filters: parse error: [name== >|\xed|< \xa0\x80]: rune error");
  // Go's decoder reports a literal U+FFFD as an error too.
  EXPECT_EQ(ParseError("name==\"\xef\xbf\xbd\""),
            "filters: parse error: [name== >|\"|< \xef\xbf\xbd\"]: "
            "rune error");
}

TEST(FilterTest, RegexpSearchesTheValue) {
  std::vector<Snap> c = {
      {"a1", "c2", "active", {{"l", "2"}}},
      {"v1", "c2", "view", {{"l", "12"}}},
      {"A1", "", "view", {}},
  };
  EXPECT_THAT(Select1(c, "name~=1"), ElementsAre("a1", "v1", "A1"));
  EXPECT_THAT(Select1(c, "name~=^a"), ElementsAre("a1"));
  EXPECT_THAT(Select1(c, "name~=^[av][0-9]$"), ElementsAre("a1", "v1"));
  EXPECT_THAT(Select1(c, "name~=(?i)^a1$"), ElementsAre("a1", "A1"));
  EXPECT_THAT(Select1(c, "labels.l~=^2$"), ElementsAre("a1"));
  EXPECT_THAT(Select1(c, "labels.l~=2"), ElementsAre("a1", "v1"));
  // An absent field is searched as "".
  EXPECT_THAT(Select1(c, "labels.l~=^$"), ElementsAre("A1"));
  EXPECT_THAT(Select1(c, "labels.zz~=x*"), ElementsAre("a1", "v1", "A1"));
  EXPECT_THAT(Select1(c, R"(name~="^(a|v)1$",parent~=c)"),
              ElementsAre("a1", "v1"));
  EXPECT_THAT(Select1(c, "name~=/^a1$|^v1$/"), ElementsAre("a1", "v1"));
  EXPECT_THAT(Select1(c, R"(name~=\d$)"), ElementsAre("a1", "v1", "A1"));
  // The pattern's own alternation stays inside the wrapper.
  EXPECT_THAT(Select1(c, "name~=/x|^A/"), ElementsAre("A1"));
}

TEST(FilterTest, BadRegexpIsInvalidArgument) {
  for (const char* bad :
       {"name~=(", "name~=a)", "name~=[a", "name~=*a", "name~=/a{2,1}/",
        "name~=(a)\\1", "name~=/a(?=b)/", "name~=/a(?!b)/", "name~=a{1001}",
        "name~=/a{1,1001}/", "name~=\\pX", "name~=(?z)a"}) {
    EXPECT_THAT(Filter::Parse(bad),
                StatusIs(StatusCode::kInvalidArgument, "invalid regexp"))
        << bad;
  }
  EXPECT_THAT(Filter::Parse("name~=a)"),
              StatusIs(StatusCode::kInvalidArgument,
                       "filters: parse error: [name~= >|a|< )]: "
                       "invalid regexp: "));
}

// Go regexp syntax that ECMAScript lacks works, as RE2 (Go's model) reads it.
TEST(FilterTest, RegexpTakesGoSyntax) {
  std::vector<Snap> c = {
      {"ab", "", "view", {{"l", "x\ny"}}},
      {"Ab\nc", "", "view", {}},
      {"\xc3\xa9t\xc3\xa9", "", "view", {}},  // "été"
      {"a.b", "", "view", {}},
      {"a\nb", "", "view", {}},
  };
  EXPECT_THAT(Select1(c, "name~=/(?s)a.b/"), ElementsAre("a.b", "a\nb"));
  EXPECT_THAT(Select1(c, "name~=a.b"), ElementsAre("a.b"));
  EXPECT_THAT(Select1(c, "name~=/a(?i)B/"), ElementsAre("ab"));
  EXPECT_THAT(Select1(c, "name~=/(?P<n>^A)/"), ElementsAre("Ab\nc"));
  EXPECT_THAT(Select1(c, "name~=\\Aa"), ElementsAre("ab", "a.b", "a\nb"));
  EXPECT_THAT(Select1(c, "name~=b\\z"), ElementsAre("ab", "a.b", "a\nb"));
  EXPECT_THAT(Select1(c, "name~=\\Qa.b\\E"), ElementsAre("a.b"));
  // "." is one UTF-8 character and \pL a Unicode letter.
  EXPECT_THAT(Select1(c, "name~=^.t.$"), ElementsAre("\xc3\xa9t\xc3\xa9"));
  EXPECT_THAT(Select1(c, "name~=^\\pL+$"),
              ElementsAre("ab", "\xc3\xa9t\xc3\xa9"));
  // "$" is the end of the text, not before a final newline; "." stops at
  // newlines unless (?s).
  EXPECT_THAT(Select1(c, "labels.l~=x$"), ElementsAre());
  EXPECT_THAT(Select1(c, "labels.l~=/(?m)x$/"), ElementsAre("ab"));
  EXPECT_THAT(Select1(c, "labels.l~=x.y"), ElementsAre());
}

TEST(FilterTest, HostileRegexpsAreBoundedOrRejected) {
  EXPECT_THAT(Filter::Parse("name~=" + std::string(kMaxRegexpBytes + 1, 'a')),
              StatusIs(StatusCode::kInvalidArgument, "longer than"));
  // Over RE2's repeat limits or its program memory budget.
  EXPECT_THAT(Filter::Parse("name~=((a{1000}){1000}){1000}"),
              StatusIs(StatusCode::kInvalidArgument, "invalid regexp"));
  ASSERT_OK(Filter::Parse("name~=^sha256:[0-9a-f]{64}$"));
  ASSERT_OK(Filter::Parse("name~=(a?){400}"));

  // Patterns that make a backtracking engine take exponential time or one
  // stack frame per subject byte finish on long subjects.
  const std::string long_a(200000, 'a');
  for (const char* p : {"name~=(a*)*b", "name~=(a|aa)*c", "name~=(a|b)*c",
                        "name~=(.*)*x", "name~=(a?){100}a{100}b"}) {
    SCOPED_TRACE(p);
    ASSERT_OK_AND_ASSIGN(Filter f, Filter::Parse(p));
    EXPECT_FALSE(Matches(f, {long_a, "", "view", {}}));
  }
  ASSERT_OK_AND_ASSIGN(Filter star, Filter::Parse("name~=^(a|b)*$"));
  EXPECT_TRUE(Matches(star, {long_a, "", "view", {}}));
}

TEST(FilterTest, HugeInputsAreRejectedOrParsedWithoutCrashing) {
  EXPECT_THAT(Filter::Parse(std::string(kMaxFilterBytes + 1, 'a')),
              StatusIs(StatusCode::kInvalidArgument, "bytes, more than"));
  EXPECT_THAT(Filter::ParseAny({"name==a", std::string(1 << 20, '"')}),
              StatusIs(StatusCode::kInvalidArgument, "bytes, more than"));

  // Right under the limit: many selectors, a deep path, one long value.
  std::string many;
  while (many.size() + 16 < kMaxFilterBytes) many += "labels.l==2,";
  many += "name==a-wl";
  EXPECT_THAT(Select1(CheckWalkCorpus(), many), ElementsAre("a-wl"));
  std::string deep = "labels";
  while (deep.size() + 4 < kMaxFilterBytes) deep += ".a";
  ASSERT_OK(Filter::Parse(deep));
  std::string value = "name==" + std::string(kMaxFilterBytes - 6, 'v');
  ASSERT_OK_AND_ASSIGN(Filter f, Filter::Parse(value));
  EXPECT_TRUE(Matches(f, {value.substr(6), "", "view", {}}));
  // Unterminated quote and lone operators at full size.
  EXPECT_THAT(Filter::Parse("name==\"" + std::string(kMaxFilterBytes - 7, 'x')),
              StatusIs(StatusCode::kInvalidArgument, "not terminated"));
  EXPECT_THAT(Filter::Parse(std::string(kMaxFilterBytes, '=')),
              StatusIs(StatusCode::kInvalidArgument, "expected field"));
  EXPECT_THAT(Filter::Parse("a" + std::string(kMaxFilterBytes - 1, '.')),
              StatusIs(StatusCode::kInvalidArgument, "expected field"));
}

// Random bytes and random grammar fragments: every input either parses or
// fails with InvalidArgument "filters: ...", and parsed filters can match.
TEST(FilterTest, RandomInputNeverCrashes) {
  std::mt19937 rng(20260101);
  const std::vector<std::string> frags = {"name",
                                          "labels",
                                          "kind",
                                          ".",
                                          ",",
                                          "==",
                                          "!=",
                                          "~=",
                                          "=",
                                          "!",
                                          "~",
                                          "\"",
                                          "/",
                                          "|",
                                          "\\",
                                          "\\x",
                                          "\\u",
                                          "\\0",
                                          " ",
                                          "\n",
                                          "\xc3",
                                          "\xa9",
                                          std::string(1, '\0'),
                                          "(",
                                          ")",
                                          "[",
                                          "*",
                                          "{9}",
                                          "a",
                                          "é"};
  const Snap snap{"a", "p", "active", {{"l", "2"}}};
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      if (i % 2 == 0) {
        s.push_back(static_cast<char>(rng() % 256));
      } else {
        s += frags[rng() % frags.size()];
      }
    }
    auto f = Filter::Parse(s);
    if (f.ok()) {
      ++parsed;
      (void)Matches(*f, snap);
    } else {
      ASSERT_EQ(f.status().code(), StatusCode::kInvalidArgument) << s;
      ASSERT_EQ(f.status().message().rfind("filters: ", 0), 0u) << s;
    }
  }
  EXPECT_GT(parsed, 100);  // the generator does reach valid filters
}

TEST(FilterTest, CopiesShareTheParsedFilter) {
  ASSERT_OK_AND_ASSIGN(Filter f, Filter::Parse("name~=^a,labels.l"));
  Filter copy = f;
  Filter moved = std::move(f);
  const Snap yes{"ab", "", "view", {{"l", ""}}};
  const Snap no{"ab", "", "view", {}};
  for (const Filter* g : {&copy, &moved}) {
    EXPECT_TRUE(Matches(*g, yes));
    EXPECT_FALSE(Matches(*g, no));
  }
}

// ---------------------------------------------------------------------------
// Differential test against containerd's own code.

constexpr char kContainerdSrc[] = "/usr/share/gocode";
constexpr char kOracleGo[] = R"go(// Runs containerd's snapshot storage Walk
// (filters.ParseAll + adaptSnapshot) for the queries in the file os.Args[2].
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/containerd/containerd/snapshots"
	"github.com/containerd/containerd/snapshots/storage"
)

func unhex(s string) string {
	if s == "-" {
		return ""
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func main() {
	ctx := context.Background()
	ms, err := storage.NewMetaStore(os.Args[1])
	must(err)
	var names []string
	qf, err := os.Open(os.Args[2])
	must(err)
	in := bufio.NewScanner(qf)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		if f[0] == "obj" {
			name, parent, kind := unhex(f[1]), unhex(f[2]), f[3]
			labels := map[string]string{}
			for i := 4; i+1 < len(f); i += 2 {
				labels[unhex(f[i])] = unhex(f[i+1])
			}
			opt := snapshots.WithLabels(labels)
			tctx, tx, err := ms.TransactionContext(ctx, true)
			must(err)
			switch kind {
			case "active":
				_, err = storage.CreateSnapshot(tctx, snapshots.KindActive, name, parent, opt)
			case "view":
				_, err = storage.CreateSnapshot(tctx, snapshots.KindView, name, parent, opt)
			default:
				_, err = storage.CreateSnapshot(tctx, snapshots.KindActive, "tmp-"+name, parent)
				must(err)
				_, err = storage.CommitActive(tctx, "tmp-"+name, name, snapshots.Usage{}, opt)
			}
			must(err)
			must(tx.Commit())
			names = append(names, name)
			continue
		}
		var fs []string
		for _, h := range f[1:] {
			fs = append(fs, unhex(h))
		}
		tctx, tx, err := ms.TransactionContext(ctx, false)
		must(err)
		got := map[string]bool{}
		err = storage.WalkInfo(tctx, func(_ context.Context, si snapshots.Info) error {
			got[si.Name] = true
			return nil
		}, fs...)
		tx.Rollback()
		if err != nil {
			fmt.Fprintf(w, "err %s\n", hex.EncodeToString([]byte(err.Error())))
			continue
		}
		bits := ""
		for _, n := range names {
			if got[n] {
				bits += "1"
			} else {
				bits += "0"
			}
		}
		fmt.Fprintf(w, "ok %s\n", bits)
	}
}
)go";

std::string Hex(std::string_view s) {
  if (s.empty()) return "-";
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Unhex(std::string_view s) {
  std::string out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(
        static_cast<char>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Filters for the differential test: hand-picked edge cases, "~=" patterns
// on which RE2 and ECMAScript agree, and seeded random compositions.
std::vector<std::vector<std::string>> DifferentialQueries() {
  std::vector<std::vector<std::string>> q = {
      {},
      {""},
      {"", "name=="},
      {"name==p", "name==a1"},
      {"kind==committed"},
      {"kind==active", "kind==view"},
      {"parent==c2"},
      {R"(parent!="")"},
      {R"(parent=="")"},
      {"labels"},
      {"labels.l"},
      {"labels.l==2"},
      {"labels.l!=2"},
      {"labels.nope!=x"},
      {R"(labels.nope!="")"},
      {R"(labels."containerd.io/gc.root"==check-walk)"},
      {R"(labels."containerd.io/snapshot.ref"==sha256:abc,parent=="p")"},
      {"labels.a.b==dot"},
      {R"(labels."a.b"==dot)"},
      {R"(labels."x y"=="sp ace")"},
      {R"(labels."q\"uote"=="v,al")"},
      {R"(labels."\u00e9"==ü)"},
      {"name==a|b"},
      {R"(name=="a|b")"},
      {"labels.k==a|b"},
      {"name==`t`"},
      {"labels.k==`t`"},
      {"name.foo==a1"},
      {"kind.x"},
      {"size"},
      {"size!=3"},
      {"name==name with spaces"},
      {R"(name=="name with spaces")"},
      {R"(name == "name with spaces")"},
      {"name==a1 "},
      {" name==a1"},
      {"name==a1, kind==active"},
      {"name==a1 ,kind==active"},
      {"labels .l"},
      {"labels. l"},
      {"name==\xc2\xa0"
       "a1"},
      {"name==a1\xc2\xa0"},
      {"name==a1\xe2\x80\x8b"},
      {"name==\xe2\x80\x8b"},
      {"name==\xef\xbf\xbd"},
      {"name==\x01"},
      {"name==a\x7f"},
      {"name==é\xcc\x81"},
      {"name==\xf0\x9f\x98\x80"},
      {"name==\xee\x80\x80"},
      {"name==a\xee\x80\x80"},
      {"name==a\xef\xb7\x90"},
      {std::string("name==a\0", 8)},
      {"name==\"\\uD800\""},
      {"name==\"\\x41\\101\\u00e9\""},
      {"name==\"\\777\""},
      {"name==\"\\U00110000\""},
      {"name==\"\\'\""},
      {"name~=/\\//"},
      {"name~=|\\||"},
      {"name~=|\\/|"},
      // "~=" patterns both engines read the same way.
      {"name~=^a"},
      {"name~=1$"},
      {"name~=^(a|v)[0-9]$"},
      {"name~=/^a1$|^v1$/"},
      {"name~=\"[ ]\""},
      {"name~=(?i)^A1$"},
      {"name~=^sha256:[a-f]+$"},
      {"labels.l~=^$"},
      {"labels.zz~=x*"},
      {"labels.l~=."},
      {"name~=\\.|\\|"},
      {"name~=`"},
      {"parent~=^$,kind~=ed$"},
  };
  // Structured random filters: mostly well-formed selectors with random
  // quoting, spacing and separators, plus random breakage.
  std::mt19937 rng(7);
  auto pick = [&](const std::vector<std::string>& v) {
    return v[rng() % v.size()];
  };
  const std::vector<std::string> fields = {"name",
                                           "parent",
                                           "kind",
                                           "labels",
                                           "labels.l",
                                           "labels.k",
                                           "labels.a.b",
                                           R"(labels."a.b")",
                                           R"(labels."containerd.io/gc.root")",
                                           R"(labels."x y")",
                                           R"("name")",
                                           "size",
                                           "labels.nope",
                                           "Name",
                                           "_1"};
  const std::vector<std::string> ops = {
      "==", "!=", "==", "!=", "==", "!=", "", "", "", "=", "~", "!=="};
  const std::vector<std::string> values = {"a1",
                                           "p",
                                           "c2",
                                           "v1",
                                           "2",
                                           "1",
                                           "active",
                                           "view",
                                           "committed",
                                           "check-walk",
                                           R"("")",
                                           R"("a1")",
                                           R"("sp ace")",
                                           R"("v,al")",
                                           "dot",
                                           "a|b",
                                           "`t`",
                                           "sha256:abc",
                                           R"("\x61\u0031")",
                                           R"("\q")",
                                           "/x/",
                                           "|x|",
                                           "\"open",
                                           "a,b",
                                           "é",
                                           "ü",
                                           "a=b",
                                           R"("a\"b")",
                                           "\t",
                                           ""};
  const std::vector<std::string> spaces = {"",   "",   "",         " ",
                                           "\t", "\n", "\xc2\xa0", "\r"};
  const std::vector<std::string> junk = {"",
                                         "",
                                         "",
                                         "",
                                         ",",
                                         ".",
                                         "\"",
                                         "/",
                                         "|",
                                         "\\",
                                         std::string(1, '\0'),
                                         "\xff",
                                         "?",
                                         "-",
                                         "`",
                                         "'",
                                         "(",
                                         "é",
                                         "\xe2\x80\x8b"};
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::string> list;
    const int n = static_cast<int>(rng() % 7 == 0 ? 2 : 1);
    for (int k = 0; k < n; ++k) {
      std::string f;
      const int sels = 1 + static_cast<int>(rng() % 3);
      for (int s = 0; s < sels; ++s) {
        // Whitespace before ',' or the end is an error, so rarely there.
        const std::string trailing = rng() % 8 == 0 ? pick(spaces) : "";
        if (s > 0) f += trailing + "," + pick(spaces);
        f += pick(spaces) + pick(fields) + pick(spaces);
        const std::string op = pick(ops);
        if (!op.empty()) f += op + pick(spaces) + pick(values);
        if (rng() % 6 == 0) f.insert(rng() % (f.size() + 1), pick(junk));
      }
      list.push_back(f);
    }
    q.push_back(list);
  }
  // Unstructured: grammar fragments and odd bytes in any order ('~' left
  // out, as patterns differ by design).
  const std::vector<std::string> frags = {"name",
                                          "labels",
                                          "l",
                                          "a1",
                                          ".",
                                          ",",
                                          "==",
                                          "!=",
                                          "=",
                                          "!",
                                          "\"",
                                          "/",
                                          "|",
                                          "\\",
                                          "\\x4",
                                          "\\u00e9",
                                          "\\07",
                                          " ",
                                          "\t",
                                          "\n",
                                          "\r",
                                          "\xc3",
                                          "\xa9",
                                          std::string(1, '\0'),
                                          "\xff",
                                          "?",
                                          "-",
                                          "`",
                                          "'",
                                          "é",
                                          "\xe2\x80\x8b",
                                          "\xc2\xa0"};
  for (int i = 0; i < 2000; ++i) {
    std::string f;
    const int n = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < n; ++k) f += pick(frags);
    q.push_back({f});
  }
  return q;
}

// Objects for the differential test, created in this order (parents first).
std::vector<Snap> DifferentialCorpus() {
  return {
      {"p", "", "committed", {}},
      {"c2", "", "committed", {{"l", "1"}, {"a.b", "dot"}}},
      {"a1",
       "c2",
       "active",
       {{"l", "2"},
        {"containerd.io/gc.root", "check-walk"},
        {"x y", "sp ace"},
        {"q\"uote", "v,al"}}},
      // No label with an empty value: containerd's storage drops those
      // when it writes labels, so the adaptor never sees them.
      {"v1", "p", "view", {{"é", "ü"}}},
      {"name with spaces", "", "active", {}},
      {"a|b", "c2", "active", {{"k", "a|b"}}},
      {"`t`", "", "view", {{"k", "`t`"}}},
      {"sha256:abc",
       "p",
       "committed",
       {{"containerd.io/snapshot.ref", "sha256:abc"}}},
      {"A1", "", "view", {{"k", "a=b"}}},
      {"\x01", "", "view", {}},
      {"a1\xc2\xa0", "", "view", {}},
      {"é\xcc\x81", "", "view", {}},
  };
}

TEST(FilterTest, MatchesContainerdStorageWalk) {
  const std::string parser_go =
      std::string(kContainerdSrc) +
      "/src/github.com/containerd/containerd/filters/parser.go";
  if (!std::ifstream(parser_go).good()) {
    GTEST_SKIP() << "NOT RUN: containerd sources missing (" << parser_go
                 << "); install golang-github-containerd-containerd-dev";
  }
  if (winsnap::testing::RunCommand({"/usr/bin/env", "go", "version"})
          .exit_code != 0) {
    GTEST_SKIP() << "NOT RUN: no `go` toolchain on PATH; install golang-go";
  }
  winsnap::testing::TempDir dir;
  { std::ofstream(dir.Sub("main.go")) << kOracleGo; }
  std::vector<std::string> build = {"/usr/bin/env", "GO111MODULE=off",
                                    std::string("GOPATH=") + kContainerdSrc,
                                    "GOFLAGS=", "CGO_ENABLED=0"};
  if (std::getenv("GOCACHE") == nullptr && std::getenv("HOME") == nullptr) {
    build.push_back("GOCACHE=" + dir.Sub("gocache"));
  }
  for (const char* a : {"go", "build", "-o"}) build.push_back(a);
  build.push_back(dir.Sub("oracle"));
  build.push_back(dir.Sub("main.go"));
  auto built = winsnap::testing::RunCommand(build);
  ASSERT_EQ(built.exit_code, 0) << built.err;

  const std::vector<Snap> corpus = DifferentialCorpus();
  const auto queries = DifferentialQueries();
  std::string input;
  for (const Snap& s : corpus) {
    input += "obj " + Hex(s.name) + " " + Hex(s.parent) + " " + s.kind;
    for (const auto& [k, v] : s.labels) input += " " + Hex(k) + " " + Hex(v);
    input += "\n";
  }
  for (const auto& list : queries) {
    input += "q";
    for (const std::string& f : list) input += " " + Hex(f);
    input += "\n";
  }
  // Through a file: RunCommand's blocking stdin write would deadlock
  // against an oracle that answers while the input is still coming.
  { std::ofstream(dir.Sub("queries"), std::ios::binary) << input; }
  auto ran = winsnap::testing::RunCommand(
      {dir.Sub("oracle"), dir.Sub("meta.db"), dir.Sub("queries")});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;

  std::istringstream out(ran.out);
  std::string line;
  size_t compared = 0, errors = 0;
  for (const auto& list : queries) {
    ASSERT_TRUE(std::getline(out, line)) << "oracle output ended early";
    std::string want;
    if (line.rfind("err ", 0) == 0) {
      want = Unhex(line.substr(4));
      // ParseAll appends the errdefs class; our Status carries it as code.
      const std::string suffix = ": invalid argument";
      ASSERT_TRUE(
          want.size() > suffix.size() &&
          want.compare(want.size() - suffix.size(), suffix.size(), suffix) == 0)
          << want;
      want.resize(want.size() - suffix.size());
      ++errors;
    } else {
      ASSERT_EQ(line.rfind("ok ", 0), 0u) << line;
      want = line.substr(3);
    }
    std::string got;
    auto f = Filter::ParseAny(list);
    if (!f.ok()) {
      ASSERT_EQ(f.status().code(), StatusCode::kInvalidArgument);
      got = f.status().message();
    } else {
      for (const Snap& s : corpus) got += Matches(*f, s) ? "1" : "0";
    }
    std::string shown;
    for (const std::string& s : list) shown += "[" + s + "] ";
    EXPECT_EQ(got, want) << "filters: " << shown;
    ++compared;
  }
  EXPECT_EQ(compared, queries.size());
  // The random parts must exercise both outcomes.
  EXPECT_GT(errors, 500u);
  EXPECT_GT(queries.size() - errors, 500u);
}

}  // namespace
}  // namespace winsnap::snapshotter
