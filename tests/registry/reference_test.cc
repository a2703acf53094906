// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/registry/reference.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testutil/status_matchers.h"

namespace winsnap::registry {
namespace {

using ::winsnap::testing::StatusIs;

const std::string kDigest =
    "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

struct Case {
  std::string input;
  std::string domain, path, tag, digest;
};

class ReferenceParseTest : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceParseTest, NormalizesLikeDocker) {
  const Case& c = GetParam();
  ASSERT_OK_AND_ASSIGN(Reference r, ParseReference(c.input));
  EXPECT_EQ(r.domain, c.domain);
  EXPECT_EQ(r.path, c.path);
  EXPECT_EQ(r.tag, c.tag);
  EXPECT_EQ(r.digest, c.digest);
  // The fully qualified form parses back to the same reference.
  ASSERT_OK_AND_ASSIGN(Reference again, ParseReference(r.String()));
  EXPECT_EQ(again, r);
}

INSTANTIATE_TEST_SUITE_P(
    Good, ReferenceParseTest,
    ::testing::Values(
        Case{"nanoserver:ltsc2022", "docker.io", "library/nanoserver",
             "ltsc2022", ""},
        Case{"nanoserver", "docker.io", "library/nanoserver", "latest", ""},
        Case{"microsoft/nanoserver", "docker.io", "microsoft/nanoserver",
             "latest", ""},
        Case{"docker.io/library/busybox:1", "docker.io", "library/busybox", "1",
             ""},
        Case{"index.docker.io/foo/bar", "docker.io", "foo/bar", "latest", ""},
        Case{"mcr.microsoft.com/windows/nanoserver:ltsc2022",
             "mcr.microsoft.com", "windows/nanoserver", "ltsc2022", ""},
        Case{"host:5000/a/b@" + kDigest, "host:5000", "a/b", "", kDigest},
        Case{"host:5000/a/b:v1@" + kDigest, "host:5000", "a/b", "v1", kDigest},
        Case{"localhost/foo", "localhost", "foo", "latest", ""},
        Case{"localhost:5000/foo:x", "localhost:5000", "foo", "x", ""},
        Case{"127.0.0.1:5000/test/img:tag", "127.0.0.1:5000", "test/img", "tag",
             ""},
        Case{"[::1]:5000/test/img", "[::1]:5000", "test/img", "latest", ""},
        Case{"Example.com/foo", "Example.com", "foo", "latest", ""},
        Case{"a/b-c__d.e---f", "docker.io", "a/b-c__d.e---f", "latest", ""},
        Case{"busybox@" + kDigest, "docker.io", "library/busybox", "", kDigest},
        Case{"foo:Tag_1.2-x", "docker.io", "library/foo", "Tag_1.2-x", ""}));

TEST(ReferenceTest, AccessorsSpellTheNormalizedForm) {
  ASSERT_OK_AND_ASSIGN(Reference r, ParseReference("nanoserver:ltsc2022"));
  EXPECT_EQ(r.Name(), "docker.io/library/nanoserver");
  EXPECT_EQ(r.String(), "docker.io/library/nanoserver:ltsc2022");
  EXPECT_EQ(r.Identifier(), "ltsc2022");
  EXPECT_EQ(r.ApiHost(), "registry-1.docker.io");

  ASSERT_OK_AND_ASSIGN(Reference d, ParseReference("h:1/x:t@" + kDigest));
  EXPECT_EQ(d.Identifier(), kDigest);  // digest wins over tag
  EXPECT_EQ(d.ApiHost(), "h:1");
  Reference pinned = r.WithDigest(kDigest);
  EXPECT_EQ(pinned.String(), "docker.io/library/nanoserver@" + kDigest);
}

class ReferenceRejectTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceRejectTest, InvalidArgument) {
  EXPECT_THAT(ParseReference(GetParam()),
              StatusIs(StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(
    Bad, ReferenceRejectTest,
    ::testing::Values("", ":tag", "@" + kDigest, "UPPER", "docker.io/Foo/bar",
                      "foo/Bar", "foo//bar", "foo/", "/foo", "foo:", "foo:-tag",
                      "foo:" + std::string(129, 'a'), "foo@sha256:abc",
                      "foo@sha256:" + std::string(64, 'G'),
                      "foo@md5:" + std::string(32, 'a'),
                      "foo@" + kDigest.substr(7), "host:/foo", "host:12x/foo",
                      "-host.com/foo", "ho_st.com/foo", "foo..bar", "foo__-bar",
                      "foo-", std::string(64, 'a'), "[::1/foo",
                      "a/" + std::string(260, 'b')));

TEST(ReferenceTest, ErrorNamesTheReason) {
  EXPECT_THAT(ParseReference("foo/Bar"),
              StatusIs(StatusCode::kInvalidArgument, "must be lowercase"));
  EXPECT_THAT(ParseReference("foo@sha256:abc"),
              StatusIs(StatusCode::kInvalidArgument, "64 lowercase hex"));
  EXPECT_THAT(
      ParseReference("foo@sha1:" + std::string(40, 'a')),
      StatusIs(StatusCode::kInvalidArgument, "unsupported digest algorithm"));
}

}  // namespace
}  // namespace winsnap::registry
