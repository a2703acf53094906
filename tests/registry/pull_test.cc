// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl pull` end to end: Windows-format layer tars pushed by skopeo into
// Debian's docker-registry on loopback, pulled through
// unpack::OpenRegistrySource + Importer (and through the built snapctl),
// with a dropped connection and a corrupted byte injected by a TCP proxy.
// Skips loudly without docker-registry and skopeo.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/env.h"
#include "oci/digest.h"
#include "oci/platform.h"
#include "snapshotter/snapshotter.h"
#include "tests/registry/test_servers.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unpack/test_archives.h"
#include "unpack/import.h"
#include "unpack/registry_source.h"

namespace winsnap::unpack {
namespace {

using namespace std::chrono_literals;
using oci::Platform;
using registry::Client;
using registry::ClientOptions;
using registry::Reference;
using registry::testing::FindInPath;
using registry::testing::OciLayout;
using registry::testing::RandomBytes;
using registry::testing::RegistryProcess;
using registry::testing::TcpProxy;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::winsnap::testing::RunCommand;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;
using ::winsnap::testing::ToolPath;

Platform P(std::string os, std::string arch) {
  return Platform{std::move(os), std::move(arch), "", "", {}};
}

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (FindInPath("docker-registry").empty() || FindInPath("skopeo").empty()) {
      GTEST_SKIP() << "*** SKIPPED: docker-registry and skopeo are required "
                      "for the pull tests (apt-get install docker-registry "
                      "skopeo) ***";
    }
    auto* env = base::Env::Default();
    ASSERT_OK(env->CreateDirs(dir_.Sub("registry")));
    ASSERT_OK(registry_.Start(dir_.Sub("registry")));
    ASSERT_OK_AND_ASSIGN(OciLayout layout,
                         OciLayout::Create(dir_.Sub("layout")));
    layout_ = std::make_unique<OciLayout>(std::move(layout));
    // Windows layers: a 2 MiB file below (so a proxy can cut it mid-way),
    // then a layer that adds a file and whites one out.
    base_tar_ = testing::PaxTar(
        {testing::WinDir("Files"), testing::WinDir("Files/Windows"),
         testing::WinFile("Files/Windows/big.dll", RandomBytes(2 << 20, 7)),
         testing::WinFile("Files/gone.txt", "bye"), testing::WinDir("Hives")});
    top_tar_ = testing::PaxTar({testing::WinFile("Files/hello.txt", "hello"),
                                testing::WinFile("Files/.wh.gone.txt", "")});
    win_ = layout_->AddImage(P("windows", "amd64"), {base_tar_, top_tar_});
    linux_ = layout_->AddImage(
        P("linux", "amd64"),
        {testing::PaxTar({testing::WinFile("Files/linux.txt", "tux")})});
    auto index = layout_->AddIndex({win_, linux_});
    ASSERT_OK(layout_->Tag(index, "multi"));
    ASSERT_OK(registry::testing::SkopeoPush(
        layout_->dir(), "multi",
        "docker://" + registry_.host() + "/test/win:multi"))
        << registry_.log();
    snapshotter::Options o;
    o.root = dir_.Sub("root");
    ASSERT_OK_AND_ASSIGN(sn_, snapshotter::Snapshotter::Open(o));
  }

  std::unique_ptr<Client> MakeClient(const std::string& host) {
    ClientOptions o;
    o.plain_http_registries = {host};
    o.use_docker_config = false;
    o.initial_backoff = 5ms;
    o.max_backoff = 20ms;
    o.connect_timeout = 5s;
    o.io_timeout = 10s;
    auto c = Client::Create(std::move(o));
    EXPECT_OK(c);
    return c.ok() ? std::move(*c) : nullptr;
  }

  StatusOr<std::vector<ImportedImage>> Pull(Client* client,
                                            const std::string& host,
                                            const Platform& platform,
                                            const std::string& os_arch) {
    WINSNAP_ASSIGN_OR_RETURN(
        Reference ref, registry::ParseReference(host + "/test/win:multi"));
    WINSNAP_ASSIGN_OR_RETURN(auto src,
                             OpenRegistrySource(client, ref, platform));
    Importer importer(sn_.get());
    ImportOptions opts;
    opts.platform = os_arch;
    return importer.Import(*src, ref.String(), opts);
  }

