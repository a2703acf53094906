// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// SHA-1, version-5 GUIDs and hcsshim's layer-name rule. Expected values come
// from FIPS 180 examples, RFC 4122 implementations (Python's uuid.uuid5) and
// hashlib, not from this code.

#include "hcs/layer_id.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testutil/status_matchers.h"

namespace winsnap::hcs {
namespace {

std::string Hex(const std::array<uint8_t, 20>& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0xf]);
  }
  return s;
}

TEST(Sha1Test, FipsVectors) {
  EXPECT_EQ(Hex(internal::Sha1("")),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Hex(internal::Sha1("abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Hex(internal::Sha1(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Hex(internal::Sha1(std::string(1000000, 'a'))),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1Test, PaddingBoundaries) {
  // Lengths around the 55/56/64-byte padding edges (values from hashlib).
  const std::pair<size_t, const char*> cases[] = {
      {55, "cef734ba81a024479e09eb5a75b6ddae62e6abf1"},
      {56, "901305367c259952f4e7af8323f480d59f81335b"},
      {63, "0ddc4e0cccd9a12850deb5abb0853a4425559fec"},
      {64, "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163"},
      {65, "78c741ddc482e4cdf8c474a0876347a0905b6233"},
      {119, "4300320394f7ee239bcdce7d3b8bcee173a0cd5c"},
      {120, "ceb2821639c4b6dcb10bce0e522ca2e608ce056d"},
      {128, "150fa3fbdc899bd0b8f95a9fb6027f564d953762"},
  };
  for (const auto& [n, want] : cases) {
    EXPECT_EQ(Hex(internal::Sha1(std::string(n, 'x'))), want) << n;
  }
}

TEST(GuidTest, ParseAndFormatRoundTrip) {
  ASSERT_OK_AND_ASSIGN(Guid g,
                       Guid::Parse("{BD9C3EF9-F239-59B5-A27E-15C523B1D149}"));
  EXPECT_EQ(g.ToString(), "bd9c3ef9-f239-59b5-a27e-15c523b1d149");
  EXPECT_EQ(g.version(), 5);
  EXPECT_EQ(g.bytes()[0], 0xbd);
  EXPECT_EQ(g.bytes()[15], 0x49);
}

TEST(GuidTest, RejectsMalformed) {
  for (const char* bad : {"", "bd9c3ef9", "bd9c3ef9-f239-59b5-a27e-15c523b1d14",
                          "bd9c3ef9-f239-59b5-a27e-15c523b1d1490",
                          "bd9c3ef9xf239-59b5-a27e-15c523b1d149",
                          "gd9c3ef9-f239-59b5-a27e-15c523b1d149",
                          "{bd9c3ef9-f239-59b5-a27e-15c523b1d149",
                          "bd9c3ef9-f239-59b5-a27e-15c523b1d1-9"}) {
    EXPECT_THAT(Guid::Parse(bad),
                testing::StatusIs(StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(GuidTest, V5MatchesRfc4122Implementations) {
  // uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.org") in Python.
  ASSERT_OK_AND_ASSIGN(Guid dns,
                       Guid::Parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8"));
  EXPECT_EQ(NewV5Guid(dns, "www.example.org").ToString(),
            "74738ff5-5367-5958-9aee-98fffdcd1876");
}

TEST(GuidTest, StandInIsV5InWinsnapNamespace) {
  // Values from Python: uuid.uuid5(UUID("0a4f4715-..."), name).
  EXPECT_EQ(kStandInLayerNamespace.ToString(),
            "0a4f4715-3dc1-4930-bf04-08cb4f5b6dfe");
  EXPECT_EQ(StandInNameToGuid("4").ToString(),
            "277fffcd-d6b2-57ac-bcc8-f5c9a113adc2");
  EXPECT_EQ(StandInNameToGuid("24").ToString(),
            "40b41ba4-40a8-5bee-8952-2639fc95f983");
  EXPECT_EQ(StandInNameToGuid("").ToString(),
            "63400e19-3bea-553a-a17e-b4891ab25161");
  EXPECT_EQ(StandInNameToGuid("base").version(), 5);
}

TEST(LayerNameTest, LastElementLikeGoFilepathSplitOnWindows) {
  EXPECT_EQ(LayerNameFromPath("C:\\ProgramData\\winsnap\\snapshots\\24"), "24");
  EXPECT_EQ(LayerNameFromPath("/var/lib/winsnap/snapshots/4"), "4");
  EXPECT_EQ(LayerNameFromPath("C:\\a/b"), "b");
  EXPECT_EQ(LayerNameFromPath("C:\\a\\"), "");
  EXPECT_EQ(LayerNameFromPath("C:foo"), "foo");
  EXPECT_EQ(LayerNameFromPath("foo"), "foo");
  EXPECT_EQ(LayerNameFromPath("\\\\server\\share\\layers\\7"), "7");
}

}  // namespace
}  // namespace winsnap::hcs
