// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/env.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::base {
namespace {

using ::testing::HasSubstr;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

class EnvTest : public ::testing::Test {
 protected:
  Env* env_ = Env::Default();
  TempDir dir_;
};

TEST_F(EnvTest, CreateDirsMakesParentsAndIsIdempotent) {
  std::string p = dir_.Sub("a/b/c");
  ASSERT_OK(env_->CreateDirs(p));
  ASSERT_OK(env_->CreateDirs(p));
  EXPECT_TRUE(env_->IsDirectory(p));
  EXPECT_THAT(env_->CreateDir(p), StatusIs(StatusCode::kAlreadyExists));
}

TEST_F(EnvTest, RemoveAllRemovesTreeAndToleratesMissing) {
  ASSERT_OK(env_->CreateDirs(dir_.Sub("t/x/y")));
  std::ofstream(dir_.Sub("t/x/y/f")) << "data";
  ASSERT_EQ(::symlink("/etc/passwd", dir_.Sub("t/link").c_str()), 0);
  ASSERT_OK(env_->RemoveAll(dir_.Sub("t")));
  EXPECT_FALSE(env_->Exists(dir_.Sub("t")));
  EXPECT_TRUE(env_->Exists("/etc/passwd"));  // symlink target untouched
  EXPECT_OK(env_->RemoveAll(dir_.Sub("t")));
}

TEST_F(EnvTest, RenameMissingIsNotFound) {
  EXPECT_THAT(env_->Rename(dir_.Sub("nope"), dir_.Sub("x")),
              StatusIs(StatusCode::kNotFound));
}

TEST_F(EnvTest, ListDirReturnsNames) {
  ASSERT_OK(env_->CreateDir(dir_.Sub("1")));
  ASSERT_OK(env_->CreateDir(dir_.Sub("2")));
  ASSERT_OK_AND_ASSIGN(auto names, env_->ListDir(dir_.path()));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"1", "2"}));
}

TEST_F(EnvTest, DiskUsageCountsHardLinksOnce) {
  ASSERT_OK(env_->CreateDir(dir_.Sub("u")));
  {
    std::ofstream f(dir_.Sub("u/f"));
    f << std::string(10000, 'x');
  }
  ASSERT_EQ(::link(dir_.Sub("u/f").c_str(), dir_.Sub("u/g").c_str()), 0);
  ASSERT_OK_AND_ASSIGN(DiskUsage u, env_->GetDiskUsage(dir_.Sub("u")));
  EXPECT_EQ(u.inodes, 2);  // the dir and the file
  struct stat st;
  ASSERT_EQ(::stat(dir_.Sub("u/f").c_str(), &st), 0);
  struct stat dst;
  ASSERT_EQ(::stat(dir_.Sub("u").c_str(), &dst), 0);
  EXPECT_EQ(u.size, (st.st_blocks + dst.st_blocks) * 512);
}

TEST_F(EnvTest, WriteFileAtomicReplacesContent) {
  std::string p = dir_.Sub("state.json");
  ASSERT_OK(env_->WriteFileAtomic(p, "one"));
  ASSERT_OK(env_->WriteFileAtomic(p, "two"));
  ASSERT_OK_AND_ASSIGN(std::string got, env_->ReadFile(p));
  EXPECT_EQ(got, "two");
  ASSERT_OK_AND_ASSIGN(auto names, env_->ListDir(dir_.path()));
  EXPECT_EQ(names.size(), 1u);  // no temp file left
}

TEST_F(EnvTest, ReadMissingFileIsNotFound) {
  EXPECT_THAT(env_->ReadFile(dir_.Sub("missing")),
              StatusIs(StatusCode::kNotFound));
}

// Detaches a mount when the test ends, pass or fail, so TempDir's own
// cleanup never meets it.
class ScopedMount {
 public:
  ScopedMount(const std::string& source, const std::string& target,
              const char* fstype, unsigned long flags)
      : target_(target) {
    mounted_ =
        ::mount(source.c_str(), target.c_str(), fstype, flags, nullptr) == 0;
  }
  ~ScopedMount() {
    if (mounted_) ::umount2(target_.c_str(), MNT_DETACH);
  }
  ScopedMount(const ScopedMount&) = delete;
  ScopedMount& operator=(const ScopedMount&) = delete;
  bool mounted() const { return mounted_; }

