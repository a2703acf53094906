// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Linux ComputeService against the real runc and overlayfs, as root.
// Layer folders are built like the snapshotter's: <layer>/Files/... holding
// Debian's static busybox (busybox-static) and its applet links; the scratch
// is an empty folder. Everything goes through the production pipeline: OCI
// spec -> MountScratch -> ContainerDocumentFromOci -> CreateComputeSystem ->
// ProcessDocumentFromOci -> CreateProcess. Tests skip, loudly, only when
// root, runc, overlayfs or /bin/busybox is really missing.

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/env.h"
#include "hcs/compute_service.h"
#include "hcs/document.h"
#include "tests/testutil/pipe.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::hcs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::winsnap::testing::RunCommand;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

constexpr char kBusybox[] = "/bin/busybox";

std::string ReadFileOr(const std::string& path, const std::string& fallback) {
  std::ifstream in(path);
  if (!in) return fallback;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using ::winsnap::testing::Exists;
using ::winsnap::testing::IsMountPoint;

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

using ::winsnap::testing::Pipe;

struct Output {
  uint32_t code = 0;
  std::string out;
  std::string err;
};

class LinuxComputeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      GTEST_SKIP() << "SKIPPED LOUDLY: needs root (mounts, runc)";
    if (!Exists(kBusybox)) {
      GTEST_SKIP() << "SKIPPED LOUDLY: " << kBusybox
                   << " missing (apt-get install busybox-static)";
    }
    StatusOr<std::unique_ptr<ComputeService>> svc =
        NewComputeService(Options());
    if (!svc.ok() && svc.status().code() == StatusCode::kUnavailable) {
      GTEST_SKIP() << "SKIPPED LOUDLY: " << svc.status();
    }
    ASSERT_OK(svc);
    svc_ = std::move(*svc);
    ASSERT_OK_AND_ASSIGN(layers_, NewLayerService());

    // Base layer: busybox and applet links, /etc/passwd, /etc/motd.
    base_ = dir_.Sub("snapshots/1");
    ASSERT_OK(base::Env::Default()->CreateDirs(base_ + "/Files/bin"));
    ASSERT_OK(base::Env::Default()->CreateDirs(base_ + "/Files/etc"));
    ASSERT_OK(base::Env::Default()->CreateDirs(base_ + "/Files/tmp"));
    ASSERT_EQ(RunCommand({"/bin/cp", kBusybox, base_ + "/Files/bin/busybox"})
                  .exit_code,
              0);
    for (const char* applet :
         {"sh", "echo", "cat", "ls", "sleep", "touch", "id", "hostname", "tty",
          "stty", "kill", "true", "false", "mkdir", "trap"}) {
      ASSERT_EQ(::symlink("busybox", (base_ + "/Files/bin/" + applet).c_str()),
                0);
    }
    WriteText(base_ + "/Files/etc/passwd",
              "root:x:0:0:root:/root:/bin/sh\n"
              "tester:x:1000:1000::/tmp:/bin/sh\n");
    WriteText(base_ + "/Files/etc/motd", "base\n");
    // Second layer: shadows motd, adds a file.
    top_ = dir_.Sub("snapshots/2");
    ASSERT_OK(base::Env::Default()->CreateDirs(top_ + "/Files/etc"));
    WriteText(top_ + "/Files/etc/motd", "layer2\n");
    WriteText(top_ + "/Files/etc/layer2.txt", "from layer 2\n");
    scratch_ = dir_.Sub("snapshots/3");
    ASSERT_OK(base::Env::Default()->CreateDirs(scratch_));
  }

  void TearDown() override {
    // Whatever a failing test left behind: runc containers, then mounts.
    if (svc_ == nullptr) return;
    auto list = RunCommand(
        {"/usr/sbin/runc", "--root", dir_.Sub("state"), "list", "-q"});
    std::istringstream ids(list.out);
    std::string id;
    while (std::getline(ids, id)) {
      if (!id.empty()) {
        RunCommand({"/usr/sbin/runc", "--root", dir_.Sub("state"), "delete",
                    "--force", id});
      }
    }
    for (const std::string& s : {scratch_, dir_.Sub("snapshots/9")}) {
      if (IsMountPoint(s + "/rootfs"))
        ::umount2((s + "/rootfs").c_str(), MNT_DETACH);
    }
  }

  ComputeServiceOptions Options() {
    ComputeServiceOptions o;
    o.state_dir = dir_.Sub("state");
    o.bundle_dir = dir_.Sub("bundles");
    return o;
  }

  // config.json as `snapctl spec` would write it (no process here).
  oci::Spec Spec() {
    oci::Spec s;
    s.hostname = "winsnap-test";
    s.windows.emplace().layer_folders = {top_, base_, scratch_};
    return s;
  }

  StatusOr<std::unique_ptr<ComputeSystem>> Create(
      const std::string& id, const oci::Spec& spec,
      bool terminate_on_close = true) {
    const auto& folders = spec.windows->layer_folders;
    std::vector<std::string> parents(folders.begin(), folders.end() - 1);
    WINSNAP_ASSIGN_OR_RETURN(std::string volume,
                             MountScratch(*layers_, folders.back(), parents));
    ContainerDocumentOptions o;
    o.scratch_volume_path = volume;
    o.terminate_on_last_handle_closed = terminate_on_close;
    o.layer_id = [this](std::string_view p) { return layers_->LayerId(p); };
    WINSNAP_ASSIGN_OR_RETURN(schema::ComputeSystem doc,
                             ContainerDocumentFromOci(spec, id, o));
    return svc_->CreateComputeSystem(id, doc);
  }

  StatusOr<std::unique_ptr<ComputeSystem>> CreateStarted(
      const std::string& id, bool terminate_on_close = true) {
    WINSNAP_ASSIGN_OR_RETURN(auto cs, Create(id, Spec(), terminate_on_close));
    WINSNAP_RETURN_IF_ERROR(cs->Start());
    return cs;
  }

  static schema::ProcessParameters Params(std::vector<std::string> args,
                                          std::string user = "") {
    oci::Process p;
    p.args = std::move(args);
    p.user.username = std::move(user);
    p.cwd = "C:\\";
    return *ProcessDocumentFromOci(p);
  }

  // Runs a process to completion, capturing stdout and stderr.
  StatusOr<Output> Run(ComputeSystem& cs, const schema::ProcessParameters& p,
                       const std::string& stdin_text = "") {
    Pipe in, out, err;
    StdioFds fds{stdin_text.empty() ? -1 : in.r, out.w, err.w};
    WINSNAP_ASSIGN_OR_RETURN(auto proc, cs.CreateProcess(p, fds));
    if (!stdin_text.empty()) {
      EXPECT_EQ(::write(in.w, stdin_text.data(), stdin_text.size()),
                static_cast<ssize_t>(stdin_text.size()));
    }
    in.CloseWrite();
    out.CloseWrite();
    err.CloseWrite();
    Output o;
    o.out = out.ReadAll();
    o.err = err.ReadAll();
    WINSNAP_ASSIGN_OR_RETURN(o.code, proc->Wait());
    return o;
  }

  StatusOr<std::string> State(ComputeSystem& cs) {
    WINSNAP_ASSIGN_OR_RETURN(schema::Properties p, cs.Properties({}));
    return p.state;
  }

  TempDir dir_;
  std::unique_ptr<ComputeService> svc_;
  std::unique_ptr<LayerService> layers_;
  std::string base_, top_, scratch_;
};

