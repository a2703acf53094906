// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "oci/manifest.h"

#include <gtest/gtest.h>

#include "oci/digest.h"
#include "tests/testutil/status_matchers.h"

namespace winsnap::oci {
namespace {

using ::winsnap::testing::StatusIs;

std::string Desc(std::string_view data, std::string media = "x") {
  return R"({"mediaType":")" + media + R"(","digest":")" + Sha256Of(data) +
         R"(","size":)" + std::to_string(data.size()) + "}";
}

TEST(ManifestTest, ParsesIndexAndSelects) {
  std::string idx =
      R"({"schemaVersion":2,"mediaType":")" + std::string(kMediaTypeOciIndex) +
      R"(","manifests":[)"
      R"({"mediaType":")" +
      std::string(kMediaTypeOciManifest) + R"(","digest":")" + Sha256Of("a") +
      R"(","size":1,)"
      R"("platform":{"os":"windows","architecture":"amd64","os.version":"10.0.17763.1"}},)"
      R"({"mediaType":")" +
      std::string(kMediaTypeOciManifest) + R"(","digest":")" + Sha256Of("b") +
      R"(","size":1,)"
      R"("platform":{"os":"windows","architecture":"amd64","os.version":"10.0.20348.5",)"
      R"("os.features":["win32k"]}},)"
      R"({"mediaType":"application/vnd.in-toto+json","digest":")" +
      Sha256Of("c") +
      R"(","size":1,"platform":{"os":"windows","architecture":"amd64","os.version":"10.0.20348.6"}}]})";
  ASSERT_OK_AND_ASSIGN(ImageIndex index, ParseImageIndex(idx));
  ASSERT_EQ(index.manifests.size(), 3u);
  EXPECT_EQ(index.manifests[1].platform->os_features,
            std::vector<std::string>{"win32k"});
  ASSERT_OK_AND_ASSIGN(
      Descriptor d,
      SelectManifest(index,
                     Platform{"windows", "amd64", "", "10.0.20348.1", {}}));
  // The in-toto entry has a higher os.version but is not a manifest.
  EXPECT_EQ(d.digest, Sha256Of("b"));
  EXPECT_EQ(DetectManifestMediaType("", idx), kMediaTypeOciIndex);
}

TEST(ManifestTest, ParsesImageManifest) {
  std::string m = R"({"schemaVersion":2,"config":)" + Desc("cfg") +
                  R"(,"layers":[)" + Desc("l1") + "," + Desc("l2") + "]}";
  ASSERT_OK_AND_ASSIGN(ImageManifest im, ParseImageManifest(m));
  EXPECT_EQ(im.config.digest, Sha256Of("cfg"));
  ASSERT_EQ(im.layers.size(), 2u);
  EXPECT_EQ(im.layers[1].size, 2);
  EXPECT_EQ(DetectManifestMediaType("", m), kMediaTypeOciManifest);
  EXPECT_EQ(DetectManifestMediaType(
                std::string(kMediaTypeDockerManifest) + "; charset=utf-8", m),
            kMediaTypeDockerManifest);
}

TEST(ManifestTest, HostileDocumentsAreInvalidArgument) {
  const std::string good_desc = Desc("x");
  const std::vector<std::string> bad = {
      "",
      "[]",
      "{",
      R"({"schemaVersion":1,"config":)" + good_desc + R"(,"layers":[]})",
      R"({"config":)" + good_desc + R"(,"layers":[]})",
      R"({"schemaVersion":2,"layers":[]})",
      R"({"schemaVersion":2,"config":)" + good_desc + R"(,"layers":{}})",
      R"({"schemaVersion":2,"config":{"digest":"sha256:abc","size":1},"layers":[]})",
      R"({"schemaVersion":2,"config":{"digest":")" + Sha256Of("x") +
          R"(","size":-1},"layers":[]})",
      R"({"schemaVersion":2,"config":{"digest":")" + Sha256Of("x") +
          R"(","size":"1"},"layers":[]})",
      R"({"schemaVersion":2,"config":)" + good_desc + R"(,"layers":[)" +
          good_desc + R"(,{"digest":"md5:00","size":1}]})",
      R"({"schemaVersion":2,"config":)" + good_desc +
          R"(,"layers":[],"manifests":[]})",
  };
  for (const std::string& doc : bad) {
    EXPECT_THAT(ParseImageManifest(doc), StatusIs(StatusCode::kInvalidArgument))
        << doc;
  }
  EXPECT_THAT(ParseImageIndex(R"({"schemaVersion":2,"manifests":[{"digest":")" +
                              Sha256Of("x") +
                              R"(","size":1,"platform":{"os":"windows"}}]})"),
              StatusIs(StatusCode::kInvalidArgument, "architecture"));
  EXPECT_THAT(ParseImageIndex(R"({"schemaVersion":2})"),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace winsnap::oci
