// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Integration tests of the registry client against Debian's docker-registry
// (distribution 2.8) on loopback, with images pushed by skopeo from OCI
// layouts built here. Faults (dropped connections, corrupted bytes, stalls,
// 5xx, redirects, auth challenges) come from an in-process TCP proxy and a
// tiny HTTP server placed in front of the real registry.
//
// Token auth runs against the real registry configured with `auth: token`;
// the token service is in-process and signs RS256 JWTs with a throwaway
// certificate that the registry trusts (rootcertbundle), so the registry
// itself verifies every token the client obtains.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "base/base64.h"
#include "base/env.h"
#include "oci/digest.h"
#include "tests/registry/test_servers.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "unpack/registry/client.h"
#include "unpack/registry/pull_plan.h"

namespace winsnap::registry {
namespace {

using namespace std::chrono_literals;
using oci::Descriptor;
using oci::kMediaTypeOciIndex;
using oci::kMediaTypeOciManifest;
using oci::Platform;
using testing::FindInPath;
using ::testing::HasSubstr;
using testing::MiniHttpServer;
using testing::MiniRequest;
using testing::MiniResponse;
using ::testing::Not;
using testing::OciLayout;
using testing::RandomBytes;
using testing::RegistryProcess;
using testing::TcpProxy;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

constexpr char kMissingTools[] =
    "*** SKIPPED: docker-registry and skopeo are required for the registry "
    "integration tests (apt-get install docker-registry skopeo) ***";

Platform P(std::string os, std::string arch, std::string os_version = "") {
  return Platform{
      std::move(os), std::move(arch), "", std::move(os_version), {}};
}

ClientOptions PlainOptions(const std::vector<std::string>& plain_hosts) {
  ClientOptions o;
  o.plain_http_registries = plain_hosts;
  o.use_docker_config = false;
  o.initial_backoff = 5ms;
  o.max_backoff = 20ms;
  o.connect_timeout = 5s;
  o.io_timeout = 10s;
  return o;
}

std::unique_ptr<Client> MakeClient(ClientOptions o) {
  auto c = Client::Create(std::move(o));
  EXPECT_OK(c);
  return c.ok() ? std::move(*c) : nullptr;
}

Reference Ref(const std::string& text) {
  auto r = ParseReference(text);
  EXPECT_OK(r);
  return r.ok() ? *r : Reference{};
}

// Reads a BlobPipe to the end on its own thread.
struct PipeReader {
  explicit PipeReader(BlobPipe* pipe)
      : thread([this, pipe] {
          std::vector<uint8_t> buf(50'000);
          while (true) {
            auto n = pipe->Read(buf.data(), buf.size());
            if (!n.ok()) {
              status = n.status();
              return;
            }
            if (*n == 0) return;
            data.append(reinterpret_cast<const char*>(buf.data()), *n);
          }
        }) {}
  ~PipeReader() {
    if (thread.joinable()) thread.join();
  }
  void Join() { thread.join(); }

  std::string data;
  Status status;
  std::thread thread;
};

// A registry with three images pushed: an index "multi" over windows
// ltsc2019, windows ltsc2022 and linux, plus "single" (the ltsc2022 manifest
// alone).
class RegistryFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (FindInPath("docker-registry").empty() || FindInPath("skopeo").empty()) {
      GTEST_SKIP() << kMissingTools;
    }
    ASSERT_OK(base::Env::Default()->CreateDirs(dir_.Sub("registry")));
    StartRegistry();
    if (HasFatalFailure()) return;
    BuildAndPush();
  }

  virtual void StartRegistry() {
    ASSERT_OK(registry_.Start(dir_.Sub("registry")));
  }
  virtual std::vector<std::string> PushArgs() { return {}; }

