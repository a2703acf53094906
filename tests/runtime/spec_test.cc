// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "runtime/spec.h"

#include "hcs/oci.h"
#include "metadata/store.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::runtime {
namespace {

using ::testing::ElementsAre;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

class SpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshotter::Options o;
    o.root = dir_.Sub("root");
    auto sn = snapshotter::Snapshotter::Open(o);
    ASSERT_OK(sn);
    sn_ = std::move(sn).value();
  }

  // Builds a committed chain of n layers and an active scratch over it;
  // returns the folders base first.
  std::vector<std::string> Chain(int n) {
    std::vector<std::string> folders;
    std::string parent;
    for (int i = 0; i < n; ++i) {
      std::string name = "layer" + std::to_string(i);
      EXPECT_OK(sn_->Prepare(name + "-a", parent));
      EXPECT_OK(sn_->Commit(name, name + "-a"));
      folders.push_back(sn_->Stat(name)->path);
      parent = name;
    }
    EXPECT_OK(sn_->Prepare("scratch", parent));
    return folders;
  }

  TempDir dir_;
  std::unique_ptr<snapshotter::Snapshotter> sn_;
};

TEST_F(SpecTest, OneLayerChainPutsScratchLast) {
  auto f = Chain(1);
  ASSERT_OK_AND_ASSIGN(auto got, LayerFolders(*sn_, "scratch"));
  EXPECT_THAT(got, ElementsAre(f[0], sn_->Stat("scratch")->path));
}

TEST_F(SpecTest, TwoAndFiveLayerChainsAreNearestParentFirst) {
  auto f = Chain(5);
  ASSERT_OK_AND_ASSIGN(auto got, LayerFolders(*sn_, "scratch"));
  EXPECT_THAT(got, ElementsAre(f[4], f[3], f[2], f[1], f[0],
                               sn_->Stat("scratch")->path));
}

TEST_F(SpecTest, TwoLayerChain) {
  auto f = Chain(2);
  ASSERT_OK_AND_ASSIGN(auto got, LayerFolders(*sn_, "scratch"));
  EXPECT_THAT(got, ElementsAre(f[1], f[0], sn_->Stat("scratch")->path));
}

// The seed's servercore case: parents 24 (top) and 23 (base), scratch 25.
TEST_F(SpecTest, ServercoreSeedCaseOrders24Then23Then25) {
  const std::string dir =
      R"(C:\ProgramData\containerd\root\io.containerd.snapshotter.v1.windows\snapshots\)";
  auto rec = [&](uint64_t id, std::string key, metadata::Kind kind,
                 std::string parent) {
    metadata::SnapshotRecord r;
    r.id = id;
    r.key = std::move(key);
    r.kind = kind;
    r.parent = std::move(parent);
    r.path = dir + std::to_string(id);
    return r;
  };
  ASSERT_OK(sn_->TEST_store()->Update([&](metadata::WriteTxn& txn) -> Status {
    WINSNAP_RETURN_IF_ERROR(txn.PutSnapshot(
        rec(23, "sha256:base", metadata::Kind::kCommitted, "")));
    WINSNAP_RETURN_IF_ERROR(txn.PutSnapshot(
        rec(24, "sha256:top", metadata::Kind::kCommitted, "sha256:base")));
    return txn.PutSnapshot(
        rec(25, "my-test", metadata::Kind::kActive, "sha256:top"));
  }));
  SpecOptions o;
  o.snapshot_key = "my-test";
  o.args = {"cmd", "/c", "echo hi"};
  ASSERT_OK_AND_ASSIGN(auto spec, GenerateSpec(*sn_, o, nullptr));
  EXPECT_EQ(spec["windows"]["layerFolders"],
            nlohmann::json::array({dir + "24", dir + "23", dir + "25"}));
  EXPECT_EQ(spec["process"]["args"],
            nlohmann::json::array({"cmd", "/c", "echo hi"}));
  EXPECT_EQ(spec["process"]["cwd"], "C:\\");
  EXPECT_FALSE(spec.contains("root"));
}

TEST_F(SpecTest, CommittedSnapshotCannotBeScratch) {
  Chain(1);
  EXPECT_THAT(LayerFolders(*sn_, "layer0"),
              StatusIs(StatusCode::kFailedPrecondition, "prepare"));
  EXPECT_THAT(LayerFolders(*sn_, "nope"), StatusIs(StatusCode::kNotFound));
}

