// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/digest.h"

#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"

namespace winsnap::unpack {
namespace {

TEST(Sha256Test, KnownVectors) {
  ASSERT_OK_AND_ASSIGN(Sha256 h, Sha256::Create());
  EXPECT_EQ(h.Finish(),
            "sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Of("abc"),
            "sha256:"
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, StreamingEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>(i * 7);
  ASSERT_OK_AND_ASSIGN(Sha256 h, Sha256::Create());
  for (size_t off = 0; off < data.size(); off += 4097)
    h.Update(data.data() + off, std::min<size_t>(4097, data.size() - off));
  EXPECT_EQ(h.bytes(), data.size());
  EXPECT_EQ(h.Finish(), Sha256Of(data));
  EXPECT_FALSE(h.valid());
}

TEST(Sha256Test, MoveSelfMoveAndDoubleReset) {
  ASSERT_OK_AND_ASSIGN(Sha256 a, Sha256::Create());
  a.Update("ab", 2);
  Sha256 b = std::move(a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): documented
  ASSERT_TRUE(b.valid());
  Sha256& ref = b;
  b = std::move(ref);  // self-move keeps the state
  ASSERT_TRUE(b.valid());
  b.Update("c", 1);
  EXPECT_EQ(b.Finish(), Sha256Of("abc"));
  b.Reset();
  b.Reset();
  EXPECT_FALSE(b.valid());
}

TEST(DigestTest, IsSha256Digest) {
  EXPECT_TRUE(IsSha256Digest("sha256:" + std::string(64, 'a')));
  EXPECT_FALSE(IsSha256Digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(IsSha256Digest("sha512:" + std::string(64, 'a')));
}

// Expected values computed independently (Python hashlib) from the OCI rule
// ChainID(Ln) = SHA256(ChainID(Ln-1) + " " + DiffID(Ln)).
TEST(ChainIdTest, MatchesOciRule) {
  const std::string a = "sha256:" + std::string(64, 'a');
  const std::string b = "sha256:" + std::string(64, 'b');
  const std::string c = "sha256:" + std::string(64, 'c');
  auto ids = ChainIds({a, b, c});
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], a);
  EXPECT_EQ(ids[1],
            "sha256:"
            "ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c");
  EXPECT_EQ(ids[2],
            "sha256:"
            "c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588");
  EXPECT_EQ(ChainId("", a), a);
}

}  // namespace
}  // namespace winsnap::unpack
