// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Runs the built snapctl binary: outputs, exit codes, errors, and two
// processes sharing one root.

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

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

class CliTest : public ::testing::Test {
 protected:
  CommandResult Run(std::vector<std::string> args) {
    std::vector<std::string> argv{ToolPath("snapctl"), "--root",
                                  dir_.Sub("root")};
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
  EXPECT_EQ(PathOf("default/2/sha256:x"),
            Ok({"path", "-n", "default", "sha256:x"})
                .substr(0, PathOf("default/2/sha256:x").size()));
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
  while (::waitpid(writer, &status, WNOHANG) == 0 || reads < 3) {
    CommandResult r = Run({"--json", "ls"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& i : json::parse(r.out)) {
      EXPECT_EQ(::access(i["Path"].get<std::string>().c_str(), F_OK), 0)
          << i["Name"];
    }
    EXPECT_EQ(Run({"path", "base"}).exit_code, 0);
    ++reads;
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(json::parse(Ok({"--json", "ls"})).size(), 33u);
}

}  // namespace
}  // namespace winsnap
