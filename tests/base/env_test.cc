// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::base {
namespace {

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

}  // namespace
}  // namespace winsnap::base
