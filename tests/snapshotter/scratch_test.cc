// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// containerd's windows-snapshotter scratch semantics (containerd-facts.md §1,
// containerd >= 1.7.2) driven against a recording ScratchLayers fake.

#include <cerrno>
#include <fstream>
#include <sstream>

#include "base/thread_annotations.h"
#include "snapshotter/snapshotter.h"
#include "tests/testutil/fault_env.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::snapshotter {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::winsnap::testing::FaultEnv;
using ::winsnap::testing::FaultOp;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

std::string JoinList(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

class RecordingScratch final : public ScratchLayers {
 public:
  Status CopyDiskFile(const std::string& from, const std::string& to) override {
    Record("CopyDiskFile " + from + " -> " + to);
    std::ifstream in(from, std::ios::binary);
    std::ofstream out(to, std::ios::binary);
    out << in.rdbuf();
    return out ? OkStatus() : InternalError("copy failed");
  }
  Status CreateSandboxLayer(const std::string& scratch,
                            const std::vector<std::string>& parents) override {
    Record("CreateSandboxLayer " + scratch + " [" + JoinList(parents) + "]");
    return fail_create ? Status(StatusCode::kUnimplemented,
                                "CreateSandboxLayer: vmcompute.dll is absent")
                       : OkStatus();
  }
  Status ExpandSandboxSize(const std::string& scratch,
                           uint64_t bytes) override {
    Record("ExpandSandboxSize " + scratch + " " + std::to_string(bytes));
    return OkStatus();
  }
  Status ConvertToBaseLayer(const std::string& layer) override {
    Record("ConvertToBaseLayer " + layer);
    return OkStatus();
  }
  Status ConvertScratchToReadOnlyLayer(
      const std::string& layer,
      const std::vector<std::string>& parents) override {
    Record("ConvertScratchToReadOnlyLayer " + layer + " [" + JoinList(parents) +
           "]");
    return OkStatus();
  }
  Status DeactivateLayer(const std::string& layer) override {
    Record("DeactivateLayer " + layer);
    return OkStatus();
  }

  std::vector<std::string> Take() {
    base::MutexLock l(&mu_);
    return std::exchange(calls_, {});
  }
  bool fail_create = false;

 private:
  void Record(std::string c) {
    base::MutexLock l(&mu_);
    calls_.push_back(std::move(c));
  }
  base::Mutex mu_;
  std::vector<std::string> calls_ GUARDED_BY(mu_);
};

class ScratchTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(Reopen(&scratch_)); }

  Status Reopen(ScratchLayers* layers, base::Env* env = nullptr) {
    sn_.reset();
    Options o;
    o.root = dir_.Sub("root");
    o.scratch = layers;
    o.env = env;
    auto s = Snapshotter::Open(o);
    if (!s.ok()) return s.status();
    sn_ = std::move(s).value();
    return OkStatus();
  }

  // An image layer as the differ leaves it: an "extract" snapshot committed
  // under its chainID (no conversion for extract keys).
  Info ImageLayer(const std::string& name, const std::string& parent,
                  bool with_template) {
    std::string key = "default/1/extract-" + name;
    EXPECT_OK(sn_->Prepare(key, parent));
    auto active = sn_->Stat(key);
    EXPECT_OK(active);
    if (active.ok() && parent.empty()) {
      // A Windows base layer holds the OS tree.
      EXPECT_OK(
          base::Env::Default()->CreateDirs(active->path + "/Files/Windows"));
    }
    if (active.ok() && with_template) {
      std::ofstream(active->path + "/blank.vhdx") << "vhdx-template-" << name;
    }
    EXPECT_OK(sn_->Commit(name, key));
    auto info = sn_->Stat(name);
    EXPECT_OK(info);
    return info.ok() ? *info : Info{};
  }

  static std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  TempDir dir_;
  RecordingScratch scratch_;
  std::unique_ptr<Snapshotter> sn_;
};

TEST_F(ScratchTest, ExtractLayersAndTheirCommitsMakeNoCalls) {
  ImageLayer("base", "", true);
  ImageLayer("top", "base", false);
  EXPECT_THAT(scratch_.Take(), IsEmpty());
}

TEST_F(ScratchTest, ActiveOverImageLayersCopiesTheBaseTemplate) {
  Info base = ImageLayer("base", "", true);
  Info top = ImageLayer("top", "base", false);
  scratch_.Take();
  ASSERT_OK_AND_ASSIGN(auto m, sn_->Prepare("default/2/ctr", "top"));
  ASSERT_OK_AND_ASSIGN(Info c, sn_->Stat("default/2/ctr"));
  EXPECT_THAT(scratch_.Take(),
              ElementsAre("CopyDiskFile " + base.path + "/blank.vhdx -> " +
                          c.path + "/sandbox.vhdx"));
  EXPECT_EQ(Slurp(c.path + "/sandbox.vhdx"), "vhdx-template-base");
  // Mounts unchanged by the scratch: containerd >= 1.7.2's shape.
  std::string parents =
      "parentLayerPaths=[\"" + top.path + "\",\"" + base.path + "\"]";
  EXPECT_THAT(m,
              ElementsAre(Mount{"windows-layer", c.path, "", {"rw", parents}}));
}

