// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "oci/platform.h"

#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"

namespace winsnap::oci {
namespace {

using ::winsnap::testing::StatusIs;

Platform P(std::string os, std::string arch, std::string variant = "",
           std::string os_version = "") {
  return Platform{std::move(os),
                  std::move(arch),
                  std::move(variant),
                  std::move(os_version),
                  {}};
}

TEST(ParsePlatformTest, ParsesAndNormalizes) {
  ASSERT_OK_AND_ASSIGN(Platform p, ParsePlatform("windows/amd64"));
  EXPECT_EQ(p, P("windows", "amd64"));
  ASSERT_OK_AND_ASSIGN(p, ParsePlatform("Windows(10.0.20348.1607)/x86_64"));
  EXPECT_EQ(p, P("windows", "amd64", "", "10.0.20348.1607"));
  ASSERT_OK_AND_ASSIGN(p, ParsePlatform("linux/aarch64/v8"));
  EXPECT_EQ(p, P("linux", "arm64"));
  ASSERT_OK_AND_ASSIGN(p, ParsePlatform("linux/arm"));
  EXPECT_EQ(p, P("linux", "arm", "v7"));
  EXPECT_EQ(P("windows", "amd64", "", "10.0.17763.1").ToString(),
            "windows(10.0.17763.1)/amd64");
}

TEST(ParsePlatformTest, RejectsMalformed) {
  for (const char* bad :
       {"windows", "windows/", "/amd64", "a/b/c/d", "windows()/amd64",
        "windows(10.0/amd64", "win dows/amd64"}) {
    EXPECT_THAT(ParsePlatform(bad), StatusIs(StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(CompareOsVersionTest, NumericComponentWise) {
  EXPECT_LT(CompareOsVersion("10.0.9", "10.0.10"), 0);
  EXPECT_GT(CompareOsVersion("10.0.20348.1607", "10.0.20348.887"), 0);
  EXPECT_EQ(CompareOsVersion("10.0.17763.1", "10.0.17763.01"), 0);
  EXPECT_LT(CompareOsVersion("10.0.17763", "10.0.17763.0"), 0);
  EXPECT_LT(CompareOsVersion("", "1"), 0);
  EXPECT_EQ(CompareOsVersion("", ""), 0);
  EXPECT_GT(CompareOsVersion("10.0.99999999999999999999", "10.0.2"), 0);
}

// The Windows image index most base images ship: one entry per build.
std::vector<std::optional<Platform>> WindowsIndex() {
  return {
      P("windows", "amd64", "", "10.0.17763.5820"),  // 0: ltsc2019
      P("windows", "amd64", "", "10.0.20348.2461"),  // 1: ltsc2022
      P("windows", "amd64", "", "10.0.20348.1607"),  // 2: older 2022 revision
      P("linux", "amd64"),                           // 3
      std::nullopt,                                  // 4: attestation etc.
      P("windows", "arm64", "", "10.0.26100.1000"),  // 5
      P("windows", "amd64", "", "10.0.26100.1742"),  // 6: ltsc2025
  };
}

TEST(SelectPlatformTest, ExactOsVersionWins) {
  ASSERT_OK_AND_ASSIGN(
      size_t i, SelectPlatform(WindowsIndex(),
                               P("windows", "amd64", "", "10.0.20348.1607")));
  EXPECT_EQ(i, 2u);  // exact, although a higher revision of that build exists
}

TEST(SelectPlatformTest, SameBuildHighestRevisionWhenNoExactMatch) {
  ASSERT_OK_AND_ASSIGN(
      size_t i, SelectPlatform(WindowsIndex(),
                               P("windows", "amd64", "", "10.0.20348.9999")));
  EXPECT_EQ(i, 1u);
  ASSERT_OK_AND_ASSIGN(
      i, SelectPlatform(WindowsIndex(),
                        P("windows", "amd64", "", "10.0.17763.1")));
  EXPECT_EQ(i, 0u);
  // A three-component version names a build.
  ASSERT_OK_AND_ASSIGN(i, SelectPlatform(WindowsIndex(), P("windows", "amd64",
                                                           "", "10.0.20348")));
  EXPECT_EQ(i, 1u);
}

TEST(SelectPlatformTest, OtherBuildIsNotFound) {
  auto r =
      SelectPlatform(WindowsIndex(), P("windows", "amd64", "", "10.0.19041.1"));
  EXPECT_THAT(r, StatusIs(StatusCode::kNotFound, "same build required"));
  EXPECT_THAT(
      r, StatusIs(StatusCode::kNotFound, "windows(10.0.20348.2461)/amd64"));
}

TEST(SelectPlatformTest, WithoutOsVersionHighestWins) {
  ASSERT_OK_AND_ASSIGN(size_t i,
                       SelectPlatform(WindowsIndex(), P("windows", "amd64")));
  EXPECT_EQ(i, 6u);
  ASSERT_OK_AND_ASSIGN(i,
                       SelectPlatform(WindowsIndex(), P("windows", "arm64")));
  EXPECT_EQ(i, 5u);
  ASSERT_OK_AND_ASSIGN(i, SelectPlatform(WindowsIndex(), P("linux", "x86_64")));
  EXPECT_EQ(i, 3u);
}

TEST(SelectPlatformTest, EntryWithoutOsVersionIsLastResortForWindows) {
  std::vector<std::optional<Platform>> idx = {
      P("windows", "amd64", "", "10.0.17763.1"), P("windows", "amd64")};
  ASSERT_OK_AND_ASSIGN(
      size_t i, SelectPlatform(idx, P("windows", "amd64", "", "10.0.20348.1")));
  EXPECT_EQ(i, 1u);
  ASSERT_OK_AND_ASSIGN(
      i, SelectPlatform(idx, P("windows", "amd64", "", "10.0.17763.7")));
  EXPECT_EQ(i, 0u);
}

TEST(SelectPlatformTest, VariantsAndTies) {
  std::vector<std::optional<Platform>> idx = {
      P("linux", "arm", "v6"), P("linux", "arm", "v7"),
      P("linux", "arm64", "v8"), P("linux", "amd64"), P("linux", "amd64")};
  ASSERT_OK_AND_ASSIGN(size_t i,
                       SelectPlatform(idx, P("linux", "arm")));  // arm => v7
  EXPECT_EQ(i, 1u);
  ASSERT_OK_AND_ASSIGN(i, SelectPlatform(idx, P("linux", "arm", "v6")));
  EXPECT_EQ(i, 0u);
  ASSERT_OK_AND_ASSIGN(i,
                       SelectPlatform(idx, P("linux", "aarch64")));  // v8 == ""
  EXPECT_EQ(i, 2u);
  ASSERT_OK_AND_ASSIGN(i, SelectPlatform(idx, P("linux", "amd64")));
  EXPECT_EQ(i, 3u);  // ties go to the first entry
  EXPECT_THAT(SelectPlatform(idx, P("windows", "amd64")),
              StatusIs(StatusCode::kNotFound, "linux/amd64"));
  EXPECT_THAT(SelectPlatform({}, P("linux", "amd64")),
              StatusIs(StatusCode::kNotFound, "available: none"));
}

}  // namespace
}  // namespace winsnap::oci