  void BuildAndPush() {
    ASSERT_OK_AND_ASSIGN(OciLayout layout,
                         OciLayout::Create(dir_.Sub("layout")));
    layout_ = std::make_unique<OciLayout>(std::move(layout));
    win2019_ = layout_->AddImage(
        P("windows", "amd64", "10.0.17763.5820"),
        {RandomBytes((3 << 20) + 123, 1), RandomBytes(100'000, 2)});
    win2022_ = layout_->AddImage(
        P("windows", "amd64", "10.0.20348.2461"),
        {RandomBytes((3 << 20) + 7, 3), RandomBytes(70'000, 4), "small layer"});
    linux_ = layout_->AddImage(P("linux", "amd64"), {RandomBytes(1000, 5)});
    index_ = layout_->AddIndex({win2019_, win2022_, linux_}, &index_bytes_);
    ASSERT_OK(layout_->Tag(index_, "multi"));
    ASSERT_OK(layout_->Tag(win2022_.manifest, "single"));
    for (const char* tag : {"multi", "single"}) {
      ASSERT_OK(testing::SkopeoPush(
          layout_->dir(), tag,
          "docker://" + registry_.host() + "/test/img:" + tag, PushArgs()))
          << registry_.log();
    }
  }

  const std::string& Blob(const Descriptor& d) const {
    return layout_->blob(d.digest);
  }
  // The 3 MiB layer of the ltsc2022 image.
  const Descriptor& BigLayer() const { return win2022_.layers[0]; }

  TempDir dir_;
  RegistryProcess registry_;
  std::unique_ptr<OciLayout> layout_;
  OciLayout::Image win2019_, win2022_, linux_;
  Descriptor index_;
  std::string index_bytes_;
};

using RegistryClientTest = RegistryFixture;

TEST_F(RegistryClientTest, ResolvesIndexToTheRequestedOsVersion) {
  auto client = MakeClient(PlainOptions({registry_.host()}));
  const Reference ref = Ref(registry_.host() + "/test/img:multi");
  ASSERT_OK(client->Ping(ref));

  ASSERT_OK_AND_ASSIGN(
      ResolvedImage img,
      client->Resolve(ref, P("windows", "amd64", "10.0.20348.1")));
  EXPECT_EQ(img.index_digest, index_.digest);
  EXPECT_EQ(img.manifest.digest, win2022_.manifest.digest);
  EXPECT_EQ(img.manifest.bytes, win2022_.manifest_bytes);
  EXPECT_EQ(img.manifest.media_type, kMediaTypeOciManifest);
  EXPECT_EQ(img.config, win2022_.config_bytes);
  EXPECT_EQ(img.platform.os_version, "10.0.20348.2461");
  ASSERT_EQ(img.parsed.layers.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(img.parsed.layers[i].digest, win2022_.layers[i].digest);
    EXPECT_EQ(img.parsed.layers[i].size, win2022_.layers[i].size);
  }

  ASSERT_OK_AND_ASSIGN(
      img, client->Resolve(ref, P("windows", "amd64", "10.0.17763.42")));
  EXPECT_EQ(img.manifest.digest, win2019_.manifest.digest);
  ASSERT_OK_AND_ASSIGN(img, client->Resolve(ref, P("windows", "amd64")));
  EXPECT_EQ(img.manifest.digest,
            win2022_.manifest.digest);  // highest os.version
  ASSERT_OK_AND_ASSIGN(img, client->Resolve(ref, P("linux", "amd64")));
  EXPECT_EQ(img.manifest.digest, linux_.manifest.digest);
  EXPECT_THAT(client->Resolve(ref, P("windows", "amd64", "10.0.19041.1")),
              StatusIs(StatusCode::kNotFound, "same build required"));
  EXPECT_THAT(client->Resolve(ref, P("linux", "arm64")),
              StatusIs(StatusCode::kNotFound));
}

TEST_F(RegistryClientTest,
       SingleManifestImageIsCheckedAgainstItsConfigPlatform) {
  auto client = MakeClient(PlainOptions({registry_.host()}));
  const Reference ref = Ref(registry_.host() + "/test/img:single");
  ASSERT_OK_AND_ASSIGN(ResolvedImage img,
                       client->Resolve(ref, P("windows", "amd64")));
  EXPECT_EQ(img.index_digest, "");
  EXPECT_EQ(img.manifest.digest, win2022_.manifest.digest);
  EXPECT_THAT(
      client->Resolve(ref, P("linux", "amd64")),
      StatusIs(StatusCode::kNotFound, "windows(10.0.20348.2461)/amd64"));
}

TEST_F(RegistryClientTest, GetManifestByTagAndByDigestReturnsVerifiedBytes) {
  auto client = MakeClient(PlainOptions({registry_.host()}));
  ASSERT_OK_AND_ASSIGN(
      FetchedManifest by_tag,
      client->GetManifest(Ref(registry_.host() + "/test/img:multi")));
  EXPECT_EQ(by_tag.bytes, index_bytes_);
  EXPECT_EQ(by_tag.digest, index_.digest);
  EXPECT_EQ(by_tag.media_type, kMediaTypeOciIndex);
  ASSERT_OK_AND_ASSIGN(FetchedManifest by_digest,
                       client->GetManifest(Ref(registry_.host() + "/test/img@" +
                                               win2019_.manifest.digest)));
  EXPECT_EQ(by_digest.bytes, win2019_.manifest_bytes);
  EXPECT_THAT(client->GetManifest(Ref(registry_.host() + "/test/img:nope")),
              StatusIs(StatusCode::kNotFound, "MANIFEST_UNKNOWN"));
  EXPECT_THAT(client->GetManifest(Ref(registry_.host() + "/test/other:multi")),
              StatusIs(StatusCode::kNotFound));
}

TEST_F(RegistryClientTest, PullPlanStreamsLayersInParallelIntoPipes) {
  auto client = MakeClient(PlainOptions({registry_.host()}));
  const Reference ref = Ref(registry_.host() + "/test/img:multi");
  ASSERT_OK_AND_ASSIGN(
      ResolvedImage img,
      client->Resolve(ref, P("windows", "amd64", "10.0.20348.2461")));
  std::vector<std::unique_ptr<BlobPipe>> pipes;
  std::vector<std::unique_ptr<PipeReader>> readers;
  PullPlan plan(client.get(), ref);
  for (const Descriptor& layer : img.parsed.layers) {
    pipes.push_back(
        std::make_unique<BlobPipe>(64 * 1024));  // smaller than the layer
    readers.push_back(std::make_unique<PipeReader>(pipes.back().get()));
    plan.Add(layer, pipes.back().get());
  }
  std::mutex mu;
  std::vector<uint64_t> last(img.parsed.layers.size(), 0);
  ASSERT_OK(plan.Run(3, [&](size_t job, uint64_t done, int64_t total) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_GE(done, last[job]);
    EXPECT_EQ(total, img.parsed.layers[job].size);
    last[job] = done;
  }));
  for (size_t i = 0; i < readers.size(); ++i) {
    readers[i]->Join();
    EXPECT_OK(readers[i]->status);
    EXPECT_TRUE(readers[i]->data == Blob(img.parsed.layers[i]))
        << "layer " << i;
    EXPECT_EQ(pipes[i]->committed_digest(), img.parsed.layers[i].digest);
    EXPECT_EQ(last[i], static_cast<uint64_t>(img.parsed.layers[i].size));
  }
}

TEST_F(RegistryClientTest, PullPlanStopsAtTheFirstFailureAndAbortsEverySink) {
  auto client = MakeClient(PlainOptions({registry_.host()}));
  const Reference ref = Ref(registry_.host() + "/test/img");
  Descriptor missing{
      "application/octet-stream", oci::Sha256Of("not pushed"), 10, {}, {}, {}};
  std::vector<Descriptor> blobs = {missing, win2019_.layers[0],
                                   win2019_.layers[1], win2022_.layers[0]};
  std::vector<std::unique_ptr<BlobPipe>> pipes;
  std::vector<std::unique_ptr<PipeReader>> readers;
  PullPlan plan(client.get(), ref);
  for (const Descriptor& d : blobs) {
    pipes.push_back(std::make_unique<BlobPipe>(16 * 1024));
    readers.push_back(std::make_unique<PipeReader>(pipes.back().get()));
    plan.Add(d, pipes.back().get());
  }
  EXPECT_THAT(plan.Run(1), StatusIs(StatusCode::kNotFound, missing.digest));
  ASSERT_EQ(plan.results().size(), 4u);
  EXPECT_THAT(plan.results()[0], StatusIs(StatusCode::kNotFound));
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_THAT(plan.results()[i], StatusIs(StatusCode::kCancelled));
  }
  // Every consumer is woken with an error; none sees a clean end of stream.
  for (auto& r : readers) {
    r->Join();
    EXPECT_FALSE(r->status.ok());
  }
}

TEST_F(RegistryClientTest, ResumesWithRangeAfterTheConnectionDrops) {
  TcpProxy proxy(registry_.port());
  const std::string host = "127.0.0.1:" + std::to_string(proxy.port());
  auto client = MakeClient(PlainOptions({host}));
  proxy.CutAfterResponseBytesOnce(1 << 20);  // mid-way through the 3 MiB body
  StringBlobSink sink;
  ASSERT_OK(client->FetchBlob(Ref(host + "/test/img"), BigLayer(), sink));
  EXPECT_TRUE(sink.committed());
  EXPECT_EQ(sink.data().size(), static_cast<size_t>(BigLayer().size));
  EXPECT_TRUE(sink.data() == Blob(BigLayer()));
  EXPECT_GE(proxy.connections(), 2);
  EXPECT_GE(client->stats().resumed, 1u);
  EXPECT_GE(client->stats().retries, 1u);
  // The second request asked for the rest only, from a byte below the cut.
  const std::string sent = proxy.client_bytes();
  size_t pos = sent.find("Range: bytes=");
  ASSERT_NE(pos, std::string::npos) << sent;
  uint64_t from = std::stoull(sent.substr(pos + 13));
  EXPECT_GT(from, 0u);
  EXPECT_LE(from, 1u << 20);
}

TEST_F(RegistryClientTest, ServerThatIgnoresRangeHasThePrefixSkipped) {
  // A blob server that always answers 200 with the whole blob, behind a
  // proxy that drops the first connection.
  const std::string blob = Blob(BigLayer());
  MiniHttpServer server([&](const MiniRequest&) {
    return MiniResponse{200, {}, blob};
  });
  TcpProxy proxy(server.port());
  const std::string host = "127.0.0.1:" + std::to_string(proxy.port());
  auto client = MakeClient(PlainOptions({host}));
  proxy.CutAfterResponseBytesOnce(777'777);
  StringBlobSink sink;
  ASSERT_OK(client->FetchBlob(Ref(host + "/test/img"), BigLayer(), sink));
  EXPECT_TRUE(sink.data() == blob);
  ASSERT_EQ(server.requests().size(), 2u);
  EXPECT_THAT(server.requests()[1].Header("range"), HasSubstr("bytes="));
}

TEST_F(RegistryClientTest, CorruptedBodyIsDataLossAndNeverCommitted) {
  TcpProxy proxy(registry_.port());
  const std::string host = "127.0.0.1:" + std::to_string(proxy.port());
  auto client = MakeClient(PlainOptions({host}));
  proxy.CorruptBodyByteOnce(2'000'000);
  BlobPipe pipe(256 * 1024);
  PipeReader reader(&pipe);
  Status st = client->FetchBlob(Ref(host + "/test/img"), BigLayer(), pipe);
  EXPECT_THAT(st, StatusIs(StatusCode::kDataLoss, "digest mismatch"));
  reader.Join();
  // The consumer got bytes but never a clean end: the blob is poisoned.
  EXPECT_THAT(reader.status, StatusIs(StatusCode::kDataLoss));
  EXPECT_EQ(pipe.committed_digest(), "");
  EXPECT_EQ(proxy.connections(),
            1);  // corruption is not retried into acceptance
}

TEST_F(RegistryClientTest, DescriptorMismatchesAreDataLoss) {
  auto client = MakeClient(PlainOptions({registry_.host()}));
  const Reference ref = Ref(registry_.host() + "/test/img");
  Descriptor shorter = BigLayer();
  shorter.size -= 1;
  StringBlobSink a;
  EXPECT_THAT(client->FetchBlob(ref, shorter, a),
              StatusIs(StatusCode::kDataLoss, "more than"));
  EXPECT_FALSE(a.committed());
  // A manifest pinned by digest must hash to it; serve one under a digest
  // reference whose content differs via a front server.
  MiniHttpServer front([&](const MiniRequest&) {
    return MiniResponse{200,
                        {{"Content-Type", std::string(kMediaTypeOciManifest)}},
                        win2019_.manifest_bytes};
  });
  const std::string fhost = "127.0.0.1:" + std::to_string(front.port());
  auto fclient = MakeClient(PlainOptions({fhost}));
  EXPECT_THAT(fclient->GetManifest(
                  Ref(fhost + "/test/img@" + win2022_.manifest.digest)),
              StatusIs(StatusCode::kDataLoss, "digest mismatch"));
  // And a body that lies about Docker-Content-Digest on a tag fetch.
  MiniHttpServer liar([&](const MiniRequest&) {
    return MiniResponse{200,
                        {{"Docker-Content-Digest", win2022_.manifest.digest}},
                        win2019_.manifest_bytes};
  });
  const std::string lhost = "127.0.0.1:" + std::to_string(liar.port());
  auto lclient = MakeClient(PlainOptions({lhost}));
  EXPECT_THAT(lclient->GetManifest(Ref(lhost + "/test/img:tag")),
              StatusIs(StatusCode::kDataLoss, "registry says"));
}

TEST_F(RegistryClientTest, ResumesAcrossRunsFromAPartialFile) {
  TcpProxy proxy(registry_.port());
  const std::string host = "127.0.0.1:" + std::to_string(proxy.port());
  auto client = MakeClient(PlainOptions({host}));
  const std::string blob = Blob(BigLayer());
  const std::string path = dir_.Sub("layer.partial");
  ASSERT_OK(
      base::Env::Default()->WriteFileAtomic(path, blob.substr(0, 1 << 20)));
  {
    ASSERT_OK_AND_ASSIGN(auto sink, FileBlobSink::Open(path));
    ASSERT_OK(client->FetchBlob(Ref(host + "/test/img"), BigLayer(), *sink));
  }
  ASSERT_OK_AND_ASSIGN(std::string content,
                       base::Env::Default()->ReadFile(path));
  EXPECT_TRUE(content == blob);
  EXPECT_THAT(proxy.client_bytes(), HasSubstr("Range: bytes=1048576-"));

  // A partial file whose prefix is wrong can never verify.
  std::string bad = blob.substr(0, 1000);
  bad[10] ^= 1;
  ASSERT_OK(base::Env::Default()->WriteFileAtomic(path, bad));
  ASSERT_OK_AND_ASSIGN(auto sink, FileBlobSink::Open(path));
  EXPECT_THAT(client->FetchBlob(Ref(host + "/test/img"), BigLayer(), *sink),
              StatusIs(StatusCode::kDataLoss, "digest mismatch"));
}

TEST_F(RegistryClientTest, MissingBlobIsNotFoundAndAbortsThePipe) {
  auto client = MakeClient(PlainOptions({registry_.host()}));
  Descriptor missing{"x", oci::Sha256Of("never pushed"), 12, {}, {}, {}};
  BlobPipe pipe;
  PipeReader reader(&pipe);
  EXPECT_THAT(
      client->FetchBlob(Ref(registry_.host() + "/test/img"), missing, pipe),
      StatusIs(StatusCode::kNotFound, "BLOB_UNKNOWN"));
  reader.Join();
  EXPECT_THAT(reader.status, StatusIs(StatusCode::kNotFound));
}

TEST_F(RegistryClientTest, ForeignLayerUrlsAreTriedWhenTheRegistryHasNoCopy) {
  auto client = MakeClient(PlainOptions({registry_.host()}));
  const std::string data = "foreign layer bytes";
  MiniHttpServer cdn([&](const MiniRequest&) {
    return MiniResponse{200, {}, data};
  });
  Descriptor foreign{
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
      oci::Sha256Of(data),
      static_cast<int64_t>(data.size()),
      {cdn.url() + "/layer.tgz"},
      {},
      {}};
  StringBlobSink sink;
  ASSERT_OK(
      client->FetchBlob(Ref(registry_.host() + "/test/img"), foreign, sink));
  EXPECT_EQ(sink.data(), data);
  ASSERT_EQ(cdn.requests().size(), 1u);
  EXPECT_EQ(cdn.requests()[0].target, "/layer.tgz");
}

// A front host that demands Basic auth and then redirects every request to
// another origin (the proxy in front of the registry), like a registry that
// sends blob GETs to storage.
TEST_F(RegistryClientTest,
       BasicAuthThenRedirectToAnotherOriginWithoutCredentials) {
  TcpProxy storage(registry_.port());
  const std::string storage_url =
      "http://127.0.0.1:" + std::to_string(storage.port());
  const std::string expected_auth =
      "Basic " + base::Base64Encode("alice:s3cret");
  MiniHttpServer front([&](const MiniRequest& req) {
    if (req.Header("authorization") != expected_auth) {
      return MiniResponse{
          401, {{"WWW-Authenticate", R"(Basic realm="front")"}}, ""};
    }
    return MiniResponse{307, {{"Location", storage_url + req.target}}, ""};
  });
  const std::string fhost = "127.0.0.1:" + std::to_string(front.port());
  ASSERT_OK(base::Env::Default()->WriteFileAtomic(
      dir_.Sub("config.json"),
      R"({"auths":{"http://)" + fhost + R"(/v2/":{"auth":")" +
          base::Base64Encode("alice:s3cret") + R"("}}})"));
  ClientOptions o = PlainOptions({fhost});
  o.use_docker_config = true;
  o.docker_config_path = dir_.Sub("config.json");
  auto client = MakeClient(o);
  const Reference ref = Ref(fhost + "/test/img:multi");
  ASSERT_OK_AND_ASSIGN(
      ResolvedImage img,
      client->Resolve(ref, P("windows", "amd64", "10.0.17763.5820")));
  EXPECT_EQ(img.manifest.digest, win2019_.manifest.digest);
  StringBlobSink sink;
  ASSERT_OK(client->FetchBlob(ref, win2019_.layers[0], sink));
  EXPECT_TRUE(sink.data() == Blob(win2019_.layers[0]));

  auto reqs = front.requests();
  ASSERT_GE(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].Header("authorization"), "");  // challenge first
  EXPECT_EQ(reqs[1].Header("authorization"), expected_auth);
  EXPECT_EQ(reqs.back().Header("authorization"),
            expected_auth);  // preemptive now
  // The credentials never reached the other origin.
  EXPECT_THAT(storage.client_bytes(), Not(HasSubstr("Authorization")));
  EXPECT_THAT(storage.client_bytes(), HasSubstr("GET /v2/test/img/blobs/"));

  // Without credentials the challenge cannot be answered.
  auto anonymous = MakeClient(PlainOptions({fhost}));
  EXPECT_THAT(
      anonymous->GetManifest(ref),
      StatusIs(StatusCode::kUnauthenticated, "requires basic authentication"));
}

TEST_F(RegistryClientTest, TransientServerErrorsAreRetriedWithBackoff) {
  std::atomic<int> calls{0};
  const std::string target = "http://" + registry_.host();
  MiniHttpServer flaky([&](const MiniRequest& req) {
    if (calls.fetch_add(1) < 2) return MiniResponse{503, {}, "busy"};
    return MiniResponse{307, {{"Location", target + req.target}}, ""};
  });
  const std::string host = "127.0.0.1:" + std::to_string(flaky.port());
  auto client = MakeClient(PlainOptions({host, registry_.host()}));
  ASSERT_OK_AND_ASSIGN(FetchedManifest m,
                       client->GetManifest(Ref(host + "/test/img:single")));
  EXPECT_EQ(m.digest, win2022_.manifest.digest);
  EXPECT_EQ(client->stats().retries, 2u);

  // Always failing: bounded attempts.
  MiniHttpServer broken([](const MiniRequest&) {
    return MiniResponse{500, {}, ""};
  });
  const std::string bhost = "127.0.0.1:" + std::to_string(broken.port());
  ClientOptions o = PlainOptions({bhost});
  o.max_attempts = 3;
  auto bclient = MakeClient(o);
  EXPECT_THAT(bclient->GetManifest(Ref(bhost + "/test/img:x")),
              StatusIs(StatusCode::kUnavailable, "gave up after 3 attempts"));
  EXPECT_EQ(broken.requests().size(), 3u);
  // 4xx other than 408/429 is final.
  MiniHttpServer denied([](const MiniRequest&) {
    return MiniResponse{403, {}, ""};
  });
  const std::string dhost = "127.0.0.1:" + std::to_string(denied.port());
  auto dclient = MakeClient(PlainOptions({dhost}));
  EXPECT_THAT(dclient->GetManifest(Ref(dhost + "/test/img:x")),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_EQ(denied.requests().size(), 1u);
}

// A realistic Windows image (gzip'd layers in the Windows layer tar format)
// from the shared bench generator, when it is available.
TEST_F(RegistryClientTest, PullsAMakeImageWindowsImageIntoPipes) {
  const char* env = std::getenv("WINSNAP_MAKE_IMAGE");
  const std::string make_image =
      env && *env ? env : "/work/shared/bench/make-image";
  if (::access(make_image.c_str(), X_OK) != 0 ||
      FindInPath("python3").empty()) {
    GTEST_SKIP()
        << "*** SKIPPED: make-image not found (set WINSNAP_MAKE_IMAGE) ***";
  }
  const std::string tar = dir_.Sub("tiny.tar");
  ASSERT_OK(testing::Run({make_image, "--profile", "tiny", "--out", tar}));
  ASSERT_OK(testing::SkopeoCopy(
      "oci-archive:" + tar + ":latest",
      "docker://" + registry_.host() + "/bench/tiny:latest"));
  auto client = MakeClient(PlainOptions({registry_.host()}));
  const Reference ref = Ref(registry_.host() + "/bench/tiny");
  ASSERT_OK_AND_ASSIGN(
      ResolvedImage img,
      client->Resolve(ref, P("windows", "amd64", "10.0.20348.1")));
  ASSERT_FALSE(img.parsed.layers.empty());
  EXPECT_THAT(img.config, HasSubstr("diff_ids"));
  std::vector<std::unique_ptr<BlobPipe>> pipes;
  std::vector<std::unique_ptr<PipeReader>> readers;
  PullPlan plan(client.get(), ref);
  for (const Descriptor& layer : img.parsed.layers) {
    EXPECT_THAT(layer.media_type, HasSubstr("gzip"));
    pipes.push_back(std::make_unique<BlobPipe>());
    readers.push_back(std::make_unique<PipeReader>(pipes.back().get()));
    plan.Add(layer, pipes.back().get());
  }
  ASSERT_OK(plan.Run(2));
  for (size_t i = 0; i < readers.size(); ++i) {
    readers[i]->Join();
    ASSERT_OK(readers[i]->status);
    EXPECT_EQ(oci::Sha256Of(readers[i]->data), img.parsed.layers[i].digest);
    // gzip magic: the stream is the compressed layer, ready for libarchive.
    ASSERT_GE(readers[i]->data.size(), 2u);
    EXPECT_EQ(static_cast<uint8_t>(readers[i]->data[0]), 0x1f);
    EXPECT_EQ(static_cast<uint8_t>(readers[i]->data[1]), 0x8b);
  }
}

// ---- no registry needed, but same binary: network failure modes ----

TEST(RegistryNetworkTest, RefusedConnectionGivesUpAfterMaxAttempts) {
  const int port = testing::FreePort();  // nothing listens here
  const std::string host = "127.0.0.1:" + std::to_string(port);
  ClientOptions o = PlainOptions({host});
  o.max_attempts = 3;
  auto client = MakeClient(o);
  StringBlobSink sink;
  Descriptor d{"x", oci::Sha256Of("x"), 1, {}, {}, {}};
  EXPECT_THAT(client->FetchBlob(Ref(host + "/a/b"), d, sink),
              StatusIs(StatusCode::kUnavailable, "gave up after 3 attempts"));
  EXPECT_EQ(client->stats().retries, 2u);
  EXPECT_THAT(client->Ping(Ref(host + "/a/b")),
              StatusIs(StatusCode::kUnavailable));
}

TEST(RegistryNetworkTest, StalledServerTimesOut) {
  // Listens but never reads or answers: the request is accepted by the
  // kernel's backlog and the response never comes.
  int port = 0;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  const std::string host = "127.0.0.1:" + std::to_string(port);
  ClientOptions o = PlainOptions({host});
  o.io_timeout = 300ms;
  o.max_attempts = 2;
  auto client = MakeClient(o);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(client->GetManifest(Ref(host + "/a/b:c")),
              StatusIs(StatusCode::kDeadlineExceeded, "timed out"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ::close(fd);
}

TEST(RegistryNetworkTest, CancelStopsABlobFetch) {
  const std::string blob = RandomBytes(4 << 20, 9);
  MiniHttpServer server([&](const MiniRequest&) {
    return MiniResponse{200, {}, blob};
  });
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  auto client = MakeClient(PlainOptions({host}));
  std::atomic<bool> cancel{false};
  FetchOptions fo;
  fo.cancel = &cancel;
  fo.progress = [&](uint64_t done, int64_t) {
    if (done > (1 << 20)) cancel.store(true);
  };
  StringBlobSink sink;
  Descriptor d{
      "x", oci::Sha256Of(blob), static_cast<int64_t>(blob.size()), {}, {}, {}};
  EXPECT_THAT(client->FetchBlob(Ref(host + "/a/b"), d, sink, fo),
              StatusIs(StatusCode::kCancelled));
  EXPECT_FALSE(sink.committed());
  EXPECT_LT(sink.data().size(), blob.size());
}

// ---- TLS ----

class RegistryTlsTest : public RegistryFixture {
 protected:
  void StartRegistry() override {
    ASSERT_OK(testing::MakeSelfSignedCert(dir_.path(), "server", "127.0.0.1",
                                          "IP:127.0.0.1"));
    ASSERT_OK(registry_.Start(dir_.Sub("registry"), dir_.Sub("server.crt"),
                              dir_.Sub("server.key")));
  }

  ClientOptions TlsOptions() {
    ClientOptions o = PlainOptions({});
    o.max_attempts = 2;
    return o;
  }
};

TEST_F(RegistryTlsTest, VerifiesTheCertificateWithACaFile) {
  ClientOptions o = TlsOptions();
  o.ca_file = dir_.Sub("server.crt");
  auto client = MakeClient(o);
  const Reference ref = Ref(registry_.host() + "/test/img:multi");
  ASSERT_OK_AND_ASSIGN(
      ResolvedImage img,
      client->Resolve(ref, P("windows", "amd64", "10.0.20348.2461")));
  StringBlobSink sink;
  ASSERT_OK(client->FetchBlob(ref, img.parsed.layers[0], sink));
  EXPECT_TRUE(sink.data() == Blob(BigLayer()));
}

TEST_F(RegistryTlsTest, RejectsAnUntrustedCertificate) {
  auto client = MakeClient(TlsOptions());
  EXPECT_THAT(client->GetManifest(Ref(registry_.host() + "/test/img:multi")),
              StatusIs(StatusCode::kFailedPrecondition,
                       "certificate verification failed"));
}

TEST_F(RegistryTlsTest, RejectsACertificateForAnotherHost) {
  ClientOptions o = TlsOptions();
  o.ca_file = dir_.Sub("server.crt");
  auto client = MakeClient(o);
  // Trusted certificate, but it names 127.0.0.1, not localhost.
  const std::string host = "localhost:" + std::to_string(registry_.port());
  EXPECT_THAT(client->GetManifest(Ref(host + "/test/img:multi")),
              StatusIs(StatusCode::kFailedPrecondition, "hostname mismatch"));
}

TEST_F(RegistryTlsTest, InsecureRegistrySkipsVerificationAndPlainHttpFails) {
  ClientOptions o = TlsOptions();
  o.insecure_registries = {registry_.host()};
  auto client = MakeClient(o);
  ASSERT_OK_AND_ASSIGN(
      FetchedManifest m,
      client->GetManifest(Ref(registry_.host() + "/test/img:single")));
  EXPECT_EQ(m.digest, win2022_.manifest.digest);
  // Plain HTTP against a TLS port gets an HTTP 400 from Go's TLS server.
  auto plain = MakeClient(PlainOptions({registry_.host()}));
  EXPECT_FALSE(
      plain->GetManifest(Ref(registry_.host() + "/test/img:single")).ok());
}

// ---- token auth against the real registry ----

class RegistryTokenAuthTest : public RegistryFixture {
 protected:
  static constexpr char kService[] = "winsnap-test-registry";
  static constexpr char kIssuer[] = "winsnap-test-issuer";

  void StartRegistry() override {
    ASSERT_OK(testing::MakeSelfSignedCert(dir_.path(), "token", "token-issuer",
                                          "DNS:token-issuer"));
    token_server_ = std::make_unique<MiniHttpServer>(
        [this](const MiniRequest& req) { return IssueToken(req); });
    testing::TokenAuthConfig cfg{token_server_->url() + "/token", kService,
                                 kIssuer, dir_.Sub("token.crt")};
    ASSERT_OK(registry_.Start(dir_.Sub("registry"), "", "", cfg));
  }
  std::vector<std::string> PushArgs() override {
    return {"--dest-creds", "alice:secret"};
  }

  // alice:secret gets every scope asked for; anonymous callers get a valid
  // token with no access; wrong credentials get 401.
  MiniResponse IssueToken(const MiniRequest& req) {
    const std::string auth = req.Header("authorization");
    std::vector<std::string> scopes;
    std::string q = req.target.substr(req.target.find('?') + 1);
    size_t pos = 0;
    while (pos < q.size()) {
      size_t amp = q.find('&', pos);
      std::string kv = q.substr(pos, amp - pos);
      if (kv.rfind("scope=", 0) == 0) scopes.push_back(Unescape(kv.substr(6)));
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
    std::string subject = "anonymous";
    if (!auth.empty()) {
      if (auth != "Basic " + base::Base64Encode("alice:secret")) {
        return MiniResponse{
            401,
            {},
            R"({"errors":[{"code":"UNAUTHORIZED","message":"bad password"}]})"};
      }
      subject = "alice";
    } else {
      scopes.clear();
    }
    auto token =
        testing::SignRegistryToken(dir_.Sub("token.key"), dir_.Sub("token.crt"),
                                   kIssuer, kService, subject, scopes);
    if (!token.ok()) return MiniResponse{500, {}, token.status().ToString()};
    return MiniResponse{200,
                        {{"Content-Type", "application/json"}},
                        R"({"token":")" + *token + R"(","expires_in":600})"};
  }

  static std::string Unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out.push_back(
            static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(s[i] == '+' ? ' ' : s[i]);
      }
    }
    return out;
  }

  ClientOptions WithConfig(const std::string& user_pass) {
    ClientOptions o = PlainOptions({registry_.host()});
    std::string path = dir_.Sub("docker-config.json");
    EXPECT_OK(base::Env::Default()->WriteFileAtomic(
        path, R"({"auths":{")" + registry_.host() + R"(":{"auth":")" +
                  base::Base64Encode(user_pass) + R"("}}})"));
    o.use_docker_config = true;
    o.docker_config_path = path;
    return o;
  }

  std::unique_ptr<MiniHttpServer> token_server_;
};

TEST_F(RegistryTokenAuthTest, PullsWithATokenFetchedWithConfigJsonCredentials) {
  auto client = MakeClient(WithConfig("alice:secret"));
  const Reference ref = Ref(registry_.host() + "/test/img:multi");
  const size_t token_requests_before =
      token_server_->requests().size();  // skopeo's
  ASSERT_OK_AND_ASSIGN(
      ResolvedImage img,
      client->Resolve(ref, P("windows", "amd64", "10.0.20348.2461")));
  PullPlan plan(client.get(), ref);
  std::vector<std::unique_ptr<StringBlobSink>> sinks;
  for (const Descriptor& l : img.parsed.layers) {
    sinks.push_back(std::make_unique<StringBlobSink>());
    plan.Add(l, sinks.back().get());
  }
  ASSERT_OK(plan.Run(2));
  for (size_t i = 0; i < sinks.size(); ++i) {
    EXPECT_TRUE(sinks[i]->data() == Blob(img.parsed.layers[i]));
  }
  // One token for the repository's pull scope, reused by every later request
  // (manifests, config and layers, from several threads).
  auto reqs = token_server_->requests();
  ASSERT_EQ(reqs.size() - token_requests_before, 1u);
  const MiniRequest& t = reqs.back();
  EXPECT_EQ(t.Header("authorization"),
            "Basic " + base::Base64Encode("alice:secret"));
  EXPECT_THAT(t.target, HasSubstr("service=winsnap-test-registry"));
  EXPECT_THAT(t.target, HasSubstr("scope=repository%3Atest%2Fimg%3Apull"));
  EXPECT_EQ(client->stats().token_fetches, 1u);
}

TEST_F(RegistryTokenAuthTest, AnonymousTokenWithoutAccessIsUnauthenticated) {
  auto client = MakeClient(PlainOptions({registry_.host()}));
  EXPECT_OK(client->Ping(Ref(registry_.host() + "/test/img")));  // 401 is alive
  EXPECT_THAT(client->GetManifest(Ref(registry_.host() + "/test/img:multi")),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_EQ(client->stats().token_fetches, 1u);  // one try, no loop
}

TEST_F(RegistryTokenAuthTest, WrongPasswordIsRefusedByTheTokenServer) {
  auto client = MakeClient(WithConfig("alice:wrong"));
  EXPECT_THAT(client->GetManifest(Ref(registry_.host() + "/test/img:multi")),
              StatusIs(StatusCode::kUnauthenticated,
                       "refused the credentials of \"alice\""));
}

}  // namespace
}  // namespace winsnap::registry