TEST_F(ScratchTest, BaseWithoutTemplateUsesCreateSandboxLayer) {
  Info base = ImageLayer("base", "", false);
  Info top = ImageLayer("top", "base", false);
  scratch_.Take();
  ASSERT_OK(sn_->Prepare("ctr", "top"));
  ASSERT_OK_AND_ASSIGN(Info c, sn_->Stat("ctr"));
  EXPECT_THAT(scratch_.Take(),
              ElementsAre("CreateSandboxLayer " + c.path + " [" + top.path +
                          "," + base.path + "]"));
}

TEST_F(ScratchTest, SizeLabelsExpandTheSandbox) {
  Info base = ImageLayer("base", "", true);
  scratch_.Take();
  ASSERT_OK(sn_->Prepare(
      "bytes", "base", {{std::string(kRootfsSizeBytesLabel), "21474836480"}}));
  ASSERT_OK_AND_ASSIGN(Info b, sn_->Stat("bytes"));
  auto calls = scratch_.Take();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1], "ExpandSandboxSize " + b.path + " 21474836480");

  // The deprecated GB label, and sizebytes wins when both are set.
  ASSERT_OK(
      sn_->Prepare("gb", "base", {{std::string(kRootfsSizeGbLabel), "30"}}));
  ASSERT_OK_AND_ASSIGN(Info g, sn_->Stat("gb"));
  calls = scratch_.Take();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1],
            "ExpandSandboxSize " + g.path + " " + std::to_string(30ull << 30));
  ASSERT_OK(sn_->Prepare("both", "base",
                         {{std::string(kRootfsSizeGbLabel), "30"},
                          {std::string(kRootfsSizeBytesLabel), "4096"}}));
  ASSERT_OK_AND_ASSIGN(Info bo, sn_->Stat("both"));
  calls = scratch_.Take();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1], "ExpandSandboxSize " + bo.path + " 4096");

  // Size 0 keeps the template's size: no Expand call.
  ASSERT_OK(sn_->Prepare("zero", "base",
                         {{std::string(kRootfsSizeBytesLabel), "0"}}));
  EXPECT_EQ(scratch_.Take().size(), 1u);
}

TEST_F(ScratchTest, MalformedSizeLabelFailsAndLeavesNothing) {
  ImageLayer("base", "", true);
  scratch_.Take();
  for (const auto& [label, value] :
       std::vector<std::pair<std::string_view, std::string>>{
           {kRootfsSizeBytesLabel, "-1"},
           {kRootfsSizeBytesLabel, "18446744073709551616"},
           {kRootfsSizeGbLabel, "4294967296"},
           {kRootfsSizeGbLabel, "1.5"}}) {
    auto r = sn_->Prepare("bad", "base", {{std::string(label), value}});
    EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, std::string(label)))
        << value;
    EXPECT_THAT(sn_->Stat("bad"), StatusIs(StatusCode::kNotFound));
  }
  EXPECT_THAT(scratch_.Take(), IsEmpty());
  // Only the base layer's folder remains.
  ASSERT_OK_AND_ASSIGN(
      auto names, base::Env::Default()->ListDir(dir_.Sub("root/snapshots")));
  EXPECT_EQ(names.size(), 1u);
}