TEST_F(LinuxComputeServiceTest, EchoPrintsTestAndExitsZero) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("echo"));
  ASSERT_OK_AND_ASSIGN(Output o, Run(*cs, Params({"echo", "test"})));
  EXPECT_EQ(o.out, "test\n");
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(o.code, 0u);
}

TEST_F(LinuxComputeServiceTest, ExitCodesPropagate) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("exit3"));
  ASSERT_OK_AND_ASSIGN(Output o, Run(*cs, Params({"sh", "-c", "exit 3"})));
  EXPECT_EQ(o.code, 3u);
}

TEST_F(LinuxComputeServiceTest, SignalDeathReports128PlusSignal) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("sig"));
  ASSERT_OK_AND_ASSIGN(auto init,
                       cs->CreateProcess(Params({"sleep", "30"}), StdioFds{}));
  ASSERT_OK(init->Signal(SIGKILL));
  ASSERT_OK_AND_ASSIGN(uint32_t code, init->Wait());
  EXPECT_EQ(code, 128u + SIGKILL);
  EXPECT_OK(init->Signal(SIGTERM)) << "signalling an exited process is OK";
  ASSERT_OK_AND_ASSIGN(std::string state, State(*cs));
  EXPECT_EQ(state, "Stopped");
}

TEST_F(LinuxComputeServiceTest, StderrAndStdinAreTheCallersDescriptors) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("stdio"));
  ASSERT_OK_AND_ASSIGN(
      Output o, Run(*cs, Params({"sh", "-c", "cat; echo oops >&2"}), "abc\n"));
  EXPECT_EQ(o.out, "abc\n");
  EXPECT_EQ(o.err, "oops\n");
  EXPECT_EQ(o.code, 0u);
}

