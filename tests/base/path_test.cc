// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The path rules of both platforms, run on every host (they are pure).

#include "base/path.h"

#include "tests/testutil/status_matchers.h"

namespace winsnap::base {
namespace {

using ::winsnap::testing::StatusIs;

constexpr PathStyle kWin = PathStyle::kWindows;
constexpr PathStyle kPosix = PathStyle::kPosix;

TEST(PathTest, JoinUsesTheStyleSeparator) {
  EXPECT_EQ(JoinPathStyle(kPosix, "/r", "snapshots"), "/r/snapshots");
  EXPECT_EQ(JoinPathStyle(kPosix, "/r/", "s"), "/r/s");
  EXPECT_EQ(JoinPathStyle(kWin, "C:\\r", "snapshots"), "C:\\r\\snapshots");
  EXPECT_EQ(JoinPathStyle(kWin, "C:\\", "r"), "C:\\r");
  EXPECT_EQ(JoinPathStyle(kWin, "C:/r/", "a/b"), "C:\\r\\a\\b");
  EXPECT_EQ(JoinPathStyle(kWin, "C:\\r", ""), "C:\\r");
}

TEST(PathTest, DirNameKeepsTheRoot) {
  EXPECT_EQ(DirName(kPosix, "/a/b"), "/a");
  EXPECT_EQ(DirName(kPosix, "/a"), "/");
  EXPECT_EQ(DirName(kPosix, "a"), ".");
  EXPECT_EQ(DirName(kPosix, "/a/b//"), "/a");
  EXPECT_EQ(DirName(kWin, "C:\\a\\b"), "C:\\a");
  EXPECT_EQ(DirName(kWin, "C:\\a"), "C:\\");
  EXPECT_EQ(DirName(kWin, "C:/a/b"), "C:\\a");
  EXPECT_EQ(DirName(kWin, "C:\\"), "C:\\");
}

TEST(PathTest, PosixRootMustBeAbsolute) {
  ASSERT_OK_AND_ASSIGN(std::string r, CleanRoot(kPosix, "/var/lib/w//"));
  EXPECT_EQ(r, "/var/lib/w");
  ASSERT_OK_AND_ASSIGN(r, CleanRoot(kPosix, "/"));
  EXPECT_EQ(r, "/");
  EXPECT_THAT(CleanRoot(kPosix, "rel/dir"),
              StatusIs(StatusCode::kInvalidArgument, "rel/dir"));
  EXPECT_THAT(CleanRoot(kPosix, ""), StatusIs(StatusCode::kInvalidArgument));
}

TEST(PathTest, WindowsRootAcceptsDrivePathsInBothSlashes) {
  ASSERT_OK_AND_ASSIGN(std::string r,
                       CleanRoot(kWin, "C:\\ProgramData\\winsnap"));
  EXPECT_EQ(r, "C:\\ProgramData\\winsnap");
  ASSERT_OK_AND_ASSIGN(r, CleanRoot(kWin, "c:/ProgramData//winsnap/"));
  EXPECT_EQ(r, "C:\\ProgramData\\winsnap");
  ASSERT_OK_AND_ASSIGN(r, CleanRoot(kWin, "D:\\"));
  EXPECT_EQ(r, "D:\\");
}

TEST(PathTest, WindowsRootRefusesRelativeUncAndDevicePaths) {
  for (const char* bad :
       {"winsnap", "C:winsnap", "\\winsnap", "/winsnap", "C:", "1:\\x", ""}) {
    EXPECT_THAT(CleanRoot(kWin, bad),
                StatusIs(StatusCode::kInvalidArgument, "absolute drive path"))
        << bad;
  }
  for (const char* bad :
       {"\\\\server\\share\\w", "//server/share", "\\\\?\\C:\\w"}) {
    EXPECT_THAT(CleanRoot(kWin, bad),
                StatusIs(StatusCode::kInvalidArgument, "UNC"))
        << bad;
  }
  EXPECT_THAT(CleanRoot(kWin, "C:\\a\\..\\b"),
              StatusIs(StatusCode::kInvalidArgument, ".."));
}

TEST(PathTest, LongPathPrefixesAbsolutePathsOnly) {
  EXPECT_EQ(ToLongPath("C:\\a\\b"), "\\\\?\\C:\\a\\b");
  EXPECT_EQ(ToLongPath("C:/a/b"), "\\\\?\\C:\\a\\b");
  EXPECT_EQ(ToLongPath("\\\\srv\\share\\x"), "\\\\?\\UNC\\srv\\share\\x");
  EXPECT_EQ(ToLongPath("\\\\?\\C:\\a"), "\\\\?\\C:\\a");
  EXPECT_EQ(ToLongPath("rel\\x"), "rel\\x");
}

TEST(PathTest, DefaultRootFollowsProgramData) {
  EXPECT_EQ(DefaultRootFor(kPosix, "ignored"), "/var/lib/winsnap");
  EXPECT_EQ(DefaultRootFor(kWin, "D:\\PD"), "D:\\PD\\winsnap");
  EXPECT_EQ(DefaultRootFor(kWin, ""), "C:\\ProgramData\\winsnap");
  EXPECT_EQ(DefaultRoot(), DefaultRootFor(NativePathStyle(), ""));
}

}  // namespace
}  // namespace winsnap::base
