// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Digests: the streaming Digester (sha256, sha512; move, self-move, reset),
// ParseDigest / IsSha256Digest validation and the chain-ID rule.

#include "oci/digest.h"

#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"

namespace winsnap::oci {
namespace {

using ::winsnap::testing::StatusIs;

TEST(DigesterTest, KnownVectors) {
  ASSERT_OK_AND_ASSIGN(Digester h, Digester::Create("sha256"));
  EXPECT_EQ(h.Finish(),
            "sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Of(""),
            "sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Of("abc"),
            "sha256:"
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigesterTest, IncrementalUpdatesAndSha512) {
  ASSERT_OK_AND_ASSIGN(Digester d, Digester::Create("sha256"));
  EXPECT_EQ(d.algorithm(), "sha256");
  d.Update("a", 1);
  d.Update("bc", 2);
  EXPECT_EQ(d.bytes(), 3u);
  EXPECT_EQ(d.Finish(), Sha256Of("abc"));
  ASSERT_OK_AND_ASSIGN(Digester s512, Digester::Create("sha512"));
  s512.Update("abc", 3);
  EXPECT_EQ(s512.Finish().substr(0, 23), "sha512:ddaf35a193617aba");
  EXPECT_THAT(Digester::Create("md5"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(DigesterTest, StreamingEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>(i * 7);
  ASSERT_OK_AND_ASSIGN(Digester h, Digester::Create("sha256"));
  for (size_t off = 0; off < data.size(); off += 4097)
    h.Update(data.data() + off, std::min<size_t>(4097, data.size() - off));
  EXPECT_EQ(h.bytes(), data.size());
  EXPECT_EQ(h.Finish(), Sha256Of(data));
  EXPECT_FALSE(h.valid());
  EXPECT_EQ(h.bytes(), 0u);
}

TEST(DigesterTest, MoveSelfMoveAndDoubleReset) {
  Digester empty;
  EXPECT_FALSE(empty.valid());
  ASSERT_OK_AND_ASSIGN(Digester a, Digester::Create("sha256"));
  a.Update("ab", 2);
  Digester b = std::move(a);
  EXPECT_FALSE(a.valid());   // NOLINT(bugprone-use-after-move): documented
  EXPECT_EQ(a.bytes(), 0u);  // NOLINT(bugprone-use-after-move)
  ASSERT_TRUE(b.valid());
  EXPECT_EQ(b.bytes(), 2u);
  Digester& ref = b;
  b = std::move(ref);  // self-move keeps the state
  ASSERT_TRUE(b.valid());
  EXPECT_EQ(b.algorithm(), "sha256");
  Digester c;
  c = std::move(b);  // move-assign into an empty one
  ASSERT_TRUE(c.valid());
  EXPECT_FALSE(b.valid());  // NOLINT(bugprone-use-after-move): documented
  b = std::move(c);
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

TEST(DigestTest, ParseValidates) {
  ASSERT_OK_AND_ASSIGN(Digest d, ParseDigest(Sha256Of("x")));
  EXPECT_EQ(d.algorithm, "sha256");
  EXPECT_EQ(d.ToString(), Sha256Of("x"));
  ASSERT_OK_AND_ASSIGN(Digest d512,
                       ParseDigest("sha512:" + std::string(128, 'f')));
  EXPECT_EQ(d512.algorithm, "sha512");
  EXPECT_THAT(ParseDigest("sha256:" + std::string(64, 'A')),
              StatusIs(StatusCode::kInvalidArgument, "lowercase hex"));
  EXPECT_THAT(ParseDigest("sha256:" + std::string(63, 'a')),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDigest(std::string(64, 'a')),
              StatusIs(StatusCode::kInvalidArgument, "missing algorithm"));
  EXPECT_THAT(ParseDigest("md5:00"),
              StatusIs(StatusCode::kInvalidArgument, "unsupported"));
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
}  // namespace winsnap::oci