TEST_F(LinuxComputeServiceTest, TopmostLayerWinsAndWritesLandInTheScratch) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("layers"));
  ASSERT_OK_AND_ASSIGN(
      Output o,
      Run(*cs, Params({"sh", "-c",
                       "cat /etc/motd /etc/layer2.txt; echo hello > /newfile; "
                       "echo changed > /etc/motd; mkdir -p /var/x; "
                       "touch /var/x/y"})));
  EXPECT_EQ(o.out, "layer2\nfrom layer 2\n");
  EXPECT_EQ(o.code, 0u) << o.err;
  EXPECT_EQ(ReadFileOr(scratch_ + "/Files/newfile", "<missing>"), "hello\n");
  EXPECT_EQ(ReadFileOr(scratch_ + "/Files/etc/motd", "<missing>"), "changed\n");
  EXPECT_TRUE(Exists(scratch_ + "/Files/var/x/y"));
  // The image layers are untouched.
  EXPECT_FALSE(Exists(base_ + "/Files/newfile"));
  EXPECT_FALSE(Exists(top_ + "/Files/newfile"));
  EXPECT_EQ(ReadFileOr(top_ + "/Files/etc/motd", ""), "layer2\n");
  EXPECT_EQ(ReadFileOr(base_ + "/Files/etc/motd", ""), "base\n");
  EXPECT_FALSE(Exists(base_ + "/Files/var"));
}

TEST_F(LinuxComputeServiceTest, HostnameUserAndWorkingDirectory) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("ident"));
  ASSERT_OK_AND_ASSIGN(auto init,
                       cs->CreateProcess(Params({"sleep", "30"}), StdioFds{}));
  ASSERT_OK_AND_ASSIGN(Output o, Run(*cs, Params({"hostname"})));
  EXPECT_EQ(o.out, "winsnap-test\n");
  ASSERT_OK_AND_ASSIGN(o, Run(*cs, Params({"id", "-u"}, "tester")));
  EXPECT_EQ(o.out, "1000\n");
  oci::Process p;
  p.args = {"sh", "-c", "pwd"};
  p.cwd = "C:\\tmp";
  ASSERT_OK_AND_ASSIGN(o, Run(*cs, *ProcessDocumentFromOci(p)));
  EXPECT_EQ(o.out, "/tmp\n");
  ASSERT_OK(cs->Terminate());
}

