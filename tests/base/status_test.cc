// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/status.h"

#include <cerrno>
#include <memory>

#include "tests/testutil/status_matchers.h"

namespace winsnap {
namespace {

using ::winsnap::testing::StatusIs;

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ToStringNamesCode) {
  EXPECT_EQ(NotFoundError("snapshot x").ToString(), "NotFound: snapshot x");
  EXPECT_EQ(FailedPreconditionError("y").WithContext("remove").ToString(),
            "FailedPrecondition: remove: y");
}

TEST(StatusTest, ErrnoMapsToCodes) {
  EXPECT_THAT(ErrnoError("open", ENOENT, "/x"),
              StatusIs(StatusCode::kNotFound, "open /x"));
  EXPECT_THAT(ErrnoError("mkdir", EEXIST),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(ErrnoError("open", EACCES),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(ErrnoError("write", ENOSPC),
              StatusIs(StatusCode::kResourceExhausted));
  EXPECT_THAT(ErrnoError("x", EIO), StatusIs(StatusCode::kInternal));
}

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  WINSNAP_ASSIGN_OR_RETURN(*out, Half(x));
  WINSNAP_RETURN_IF_ERROR(OkStatus());
  return OkStatus();
}

TEST(StatusOrTest, ValueAndErrorPropagate) {
  int out = 0;
  EXPECT_OK(UseHalf(8, &out));
  EXPECT_EQ(out, 4);
  EXPECT_THAT(UseHalf(3, &out), StatusIs(StatusCode::kInvalidArgument, "odd"));
  EXPECT_EQ(out, 4);
}

TEST(StatusOrTest, HoldsMoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> p = std::make_unique<int>(7);
  ASSERT_OK(p);
  std::unique_ptr<int> v = std::move(p).value();
  EXPECT_EQ(*v, 7);
}

}  // namespace
}  // namespace winsnap

namespace winsnap {
namespace {

TEST(Win32ErrorTest, MapsTheCodesStoresAndEnvSee) {
  EXPECT_EQ(Win32StatusCode(2), StatusCode::kNotFound);
  EXPECT_EQ(Win32StatusCode(3), StatusCode::kNotFound);
  EXPECT_EQ(Win32StatusCode(183), StatusCode::kAlreadyExists);
  EXPECT_EQ(Win32StatusCode(5), StatusCode::kPermissionDenied);
  EXPECT_EQ(Win32StatusCode(1314), StatusCode::kPermissionDenied);
  EXPECT_EQ(Win32StatusCode(112), StatusCode::kResourceExhausted);
  EXPECT_EQ(Win32StatusCode(32), StatusCode::kUnavailable);
  EXPECT_EQ(Win32StatusCode(33), StatusCode::kUnavailable);
  EXPECT_EQ(Win32StatusCode(1234567), StatusCode::kInternal);
}

TEST(Win32ErrorTest, MessageNamesFunctionPathAndCode) {
  Status s = Win32Error("MoveFileExW", 32, "C:\\a -> C:\\b");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            "MoveFileExW C:\\a -> C:\\b: sharing violation (another process is "
            "using the file) (Win32 error 32)");
  Status d = Win32Error("WriteFile", 112, "C:\\f", "There is not enough space");
  EXPECT_EQ(d.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(d.message(),
            "WriteFile C:\\f: There is not enough space (Win32 error 112)");
  EXPECT_EQ(Win32Error("F", 0).code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace winsnap