  std::vector<std::string> Keys() {
    std::vector<std::string> out;
    EXPECT_OK(sn_->Walk([&](const snapshotter::Info& i) {
      out.push_back(i.name);
      return OkStatus();
    }));
    return out;
  }

  // Nothing of a failed pull is visible: no snapshot, no image record, no
  // staging folder left.
  void ExpectNothingVisible() {
    EXPECT_THAT(Keys(), IsEmpty());
    int images = 0;
    EXPECT_OK(sn_->TEST_store()->View([&](metadata::ReadTxn& t) {
      return t.ForEachImage([&](const metadata::ImageRecord&) {
        ++images;
        return OkStatus();
      });
    }));
    EXPECT_EQ(images, 0);
    auto staging = base::Env::Default()->ListDir(dir_.Sub("root/staging"));
    ASSERT_OK(staging);
    EXPECT_THAT(*staging, IsEmpty());
  }

  TempDir dir_;
  RegistryProcess registry_;
  std::unique_ptr<OciLayout> layout_;
  OciLayout::Image win_, linux_;
  std::string base_tar_, top_tar_;
  std::unique_ptr<snapshotter::Snapshotter> sn_;
};

TEST_F(PullTest, PullsThePlatformsImageIntoVerifiedLayersAndDedupes) {
  auto client = MakeClient(registry_.host());
  ASSERT_OK_AND_ASSIGN(
      auto images, Pull(client.get(), registry_.host(), P("windows", "amd64"),
                        "windows/amd64"));
  ASSERT_EQ(images.size(), 1u);
  auto chain =
      oci::ChainIds({oci::Sha256Of(base_tar_), oci::Sha256Of(top_tar_)});
  EXPECT_EQ(images[0].record.top_chain_id, chain[1]);
  EXPECT_EQ(images[0].record.manifest_digest, win_.manifest.digest);
  EXPECT_THAT(images[0].names,
              ElementsAre(registry_.host() + "/test/win:multi"));
  EXPECT_THAT(Keys(), ElementsAre(chain[0], chain[1]));
  ASSERT_OK_AND_ASSIGN(auto top, sn_->Stat(chain[1]));
  EXPECT_EQ(top.parent, chain[0]);
  EXPECT_EQ(testing::ReadWhole(top.path + "/Files/hello.txt"), "hello");
  ASSERT_OK_AND_ASSIGN(auto base, sn_->Stat(chain[0]));
  EXPECT_EQ(testing::ReadWhole(base.path + "/Files/Windows/big.dll").size(),
            2u << 20);

  // Again: every layer is already there, nothing is downloaded.
  ASSERT_OK_AND_ASSIGN(images, Pull(client.get(), registry_.host(),
                                    P("windows", "amd64"), "windows/amd64"));
  ASSERT_EQ(images.size(), 1u);
  EXPECT_TRUE(images[0].layers[0].skipped);
  EXPECT_TRUE(images[0].layers[1].skipped);

  // The index's other platform is another image.
  ASSERT_OK_AND_ASSIGN(images, Pull(client.get(), registry_.host(),
                                    P("linux", "amd64"), "linux/amd64"));
  EXPECT_EQ(images[0].record.manifest_digest, linux_.manifest.digest);
  EXPECT_EQ(Keys().size(), 3u);
}

TEST_F(PullTest, ADroppedConnectionResumesInsideTheStream) {
  TcpProxy proxy(registry_.port());
  const std::string host = "127.0.0.1:" + std::to_string(proxy.port());
  auto client = MakeClient(host);
  // Manifest, config and the small layer are short; this cuts the 2 MiB
  // layer's body.
  proxy.CutAfterResponseBytesOnce(1 << 20);
  ASSERT_OK_AND_ASSIGN(
      auto images,
      Pull(client.get(), host, P("windows", "amd64"), "windows/amd64"));
  EXPECT_GE(client->stats().resumed, 1u);
  EXPECT_THAT(proxy.client_bytes(), HasSubstr("Range: bytes="));
  EXPECT_EQ(Keys().size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto base, sn_->Stat(Keys()[0]));
  EXPECT_EQ(testing::ReadWhole(base.path + "/Files/Windows/big.dll").size(),
            2u << 20);
}