TEST_F(LinuxComputeServiceTest, ExecPsPauseResumeAndState) {
  ASSERT_OK_AND_ASSIGN(auto cs, Create("life", Spec()));
  ASSERT_OK_AND_ASSIGN(std::string state, State(*cs));
  EXPECT_EQ(state, "Created");
  EXPECT_THAT(cs->CreateProcess(Params({"true"}), StdioFds{}),
              StatusIs(StatusCode::kFailedPrecondition, "not started"));
  EXPECT_THAT(cs->Pause(), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK(cs->Start());
  EXPECT_THAT(cs->Start(), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(state, State(*cs));
  EXPECT_EQ(state, "Running");

  ASSERT_OK_AND_ASSIGN(auto init,
                       cs->CreateProcess(Params({"sleep", "30"}), StdioFds{}));
  ASSERT_OK_AND_ASSIGN(Output o, Run(*cs, Params({"echo", "exec"})));
  EXPECT_EQ(o.out, "exec\n");

  ASSERT_OK_AND_ASSIGN(schema::Properties props,
                       cs->Properties({{"ProcessList"}}));
  EXPECT_EQ(props.id, "life");
  EXPECT_EQ(props.owner, "winsnap");
  EXPECT_EQ(props.system_type, "Container");
  ASSERT_EQ(props.process_list.size(), 1u);
  EXPECT_EQ(props.process_list[0].process_id, init->Pid());
  EXPECT_EQ(props.process_list[0].image_name, "sleep");

  ASSERT_OK(cs->Pause());
  ASSERT_OK_AND_ASSIGN(state, State(*cs));
  EXPECT_EQ(state, "Paused");
  EXPECT_THAT(cs->Pause(), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto still, init->TryWait());
  EXPECT_FALSE(still.has_value());
  ASSERT_OK(cs->Resume());
  ASSERT_OK_AND_ASSIGN(state, State(*cs));
  EXPECT_EQ(state, "Running");
  EXPECT_THAT(cs->Resume(), StatusIs(StatusCode::kFailedPrecondition));

  ASSERT_OK(cs->Terminate());
  ASSERT_OK_AND_ASSIGN(uint32_t code, init->Wait());
  EXPECT_EQ(code, 128u + SIGKILL);
  ASSERT_OK_AND_ASSIGN(state, State(*cs));
  EXPECT_EQ(state, "Stopped");
  EXPECT_FALSE(IsMountPoint(scratch_ + "/rootfs"));
  EXPECT_FALSE(Exists(scratch_ + "/rootfs"));
  EXPECT_FALSE(Exists(scratch_ + "/work"));
  EXPECT_TRUE(Exists(scratch_ + "/Files")) << "the scratch's content stays";
  EXPECT_THAT(cs->CreateProcess(Params({"true"}), StdioFds{}),
              StatusIs(StatusCode::kFailedPrecondition, "terminated"));
  EXPECT_OK(cs->Terminate()) << "terminating twice is OK";
}

TEST_F(LinuxComputeServiceTest, ExecAfterInitExitedIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("gone"));
  ASSERT_OK_AND_ASSIGN(Output o, Run(*cs, Params({"true"})));
  EXPECT_EQ(o.code, 0u);
  EXPECT_THAT(
      cs->CreateProcess(Params({"true"}), StdioFds{}),
      StatusIs(StatusCode::kFailedPrecondition, "init process has exited"));
}

TEST_F(LinuxComputeServiceTest,
       ShutdownTimesOutOnPid1IgnoringTermThenSucceeds) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("shutdown"));
  // PID 1 ignores SIGTERM unless it installs a handler.
  ASSERT_OK_AND_ASSIGN(auto init,
                       cs->CreateProcess(Params({"sleep", "30"}), StdioFds{}));
  EXPECT_THAT(cs->Shutdown(std::chrono::milliseconds(300)),
              StatusIs(StatusCode::kDeadlineExceeded, "still Running"));
  ASSERT_OK(cs->Terminate());
  ASSERT_OK(init->Wait().status());

  scratch_ = dir_.Sub("snapshots/9");
  ASSERT_OK(base::Env::Default()->CreateDirs(scratch_));
  oci::Spec spec = Spec();
  ASSERT_OK_AND_ASSIGN(auto cs2, Create("shutdown2", spec));
  ASSERT_OK(cs2->Start());
  Pipe ready;
  ASSERT_OK_AND_ASSIGN(
      auto init2,
      cs2->CreateProcess(Params({"sh", "-c",
                                 "trap 'exit 7' TERM; echo ready; while true; "
                                 "do sleep 0.05; done"}),
                         StdioFds{-1, ready.w, -1}));
  ready.CloseWrite();
  char buf[6] = {};
  ASSERT_EQ(::read(ready.r, buf, 6), 6) << "the trap is set before this";
  EXPECT_EQ(std::string(buf, 6), "ready\n");
  ASSERT_OK(cs2->Shutdown(std::chrono::seconds(10)));
  ASSERT_OK_AND_ASSIGN(uint32_t code, init2->Wait());
  EXPECT_EQ(code, 7u);
}

