// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ParseImageConfig: the image config blob parsed once for import, pull and
// run; each malformed input gives its own one-line InvalidArgument.

#include "oci/config.h"

#include <gtest/gtest.h>

#include "oci/digest.h"
#include "tests/testutil/status_matchers.h"

namespace winsnap::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::winsnap::testing::StatusIs;

// A config with the given platform fields (JSON members, no braces) and
// the diff_ids of "layers".
std::string Config(const std::string& platform,
                   const std::vector<std::string>& layers,
                   const std::string& extra = "") {
  std::string ids;
  for (const auto& l : layers)
    ids += (ids.empty() ? "\"" : ",\"") + Sha256Of(l) + "\"";
  return "{" + platform + R"(,"rootfs":{"type":"layers","diff_ids":[)" + ids +
         "]}" + extra + "}";
}

TEST(ImageConfigTest, ParsesPlatformDiffIdsAndContainerConfig) {
  const std::string json = Config(
      R"("os":"windows","architecture":"amd64","os.version":"10.0.20348.1",)"
      R"("os.features":["win32k",7],"variant":"")",
      {"base", "top"},
      R"(,"config":{"Entrypoint":["cmd","/S","/C"],"Cmd":["dir"],)"
      R"("Env":["PATH=C:\\Windows","A=1"],"WorkingDir":"C:\\app",)"
      R"("User":"ContainerUser","Labels":{"k":"v"}})");
  ASSERT_OK_AND_ASSIGN(ImageConfig c, ParseImageConfig(json));
  EXPECT_EQ(c.platform.os, "windows");
  EXPECT_EQ(c.platform.architecture, "amd64");
  EXPECT_EQ(c.platform.os_version, "10.0.20348.1");
  EXPECT_THAT(c.platform.os_features, ElementsAre("win32k"));
  EXPECT_THAT(c.diff_ids, ElementsAre(Sha256Of("base"), Sha256Of("top")));
  EXPECT_THAT(c.config.entrypoint, ElementsAre("cmd", "/S", "/C"));
  EXPECT_THAT(c.config.cmd, ElementsAre("dir"));
  EXPECT_THAT(c.config.env, ElementsAre("PATH=C:\\Windows", "A=1"));
  EXPECT_EQ(c.config.working_dir, "C:\\app");
  EXPECT_EQ(c.config.user, "ContainerUser");
}

// Moved from the registry's ParseConfigPlatform test.
TEST(ImageConfigTest, ConfigPlatform) {
  ASSERT_OK_AND_ASSIGN(
      ImageConfig c,
      ParseImageConfig(Config(
          R"("os":"windows","architecture":"amd64","os.version":"10.0.20348.1")",
          {})));
  EXPECT_EQ(c.platform, (Platform{"windows", "amd64", "", "10.0.20348.1", {}}));
  EXPECT_THAT(c.diff_ids, IsEmpty());
  EXPECT_EQ(c.config, ContainerConfig{});  // no "config": all empty
}

TEST(ImageConfigTest, BadJsonIsInvalidArgument) {
  for (const char* bad : {"", "{", "[]", "\"x\"", "{\"os\":}"}) {
    EXPECT_THAT(ParseImageConfig(bad),
                StatusIs(StatusCode::kInvalidArgument,
                         "image config is not a JSON object"))
        << bad;
    EXPECT_THAT(ParseImageConfig(bad, ConfigParts::kContainerOnly),
                StatusIs(StatusCode::kInvalidArgument,
                         "image config is not a JSON object"))
        << bad;
  }
}

TEST(ImageConfigTest, MissingPlatformIsInvalidArgument) {
  EXPECT_THAT(ParseImageConfig(Config(R"("architecture":"amd64")", {"a"})),
              StatusIs(StatusCode::kInvalidArgument,
                       "image config: platform needs os and architecture"));
  EXPECT_THAT(
      ParseImageConfig(Config(R"("os":"windows","architecture":7)", {})),
      StatusIs(StatusCode::kInvalidArgument, "needs os and arch"));
}

TEST(ImageConfigTest, MissingRootfsIsInvalidArgument) {
  const std::string p = R"({"os":"windows","architecture":"amd64")";
  EXPECT_THAT(
      ParseImageConfig(p + "}"),
      StatusIs(StatusCode::kInvalidArgument, "image config has no rootfs"));
  EXPECT_THAT(
      ParseImageConfig(p + R"(,"rootfs":[]})"),
      StatusIs(StatusCode::kInvalidArgument, "image config has no rootfs"));
  EXPECT_THAT(ParseImageConfig(p + R"(,"rootfs":{"type":"layers"}})"),
              StatusIs(StatusCode::kInvalidArgument,
                       "image config has no rootfs.diff_ids"));
  EXPECT_THAT(ParseImageConfig(p + R"(,"rootfs":{"diff_ids":["sha256:abc"]}})"),
              StatusIs(StatusCode::kInvalidArgument,
                       "image config has a malformed diff_id"));
  EXPECT_THAT(ParseImageConfig(p + R"(,"rootfs":{"diff_ids":[1]}})"),
              StatusIs(StatusCode::kInvalidArgument, "malformed diff_id"));
}

TEST(ImageConfigTest, NonStringEnvEntryIsInvalidArgument) {
  const std::string p = R"("os":"windows","architecture":"amd64")";
  EXPECT_THAT(ParseImageConfig(Config(p, {"a"}, R"(,"config":{"Env":[1]})")),
              StatusIs(StatusCode::kInvalidArgument,
                       "image config field Env has a non-string entry"));
  EXPECT_THAT(ParseImageConfig(Config(p, {"a"}, R"(,"config":{"Cmd":"dir"})")),
              StatusIs(StatusCode::kInvalidArgument,
                       "image config field Cmd is not an array"));
  EXPECT_THAT(ParseImageConfig(Config(p, {"a"}, R"(,"config":{"User":["u"]})")),
              StatusIs(StatusCode::kInvalidArgument,
                       "image config field User is not a string"));
  EXPECT_THAT(ParseImageConfig(Config(p, {"a"}, R"(,"config":[])")),
              StatusIs(StatusCode::kInvalidArgument,
                       "image config \"config\" is not an object"));
}

TEST(ImageConfigTest, ContainerOnlyIgnoresPlatformAndRootfs) {
  ASSERT_OK_AND_ASSIGN(
      ImageConfig c,
      ParseImageConfig(R"({"architecture":"amd64","config":{"Cmd":["x"],)"
                       R"("Env":null,"WorkingDir":null}})",
                       ConfigParts::kContainerOnly));
  EXPECT_THAT(c.config.cmd, ElementsAre("x"));
  EXPECT_THAT(c.config.env, IsEmpty());
  EXPECT_TRUE(c.platform.os.empty());
  EXPECT_THAT(c.diff_ids, IsEmpty());
  // The container config is still type-checked.
  EXPECT_THAT(ParseImageConfig(R"({"config":{"Env":[1]}})",
                               ConfigParts::kContainerOnly),
              StatusIs(StatusCode::kInvalidArgument, "Env"));
}

}  // namespace
}  // namespace winsnap::oci