TEST_F(SpecTest, ImageDefaultsAndOverrides) {
  Chain(1);
  ASSERT_OK_AND_ASSIGN(ImageDefaults img, ParseImageConfig(R"({"config":{
      "Entrypoint":["cmd","/S","/C"],"Cmd":["dir"],"Env":["PATH=C:\\Windows"],
      "WorkingDir":"C:\\app","User":"ContainerUser"}})"));
  SpecOptions o;
  o.snapshot_key = "scratch";
  ASSERT_OK_AND_ASSIGN(auto spec, GenerateSpec(*sn_, o, &img));
  EXPECT_EQ(spec["process"]["args"],
            nlohmann::json::array({"cmd", "/S", "/C", "dir"}));
  EXPECT_EQ(spec["process"]["cwd"], "C:\\app");
  EXPECT_EQ(spec["process"]["user"]["username"], "ContainerUser");
  o.args = {"echo", "x"};
  o.env = {"A=1"};
  o.cwd = "C:\\";
  ASSERT_OK_AND_ASSIGN(spec, GenerateSpec(*sn_, o, &img));
  EXPECT_EQ(spec["process"]["args"],
            nlohmann::json::array({"cmd", "/S", "/C", "echo", "x"}));
  EXPECT_EQ(spec["process"]["env"],
            nlohmann::json::array({"PATH=C:\\Windows", "A=1"}));
  EXPECT_EQ(spec["process"]["cwd"], "C:\\");
}

TEST_F(SpecTest, NoCommandIsAnError) {
  Chain(1);
  SpecOptions o;
  o.snapshot_key = "scratch";
  EXPECT_THAT(GenerateSpec(*sn_, o, nullptr),
              StatusIs(StatusCode::kInvalidArgument, "command"));
}

TEST_F(SpecTest, BadImageConfigIsInvalidArgument) {
  EXPECT_THAT(ParseImageConfig("{"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseImageConfig(R"({"config":{"Cmd":"dir"}})"),
              StatusIs(StatusCode::kInvalidArgument, "Cmd"));
  EXPECT_THAT(ParseImageConfig(R"({"config":{"Env":[1]}})"),
              StatusIs(StatusCode::kInvalidArgument, "Env"));
  ASSERT_OK_AND_ASSIGN(ImageDefaults d,
                       ParseImageConfig(R"({"architecture":"amd64"})"));
  EXPECT_TRUE(d.cmd.empty());
}

TEST_F(SpecTest, ImageForSnapshotFindsImageByTopLayer) {
  Chain(2);
  metadata::ImageRecord img;
  img.name = "example/app:1";
  img.manifest_digest = "sha256:m";
  img.top_chain_id = "layer1";
  img.config_json = R"({"config":{"Cmd":["run-me"]}})";
  ASSERT_OK(sn_->TEST_store()->Update(
      [&](metadata::WriteTxn& txn) { return txn.PutImage(img); }));
  ASSERT_OK_AND_ASSIGN(auto d, ImageForSnapshot(*sn_, "scratch"));
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(d->cmd, ElementsAre("run-me"));
  ASSERT_OK(sn_->Prepare("other", "layer0"));
  ASSERT_OK_AND_ASSIGN(auto none, ImageForSnapshot(*sn_, "other"));
  EXPECT_FALSE(none.has_value());
}

TEST_F(SpecTest, GeneratedSpecPassesTheStrictOciParser) {
  std::vector<std::string> f = Chain(2);
  SpecOptions o;
  o.snapshot_key = "scratch";
  o.args = {"cmd"};
  ASSERT_OK_AND_ASSIGN(auto spec, GenerateSpec(*sn_, o, nullptr));
  ASSERT_OK_AND_ASSIGN(hcs::oci::Spec parsed, hcs::oci::SpecFromJson(spec));
  ASSERT_TRUE(parsed.windows.has_value());
  EXPECT_THAT(parsed.windows->layer_folders,
              ElementsAre(f[1], f[0], sn_->Stat("scratch")->path));
  EXPECT_EQ(parsed.hostname, "winsnap");
  EXPECT_EQ(hcs::oci::SpecToJson(parsed), spec);
}

class PrepareConfigTest : public SpecTest {
 protected:
  // The keys of all snapshots.
  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    EXPECT_OK(sn_->Walk([&](const snapshotter::Info& i) {
      keys.push_back(i.name);
      return OkStatus();
    }));
    return keys;
  }
  void PutImage(const std::string& config_json) {
    metadata::ImageRecord img;
    img.name = "example/app:1";
    img.manifest_digest = "sha256:m";
    img.top_chain_id = "layer0";
    img.config_json = config_json;
    ASSERT_OK(sn_->TEST_store()->Update(
        [&](metadata::WriteTxn& txn) { return txn.PutImage(img); }));
  }
  base::Env& env_ = *base::Env::Default();
};