TEST_F(LinuxComputeServiceTest, ConsoleProcessGetsAPtyOfTheRequestedSize) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("tty"));
  oci::Process p;
  p.args = {"sh", "-c", "tty; stty size"};
  p.terminal = true;
  p.console_size = oci::ConsoleSize{24, 100};
  ASSERT_OK_AND_ASSIGN(schema::ProcessParameters params,
                       ProcessDocumentFromOci(p));
  ASSERT_OK_AND_ASSIGN(Output o, Run(*cs, params));
  EXPECT_EQ(o.code, 0u);
  EXPECT_THAT(o.out, HasSubstr("/dev/pts/0"));
  EXPECT_THAT(o.out, HasSubstr("24 100"));
}

TEST_F(LinuxComputeServiceTest, ConsoleCanBeResized) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("resize"));
  oci::Process p;
  p.args = {"sh", "-c", "read line; stty size"};
  p.terminal = true;
  p.console_size = oci::ConsoleSize{24, 80};
  Pipe in, out;
  ASSERT_OK_AND_ASSIGN(
      auto proc, cs->CreateProcess(*ProcessDocumentFromOci(
                                       p, ProcessStdio{true, true, false}),
                                   StdioFds{in.r, out.w, -1}));
  out.CloseWrite();
  ASSERT_OK(proc->ResizeConsole(50, 132));
  ASSERT_EQ(::write(in.w, "go\n", 3), 3);
  ASSERT_OK_AND_ASSIGN(uint32_t code, proc->Wait());
  EXPECT_EQ(code, 0u);
  proc->Close();
  EXPECT_THAT(out.ReadAll(), HasSubstr("50 132"));
}

TEST_F(LinuxComputeServiceTest, ResizeWithoutConsoleIsFailedPrecondition) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("noconsole"));
  ASSERT_OK_AND_ASSIGN(auto proc,
                       cs->CreateProcess(Params({"sleep", "30"}), StdioFds{}));
  EXPECT_THAT(proc->ResizeConsole(10, 10),
              StatusIs(StatusCode::kFailedPrecondition, "no console"));
  ASSERT_OK(proc->Terminate());
  ASSERT_OK(proc->Wait().status());
}

TEST_F(LinuxComputeServiceTest, MappedDirectoriesHonourReadOnly) {
  ASSERT_OK(base::Env::Default()->CreateDirs(dir_.Sub("host/ro")));
  ASSERT_OK(base::Env::Default()->CreateDirs(dir_.Sub("host/rw")));
  WriteText(dir_.Sub("host/ro/data.txt"), "host data\n");
  oci::Spec spec = Spec();
  spec.mounts.push_back({"C:\\data", "", dir_.Sub("host/ro"), {"ro"}});
  spec.mounts.push_back({"C:\\out", "bind", dir_.Sub("host/rw"), {}});
  ASSERT_OK_AND_ASSIGN(auto cs, Create("mounts", spec));
  ASSERT_OK(cs->Start());
  ASSERT_OK_AND_ASSIGN(
      Output o,
      Run(*cs, Params({"sh", "-c",
                       "cat /data/data.txt; echo w > /out/w.txt; "
                       "touch /data/nope 2>/dev/null && echo writable || echo "
                       "readonly"})));
  EXPECT_EQ(o.out, "host data\nreadonly\n");
  EXPECT_EQ(ReadFileOr(dir_.Sub("host/rw/w.txt"), "<missing>"), "w\n");
  EXPECT_FALSE(Exists(dir_.Sub("host/ro/nope")));
}

TEST_F(LinuxComputeServiceTest, LayerWithoutFilesIsInvalidArgumentNamingIt) {
  std::string bogus = dir_.Sub("snapshots/bogus");
  ASSERT_OK(base::Env::Default()->CreateDirs(bogus));
  schema::ComputeSystem doc;
  schema::Container& c = doc.container.emplace();
  c.storage.emplace().layers = {{"id", top_, "", ""}, {"id2", bogus, "", ""}};
  c.storage->path = scratch_;
  EXPECT_THAT(svc_->CreateComputeSystem("bogus", doc),
              StatusIs(StatusCode::kInvalidArgument, bogus));
  EXPECT_FALSE(Exists(dir_.Sub("bundles/bogus")));
  // Also through the LayerService, before any document exists.
  EXPECT_THAT(MountScratch(*layers_, scratch_, {top_, bogus}),
              StatusIs(StatusCode::kInvalidArgument, bogus));
}

