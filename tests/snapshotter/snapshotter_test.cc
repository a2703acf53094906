// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// containerd's snapshotter conformance scenarios that need no mounting
// (snapshots/testsuite/testsuite.go), ported to the embedded API, plus the
// windows-layer Mounts() shape and recovery behaviour.

#include "snapshotter/snapshotter.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "tests/testutil/fault_env.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::snapshotter {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

class SnapshotterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(Reopen()); }

  Status Reopen(MountType type = MountType::kWindowsLayer) {
    sn_.reset();
    Options o;
    o.root = dir_.Sub("root");
    o.mount_type = type;
    auto s = Snapshotter::Open(o);
    if (!s.ok()) return s.status();
    sn_ = std::move(s).value();
    return OkStatus();
  }

  std::string Root() const { return dir_.Sub("root"); }
  std::string Folder(uint64_t id) const {
    return Root() + "/snapshots/" + std::to_string(id);
  }

  // Prepare + commit; returns the committed Info.
  Info Layer(const std::string& name, const std::string& parent) {
    EXPECT_OK(sn_->Prepare(name + "-active", parent));
    EXPECT_OK(sn_->Commit(name, name + "-active"));
    auto info = sn_->Stat(name);
    EXPECT_OK(info);
    return info.ok() ? *info : Info{};
  }

  std::vector<Info> WalkAll(const std::vector<std::string>& filters = {}) {
    std::vector<Info> out;
    EXPECT_OK(sn_->Walk(
        [&](const Info& i) {
          out.push_back(i);
          return OkStatus();
        },
        filters));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Snapshotter> sn_;
};

TEST_F(SnapshotterTest, BasicChainPrepareCommitViewRemove) {
  ASSERT_OK(sn_->Prepare("preparing", ""));
  ASSERT_OK(sn_->Commit("committed", "preparing"));
  ASSERT_OK_AND_ASSIGN(Info si, sn_->Stat("committed"));
  EXPECT_EQ(si.parent, "");
  EXPECT_EQ(si.kind, Kind::kCommitted);
  EXPECT_THAT(sn_->Stat("preparing"), StatusIs(StatusCode::kNotFound));

  ASSERT_OK(sn_->Prepare("next-preparing", "committed"));
  ASSERT_OK_AND_ASSIGN(Info ni, sn_->Stat("next-preparing"));
  EXPECT_EQ(ni.parent, "committed");
  EXPECT_EQ(ni.kind, Kind::kActive);
  ASSERT_OK(sn_->Commit("next-committed", "next-preparing"));

  auto all = WalkAll();
  ASSERT_OK_AND_ASSIGN(Info c1, sn_->Stat("committed"));
  ASSERT_OK_AND_ASSIGN(Info c2, sn_->Stat("next-committed"));
  EXPECT_THAT(all, UnorderedElementsAre(c1, c2));

  ASSERT_OK(sn_->View("view", "next-committed"));
  EXPECT_OK(sn_->Remove("view"));
  EXPECT_THAT(sn_->Remove("committed"),
              StatusIs(StatusCode::kFailedPrecondition, "remove"));
  EXPECT_OK(sn_->Remove("next-committed"));
  EXPECT_OK(sn_->Remove("committed"));
  EXPECT_TRUE(WalkAll().empty());
}

TEST_F(SnapshotterTest, StatActiveAndCommitted) {
  ASSERT_OK(sn_->Prepare("a", ""));
  ASSERT_OK_AND_ASSIGN(Info a, sn_->Stat("a"));
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.kind, Kind::kActive);
  EXPECT_EQ(a.parent, "");
  ASSERT_OK(sn_->Commit("c", "a"));
  ASSERT_OK_AND_ASSIGN(Info c, sn_->Stat("c"));
  EXPECT_EQ(c.name, "c");
  EXPECT_EQ(c.kind, Kind::kCommitted);
  EXPECT_EQ(c.id, a.id);  // commit keeps the folder
  EXPECT_EQ(c.path, a.path);
}