TEST_F(PrepareConfigTest, NoSourceIsInvalidArgument) {
  EXPECT_THAT(PrepareConfig(*sn_, env_, ConfigSource{}, "c1"),
              StatusIs(StatusCode::kInvalidArgument, "--config"));
}

TEST_F(PrepareConfigTest, SnapshotSourceUsesIdAsHostnameAndOwnsNothing) {
  std::vector<std::string> f = Chain(1);
  ConfigSource s;
  s.snapshot = "scratch";
  s.args = {"cmd", "/c", "ver"};
  ASSERT_OK_AND_ASSIGN(PreparedConfig p, PrepareConfig(*sn_, env_, s, "c1"));
  EXPECT_TRUE(p.owned_key.empty());
  nlohmann::json j = nlohmann::json::parse(p.config_json);
  EXPECT_EQ(j["hostname"], "c1");
  EXPECT_EQ(j["process"]["args"], nlohmann::json({"cmd", "/c", "ver"}));
  EXPECT_EQ(j["windows"]["layerFolders"],
            nlohmann::json({f[0], sn_->Stat("scratch")->path}));
}

TEST_F(PrepareConfigTest, ImageSourcePreparesAnOwnedScratchOnItsTopLayer) {
  Chain(1);
  PutImage(R"({"config":{"Cmd":["run-me"]}})");
  ConfigSource s;
  s.image = "example/app:1";
  ASSERT_OK_AND_ASSIGN(PreparedConfig p, PrepareConfig(*sn_, env_, s, "c1"));
  ASSERT_FALSE(p.owned_key.empty());
  ASSERT_OK_AND_ASSIGN(snapshotter::Info scratch, sn_->Stat(p.owned_key));
  EXPECT_EQ(scratch.parent, "layer0");
  nlohmann::json j = nlohmann::json::parse(p.config_json);
  EXPECT_EQ(j["process"]["args"], nlohmann::json({"run-me"}));
}

TEST_F(PrepareConfigTest, ImageWithoutCommandLeavesNoScratchBehind) {
  Chain(1);
  PutImage(R"({"config":{}})");
  std::vector<std::string> before = Keys();
  ConfigSource s;
  s.image = "example/app:1";
  EXPECT_THAT(PrepareConfig(*sn_, env_, s, "c1"),
              StatusIs(StatusCode::kInvalidArgument, "command"));
  EXPECT_EQ(Keys(), before);
  s.image = "missing:1";
  EXPECT_THAT(PrepareConfig(*sn_, env_, s, "c1"),
              StatusIs(StatusCode::kNotFound, "missing:1"));
}

TEST_F(PrepareConfigTest, ConfigFileIsKeptOrGetsTheOverrides) {
  std::string path = dir_.Sub("config.json");
  std::string text =
      R"({"ociVersion":"1.1.0","process":{"commandLine":"cmd /c dir",)"
      R"("env":["A=1"],"cwd":"C:\\"}})";
  ASSERT_OK(env_.WriteFileAtomic(path, text));
  ConfigSource s;
  s.config = path;
  ASSERT_OK_AND_ASSIGN(PreparedConfig p, PrepareConfig(*sn_, env_, s, "c1"));
  EXPECT_EQ(p.config_json, text);
  s.args = {"ping"};
  s.env = {"B=2"};
  s.cwd = "C:\\w";
  ASSERT_OK_AND_ASSIGN(p, PrepareConfig(*sn_, env_, s, "c1"));
  nlohmann::json j = nlohmann::json::parse(p.config_json);
  EXPECT_FALSE(j["process"].contains("commandLine"));
  EXPECT_EQ(j["process"]["args"], nlohmann::json({"ping"}));
  EXPECT_EQ(j["process"]["env"], nlohmann::json({"A=1", "B=2"}));
  EXPECT_EQ(j["process"]["cwd"], "C:\\w");
  ASSERT_OK(env_.WriteFileAtomic(path, "[1]"));
  EXPECT_THAT(PrepareConfig(*sn_, env_, s, "c1"),
              StatusIs(StatusCode::kInvalidArgument, "process object"));
}

}  // namespace
}  // namespace winsnap::runtime
