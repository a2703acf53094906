// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// base64 over OpenSSL's EVP blocks: round trips, known vectors, and the
// malformed inputs the canonical-only decoder refuses.

#include "base/base64.h"

#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"

namespace winsnap::base {
namespace {

using ::winsnap::testing::StatusIs;

TEST(Base64Test, RoundTripsAllLengths) {
  std::string data;
  for (int i = 0; i < 40; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string back, Base64Decode(Base64Encode(data)));
    EXPECT_EQ(back, data) << "length " << i;
    data.push_back(static_cast<char>(i * 37 + 200));
  }
  EXPECT_EQ(Base64Encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_THAT(Base64Decode("dXNl*jpw"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64Decode("a"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Base64Decode("YWJ="),
              StatusIs(StatusCode::kInvalidArgument));  // non-zero pad bits
}

}  // namespace
}  // namespace winsnap::base