TEST_F(LinuxComputeServiceTest, BadDocumentsAndIdsAreRejected) {
  schema::ComputeSystem doc;
  EXPECT_THAT(svc_->CreateComputeSystem("x", doc),
              StatusIs(StatusCode::kInvalidArgument, "Container.Storage"));
  doc.container.emplace().storage.emplace().path = scratch_;
  EXPECT_THAT(svc_->CreateComputeSystem("x", doc),
              StatusIs(StatusCode::kInvalidArgument, "Layers is empty"));
  doc.container->storage->layers = {{"id", base_, "", ""}};
  doc.container->storage->path = "C:\\scratch";
  EXPECT_THAT(svc_->CreateComputeSystem("x", doc),
              StatusIs(StatusCode::kInvalidArgument, "absolute path"));
  doc.container->storage->path = scratch_;
  EXPECT_THAT(svc_->CreateComputeSystem("../evil", doc),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(svc_->CreateComputeSystem("", doc),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(LinuxComputeServiceTest, DuplicateIdIsAlreadyExists) {
  ASSERT_OK_AND_ASSIGN(auto cs, Create("dup", Spec()));
  EXPECT_THAT(Create("dup", Spec()), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_TRUE(IsMountPoint(scratch_ + "/rootfs")) << "first system untouched";
}

TEST_F(LinuxComputeServiceTest, CloseTerminatesAndCleansUpWhenAsked) {
  ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("closeme"));
  ASSERT_OK_AND_ASSIGN(auto init,
                       cs->CreateProcess(Params({"sleep", "30"}), StdioFds{}));
  EXPECT_TRUE(IsMountPoint(scratch_ + "/rootfs"));
  cs->Close();
  ASSERT_OK_AND_ASSIGN(uint32_t code, init->Wait());
  EXPECT_EQ(code, 128u + SIGKILL);
  EXPECT_FALSE(IsMountPoint(scratch_ + "/rootfs"));
  EXPECT_FALSE(Exists(dir_.Sub("bundles/closeme")));
  auto st = RunCommand(
      {"/usr/sbin/runc", "--root", dir_.Sub("state"), "state", "closeme"});
  EXPECT_NE(st.exit_code, 0) << "runc still knows the container";
  EXPECT_THAT(svc_->OpenComputeSystem("closeme"),
              StatusIs(StatusCode::kNotFound));
}

TEST_F(LinuxComputeServiceTest, DetachedSystemCanBeReopenedByAnotherService) {
  {
    ASSERT_OK_AND_ASSIGN(auto cs, CreateStarted("detached", false));
    ASSERT_OK_AND_ASSIGN(
        auto init, cs->CreateProcess(Params({"sleep", "30"}), StdioFds{}));
    init->Close();
    cs->Close();
  }
  EXPECT_TRUE(IsMountPoint(scratch_ + "/rootfs")) << "still running";
  ASSERT_OK_AND_ASSIGN(auto other, NewComputeService(Options()));
  ASSERT_OK_AND_ASSIGN(std::vector<schema::Properties> all,
                       other->EnumerateComputeSystems());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "detached");
  EXPECT_EQ(all[0].state, "Running");
  ASSERT_OK_AND_ASSIGN(auto cs, other->OpenComputeSystem("detached"));
  ASSERT_OK_AND_ASSIGN(Output o, Run(*cs, Params({"cat", "/etc/layer2.txt"})));
  EXPECT_EQ(o.out, "from layer 2\n");
  cs->Close();  // an opened handle never terminates
  ASSERT_OK_AND_ASSIGN(cs, other->OpenComputeSystem("detached"));
  ASSERT_OK_AND_ASSIGN(std::string state, State(*cs));
  EXPECT_EQ(state, "Running");
  ASSERT_OK(cs->Terminate());
  cs->Close();
  EXPECT_FALSE(IsMountPoint(scratch_ + "/rootfs"));
  EXPECT_THAT(other->OpenComputeSystem("detached"),
              StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(all, other->EnumerateComputeSystems());
  EXPECT_TRUE(all.empty());
}

}  // namespace
}  // namespace winsnap::hcs