 private:
  std::string target_;
  bool mounted_ = false;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

TEST_F(EnvTest, RemoveAllNeverFollowsASymlinkToOutside) {
  TempDir outside;
  ASSERT_OK(env_->CreateDirs(outside.Sub("d/e")));
  std::ofstream(outside.Sub("d/e/f")) << "outside";
  std::ofstream(outside.Sub("file")) << "outside file";
  ASSERT_OK(env_->CreateDirs(dir_.Sub("t/sub")));
  ASSERT_EQ(::symlink(outside.Sub("d").c_str(), dir_.Sub("t/dirlink").c_str()),
            0);
  ASSERT_EQ(
      ::symlink(outside.Sub("file").c_str(), dir_.Sub("t/sub/flink").c_str()),
      0);
  ASSERT_EQ(::symlink("../../..", dir_.Sub("t/sub/up").c_str()), 0);
  ASSERT_OK(env_->RemoveAll(dir_.Sub("t")));
  EXPECT_FALSE(env_->Exists(dir_.Sub("t")));
  EXPECT_EQ(Slurp(outside.Sub("d/e/f")), "outside");
  EXPECT_EQ(Slurp(outside.Sub("file")), "outside file");
  // "path" itself a link to a directory: the link goes, the target stays.
  ASSERT_EQ(::symlink(outside.Sub("d").c_str(), dir_.Sub("top").c_str()), 0);
  ASSERT_OK(env_->RemoveAll(dir_.Sub("top")));
  EXPECT_FALSE(env_->Exists(dir_.Sub("top")));
  EXPECT_EQ(Slurp(outside.Sub("d/e/f")), "outside");
}

TEST_F(EnvTest, RemoveAllDeletesANestedPlainTree) {
  std::string deep = dir_.Sub("t");
  for (int i = 0; i < 30; ++i) {
    deep += "/" + std::to_string(i);
    ASSERT_OK(env_->CreateDirs(deep));
    for (int j = 0; j < 3; ++j) {
      std::ofstream(deep + "/f" + std::to_string(j)) << std::string(100, 'x');
    }
  }
  // A read-only file in a read-only dir, and a dir nobody may read.
  ASSERT_OK(env_->CreateDirs(dir_.Sub("t/ro")));
  std::ofstream(dir_.Sub("t/ro/file")) << "ro";
  ASSERT_EQ(::chmod(dir_.Sub("t/ro/file").c_str(), 0444), 0);
  ASSERT_EQ(::chmod(dir_.Sub("t/ro").c_str(), 0555), 0);
  ASSERT_OK(env_->CreateDirs(dir_.Sub("t/closed/inner")));
  ASSERT_EQ(::chmod(dir_.Sub("t/closed").c_str(), 0), 0);
  ASSERT_OK(env_->RemoveAll(dir_.Sub("t/")));  // a trailing slash is fine
  EXPECT_FALSE(env_->Exists(dir_.Sub("t")));
  ASSERT_OK_AND_ASSIGN(auto left, env_->ListDir(dir_.path()));
  EXPECT_TRUE(left.empty());
}

TEST_F(EnvTest, RemoveAllRefusesBadPaths) {
  EXPECT_THAT(env_->RemoveAll(""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(env_->RemoveAll("/"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(env_->RemoveAll(dir_.Sub("x/..")),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_TRUE(env_->Exists(dir_.path()));
}

TEST_F(EnvTest, RemoveAllRefusesABindMountInsideAndDeletesTheRest) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to bind-mount";
  TempDir host;
  ASSERT_OK(env_->CreateDirs(host.Sub("data/sub")));
  std::ofstream(host.Sub("data/canary")) << "keep me";
  std::ofstream(host.Sub("data/sub/canary2")) << "keep me too";
  ASSERT_OK(env_->CreateDirs(dir_.Sub("t/a/b/mnt")));
  ASSERT_OK(env_->CreateDirs(dir_.Sub("t/z/y")));
  std::ofstream(dir_.Sub("t/a/b/own")) << "mine";
  std::ofstream(dir_.Sub("t/z/y/own")) << "mine";
  ScopedMount bind(host.Sub("data"), dir_.Sub("t/a/b/mnt"), nullptr, MS_BIND);
  ASSERT_TRUE(bind.mounted()) << "mount --bind: " << std::strerror(errno);

  Status s = env_->RemoveAll(dir_.Sub("t"));
  EXPECT_THAT(s, StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(s.message(), HasSubstr(dir_.Sub("t/a/b/mnt")));
  EXPECT_THAT(s.message(), HasSubstr("mount point"));
  EXPECT_EQ(Slurp(host.Sub("data/canary")), "keep me");
  EXPECT_EQ(Slurp(host.Sub("data/sub/canary2")), "keep me too");
  // Everything else is gone; only the path down to the mount point stays.
  EXPECT_FALSE(env_->Exists(dir_.Sub("t/z")));
  EXPECT_FALSE(env_->Exists(dir_.Sub("t/a/b/own")));
  ASSERT_OK_AND_ASSIGN(auto left, env_->ListDir(dir_.Sub("t/a/b")));
  EXPECT_EQ(left, std::vector<std::string>{"mnt"});
  // The mount point itself, named directly, is refused too.
  s = env_->RemoveAll(dir_.Sub("t/a/b/mnt"));
  EXPECT_THAT(s, StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(Slurp(host.Sub("data/canary")), "keep me");
}

TEST_F(EnvTest, RemoveAllRefusesAnotherFilesystemInside) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount tmpfs";
  ASSERT_OK(env_->CreateDirs(dir_.Sub("t/m")));
  ScopedMount tmpfs("tmpfs", dir_.Sub("t/m"), "tmpfs", 0);
  ASSERT_TRUE(tmpfs.mounted()) << "mount tmpfs: " << std::strerror(errno);
  std::ofstream(dir_.Sub("t/m/on-tmpfs")) << "keep";
  EXPECT_THAT(env_->RemoveAll(dir_.Sub("t")),
              StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(Slurp(dir_.Sub("t/m/on-tmpfs")), "keep");
}

}  // namespace
}  // namespace winsnap::base