TEST_F(SnapshotterTest, TransitivityOfParents) {
  Layer("A", "");
  Layer("B", "A");
  ASSERT_OK_AND_ASSIGN(Info b, sn_->Stat("B"));
  ASSERT_OK_AND_ASSIGN(Info a, sn_->Stat(b.parent));
  EXPECT_EQ(a.name, "A");
  EXPECT_EQ(a.parent, "");
}

TEST_F(SnapshotterTest, DuplicateKeysFailAcrossPrepareAndView) {
  Layer("base", "");
  ASSERT_OK(sn_->Prepare("k1", "base"));
  EXPECT_THAT(sn_->View("k1", "base"), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(sn_->Prepare("k1", "base"), StatusIs(StatusCode::kAlreadyExists));
  ASSERT_OK(sn_->View("k2", "base"));
  EXPECT_THAT(sn_->View("k2", "base"), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(sn_->Prepare("k2", "base"), StatusIs(StatusCode::kAlreadyExists));
}

TEST_F(SnapshotterTest, PrepareValidatesParentAndKey) {
  EXPECT_THAT(sn_->Prepare("x", "missing"),
              StatusIs(StatusCode::kNotFound, "missing"));
  ASSERT_OK(sn_->Prepare("active", ""));
  EXPECT_THAT(sn_->Prepare("x", "active"),
              StatusIs(StatusCode::kInvalidArgument, "committed"));
  EXPECT_THAT(sn_->Prepare("", ""), StatusIs(StatusCode::kInvalidArgument));
  // No folder of a failed Prepare survives.
  ASSERT_OK_AND_ASSIGN(auto names,
                       base::Env::Default()->ListDir(Root() + "/snapshots"));
  EXPECT_EQ(names.size(), 1u);
}

TEST_F(SnapshotterTest, UpdateFollowsContainerdFieldPaths) {
  Layer("c1", "");
  ASSERT_OK_AND_ASSIGN(Info before, sn_->Stat("c1"));
  EXPECT_EQ(before.created_ns, before.updated_ns);

  Info in = before;
  in.labels = {{"l1", "v1"}, {"l2", "v2"}};
  in.parent = "doesnotexist";  // ignored
  ASSERT_OK_AND_ASSIGN(Info out, sn_->Update(in));
  EXPECT_EQ(out.labels, in.labels);
  EXPECT_EQ(out.parent, "");
  EXPECT_EQ(out.created_ns, before.created_ns);
  EXPECT_GE(out.updated_ns, before.updated_ns);

  in.labels = {{"l1", "v1-new"}};
  ASSERT_OK_AND_ASSIGN(out, sn_->Update(in, {"labels.l1", "labels.l2"}));
  EXPECT_EQ(out.labels,
            (Labels{{"l1", "v1-new"}}));  // l2 absent in input: deleted

  in.labels = {{"l3", "v3"}};
  ASSERT_OK_AND_ASSIGN(out, sn_->Update(in, {"labels"}));
  EXPECT_EQ(out.labels, (Labels{{"l3", "v3"}}));

  EXPECT_THAT(sn_->Update(in, {"parent"}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(sn_->Update(in, {"labels."}),
              StatusIs(StatusCode::kInvalidArgument));
  Info missing;
  missing.name = "nope";
  EXPECT_THAT(sn_->Update(missing), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(Info final_info, sn_->Stat("c1"));
  EXPECT_EQ(final_info.labels, (Labels{{"l3", "v3"}}));
}

TEST_F(SnapshotterTest, EmptyLabelValuesAreDropped) {
  Layer("c", "");
  Info in;
  in.name = "c";
  in.labels = {{"a", "1"}, {"b", ""}};
  ASSERT_OK_AND_ASSIGN(Info out, sn_->Update(in));
  EXPECT_EQ(out.labels, (Labels{{"a", "1"}}));

  // Create and Commit drop them too, as containerd's storage does.
  ASSERT_OK(sn_->Prepare("d", "", {{"x", ""}, {"y", "2"}}));
  ASSERT_OK_AND_ASSIGN(out, sn_->Stat("d"));
  EXPECT_EQ(out.labels, (Labels{{"y", "2"}}));
  ASSERT_OK(sn_->Commit("D", "d", {{"z", ""}, {"w", "3"}}));
  ASSERT_OK_AND_ASSIGN(out, sn_->Stat("D"));
  EXPECT_EQ(out.labels, (Labels{{"w", "3"}}));
}

TEST_F(SnapshotterTest, KeysAreReusableAfterRemove) {
  Layer("base", "");
  ASSERT_OK(sn_->Prepare("k", "base"));
  ASSERT_OK(sn_->Remove("k"));
  ASSERT_OK(sn_->View("k", "base"));
  ASSERT_OK(sn_->Remove("k"));
  ASSERT_OK(sn_->Prepare("k", "base"));
  ASSERT_OK(sn_->Commit("c", "k"));
  ASSERT_OK(sn_->Remove("c"));
  ASSERT_OK(sn_->Prepare("k2", "base"));
  EXPECT_OK(sn_->Commit("c", "k2"));
}

TEST_F(SnapshotterTest, RemoveIntermediateFailsUntilTopIsGone) {
  Layer("base", "");
  Layer("mid", "base");
  Layer("top", "mid");
  EXPECT_THAT(sn_->Remove("mid"),
              StatusIs(StatusCode::kFailedPrecondition, "remove"));
  EXPECT_THAT(sn_->Remove("base"), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_OK(sn_->Remove("top"));
  EXPECT_OK(sn_->Remove("mid"));
  EXPECT_OK(sn_->Remove("base"));
  EXPECT_THAT(sn_->Remove("base"), StatusIs(StatusCode::kNotFound));
}

TEST_F(SnapshotterTest, RemoveMovesFolderToTrashAndCleanupDeletesIt) {
  Info c = Layer("c", "");
  { std::ofstream(c.path + "/Files/data") << std::string(5000, 'x'); }
  ASSERT_OK(sn_->Remove("c"));
  EXPECT_FALSE(base::Env::Default()->Exists(c.path));
  ASSERT_OK_AND_ASSIGN(auto trash,
                       base::Env::Default()->ListDir(Root() + "/trash"));
  EXPECT_EQ(trash.size(), 1u);
  ASSERT_OK_AND_ASSIGN(CleanupReport r, sn_->Cleanup());
  EXPECT_EQ(r.removed, 1);
  EXPECT_GT(r.reclaimed_bytes, 4000);
  EXPECT_EQ(r.remaining, 0);
  ASSERT_OK_AND_ASSIGN(trash, base::Env::Default()->ListDir(Root() + "/trash"));
  EXPECT_TRUE(trash.empty());
}

TEST_F(SnapshotterTest, CommitChecksKindAndName) {
  Layer("c", "");
  ASSERT_OK(sn_->Prepare("a", "c"));
  EXPECT_THAT(sn_->Commit("c", "a"), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(sn_->Commit("x", "c"), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(sn_->Commit("x", "missing"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK(sn_->View("v", "c"));
  EXPECT_THAT(sn_->Commit("x", "v"), StatusIs(StatusCode::kFailedPrecondition));
  // Commit replaces labels (containerd: labels are not inherited).
  ASSERT_OK(sn_->Prepare("lab", "", {{"old", "1"}}));
  ASSERT_OK(sn_->Commit("lab-c", "lab", {{"new", "2"}}));
  ASSERT_OK_AND_ASSIGN(Info i, sn_->Stat("lab-c"));
  EXPECT_EQ(i.labels, (Labels{{"new", "2"}}));
}

TEST_F(SnapshotterTest, WalkAppliesContainerdFilters) {
  Layer("c1", "");
  ASSERT_OK(sn_->Prepare("a1", "c1", {{"l", "2"}}));
  ASSERT_OK(sn_->View("v1", "c1", {{"containerd.io/gc.root", "check-walk"}}));
  auto names = [](const std::vector<Info>& v) {
    std::vector<std::string> n;
    n.reserve(v.size());
    for (const auto& i : v) n.push_back(i.name);
    std::sort(n.begin(), n.end());
    return n;
  };
  EXPECT_THAT(names(WalkAll({"kind==committed"})), ElementsAre("c1"));
  EXPECT_THAT(names(WalkAll({"kind==view"})), ElementsAre("v1"));
  EXPECT_THAT(names(WalkAll({"name==a1", "name==v1"})),
              ElementsAre("a1", "v1"));
  EXPECT_THAT(names(WalkAll({"parent==c1"})), ElementsAre("a1", "v1"));
  EXPECT_THAT(names(WalkAll({"parent!=\"\""})), ElementsAre("a1", "v1"));
  EXPECT_THAT(names(WalkAll({"labels.l"})), ElementsAre("a1"));
  EXPECT_THAT(names(WalkAll({"labels.l==2"})), ElementsAre("a1"));
  EXPECT_THAT(names(WalkAll({R"(labels."containerd.io/gc.root"==check-walk)"})),
              ElementsAre("v1"));
  EXPECT_THAT(sn_->Walk([](const Info&) { return OkStatus(); }, {"name=="}),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(SnapshotterTest, StatInsideWalkMatchesWalkInfo) {
  Layer("c1", "");
  ASSERT_OK(sn_->Prepare("a1", "c1", {{"k", "v"}}));
  int n = 0;
  ASSERT_OK(sn_->Walk([&](const Info& w) -> Status {
    WINSNAP_ASSIGN_OR_RETURN(Info s, sn_->Stat(w.name));
    EXPECT_EQ(s, w);
    ++n;
    return OkStatus();
  }));
  EXPECT_EQ(n, 2);
}

TEST_F(SnapshotterTest, CloseTwiceIsHarmless) {
  sn_.reset();
  sn_.reset();
  ASSERT_OK(Reopen());
  ASSERT_OK(Reopen());
}

TEST_F(SnapshotterTest, WindowsLayerMountsMatchContainerd172) {
  Info base = Layer("base", "");
  Info mid = Layer("mid", "base");
  Info top = Layer("top", "mid");
  ASSERT_OK_AND_ASSIGN(auto m, sn_->Prepare("my-test", "top"));
  ASSERT_OK_AND_ASSIGN(Info t, sn_->Stat("my-test"));
  std::string parents = "parentLayerPaths=[\"" + top.path + "\",\"" + mid.path +
                        "\",\"" + base.path + "\"]";
  EXPECT_THAT(m,
              ElementsAre(Mount{"windows-layer", t.path, "", {"rw", parents}}));
  ASSERT_OK_AND_ASSIGN(auto again, sn_->Mounts("my-test"));
  EXPECT_EQ(again, m);

  ASSERT_OK_AND_ASSIGN(auto v, sn_->View("v", "top"));
  ASSERT_OK_AND_ASSIGN(Info vi, sn_->Stat("v"));
  EXPECT_THAT(
      v, ElementsAre(Mount{"windows-layer", vi.path, "", {"ro", parents}}));
  EXPECT_TRUE(base::Env::Default()->IsDirectory(
      vi.path));  // >=1.7.2: views get a folder

  ASSERT_OK_AND_ASSIGN(auto solo, sn_->Prepare("solo", ""));
  ASSERT_OK_AND_ASSIGN(Info si, sn_->Stat("solo"));
  EXPECT_THAT(solo, ElementsAre(Mount{"windows-layer", si.path, "", {"rw"}}));
  EXPECT_TRUE(
      base::Env::Default()->IsDirectory(si.path + "/Files"));  // new base layer

  EXPECT_THAT(sn_->Mounts("top"), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(sn_->Mounts("nope"), StatusIs(StatusCode::kNotFound));
}

TEST_F(SnapshotterTest, ExtractKeysGetAnEmptyFolder) {
  ASSERT_OK(sn_->Prepare("default/1/extract-123-abc sha256:x", ""));
  ASSERT_OK_AND_ASSIGN(Info i, sn_->Stat("default/1/extract-123-abc sha256:x"));
  ASSERT_OK_AND_ASSIGN(auto names, base::Env::Default()->ListDir(i.path));
  EXPECT_TRUE(names.empty());
}

TEST_F(SnapshotterTest, OverlayMountsForLinuxHosts) {
  ASSERT_OK(Reopen(MountType::kOverlay));
  ASSERT_OK_AND_ASSIGN(auto m0, sn_->Prepare("a", ""));
  ASSERT_OK_AND_ASSIGN(Info a, sn_->Stat("a"));
  EXPECT_THAT(
      m0, ElementsAre(Mount{"bind", a.path + "/Files", "", {"rw", "rbind"}}));
  // The container's root is 0755 (containerd's RootPermission check).
  struct stat st {};
  ASSERT_EQ(::stat((a.path + "/Files").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_OK(sn_->Commit("A", "a"));
  ASSERT_OK_AND_ASSIGN(auto v1, sn_->View("v1", "A"));
  EXPECT_THAT(
      v1, ElementsAre(Mount{"bind", a.path + "/Files", "", {"ro", "rbind"}}));
  ASSERT_OK(sn_->Prepare("b", "A"));
  ASSERT_OK(sn_->Commit("B", "b"));
  ASSERT_OK_AND_ASSIGN(Info b, sn_->Stat("B"));
  ASSERT_OK_AND_ASSIGN(auto c, sn_->Prepare("c", "B"));
  ASSERT_OK_AND_ASSIGN(Info ci, sn_->Stat("c"));
  EXPECT_THAT(
      c, ElementsAre(Mount{
             "overlay",
             "overlay",
             "",
             {"workdir=" + ci.path + "/work", "upperdir=" + ci.path + "/Files",
              "lowerdir=" + b.path + "/Files:" + a.path + "/Files"}}));
  ASSERT_OK_AND_ASSIGN(auto v2, sn_->View("v2", "B"));
  EXPECT_THAT(v2, ElementsAre(Mount{
                      "overlay",
                      "overlay",
                      "",
                      {"lowerdir=" + b.path + "/Files:" + a.path + "/Files"}}));
}

TEST_F(SnapshotterTest, UsageActiveLiveCommittedStoredViewZero) {
  ASSERT_OK(sn_->Prepare("a", ""));
  ASSERT_OK_AND_ASSIGN(Info a, sn_->Stat("a"));
  ASSERT_OK_AND_ASSIGN(Usage u0, sn_->GetUsage("a"));
  { std::ofstream(a.path + "/Files/big") << std::string(64 << 10, 'x'); }
  ASSERT_OK_AND_ASSIGN(Usage u1, sn_->GetUsage("a"));
  EXPECT_GE(u1.size - u0.size, 64 << 10);
  EXPECT_EQ(u1.inodes, u0.inodes + 1);
  ASSERT_OK(sn_->Commit("A", "a"));
  ASSERT_OK_AND_ASSIGN(Usage uc, sn_->GetUsage("A"));
  EXPECT_EQ(uc, u1);
  {
    std::ofstream(a.path + "/Files/more") << "y";
  }  // committed usage is frozen
  ASSERT_OK_AND_ASSIGN(Usage uc2, sn_->GetUsage("A"));
  EXPECT_EQ(uc2, u1);
  ASSERT_OK(sn_->View("v", "A"));
  ASSERT_OK_AND_ASSIGN(Usage uv, sn_->GetUsage("v"));
  EXPECT_EQ(uv, Usage{});
}

TEST_F(SnapshotterTest, ReadOnlyOpenSeesDataAndRefusesWrites) {
  Layer("c", "");
  Options o;
  o.root = Root();
  o.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto ro, Snapshotter::Open(o));
  ASSERT_OK_AND_ASSIGN(Info i, ro->Stat("c"));
  EXPECT_EQ(i.kind, Kind::kCommitted);
  EXPECT_THAT(ro->Prepare("x", "c"), StatusIs(StatusCode::kPermissionDenied));
  Layer("d", "c");  // the writer goes on; the reader sees it
  EXPECT_OK(ro->Stat("d"));
}

// A read-only open (snapctl path, ls, info) reads the store and lists no
// folder (snapshots/ holds one per snapshot, and listing it grew with the
// store). A writer still lists them, to refuse creating a store over
// orphaned folders.
TEST_F(SnapshotterTest, ReadOnlyOpenListsNoFolder) {
  Layer("c", "");
  Layer("d", "c");
  winsnap::testing::FaultEnv env(base::Env::Default());
  Options o;
  o.root = Root();
  o.env = &env;
  o.read_only = true;
  {
    ASSERT_OK_AND_ASSIGN(auto ro, Snapshotter::Open(o));
    ASSERT_OK_AND_ASSIGN(Info i, ro->Stat("d"));
    EXPECT_EQ(i.parent, "c");
  }
  EXPECT_EQ(env.calls(winsnap::testing::FaultOp::kListDir), 0);
  o.read_only = false;
  o.cleanup_on_open = false;
  ASSERT_OK_AND_ASSIGN(auto rw, Snapshotter::Open(o));
  EXPECT_GE(env.calls(winsnap::testing::FaultOp::kListDir), 3);
}

TEST_F(SnapshotterTest, RelativeRootIsRejected) {
  Options o;
  o.root = "relative/root";
  EXPECT_THAT(Snapshotter::Open(o), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(SnapshotterTest, RecoveryMovesOrphanFoldersAndStaleStagingToTrash) {
  Info keep = Layer("keep", "");
  auto* env = base::Env::Default();
  ASSERT_OK(env->CreateDirs(Root() + "/snapshots/999/Files"));
  ASSERT_OK(env->CreateDirs(Root() + "/snapshots/junk"));
  ASSERT_OK(env->CreateDirs(Root() + "/staging/layer-abc/Files"));
  ASSERT_OK(Reopen());
  ASSERT_OK_AND_ASSIGN(auto names, env->ListDir(Root() + "/snapshots"));
  EXPECT_THAT(names, ElementsAre(std::to_string(keep.id)));
  ASSERT_OK_AND_ASSIGN(names, env->ListDir(Root() + "/staging"));
  EXPECT_TRUE(names.empty());
  ASSERT_OK_AND_ASSIGN(names, env->ListDir(Root() + "/trash"));
  EXPECT_TRUE(names.empty());  // emptied by the recovery cleanup
}

TEST_F(SnapshotterTest,
       StagingCommitsAtomicallyAndLockedStagingSurvivesRecovery) {
  Layer("base", "");
  ASSERT_OK_AND_ASSIGN(StagingDir st, sn_->BeginStaging());
  std::string staged = st.path();
  { std::ofstream(staged + "/f") << "layer"; }
  // Another opener must not sweep a staging folder whose lock is held.
  Options o;
  o.root = Root();
  ASSERT_OK_AND_ASSIGN(auto other, Snapshotter::Open(o));
  EXPECT_TRUE(base::Env::Default()->Exists(staged + "/f"));
  ASSERT_OK(
      sn_->CommitStaged(std::move(st), "sha256:layer", "base", {{"k", "v"}}));
  ASSERT_OK_AND_ASSIGN(Info i, sn_->Stat("sha256:layer"));
  EXPECT_EQ(i.kind, Kind::kCommitted);
  EXPECT_EQ(i.parent, "base");
  ASSERT_OK_AND_ASSIGN(std::string content,
                       base::Env::Default()->ReadFile(i.path + "/f"));
  EXPECT_EQ(content, "layer");
  EXPECT_FALSE(base::Env::Default()->Exists(staged));
  ASSERT_OK_AND_ASSIGN(Usage u, sn_->GetUsage("sha256:layer"));
  EXPECT_GT(u.inodes, 0);

  ASSERT_OK_AND_ASSIGN(StagingDir dup, sn_->BeginStaging());
  std::string dup_path = dup.path();
  EXPECT_THAT(sn_->CommitStaged(std::move(dup), "sha256:layer", "base"),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_FALSE(base::Env::Default()->Exists(dup_path));
  ASSERT_OK_AND_ASSIGN(StagingDir orphan, sn_->BeginStaging());
  EXPECT_THAT(sn_->CommitStaged(std::move(orphan), "x", "missing-parent"),
              StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto names,
                       base::Env::Default()->ListDir(Root() + "/staging"));
  EXPECT_TRUE(names.empty());
}

TEST_F(SnapshotterTest, ConcurrentWritersFromManyThreads) {
  Layer("base", "");
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::string k = "t" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_OK(sn_->Prepare(k, "base"));
        EXPECT_OK(sn_->Commit(k + "-c", k));
        EXPECT_OK(sn_->Stat(k + "-c"));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(WalkAll().size(), 101u);
}

metadata::ImageRecord Image(const std::string& name, const std::string& top) {
  metadata::ImageRecord r;
  r.name = name;
  r.manifest_digest = "sha256:" + std::string(64, 'a');
  r.top_chain_id = top;
  r.platform = "windows/amd64";
  r.config_json = R"({"rootfs":{}})";
  return r;
}

// Image records go through the snapshotter: all names of one PutImages
// together, listed in name order, removed one by one.
TEST_F(SnapshotterTest, ImageRecordsPutGetListRemove) {
  Layer("base", "");
  ASSERT_OK_AND_ASSIGN(auto none, sn_->GetImage("example.com/a:1"));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK(sn_->PutImages(
      {Image("example.com/b:1", "base"), Image("example.com/a:1", "base")}));
  ASSERT_OK_AND_ASSIGN(auto got, sn_->GetImage("example.com/a:1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Image("example.com/a:1", "base"));
  ASSERT_OK_AND_ASSIGN(auto all, sn_->ListImages());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "example.com/a:1");
  EXPECT_EQ(all[1].name, "example.com/b:1");

  ASSERT_OK(sn_->RemoveImage("example.com/a:1"));
  EXPECT_THAT(sn_->RemoveImage("example.com/a:1"),
              StatusIs(StatusCode::kNotFound,
                       "image \"example.com/a:1\" does not exist"));
  ASSERT_OK_AND_ASSIGN(all, sn_->ListImages());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "example.com/b:1");
  // The records persist with the store.
  ASSERT_OK(Reopen());
  ASSERT_OK_AND_ASSIGN(got, sn_->GetImage("example.com/b:1"));
  EXPECT_TRUE(got.has_value());
}

// A PutImages that fails writes none of its records.
TEST_F(SnapshotterTest, PutImagesIsAllOrNothing) {
  EXPECT_THAT(sn_->PutImages({Image("example.com/ok:1", ""),
                              Image(std::string(4096, 'n'), "")}),
              StatusIs(StatusCode::kInvalidArgument, "too long"));
  ASSERT_OK_AND_ASSIGN(auto all, sn_->ListImages());
  EXPECT_TRUE(all.empty());
}

TEST_F(SnapshotterTest, SummaryCountsKindsBytesAndImages) {
  Layer("base", "");
  Layer("mid", "base");
  ASSERT_OK(sn_->Prepare("work", "mid"));
  ASSERT_OK(sn_->View("look", "mid"));
  ASSERT_OK(sn_->PutImages({Image("example.com/a:1", "mid")}));
  ASSERT_OK_AND_ASSIGN(StoreSummary sum, sn_->Summary());
  EXPECT_EQ(sum.snapshots[Kind::kCommitted], 2);
  EXPECT_EQ(sum.snapshots[Kind::kActive], 1);
  EXPECT_EQ(sum.snapshots[Kind::kView], 1);
  ASSERT_OK_AND_ASSIGN(Usage ub, sn_->GetUsage("base"));
  ASSERT_OK_AND_ASSIGN(Usage um, sn_->GetUsage("mid"));
  EXPECT_EQ(sum.committed_bytes, ub.size + um.size);
  EXPECT_EQ(sum.images, 1);
}

TEST_F(SnapshotterTest, ReadStoreEntriesAndBackupStore) {
  Layer("base", "");
  ASSERT_OK(sn_->PutImages({Image("example.com/a:1", "base")}));
  ASSERT_OK_AND_ASSIGN(metadata::StoreEntries e, sn_->ReadStoreEntries());
  ASSERT_EQ(e.snapshots.size(), 1u);
  EXPECT_EQ(e.snapshots[0].first, "base");
  ASSERT_EQ(e.images.size(), 1u);
  EXPECT_EQ(e.images[0].first, "example.com/a:1");

  std::string dest = dir_.Sub("backup");
  std::filesystem::create_directories(dest);
  ASSERT_OK(sn_->BackupStore(dest));
  EXPECT_TRUE(std::filesystem::exists(dest + "/data.mdb"));
  EXPECT_THAT(sn_->BackupStore(dest), StatusIs(StatusCode::kAlreadyExists));
}

}  // namespace
}  // namespace winsnap::snapshotter
