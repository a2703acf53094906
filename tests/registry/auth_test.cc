// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/registry/auth.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "base/base64.h"
#include "base/env.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::registry {
namespace {

using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

TEST(ChallengeTest, ParsesDockerHubBearerChallenge) {
  ASSERT_OK_AND_ASSIGN(
      auto cs,
      ParseChallenges(R"(Bearer realm="https://auth.docker.io/token",)"
                      R"(service="registry.docker.io",)"
                      R"(scope="repository:library/nanoserver:pull")"));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].Param("scope"), "repository:library/nanoserver:pull");
  EXPECT_EQ(cs[0].Param("error"), "");
}

TEST(ChallengeTest, SchemeAndKeysAreCaseInsensitiveAndSpacesAllowed) {
  ASSERT_OK_AND_ASSIGN(auto cs,
                       ParseChallenges(R"(BEARER  Realm = "r" , SERVICE=svc)"));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].Param("realm"), "r");
  EXPECT_EQ(cs[0].Param("service"), "svc");  // token (unquoted) value
}

TEST(ChallengeTest, QuotedValuesKeepCommasSpacesAndEscapes) {
  ASSERT_OK_AND_ASSIGN(
      auto cs,
      ParseChallenges(
          R"(Bearer realm="https://a/t",scope="repository:a/b:pull,push repository:c:pull",error="say \"hi\"")"));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].Param("scope"), "repository:a/b:pull,push repository:c:pull");
  EXPECT_EQ(cs[0].Param("error"), "say \"hi\"");
}

TEST(ChallengeTest, SeveralChallengesInOneHeader) {
  ASSERT_OK_AND_ASSIGN(
      auto cs,
      ParseChallenges(
          R"(Basic realm="Registry Realm", Bearer realm="https://t/token",service="s", Negotiate)"));
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].Param("realm"), "Registry Realm");
  EXPECT_EQ(cs[1].scheme, "bearer");
  EXPECT_EQ(cs[1].Param("realm"), "https://t/token");
  EXPECT_EQ(cs[1].Param("service"), "s");
  EXPECT_EQ(cs[2].scheme, "negotiate");
  EXPECT_TRUE(cs[2].params.empty());
}

TEST(ChallengeTest, Token68Form) {
  ASSERT_OK_AND_ASSIGN(auto cs,
                       ParseChallenges("Negotiate abc/+def==, Basic realm=x"));
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].token68, "abc/+def==");
  EXPECT_EQ(cs[1].scheme, "basic");
  EXPECT_EQ(cs[1].Param("realm"), "x");
}

TEST(ChallengeTest, MalformedHeadersAreRejected) {
  EXPECT_THAT(ParseChallenges(R"(Bearer realm="unterminated)"),
              StatusIs(StatusCode::kInvalidArgument, "unterminated"));
  EXPECT_THAT(ParseChallenges(R"(Bearer realm="x",service=)"),
              StatusIs(StatusCode::kInvalidArgument, "no value"));
  EXPECT_THAT(ParseChallenges(R"("quoted" realm=x)"),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseChallenges(R"(Bearer realm="x", =y)"),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(ChallengeTest, EmptyHeaderHasNoChallenges) {
  ASSERT_OK_AND_ASSIGN(auto cs, ParseChallenges("  ,  "));
  EXPECT_TRUE(cs.empty());
}

TEST(DockerConfigTest, LooksUpBase64AuthByNormalizedHost) {
  const std::string json = R"({
    "auths": {
      "https://index.docker.io/v1/": {"auth": ")" +
                           base::Base64Encode("hubuser:hub:pass") + R"("},
      "http://127.0.0.1:5000/v2/": {"auth": ")" +
                           base::Base64Encode("local:pw") + R"("},
      "registry.example.com": {"username": "legacy", "password": "old"},
      "helper-only.example.com": {},
      "oauth.example.com": {"identitytoken": "tok"}
    },
    "credsStore": "desktop"
  })";
  ASSERT_OK_AND_ASSIGN(DockerConfig cfg, DockerConfig::Parse(json));
  auto hub = cfg.Lookup("registry-1.docker.io");
  ASSERT_TRUE(hub.has_value());
  EXPECT_EQ(hub->username, "hubuser");
  EXPECT_EQ(hub->password, "hub:pass");  // split at the first ':' only
  EXPECT_EQ(cfg.Lookup("docker.io"), hub);
  EXPECT_EQ(cfg.Lookup("index.docker.io"), hub);

  auto local = cfg.Lookup("127.0.0.1:5000");
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(*local, (Credentials{"local", "pw"}));
  EXPECT_FALSE(cfg.Lookup("127.0.0.1:5001").has_value());  // port matters
  EXPECT_FALSE(cfg.Lookup("127.0.0.1").has_value());

  EXPECT_EQ(cfg.Lookup("registry.example.com"), (Credentials{"legacy", "old"}));
  EXPECT_FALSE(cfg.Lookup("helper-only.example.com").has_value());
  EXPECT_FALSE(cfg.Lookup("oauth.example.com").has_value());
  EXPECT_FALSE(cfg.Lookup("other.example.com").has_value());
}