TEST_F(PullTest, ACorruptedBlobFailsCleanlyAndLeavesNothing) {
  TcpProxy proxy(registry_.port());
  const std::string host = "127.0.0.1:" + std::to_string(proxy.port());
  auto client = MakeClient(host);
  // Connections are not reused across the proxy's one-shot, so count from
  // the big layer's own response: flip a byte well inside it.
  proxy.CorruptBodyByteOnce(1'500'000);
  auto images =
      Pull(client.get(), host, P("windows", "amd64"), "windows/amd64");
  EXPECT_THAT(images, StatusIs(StatusCode::kDataLoss));
  ExpectNothingVisible();
}

TEST_F(PullTest, UnknownTagAndMissingPlatformAreClearErrors) {
  auto client = MakeClient(registry_.host());
  ASSERT_OK_AND_ASSIGN(Reference ref, registry::ParseReference(
                                          registry_.host() + "/test/win:nope"));
  EXPECT_THAT(OpenRegistrySource(client.get(), ref, P("windows", "amd64")),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(Pull(client.get(), registry_.host(), P("windows", "arm64"),
                   "windows/arm64"),
              StatusIs(StatusCode::kNotFound));
  ExpectNothingVisible();
}

TEST_F(PullTest, SnapctlPullImagesAndJsonEvents) {
  const std::string root = dir_.Sub("cli");
  auto r = RunCommand({ToolPath("snapctl"), "--root", root, "--json", "pull",
                       "--plain-http", registry_.host(),
                       registry_.host() + "/test/win:multi"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // One JSON object per line: progress events, then the result.
  std::vector<nlohmann::json> events;
  size_t pos = 0;
  while (pos < r.out.size()) {
    size_t nl = r.out.find('\n', pos);
    events.push_back(nlohmann::json::parse(r.out.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front()["event"], "image");
  EXPECT_EQ(events.back()["event"], "result");
  EXPECT_EQ(events.back()["images"][0]["manifest_digest"],
            win_.manifest.digest);
  r = RunCommand({ToolPath("snapctl"), "--root", root, "images"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(registry_.host() + "/test/win:multi"));
  // The layers are committed snapshots named by chain ID.
  auto chain =
      oci::ChainIds({oci::Sha256Of(base_tar_), oci::Sha256Of(top_tar_)});
  r = RunCommand({ToolPath("snapctl"), "--root", root, "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(chain[0]));
  EXPECT_THAT(r.out, HasSubstr(chain[1]));
  // A second pull says so and downloads nothing new.
  r = RunCommand({ToolPath("snapctl"), "--root", root, "pull", "--plain-http",
                  registry_.host(), registry_.host() + "/test/win:multi"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(2 layers, 0 new)"));
  // Bad input: one clear line, non-zero exit.
  r = RunCommand({ToolPath("snapctl"), "--root", root, "pull", "--plain-http",
                  registry_.host(), registry_.host() + "/test/win:nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // Nothing listens on port 1: each retry is a warning, then one error line
  // naming the registry; with --log-level error only that line.
  r = RunCommand({ToolPath("snapctl"), "--root", root, "pull", "--plain-http",
                  "127.0.0.1:1", "127.0.0.1:1/test/win:multi"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("retrying"));
  r = RunCommand({ToolPath("snapctl"), "--root", root, "--log-level", "error",
                  "pull", "--plain-http", "127.0.0.1:1",
                  "127.0.0.1:1/test/win:multi"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("snapctl: fetching manifest 127.0.0.1:1/"));
  EXPECT_THAT(r.err, HasSubstr("Connection refused"));
  r = RunCommand(
      {ToolPath("snapctl"), "--root", root, "pull", "Not A Reference"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("snapctl:"));
}

}  // namespace
}  // namespace winsnap::unpack
