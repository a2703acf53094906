// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// runtime::Runtime against the real Linux backend (runc + overlayfs, root).
// Layer folders hold Debian's static busybox like an imported image; the
// runtime is opened, closed and reopened the way separate snapctl runs use
// it. Tests skip, loudly, only when root, runc, overlayfs or /bin/busybox is
// really missing. Pure helpers (ids, signals, state JSON) always run.

#include "runtime/container.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/env.h"
#include "tests/testutil/pipe.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::winsnap::testing::RunCommand;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

constexpr char kBusybox[] = "/bin/busybox";

using ::winsnap::testing::Exists;
using ::winsnap::testing::IsMountPoint;

using ::winsnap::testing::Pipe;

TEST(ContainerIdTest, AcceptsRuncStyleIdsAndRejectsPaths) {
  EXPECT_OK(ValidateId("my-container_1.2"));
  EXPECT_OK(ValidateId(std::string(64, 'a')));
  for (const std::string& bad :
       std::vector<std::string>{"", "../x", "a/b", ".hidden", "-dash",
                                std::string(65, 'a'), "a b", "a\nb"}) {
    EXPECT_THAT(ValidateId(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
}

// A host without the backend (here: no runc) fails Open and leaves no
// containers/ folder behind; one that existed before is kept.
TEST(RuntimeOpenTest, MissingBackendLeavesNothingBehind) {
  testing::TempDir dir;
  RuntimeOptions o;
  o.root = dir.Sub("root");
  o.service.runc_path = dir.Sub("no-such-runc");
  ASSERT_OK(base::Env::Default()->CreateDirs(o.root));
  EXPECT_FALSE(Runtime::Open(o).ok());
  EXPECT_FALSE(base::Env::Default()->Exists(o.root + "/containers"));
  ASSERT_OK(base::Env::Default()->CreateDirs(o.root + "/containers"));
  EXPECT_FALSE(Runtime::Open(o).ok());
  EXPECT_TRUE(base::Env::Default()->Exists(o.root + "/containers"));
}

TEST(ContainerSignalTest, ParsesNamesAndNumbers) {
  ASSERT_OK_AND_ASSIGN(int named, ParseSignal("KILL"));
  EXPECT_EQ(named, 9);
  ASSERT_OK_AND_ASSIGN(int kill, ParseSignal("sigkill"));
  EXPECT_EQ(kill, 9);
  ASSERT_OK_AND_ASSIGN(int term, ParseSignal("SIGTERM"));
  EXPECT_EQ(term, 15);
  ASSERT_OK_AND_ASSIGN(int two, ParseSignal("2"));
  EXPECT_EQ(two, 2);
  for (const char* bad : {"", "0", "65", "999", "NOPE", "SIG", "-9"}) {
    EXPECT_THAT(ParseSignal(bad), StatusIs(StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(ContainerStateJsonTest, HasTheOciFieldsInOrder) {
  ContainerState s;
  s.id = "c1";
  s.pid = 42;
  s.status = "running";
  s.bundle = "/r/containers/c1";
  s.created_ns = 1700000000123456789;
  EXPECT_EQ(StateJson(s).dump(),
            R"({"ociVersion":"1.1.0","id":"c1","pid":42,"status":"running",)"
            R"("bundle":"/r/containers/c1",)"
            R"("created":"2023-11-14T22:13:20.123456789Z"})");
}

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "SKIPPED LOUDLY: needs root (mounts, runc)";
    }
    if (!Exists(kBusybox)) {
      GTEST_SKIP() << "SKIPPED LOUDLY: " << kBusybox
                   << " missing (apt-get install busybox-static)";
    }
    StatusOr<std::unique_ptr<Runtime>> rt = Open();
    if (!rt.ok() && rt.status().code() == StatusCode::kUnavailable) {
      GTEST_SKIP() << "SKIPPED LOUDLY: " << rt.status();
    }
    ASSERT_OK(rt);
    rt_ = std::move(*rt);

    base::Env* env = base::Env::Default();
    base_ = dir_.Sub("snapshots/1");
    ASSERT_OK(env->CreateDirs(base_ + "/Files/bin"));
    ASSERT_OK(env->CreateDirs(base_ + "/Files/etc"));
    ASSERT_OK(env->CreateDirs(base_ + "/Files/tmp"));
    ASSERT_EQ(RunCommand({"/bin/cp", kBusybox, base_ + "/Files/bin/busybox"})
                  .exit_code,
              0);
    for (const char* applet : {"sh", "echo", "cat", "sleep", "test", "true"}) {
      ASSERT_EQ(::symlink("busybox", (base_ + "/Files/bin/" + applet).c_str()),
                0);
    }
    top_ = dir_.Sub("snapshots/2");
    ASSERT_OK(env->CreateDirs(top_ + "/Files/etc"));
    ASSERT_OK(env->WriteFileAtomic(top_ + "/Files/etc/motd", "top\n"));
    scratch_ = dir_.Sub("snapshots/3");
    ASSERT_OK(env->CreateDirs(scratch_));
  }

  void TearDown() override {
    if (rt_ == nullptr) return;
    // Whatever a failing test left behind.
    StatusOr<std::vector<ContainerState>> all = rt_->List();
    if (all.ok()) {
      for (const auto& s : *all) rt_->Delete(s.id, true).IgnoreError();
    }
    rt_.reset();
    if (IsMountPoint(scratch_ + "/rootfs")) {
      ::umount2((scratch_ + "/rootfs").c_str(), MNT_DETACH);
    }
  }

  StatusOr<std::unique_ptr<Runtime>> Open() {
    RuntimeOptions o;
    o.root = dir_.Sub("root");
    return Runtime::Open(o);
  }

  // What a separate snapctl run sees: a fresh Runtime over the same root.
  void Reopen() {
    rt_.reset();
    ASSERT_OK_AND_ASSIGN(rt_, Open());
  }

  std::string Config(const std::vector<std::string>& args,
                     std::vector<std::string> folders = {}) {
    if (folders.empty()) folders = {top_, base_, scratch_};
    nlohmann::json j = {
        {"ociVersion", "1.1.0"},
        {"process", {{"args", args}, {"cwd", "C:\\"}, {"env", {"A=b"}}}},
        {"hostname", "rt"},
        {"windows", {{"layerFolders", folders}}}};
    return j.dump();
  }

  std::string ContainerDir(const std::string& id) {
    return dir_.Sub("root/containers/" + id);
  }

  // The reconciled status, or the error's text.
  std::string StatusOf(const std::string& id) {
    StatusOr<ContainerState> s = rt_->State(id);
    return s.ok() ? s->status : s.status().ToString();
  }

  TempDir dir_;
  std::unique_ptr<Runtime> rt_;
  std::string base_, top_, scratch_;
};

TEST_F(RuntimeTest, StartWaitReturnsExitCodeWiresStdioAndStops) {
  ASSERT_OK(rt_->Create(
      "c1", Config({"sh", "-c", "cat; cat /etc/motd; echo $A >&2; exit 7"})));
  ASSERT_OK_AND_ASSIGN(ContainerState created, rt_->State("c1"));
  EXPECT_EQ(created.status, "created");
  EXPECT_EQ(created.pid, 0u);
  EXPECT_EQ(created.bundle, ContainerDir("c1"));
  EXPECT_TRUE(Exists(ContainerDir("c1") + "/config.json"));

  Pipe in, out, err;
  ASSERT_EQ(::write(in.w, "typed\n", 6), 6);
  in.CloseWrite();
  ASSERT_OK_AND_ASSIGN(int code, rt_->Start("c1", true, {in.r, out.w, err.w}));
  out.CloseWrite();
  err.CloseWrite();
  EXPECT_EQ(code, 7);
  EXPECT_EQ(out.ReadAll(), "typed\ntop\n");
  EXPECT_EQ(err.ReadAll(), "b\n");
  ASSERT_OK_AND_ASSIGN(ContainerState done, rt_->State("c1"));
  EXPECT_EQ(done.status, "stopped");
  EXPECT_GT(done.pid, 0u);
  EXPECT_THAT(rt_->Start("c1", true),
              StatusIs(StatusCode::kFailedPrecondition));

  ASSERT_OK(rt_->Delete("c1", false));
  EXPECT_FALSE(Exists(ContainerDir("c1")));
  EXPECT_FALSE(IsMountPoint(scratch_ + "/rootfs"));
  EXPECT_THAT(rt_->State("c1"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(rt_->Delete("c1", true), StatusIs(StatusCode::kNotFound));
}

// Issue 12: the engine unmounts what it mounted, and checks that it is
// unmounted, before anything is removed. With a second mount stacked on the
// overlay, one umount leaves the overlay in place: Delete must fail naming
// it and remove nothing; once that mount is gone Delete finishes.
TEST_F(RuntimeTest, DeleteVerifiesTheRootfsIsUnmountedBeforeRemoving) {
  ASSERT_OK(rt_->Create("c1", Config({"true"})));
  const std::string rootfs = scratch_ + "/rootfs";
  ASSERT_TRUE(IsMountPoint(rootfs));
  ASSERT_EQ(::mount("tmpfs", rootfs.c_str(), "tmpfs", 0, nullptr), 0)
      << std::strerror(errno);
  Status s = rt_->Delete("c1", true);
  EXPECT_THAT(s, StatusIs(StatusCode::kFailedPrecondition, rootfs));
  EXPECT_THAT(s.message(), HasSubstr("still mounted"));
  // Nothing was removed: the container, its state and the scratch stay.
  EXPECT_TRUE(Exists(ContainerDir("c1") + "/config.json"));
  EXPECT_TRUE(Exists(scratch_ + "/Files"));
  EXPECT_TRUE(IsMountPoint(rootfs));  // the overlay, under the tmpfs
  ASSERT_OK(rt_->Delete("c1", true));
  EXPECT_FALSE(IsMountPoint(rootfs));
  EXPECT_FALSE(Exists(ContainerDir("c1")));
}

TEST_F(RuntimeTest, DetachedLifecycleAcrossReopens) {
  ASSERT_OK(rt_->Create("web", Config({"sleep", "1000"})));
  Reopen();
  ASSERT_OK_AND_ASSIGN(int started, rt_->Start("web", false));
  EXPECT_EQ(started, 0);
  Reopen();
  ASSERT_OK_AND_ASSIGN(ContainerState s, rt_->State("web"));
  EXPECT_EQ(s.status, "running");
  ASSERT_GT(s.pid, 0u);

  Pipe out;
  ASSERT_OK_AND_ASSIGN(
      int code,
      rt_->Exec("web", {"sh", "-c", "echo hi > /tmp/f; cat /tmp/f; exit 4"},
                {-1, out.w, 2}));
  out.CloseWrite();
  EXPECT_EQ(code, 4);
  EXPECT_EQ(out.ReadAll(), "hi\n");
  // The write went to the scratch, not to a layer.
  EXPECT_TRUE(Exists(scratch_ + "/Files/tmp/f"));
  EXPECT_FALSE(Exists(base_ + "/Files/tmp/f"));
  EXPECT_THAT(rt_->Exec("web", {}), StatusIs(StatusCode::kInvalidArgument));

  ASSERT_OK_AND_ASSIGN(std::vector<uint32_t> pids, rt_->Ps("web"));
  EXPECT_THAT(pids, ElementsAre(s.pid));

  EXPECT_THAT(rt_->Resume("web"), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK(rt_->Pause("web"));
  EXPECT_EQ(StatusOf("web"), "paused");
  EXPECT_THAT(rt_->Exec("web", {"true"}),
              StatusIs(StatusCode::kFailedPrecondition, "paused"));
  ASSERT_OK(rt_->Resume("web"));
  EXPECT_EQ(StatusOf("web"), "running");

  EXPECT_THAT(rt_->Delete("web", false),
              StatusIs(StatusCode::kFailedPrecondition, "running"));
  EXPECT_THAT(rt_->Kill("web", "HUP"), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK(rt_->Kill("web", "KILL"));
  EXPECT_EQ(StatusOf("web"), "stopped");
  EXPECT_THAT(rt_->Kill("web", "KILL"),
              StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(rt_->Ps("web"), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK(rt_->Delete("web", false));
  EXPECT_FALSE(IsMountPoint(scratch_ + "/rootfs"));
}

TEST_F(RuntimeTest, InitKilledBehindTheRuntimesBackReadsStopped) {
  ASSERT_OK(rt_->Create("dies", Config({"sleep", "1000"})));
  ASSERT_OK(rt_->Start("dies", false).status());
  ASSERT_OK_AND_ASSIGN(ContainerState s, rt_->State("dies"));
  ASSERT_EQ(s.status, "running");
  rt_.reset();  // the snapctl that started it is gone
  ASSERT_EQ(::kill(static_cast<pid_t>(s.pid), SIGKILL), 0);
  ASSERT_OK_AND_ASSIGN(rt_, Open());
  std::string status;
  for (int i = 0; i < 100 && status != "stopped"; ++i) {
    status = StatusOf("dies");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, "stopped");
  ASSERT_OK_AND_ASSIGN(std::vector<ContainerState> all, rt_->List());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "dies");
  EXPECT_EQ(all[0].status, "stopped");
  // The reconciled status was saved.
  ASSERT_OK_AND_ASSIGN(
      std::string saved,
      base::Env::Default()->ReadFile(ContainerDir("dies") + "/state.json"));
  EXPECT_THAT(saved, HasSubstr("\"status\": \"stopped\""));
  ASSERT_OK(rt_->Delete("dies", false));
}

// Every read-modify-write of a container's state file holds the container's
// lock (<root>/containers/.locks/<id>): a second process reconciling while a
// `run` saved the init pid used to write the pid back as 0, and the next
// reader took the running container for stopped (a forwarded SIGTERM then
// failed with "it is stopped" and `run` waited forever).
TEST_F(RuntimeTest, StateChangesWaitForTheContainersLock) {
  ASSERT_OK(rt_->Create("locked", Config({"sleep", "1000"})));
  ASSERT_OK(rt_->Start("locked", false).status());
  base::Env* env = base::Env::Default();
  const std::string lock_path = dir_.Sub("root/containers/.locks/locked");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<base::FileLock> other,
                       env->OpenLockFile(lock_path, /*create=*/false));
  ASSERT_OK(other->TryLock());

  RuntimeOptions impatient;
  impatient.root = dir_.Sub("root");
  impatient.state_lock_timeout = std::chrono::milliseconds(200);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Runtime> second,
                       Runtime::Open(impatient));
  EXPECT_THAT(second->State("locked"),
              StatusIs(StatusCode::kUnavailable, "busy"));

  // A kill waits for the holder, then sees the saved state.
  std::atomic<bool> done{false};
  Status killed;
  std::thread t([&] {
    killed = rt_->Kill("locked", "KILL");
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(done.load());
  ASSERT_OK(other->Unlock());
  t.join();
  EXPECT_OK(killed);
  EXPECT_EQ(StatusOf("locked"), "stopped");
  ASSERT_OK(rt_->Delete("locked", false));
  EXPECT_FALSE(Exists(lock_path));
  EXPECT_THAT(second->State("locked"), StatusIs(StatusCode::kNotFound));
}

TEST_F(RuntimeTest, BadIdsAndConfigsLeaveNothingBehind) {
  const std::string dir = dir_.Sub("root/containers");
  auto only_backend_dirs = [&] {
    StatusOr<std::vector<std::string>> names =
        base::Env::Default()->ListDir(dir);
    ASSERT_OK(names);
    for (const std::string& n : *names) EXPECT_EQ(n[0], '.') << n;
    StatusOr<std::vector<std::string>> bundles =
        base::Env::Default()->ListDir(dir + "/.bundles");
    ASSERT_OK(bundles);
    EXPECT_THAT(*bundles, IsEmpty());
    EXPECT_FALSE(IsMountPoint(scratch_ + "/rootfs"));
  };
  EXPECT_THAT(rt_->Create("../evil", Config({"true"})),
              StatusIs(StatusCode::kInvalidArgument, "container id"));
  EXPECT_THAT(rt_->Create("c", "{not json"),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(rt_->Create("c", R"({"ociVersion":"1.1.0","windows":{}})"),
              StatusIs(StatusCode::kInvalidArgument));
  nlohmann::json no_process = nlohmann::json::parse(Config({"true"}));
  no_process.erase("process");
  EXPECT_THAT(rt_->Create("c", no_process.dump()),
              StatusIs(StatusCode::kInvalidArgument, "no process"));
  EXPECT_THAT(rt_->Create("c", Config({"true"}, {scratch_})),
              StatusIs(StatusCode::kInvalidArgument, "layerFolders"));
  // A parent that is no layer fails after the id was claimed: undone.
  ASSERT_OK(base::Env::Default()->CreateDirs(dir_.Sub("notalayer")));
  EXPECT_FALSE(rt_->Create("c", Config({"true"}, {dir_.Sub("notalayer"), base_,
                                                  scratch_}))
                   .ok());
  only_backend_dirs();
  EXPECT_THAT(rt_->State("c"), StatusIs(StatusCode::kNotFound));

  ASSERT_OK(rt_->Create("c", Config({"true"})));
  EXPECT_THAT(rt_->Create("c", Config({"true"})),
              StatusIs(StatusCode::kAlreadyExists));
  ASSERT_OK(rt_->Delete("c", false));
  only_backend_dirs();
}

TEST_F(RuntimeTest, CorruptStateIsListedUnknownAndForceDeleted) {
  ASSERT_OK(rt_->Create("bad", Config({"true"})));
  ASSERT_OK(base::Env::Default()->WriteFileAtomic(
      ContainerDir("bad") + "/state.json", "{garbage"));
  EXPECT_THAT(rt_->State("bad"), StatusIs(StatusCode::kDataLoss));
  ASSERT_OK_AND_ASSIGN(std::vector<ContainerState> all, rt_->List());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].status, "unknown");
  EXPECT_THAT(rt_->Delete("bad", false), StatusIs(StatusCode::kDataLoss));
  ASSERT_OK(rt_->Delete("bad", true));
  EXPECT_FALSE(Exists(ContainerDir("bad")));
  EXPECT_FALSE(IsMountPoint(scratch_ + "/rootfs"));
}

}  // namespace
}  // namespace winsnap::runtime
