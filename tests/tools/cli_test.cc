// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Runs the built snapctl binary: outputs, exit codes, errors, and two
// processes sharing one root.

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::winsnap::testing::CommandResult;
using ::winsnap::testing::RunCommand;
using ::winsnap::testing::TempDir;
using ::winsnap::testing::ToolPath;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// Go's encoding/json escapes these three even inside ordinary strings.
std::string GoHtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "\\u0026";
    } else if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else {
      out += c;
    }
  }
  return out;
}

// Escapes '\\' and '"' the way a JSON string literal needs them.
std::string JsonEscapeQuotes(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  return out;
}

std::vector<std::string> Keys(const ordered_json& j) {
  std::vector<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  CommandResult Run(std::vector<std::string> args) {
    std::vector<std::string> argv{ToolPath("snapctl"), "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }
  std::string Ok(std::vector<std::string> args) {
    CommandResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // base <- sha256:mid <- sha256:top, all committed.
  void Chain() {
    Ok({"prepare", "base-a"});
    Ok({"commit", "base", "base-a"});
    Ok({"prepare", "mid-a", "base"});
    Ok({"commit", "sha256:mid", "mid-a"});
    Ok({"prepare", "top-a", "sha256:mid"});
    Ok({"commit", "sha256:top", "top-a"});
  }
  std::string PathOf(const std::string& key) {
    std::string p = Ok({"path", key});
    if (!p.empty() && p.back() == '\n') p.pop_back();
    return p;
  }
  TempDir dir_;
  std::string root_ = dir_.Sub("root");
};

TEST_F(CliTest, PrepareMountsOverChainMatchesContainerdShape) {
  Chain();
  std::string out = Ok({"prepare", "--mounts", "my-test", "sha256:top"});
  std::string expected =
      "[\n    {\n        \"Type\": \"windows-layer\",\n        \"Source\": \"" +
      PathOf("my-test") +
      "\",\n        \"Target\": \"\",\n        \"Options\": [\n"
      "            \"rw\",\n            \"parentLayerPaths=[\\\"" +
      PathOf("sha256:top") + "\\\",\\\"" + PathOf("sha256:mid") + "\\\",\\\"" +
      PathOf("base") + "\\\"]\"\n        ]\n    }\n]\n";
  EXPECT_EQ(out, expected);
  // And it parses as JSON whose option decodes to the nearest-first list.
  json j = json::parse(out);
  std::string opt = j[0]["Options"][1];
  json parents =
      json::parse(opt.substr(std::string("parentLayerPaths=").size()));
  EXPECT_EQ(parents,
            json({PathOf("sha256:top"), PathOf("sha256:mid"), PathOf("base")}));
  EXPECT_EQ(Ok({"mounts", "my-test"}), out);
}

TEST_F(CliTest, ViewMountsAreReadOnly) {
  Chain();
  json j = json::parse(Ok({"view", "--mounts", "v", "sha256:top"}));
  EXPECT_EQ(j[0]["Options"][0], "ro");
}

TEST_F(CliTest, LsTreePathInfoUsage) {
  Chain();
  Ok({"prepare", "my-test", "sha256:top"});
  std::string ls = Ok({"ls"});
  EXPECT_THAT(ls, StartsWith("KEY"));
  EXPECT_THAT(ls, HasSubstr("PATH"));
  EXPECT_THAT(ls, HasSubstr(PathOf("my-test")));
  EXPECT_THAT(ls, HasSubstr("Active"));
  EXPECT_EQ(Ok({"tree"}),
            " base\n  \\_ sha256:mid\n    \\_ sha256:top\n      \\_ my-test\n");
  json info = json::parse(Ok({"info", "my-test"}));
  EXPECT_EQ(info["Kind"], "Active");
  EXPECT_EQ(info["Parent"], "sha256:top");
  EXPECT_EQ(info["Path"], PathOf("my-test"));
  EXPECT_TRUE(info["Id"].is_number());
  json arr = json::parse(Ok({"--json", "ls"}));
  EXPECT_EQ(arr.size(), 4u);
  json usage = json::parse(Ok({"--json", "usage", "base"}));
  EXPECT_GE(usage[0]["inodes"].get<int>(), 1);
  EXPECT_THAT(Ok({"usage"}), HasSubstr("INODES"));
  json path = json::parse(Ok({"--json", "path", "base"}));
  EXPECT_EQ(path["path"], PathOf("base"));
}

TEST_F(CliTest, FiltersAndNamespaces) {
  Ok({"prepare", "default/1/extract-1 sha256:x"});
  Ok({"commit", "default/2/sha256:x", "default/1/extract-1 sha256:x"});
  Ok({"prepare", "k8s.io/3/sha256:x-scratch", "default/2/sha256:x"});
  std::string ls = Ok({"ls", "--namespace", "default"});
  EXPECT_THAT(ls, StartsWith("NAME"));
  EXPECT_THAT(ls, HasSubstr("sha256:x"));
  EXPECT_THAT(ls, ::testing::Not(HasSubstr("k8s.io")));
  EXPECT_EQ(Ok({"path", "-n", "default", "sha256:x"}),
            PathOf("default/2/sha256:x") + "\n");
  // The NAME column is the key without "<ns>/<seq>/".
  EXPECT_THAT(ls, HasSubstr("\nsha256:x "));
  json committed =
      json::parse(Ok({"--json", "ls", "--filter", "kind==committed"}));
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0]["Name"], "default/2/sha256:x");
  CommandResult bad = Run({"ls", "--filter", "kind=="});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("parse error"));
  CommandResult missing = Run({"path", "-n", "default", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
}

TEST_F(CliTest, LabelsSetDeleteAndValidate) {
  Chain();
  EXPECT_EQ(Ok({"label", "base", "a=1", "b=2"}), "a=1\nb=2\n");
  EXPECT_EQ(Ok({"label", "base", "a="}), "b=2\n");
  CommandResult bad = Run({"label", "base", "novalue"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("key=value"));
}

TEST_F(CliTest, ErrorsAreOneLineWithNonZeroExit) {
  Chain();
  CommandResult r = Run({"rm", "base"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("snapctl: rm base:"));
  EXPECT_THAT(r.err, HasSubstr("child"));
  r = Run({"commit", "x", "sha256:top"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not active"));
  r = Run({"prepare", "k", "no-such-parent"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("does not exist"));
  r = Run({"prepare"});
  EXPECT_EQ(r.exit_code, 2);
  r = Run({"info", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  r = Run({"--log-level", "loud", "ls"});
  EXPECT_EQ(r.exit_code, 2);
  r = RunCommand({ToolPath("snapctl"), "--root", dir_.Sub("empty"), "ls"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no winsnap store"));
}

TEST_F(CliTest, RemoveCleanupAndGc) {
  Chain();
  Ok({"rm", "sha256:top"});
  // gc collects the trash itself (the open does not), so it reports it.
  json g = json::parse(Ok({"--json", "gc"}));
  EXPECT_EQ(g["trash_removed"], 1);
  EXPECT_GT(g["reclaimed_bytes"].get<int64_t>(), 0);
  EXPECT_THAT(Ok({"cleanup"}), HasSubstr("removed"));
  std::string gc = Ok({"gc", "--prune", "--dry-run"});
  EXPECT_THAT(gc, HasSubstr("would prune sha256:mid"));
  json r = json::parse(Ok({"--json", "gc", "--prune"}));
  EXPECT_EQ(r["pruned"], json({"sha256:mid", "base"}));
  EXPECT_EQ(json::parse(Ok({"--json", "ls"})).size(), 0u);
}

TEST_F(CliTest, HelpTeachesEveryCommand) {
  for (const char* cmd :
       {"prepare", "view", "mounts", "commit", "rm", "ls", "info", "path",
        "tree", "usage", "label", "cleanup", "gc", "spec"}) {
    CommandResult r = RunCommand({ToolPath("snapctl"), cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_THAT(r.out, HasSubstr("Example:")) << cmd;
  }
}

TEST_F(CliTest, SpecOrdersLayerFoldersScratchLast) {
  Chain();
  Ok({"prepare", "my-test", "sha256:top"});
  json spec = json::parse(
      Ok({"spec", "--snapshot", "my-test", "--", "cmd", "/c", "echo", "hi"}));
  EXPECT_EQ(spec["windows"]["layerFolders"],
            json({PathOf("sha256:top"), PathOf("sha256:mid"), PathOf("base"),
                  PathOf("my-test")}));
  EXPECT_EQ(spec["process"]["args"], json({"cmd", "/c", "echo", "hi"}));
  CommandResult r = Run({"spec", "--snapshot", "my-test"});
  EXPECT_EQ(r.exit_code, 2);  // no command anywhere
  r = Run({"spec"});
  EXPECT_EQ(r.exit_code, 2);
}

// Go's encoding/json escapes <, > and & as \u003c, \u003e, \u0026; ctr's
// output therefore has them escaped in Source and doubly escaped inside the
// parentLayerPaths option (json.Marshal, then MarshalIndent of the string).
TEST_F(CliTest, MountsEscapeLikeGoEncodingJson) {
  root_ = dir_.Sub("a&b<c>");
  Chain();
  std::string out = Ok({"prepare", "--mounts", "my-test", "sha256:top"});
  std::string inner = "[\"" + GoHtmlEscape(PathOf("sha256:top")) + "\",\"" +
                      GoHtmlEscape(PathOf("sha256:mid")) + "\",\"" +
                      GoHtmlEscape(PathOf("base")) + "\"]";
  std::string expected =
      "[\n    {\n        \"Type\": \"windows-layer\",\n        \"Source\": \"" +
      GoHtmlEscape(PathOf("my-test")) +
      "\",\n        \"Target\": \"\",\n        \"Options\": [\n"
      "            \"rw\",\n            \"parentLayerPaths=" +
      JsonEscapeQuotes(inner) + "\"\n        ]\n    }\n]\n";
  EXPECT_EQ(out, expected);
  EXPECT_THAT(out, ::testing::Not(HasSubstr("&")));
  EXPECT_THAT(out, HasSubstr("a\\\\u0026b"));  // doubly escaped in the option
  // A JSON parser still recovers the real paths.
  json j = json::parse(out);
  EXPECT_EQ(j[0]["Source"], PathOf("my-test"));
  std::string opt = j[0]["Options"][1];
  EXPECT_EQ(json::parse(opt.substr(std::string("parentLayerPaths=").size())),
            json({PathOf("sha256:top"), PathOf("sha256:mid"), PathOf("base")}));
  // info escapes the same way (it is what `ctr snapshots info` would print).
  std::string info = Ok({"info", "my-test"});
  EXPECT_THAT(info, HasSubstr("a\\u0026b\\u003cc\\u003e"));
  EXPECT_EQ(json::parse(info)["Path"], PathOf("my-test"));
}

// Builds testdata/ctr_mounts.go with the Go toolchain and compares its
// output (Go's real encoding/json) with snapctl's, byte for byte, for an
// active and a view snapshot over a three-deep chain in a root whose name
// needs Go's HTML-safe escaping.
TEST_F(CliTest, MountsAreByteIdenticalToGoEncodingJson) {
  CommandResult go = RunCommand({"/usr/bin/env", "go", "version"});
  if (go.exit_code != 0) {
    GTEST_SKIP() << "SKIPPED: the Go toolchain (`go`, Debian golang-go) is "
                    "not on PATH, so snapctl's mounts cannot be compared "
                    "with Go's encoding/json";
  }
  std::string bin = dir_.Sub("ctr_mounts");
  CommandResult build =
      RunCommand({"/usr/bin/env", "GO111MODULE=off",
                  "GOFLAGS=", "GOCACHE=" + dir_.Sub("gocache"),
                  "GOPATH=" + dir_.Sub("gopath"), "go", "build", "-o", bin,
                  std::string(WINSNAP_TOOLS_TESTDATA) + "/ctr_mounts.go"});
  ASSERT_EQ(build.exit_code, 0) << build.err;

  root_ = dir_.Sub("C&<x>");
  Chain();
  std::string active = Ok({"prepare", "--mounts", "my-test", "sha256:top"});
  CommandResult want =
      RunCommand({bin, "rw", PathOf("my-test"), PathOf("sha256:top"),
                  PathOf("sha256:mid"), PathOf("base")});
  ASSERT_EQ(want.exit_code, 0) << want.err;
  EXPECT_EQ(active, want.out);

  std::string view = Ok({"view", "--mounts", "my-view", "sha256:mid"});
  want = RunCommand(
      {bin, "ro", PathOf("my-view"), PathOf("sha256:mid"), PathOf("base")});
  EXPECT_EQ(view, want.out);

  std::string solo = Ok({"prepare", "--mounts", "solo"});
  want = RunCommand({bin, "rw", PathOf("solo")});
  EXPECT_EQ(solo, want.out);
}

TEST_F(CliTest, PrepareWithoutParentHasOnlyRw) {
  std::string out = Ok({"prepare", "--mounts", "solo"});
  EXPECT_EQ(out,
            "[\n    {\n        \"Type\": \"windows-layer\",\n"
            "        \"Source\": \"" +
                PathOf("solo") +
                "\",\n        \"Target\": \"\",\n"
                "        \"Options\": [\n            \"rw\"\n        ]\n"
                "    }\n]\n");
  // Without --mounts and --json prepare prints nothing, as ctr does.
  EXPECT_EQ(Ok({"prepare", "quiet"}), "");
}

TEST_F(CliTest, InfoHasCtrShapePlusIdAndPath) {
  Ok({"prepare", "--label", "team=infra", "--label", "z=1", "a"});
  ordered_json info = ordered_json::parse(Ok({"info", "a"}));
  EXPECT_EQ(Keys(info),
            std::vector<std::string>({"Kind", "Name", "Labels", "Created",
                                      "Updated", "Id", "Path"}));
  EXPECT_EQ(info["Labels"], ordered_json({{"team", "infra"}, {"z", "1"}}));
  const std::string created = info["Created"];
  EXPECT_THAT(created,
              ::testing::MatchesRegex(
                  "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                  "(\\.[0-9]*[1-9])?Z"));
  // Four-space indentation like ctr's PrintAsJSON.
  EXPECT_THAT(Ok({"info", "a"}), StartsWith("{\n    \"Kind\": \"Active\",\n"));

  Ok({"commit", "--label", "only=this", "c", "a"});
  ordered_json c = ordered_json::parse(Ok({"info", "c"}));
  EXPECT_EQ(c["Kind"], "Committed");
  EXPECT_EQ(c["Labels"], ordered_json({{"only", "this"}}));
  EXPECT_EQ(c["Id"], info["Id"]);  // commit keeps the id and the folder
  EXPECT_EQ(c["Path"], info["Path"]);
  Ok({"view", "v", "c"});
  ordered_json v = ordered_json::parse(Ok({"info", "v"}));
  EXPECT_EQ(v["Kind"], "View");
  EXPECT_EQ(v["Parent"], "c");
  EXPECT_EQ(Keys(v),
            std::vector<std::string>({"Kind", "Name", "Parent", "Created",
                                      "Updated", "Id", "Path"}));
}

TEST_F(CliTest, EveryCommandHasParsableJson) {
  json p = json::parse(Ok({"--json", "prepare", "base-a"}));
  EXPECT_EQ(p["Kind"], "Active");
  EXPECT_EQ(p["Name"], "base-a");
  json c = json::parse(Ok({"--json", "commit", "base", "base-a"}));
  EXPECT_EQ(c["Kind"], "Committed");
  json v = json::parse(Ok({"--json", "view", "v", "base"}));
  EXPECT_EQ(v["Kind"], "View");
  json m = json::parse(Ok({"--json", "mounts", "v"}));
  EXPECT_EQ(m[0]["Options"][0], "ro");
  json t = json::parse(Ok({"--json", "tree"}));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0]["name"], "base");
  EXPECT_EQ(t[0]["children"][0]["name"], "v");
  json l = json::parse(Ok({"--json", "label", "base", "k=v"}));
  EXPECT_EQ(l, json({{"k", "v"}}));
  json u = json::parse(Ok({"--json", "usage"}));
  EXPECT_EQ(u.size(), 2u);
  json path = json::parse(Ok({"--json", "path", "v"}));
  EXPECT_EQ(path["key"], "v");
  EXPECT_EQ(path["path"], PathOf("v"));
  json rm = json::parse(Ok({"--json", "rm", "v"}));
  EXPECT_EQ(rm, json::parse(R"([{"key":"v","removed":true}])"));
  json cl = json::parse(Ok({"--json", "cleanup"}));
  EXPECT_EQ(cl["removed"], 1);
  EXPECT_EQ(cl["remaining"], 0);
  json ls = json::parse(Ok({"--json", "ls"}));
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0]["Name"], "base");
  EXPECT_EQ(ls[0]["Labels"], json({{"k", "v"}}));
}

TEST_F(CliTest, LsColumnsAndTreeWithSiblings) {
  Chain();
  Ok({"prepare", "x", "base"});
  Ok({"prepare", "y", "sha256:top"});
  std::string ls = Ok({"ls"});
  std::istringstream lines(ls);
  std::string header;
  std::getline(lines, header);
  EXPECT_THAT(header, ::testing::MatchesRegex("KEY +PARENT +KIND +PATH"));
  int rows = 0;
  for (std::string line; std::getline(lines, line);) {
    ++rows;
    std::istringstream cells(line);
    std::vector<std::string> c{std::istream_iterator<std::string>(cells), {}};
    ASSERT_GE(c.size(), 3u) << line;
    EXPECT_EQ(c.back(), PathOf(c.front())) << line;
  }
  EXPECT_EQ(rows, 5);
  std::string tree = Ok({"tree"});
  EXPECT_THAT(tree, StartsWith(" base\n"));
  EXPECT_THAT(tree, HasSubstr("\n  \\_ x\n"));
  EXPECT_THAT(tree, HasSubstr("\n      \\_ y\n"));
  EXPECT_EQ(std::count(tree.begin(), tree.end(), '\n'), 5);
}

TEST_F(CliTest, UsageHumanAndBytes) {
  Ok({"prepare", "big"});
  {
    std::ofstream f(PathOf("big") + "/blob", std::ios::binary);
    f << std::string(300 * 1024, 'x');
  }
  json u = json::parse(Ok({"--json", "usage", "big"}));
  int64_t size = u[0]["size"];
  EXPECT_GE(size, 300 * 1024);
  EXPECT_LT(size, 400 * 1024);
  EXPECT_GE(u[0]["inodes"].get<int>(), 2);
  std::string bytes = Ok({"usage", "-b", "big"});
  EXPECT_THAT(bytes,
              ::testing::MatchesRegex("KEY +SIZE +INODES\nbig +" +
                                      std::to_string(size) + " +[0-9]+\n"));
  std::string human = Ok({"usage", "big"});
  EXPECT_THAT(human,
              ::testing::MatchesRegex(
                  "KEY +SIZE +INODES\nbig +3[0-9][0-9]\\.[0-9] KiB +[0-9]+\n"));
  CommandResult r = Run({"usage", "big", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("snapctl: "));
}

TEST_F(CliTest, RmReportsEveryFailureAndRemovesTheRest) {
  Chain();
  Ok({"prepare", "leaf", "base"});
  CommandResult r = Run({"rm", "nope1", "leaf", "base", "nope2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("snapctl: rm nope1:"));
  EXPECT_THAT(r.err, HasSubstr("snapctl: rm nope2:"));
  EXPECT_THAT(r.err, HasSubstr("snapctl: rm base:"));  // still has sha256:mid
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 3);
  EXPECT_EQ(Run({"info", "leaf"}).exit_code, 1);
  EXPECT_EQ(Run({"info", "base"}).exit_code, 0);
  Ok({"rm", "sha256:top", "sha256:mid", "base"});  // children first works
  EXPECT_EQ(json::parse(Ok({"--json", "ls"})).size(), 0u);
  // The last three folders wait in trash/ until cleanup deletes them ("leaf"
  // went when the second rm opened the store read-write).
  EXPECT_EQ(ListDir(root_ + "/trash").size(), 3u);
  std::string cleanup = Ok({"cleanup"});
  EXPECT_THAT(cleanup, StartsWith("removed 3, reclaimed "));
  EXPECT_EQ(ListDir(root_ + "/trash").size(), 0u);
  EXPECT_THAT(cleanup, ::testing::EndsWith(", remaining 0\n"));
  EXPECT_EQ(Ok({"cleanup"}), "removed 0, reclaimed 0.0 B, remaining 0\n");
}

TEST_F(CliTest, BadInputIsAUsageErrorWithOneLine) {
  Chain();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string substr;
  };
  std::vector<Case> cases = {
      {{"view", "v"}, 2, "parent"},
      {{"commit", "only-name"}, 2, "key"},
      {{"no-such-command"}, 2, ""},
      {{"prepare", "--label", "novalue", "k"}, 2, "key=value"},
      {{"prepare", "--label", "=v", "k"}, 2, "key=value"},
      {{"label", "base"}, 2, "labels"},
      {{"ls", "--filter", "labels.\"unterminated"}, 2, ""},
      {{"--mount-type", "zfs", "ls"}, 2, "mount-type"},
      {{"prepare", "base", ""}, 1, "already exists"},
      {{"prepare", "", "base"}, 2, ""},
      {{"view", "v", "no-such"}, 1, "no-such"},
      {{"mounts", "base"}, 1, ""},  // committed snapshots have no mounts
      {{"commit", "base", "top-a"}, 1, ""},  // top-a was committed away
      {{"path", "nope"}, 1, "nope"},
  };
  for (const auto& c : cases) {
    CommandResult r = Run(c.args);
    std::string what = ::testing::PrintToString(c.args);
    EXPECT_EQ(r.exit_code, c.code) << what << ": " << r.err;
    EXPECT_THAT(r.err, StartsWith("snapctl: ")) << what;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.substr)) << what;
    EXPECT_EQ(r.out, "") << what;
  }
  // Nothing above changed the store.
  EXPECT_EQ(json::parse(Ok({"--json", "ls"})).size(), 3u);
}

TEST_F(CliTest, NamespaceNamesMustBeUnique) {
  Ok({"prepare", "default/1/app"});
  Ok({"prepare", "default/7/app"});
  Ok({"prepare", "default/8/other"});
  CommandResult r = Run({"path", "-n", "default", "app"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("ambiguous"));
  EXPECT_THAT(r.err, HasSubstr("default/1/app"));
  EXPECT_THAT(r.err, HasSubstr("default/7/app"));
  EXPECT_EQ(Ok({"path", "-n", "default", "other"}),
            PathOf("default/8/other") + "\n");
  EXPECT_EQ(Run({"path", "-n", "k8s.io", "other"}).exit_code, 1);
  json info = json::parse(Ok({"info", "-n", "default", "other"}));
  EXPECT_EQ(info["Name"], "default/8/other");
}

TEST_F(CliTest, RootFromEnvironmentAndRelativeRoot) {
  Ok({"prepare", "k"});
  CommandResult r = RunCommand({"/usr/bin/env", "WINSNAP_ROOT=" + root_,
                                ToolPath("snapctl"), "path", "k"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, PathOf("k") + "\n");
  // --root wins over the environment.
  r = RunCommand({"/usr/bin/env", "WINSNAP_ROOT=" + dir_.Sub("other"),
                  ToolPath("snapctl"), "--root", root_, "path", "k"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // A relative --root is taken from the current directory.
  r = RunCommand({"/usr/bin/env", "-C", dir_.path(), ToolPath("snapctl"),
                  "--root", "./rel/", "prepare", "r"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCommand({ToolPath("snapctl"), "--root", dir_.Sub("rel"), "path", "r"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith(dir_.Sub("rel") + "/"));
}

// One process writes (prepare/commit loop) while another lists and resolves
// paths on the same root; both succeed and the reader only sees complete
// snapshots.
TEST_F(CliTest, TwoProcessesShareOneRoot) {
  Chain();
  pid_t writer = ::fork();
  if (writer == 0) {
    for (int i = 0; i < 30; ++i) {
      std::string k = "w" + std::to_string(i);
      auto a = RunCommand({ToolPath("snapctl"), "--root", dir_.Sub("root"),
                           "prepare", k, "base"});
      auto b = RunCommand({ToolPath("snapctl"), "--root", dir_.Sub("root"),
                           "commit", k + "-c", k});
      if (a.exit_code != 0 || b.exit_code != 0) ::_exit(1);
    }
    ::_exit(0);
  }
  int reads = 0;
  int status = 0;
  size_t last_count = 0;
  std::set<size_t> counts_seen;
  bool writer_done = false;
  while (!writer_done || reads < 3) {
    if (!writer_done) writer_done = ::waitpid(writer, &status, WNOHANG) != 0;
    CommandResult r = Run({"--json", "ls"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json all = json::parse(r.out);
    // Consistent: every listed snapshot has its folder and its parent, the
    // snapshot count never goes down, and a key just listed resolves.
    std::set<std::string> names;
    for (const auto& i : all) names.insert(i["Name"].get<std::string>());
    std::string last;
    for (const auto& i : all) {
      EXPECT_EQ(::access(i["Path"].get<std::string>().c_str(), F_OK), 0)
          << i["Name"];
      if (i.contains("Parent")) {
        EXPECT_TRUE(names.count(i["Parent"].get<std::string>())) << i["Name"];
      }
      // Active keys vanish when the writer commits them; committed stay.
      if (i["Kind"] == "Committed") last = i["Name"];
    }
    EXPECT_GE(all.size(), last_count);
    last_count = all.size();
    counts_seen.insert(all.size());
    CommandResult p = Run({"path", last});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    ++reads;
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(json::parse(Ok({"--json", "ls"})).size(), 33u);
  // The reader really overlapped the writer (it saw intermediate states).
  EXPECT_GE(counts_seen.size(), 2u);
}

}  // namespace
}  // namespace winsnap
