// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Issue 12, finding 2: removing a snapshot whose folder holds a bind mount
// of a host directory emptied that host directory. Deletion must stop at the
// mount point (FailedPrecondition naming it), leave the entry in trash and
// finish on the first Cleanup after the unmount. Needs root (mount(2)).

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "snapshotter/snapshotter.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap {
namespace {

using ::testing::HasSubstr;
using ::winsnap::testing::TempDir;

// Detaches a bind mount when the test ends, pass or fail, so the TempDirs'
// own cleanup never meets it.
class BindMount {
 public:
  BindMount(const std::string& source, const std::string& target)
      : target_(target) {
    mounted_ =
        ::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) == 0;
  }
  ~BindMount() { Unmount(); }
  BindMount(const BindMount&) = delete;
  BindMount& operator=(const BindMount&) = delete;
  bool mounted() const { return mounted_; }
  // The mount point moved with a rename of a directory above it.
  void MovedTo(const std::string& target) { target_ = target; }
  bool Unmount() {
    if (mounted_ && ::umount2(target_.c_str(), MNT_DETACH) == 0) {
      mounted_ = false;
    }
    return !mounted_;
  }

 private:
  std::string target_;
  bool mounted_ = false;
};

// Captures what the snapshotter logs (Cleanup logs each entry it keeps).
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("t", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(Issue12DeleteTest, RemoveNeverDeletesThroughABindMount) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to bind-mount";
  TempDir host;
  ASSERT_OK(base::Env::Default()->CreateDirs(host.Sub("data")));
  std::ofstream(host.Sub("data/canary")) << "keep me";
  TempDir dir;
  snapshotter::Options o;
  o.root = dir.Sub("root");
  ASSERT_OK_AND_ASSIGN(auto sn, snapshotter::Snapshotter::Open(o));
  ASSERT_OK(sn->Prepare("victim", ""));
  ASSERT_OK_AND_ASSIGN(snapshotter::Info info, sn->Stat("victim"));
  std::ofstream(info.path + "/own-file") << "scratch data";
  const std::string target = info.path + "/mnt";
  ASSERT_OK(base::Env::Default()->CreateDir(target));
  BindMount mount(host.Sub("data"), target);
  ASSERT_TRUE(mount.mounted()) << "mount --bind failed: " << errno;

  ASSERT_OK(sn->Remove("victim"));
  ASSERT_OK_AND_ASSIGN(auto moved,
                       base::Env::Default()->ListDir(dir.Sub("root/trash")));
  ASSERT_EQ(moved.size(), 1u);
  mount.MovedTo(dir.Sub("root/trash/" + moved[0] + "/mnt"));
  LogCapture log;
  ASSERT_OK_AND_ASSIGN(snapshotter::CleanupReport report, sn->Cleanup());
  // The host directory is untouched.
  std::ifstream canary(host.Sub("data/canary"));
  std::string text((std::istreambuf_iterator<char>(canary)), {});
  EXPECT_EQ(text, "keep me");
  // The entry stays in trash, refused with FailedPrecondition naming the
  // mount point (which moved into trash with its folder).
  EXPECT_EQ(report.remaining, 1);
  EXPECT_EQ(report.removed, 0);
  EXPECT_THAT(log.text(), HasSubstr("FailedPrecondition"));
  EXPECT_THAT(log.text(), HasSubstr(dir.Sub("root/trash/")));
  EXPECT_THAT(log.text(), HasSubstr("/mnt"));
  EXPECT_THAT(log.text(), HasSubstr("mount point"));

  // After the unmount the next Cleanup finishes the entry.
  ASSERT_TRUE(mount.Unmount());
  ASSERT_OK_AND_ASSIGN(report, sn->Cleanup());
  EXPECT_EQ(report.remaining, 0);
  EXPECT_EQ(report.removed, 1);
  ASSERT_OK_AND_ASSIGN(auto trash,
                       base::Env::Default()->ListDir(dir.Sub("root/trash")));
  EXPECT_TRUE(trash.empty());
  EXPECT_TRUE(base::Env::Default()->Exists(host.Sub("data/canary")));
}

}  // namespace
}  // namespace winsnap