TEST(DockerConfigTest, ExactKeyWinsOverNormalizedMatch) {
  const std::string json = R"({"auths": {
      "https://h:1/v2/": {"auth": ")" +
                           base::Base64Encode("a:1") + R"("},
      "h:1": {"auth": ")" + base::Base64Encode("b:2") +
                           R"("}}})";
  ASSERT_OK_AND_ASSIGN(DockerConfig cfg, DockerConfig::Parse(json));
  EXPECT_EQ(cfg.Lookup("h:1"), (Credentials{"b", "2"}));
}

TEST(DockerConfigTest, MalformedConfigIsInvalidArgument) {
  EXPECT_THAT(DockerConfig::Parse("{"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DockerConfig::Parse("[]"),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DockerConfig::Parse(R"({"auths": []})"),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DockerConfig::Parse(R"({"auths": {"h": {"auth": "!!"}}})"),
              StatusIs(StatusCode::kInvalidArgument, "auths[\"h\"]"));
  EXPECT_THAT(DockerConfig::Parse(R"({"auths": {"h": {"auth": ")" +
                                  base::Base64Encode("nocolon") + R"("}}})"),
              StatusIs(StatusCode::kInvalidArgument, "user:password"));
}

TEST(DockerConfigTest, LoadReadsFileAndMissingFileIsEmpty) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(DockerConfig missing,
                       DockerConfig::Load(dir.Sub("nope.json")));
  EXPECT_TRUE(missing.empty());
  ASSERT_OK(base::Env::Default()->WriteFileAtomic(
      dir.Sub("config.json"), R"({"auths": {"r.example": {"auth": ")" +
                                  base::Base64Encode("u:p") + R"("}}})"));
  ASSERT_OK_AND_ASSIGN(DockerConfig cfg,
                       DockerConfig::Load(dir.Sub("config.json")));
  EXPECT_EQ(cfg.Lookup("r.example"), (Credentials{"u", "p"}));
  ASSERT_OK(
      base::Env::Default()->WriteFileAtomic(dir.Sub("bad.json"), "{nope"));
  EXPECT_THAT(DockerConfig::Load(dir.Sub("bad.json")),
              StatusIs(StatusCode::kInvalidArgument, "bad.json"));
}

TEST(DockerConfigTest, DefaultPathHonoursDockerConfigThenHome) {
  const char* old_dc = std::getenv("DOCKER_CONFIG");
  const char* old_home = std::getenv("HOME");
  std::string saved_dc = old_dc ? old_dc : "",
              saved_home = old_home ? old_home : "";
  ::setenv("DOCKER_CONFIG", "/etc/dc", 1);
  EXPECT_EQ(DockerConfig::DefaultPath(), "/etc/dc/config.json");
  ::unsetenv("DOCKER_CONFIG");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(DockerConfig::DefaultPath(), "/home/u/.docker/config.json");
  if (old_dc) ::setenv("DOCKER_CONFIG", saved_dc.c_str(), 1);
  if (old_home) ::setenv("HOME", saved_home.c_str(), 1);
}

TEST(NormalizeRegistryHostTest, StripsSchemeAndPath) {
  EXPECT_EQ(NormalizeRegistryHost("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(NormalizeRegistryHost("http://Host:5000/v2/"), "host:5000");
  EXPECT_EQ(NormalizeRegistryHost("host:5000"), "host:5000");
}

TEST(TokenResponseTest, ParsesTokenAndExpiry) {
  ASSERT_OK_AND_ASSIGN(
      auto t, ParseTokenResponse(R"({"token":"abc","expires_in":300})"));
  EXPECT_EQ(t.token, "abc");
  EXPECT_EQ(t.expires_in, std::chrono::seconds(300));
  ASSERT_OK_AND_ASSIGN(auto a, ParseTokenResponse(R"({"access_token":"xyz"})"));
  EXPECT_EQ(a.token, "xyz");
  EXPECT_EQ(a.expires_in, std::chrono::seconds(60));  // spec default
  ASSERT_OK_AND_ASSIGN(
      auto both, ParseTokenResponse(R"({"access_token":"x","token":"t"})"));
  EXPECT_EQ(both.token, "t");
  EXPECT_THAT(ParseTokenResponse(R"({"expires_in":3})"),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTokenResponse("<html>"),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace winsnap::registry
