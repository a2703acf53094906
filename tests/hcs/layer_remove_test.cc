// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Tests of the layer-API fallback of folder deletion (hcs/layer_remove.h):
// which folders it hands to the layer API, the call order, its errors, and
// its use as RobustRemove's before_retry. Runs on Linux and under Wine.

#include "hcs/layer_remove.h"

#include <cerrno>
#include <fstream>
#include <vector>

#include "tests/testutil/fault_env.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::hcs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::winsnap::testing::FaultEnv;
using ::winsnap::testing::FaultOp;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

base::Env* env() { return base::Env::Default(); }

class LayerRemoveTest : public ::testing::Test {
 protected:
  // A folder with "child" inside (a folder if it ends in '/'), and a file.
  std::string Make(const std::string& name, const std::string& child) {
    std::string p = dir_.Sub(name);
    EXPECT_OK(env()->CreateDirs(p));
    if (!child.empty() && child.back() == '/') {
      EXPECT_OK(env()->CreateDirs(
          base::JoinPath(p, child.substr(0, child.size() - 1))));
    } else if (!child.empty()) {
      std::ofstream(base::JoinPath(p, child)) << "x";
    }
    std::ofstream(base::JoinPath(p, "data")) << std::string(10000, 'd');
    return p;
  }
  LayerRemoveCalls Recording(Status destroy_result) {
    return {[this](const std::string& f) {
              calls_.push_back("deactivate " + f);
              return UnavailableError("layer is not active");
            },
            [this, destroy_result](const std::string& f) {
              calls_.push_back("destroy " + f);
              if (destroy_result.ok()) return env()->RemoveAll(f);
              return destroy_result;
            }};
  }

  TempDir dir_;
  std::vector<std::string> calls_;
};

TEST_F(LayerRemoveTest, OnlyLayerShapedFoldersLookLikeLayers) {
  EXPECT_TRUE(LooksLikeLayerFolder(env(), Make("a", "Files/")));
  EXPECT_TRUE(LooksLikeLayerFolder(env(), Make("b", "Hives/")));
  EXPECT_TRUE(LooksLikeLayerFolder(env(), Make("c", "UtilityVM/")));
  EXPECT_TRUE(LooksLikeLayerFolder(env(), Make("d", "layerchain.json")));
  EXPECT_TRUE(LooksLikeLayerFolder(env(), Make("e", "sandbox.vhdx")));
  EXPECT_FALSE(LooksLikeLayerFolder(env(), Make("f", "")));
  EXPECT_FALSE(LooksLikeLayerFolder(env(), Make("g", "Files")));  // a file
  EXPECT_FALSE(LooksLikeLayerFolder(env(), dir_.Sub("missing")));
}

TEST_F(LayerRemoveTest, DeactivatesThenDestroysALayerAndIgnoresDeactivate) {
  std::string a = Make("a", "Files/");
  auto hook = LayerRemoveFallback(Recording(OkStatus()));
  EXPECT_OK(hook(a, UnavailableError("busy")));
  EXPECT_THAT(calls_, ElementsAre("deactivate " + a, "destroy " + a));
  EXPECT_FALSE(env()->Exists(a));
}

TEST_F(LayerRemoveTest, LeavesOtherFoldersAlone) {
  std::string a = Make("a", "");
  auto hook = LayerRemoveFallback(Recording(OkStatus()));
  EXPECT_OK(hook(a, UnavailableError("busy")));
  EXPECT_THAT(calls_, IsEmpty());
  EXPECT_TRUE(env()->Exists(a));
}

TEST_F(LayerRemoveTest, ReturnsDestroysErrorNamedAsTheFallback) {
  std::string a = Make("a", "layerchain.json");
  auto hook = LayerRemoveFallback(
      Recording(PermissionDeniedError("DestroyLayer " + a + ": denied")));
  EXPECT_THAT(hook(a, UnavailableError("busy")),
              StatusIs(StatusCode::kPermissionDenied,
                       "layer fallback: DestroyLayer " + a + ": denied"));
  EXPECT_TRUE(env()->Exists(a));
}

// As RobustRemove's before_retry: the stuck layer is destroyed by the layer
// API after the first failure and the retry finds it gone; the plain folder
// beside it is deleted without the layer API.
TEST_F(LayerRemoveTest, AsBeforeRetryTheDestroyedLayerCountsAsRemoved) {
  std::string a = Make("a", "Files/"), b = Make("b", "");
  ASSERT_OK_AND_ASSIGN(base::DiskUsage du, env()->GetDiskUsage(a));
  FaultEnv fenv(env());
  fenv.FailPath(FaultOp::kRemoveAll, a, ErrnoError("rmdir", EBUSY, a), 1);
  base::RobustRemoveOptions o;
  o.sleep = [](std::chrono::milliseconds) {};
  o.before_retry = LayerRemoveFallback(Recording(OkStatus()), &fenv);
  base::RobustRemoveReport r = base::RobustRemove(&fenv, {a, b}, o);
  ASSERT_OK(r.entries[0].status);
  ASSERT_OK(r.entries[1].status);
  EXPECT_EQ(r.entries[0].bytes_freed, du.size);
  EXPECT_THAT(calls_, ElementsAre("deactivate " + a, "destroy " + a));
  EXPECT_FALSE(env()->Exists(a));
  EXPECT_FALSE(env()->Exists(b));
}

// The real LayerService: on Linux there is no layer API; under Wine
// vmcompute.dll is absent. Either way the reason comes back, for a layer
// folder only, and nothing is deleted by it.
TEST_F(LayerRemoveTest, WithoutALayerApiTheReasonIsReturned) {
  std::string a = Make("a", "Files/"), b = Make("b", "");
  auto hook = NewLayerRemoveFallback();
  Status s = hook(a, UnavailableError("busy"));
#ifdef _WIN32
  if (s.ok()) GTEST_SKIP() << "vmcompute.dll is present: not Wine";
  EXPECT_THAT(s, StatusIs(StatusCode::kUnavailable,
                          "layer fallback unavailable: vmcompute.dll"));
#else
  EXPECT_THAT(s, StatusIs(StatusCode::kUnimplemented, "no layer API"));
  EXPECT_THAT(s.message(), HasSubstr("layer fallback: DestroyLayer " + a));
#endif
  EXPECT_EQ(hook(a, UnavailableError("busy")).message(), s.message());
  EXPECT_OK(hook(b, UnavailableError("busy")));
  EXPECT_TRUE(env()->Exists(a + "/data"));
}

}  // namespace
}  // namespace winsnap::hcs