TEST_F(ScratchTest, FailedSandboxCreationFailsPrepareAndRemovesTheFolder) {
  ImageLayer("base", "", false);
  scratch_.fail_create = true;
  auto r = sn_->Prepare("ctr", "base");
  EXPECT_THAT(r, StatusIs(StatusCode::kUnimplemented, "CreateSandboxLayer"));
  EXPECT_THAT(sn_->Stat("ctr"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(
      auto names, base::Env::Default()->ListDir(dir_.Sub("root/snapshots")));
  EXPECT_EQ(names.size(), 1u);
}

TEST_F(ScratchTest, ViewsAndParentlessActivesGetNoScratch) {
  ImageLayer("base", "", true);
  scratch_.Take();
  ASSERT_OK(sn_->View("v", "base"));
  ASSERT_OK_AND_ASSIGN(Info v, sn_->Stat("v"));
  EXPECT_FALSE(base::Env::Default()->Exists(v.path + "/sandbox.vhdx"));
  ASSERT_OK(sn_->Prepare("solo", ""));
  EXPECT_THAT(scratch_.Take(), IsEmpty());
}

TEST_F(ScratchTest, CommitConvertsContainerScratchAsContainerd17) {
  Info base = ImageLayer("base", "", true);
  Info top = ImageLayer("top", "base", false);
  ASSERT_OK(sn_->Prepare("ctr", "top"));
  ASSERT_OK_AND_ASSIGN(Info c, sn_->Stat("ctr"));
  scratch_.Take();
  ASSERT_OK(sn_->Commit("ctr-image", "ctr"));
  EXPECT_THAT(scratch_.Take(),
              ElementsAre("ConvertScratchToReadOnlyLayer " + c.path + " [" +
                          top.path + "," + base.path + "]"));
  // Usage counts sandbox.vhdx, as continuity's DiskUsage does.
  ASSERT_OK_AND_ASSIGN(Usage u, sn_->GetUsage("ctr-image"));
  EXPECT_GE(u.size, static_cast<int64_t>(sizeof("vhdx-template-base") - 1));

  ASSERT_OK(sn_->Prepare("solo", ""));
  ASSERT_OK_AND_ASSIGN(Info s, sn_->Stat("solo"));
  ASSERT_OK(base::Env::Default()->CreateDirs(s.path + "/Files/Windows"));
  ASSERT_OK(sn_->Commit("solo-image", "solo"));
  EXPECT_THAT(scratch_.Take(), ElementsAre("ConvertToBaseLayer " + s.path));
}

// Layers built by hand (prepare + commit, no Windows tree, as the CLI's seed
// flow builds them) make no layer calls: no sandbox, no conversion.
TEST_F(ScratchTest, HandMadeLayersMakeNoCalls) {
  ASSERT_OK(sn_->Prepare("base-active", ""));
  ASSERT_OK(sn_->Commit("base", "base-active"));
  ASSERT_OK(sn_->Prepare("mid-active", "base"));
  ASSERT_OK(sn_->Commit("mid", "mid-active"));
  ASSERT_OK(sn_->Prepare("ctr", "mid",
                         {{std::string(kRootfsSizeBytesLabel), "4096"}}));
  ASSERT_OK_AND_ASSIGN(Info c, sn_->Stat("ctr"));
  EXPECT_FALSE(base::Env::Default()->Exists(c.path + "/sandbox.vhdx"));
  ASSERT_OK(sn_->Commit("ctr-image", "ctr"));
  EXPECT_THAT(scratch_.Take(), IsEmpty());
  // A size label is still checked.
  EXPECT_THAT(
      sn_->Prepare("bad", "mid", {{std::string(kRootfsSizeBytesLabel), "x"}}),
      StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(ScratchTest, RemoveDeactivatesALayerStillInUse) {
  FaultEnv fenv(base::Env::Default());
  ASSERT_OK(Reopen(&scratch_, &fenv));
  ImageLayer("base", "", true);
  ASSERT_OK(sn_->Prepare("ctr", "base"));
  ASSERT_OK_AND_ASSIGN(Info c, sn_->Stat("ctr"));
  scratch_.Take();
  fenv.FailNth(FaultOp::kRename, 1, EACCES);  // the mounted scratch
  ASSERT_OK(sn_->Remove("ctr"));
  EXPECT_TRUE(fenv.fired());
  EXPECT_THAT(scratch_.Take(), ElementsAre("DeactivateLayer " + c.path));
  EXPECT_FALSE(base::Env::Default()->Exists(c.path));
  // A plain remove deactivates nothing.
  ASSERT_OK(sn_->Prepare("ctr2", "base"));
  scratch_.Take();
  ASSERT_OK(sn_->Remove("ctr2"));
  EXPECT_THAT(scratch_.Take(), IsEmpty());
}

TEST_F(ScratchTest, WithoutScratchLayersNothingChanges) {
  ASSERT_OK(Reopen(nullptr));
  ImageLayer("base", "", true);
  ASSERT_OK(sn_->Prepare(
      "ctr", "base", {{std::string(kRootfsSizeBytesLabel), "not-a-number"}}));
  ASSERT_OK_AND_ASSIGN(Info c, sn_->Stat("ctr"));
  ASSERT_OK_AND_ASSIGN(auto names, base::Env::Default()->ListDir(c.path));
  EXPECT_THAT(names, IsEmpty());
  ASSERT_OK(sn_->Commit("img", "ctr"));
  EXPECT_THAT(scratch_.Take(), IsEmpty());
}

TEST(RequestedScratchSizeTest, FollowsContainerdLabels) {
  ASSERT_OK_AND_ASSIGN(uint64_t none, RequestedScratchSize({}));
  EXPECT_EQ(none, 0u);
  ASSERT_OK_AND_ASSIGN(
      uint64_t bytes,
      RequestedScratchSize({{std::string(kRootfsSizeBytesLabel), "123"}}));
  EXPECT_EQ(bytes, 123u);
  ASSERT_OK_AND_ASSIGN(
      uint64_t gb,
      RequestedScratchSize({{std::string(kRootfsSizeGbLabel), "2"}}));
  EXPECT_EQ(gb, 2ull << 30);
  EXPECT_THAT(RequestedScratchSize({{std::string(kRootfsSizeBytesLabel), ""}}),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace winsnap::snapshotter
