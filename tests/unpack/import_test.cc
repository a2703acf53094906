// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Importer end to end against a real Snapshotter: OCI layouts (dir and tar,
// gzip/zstd/uncompressed, nested indexes), docker-save, dedupe, and every
// failure leaving nothing visible (digest and diffID mismatch, truncation,
// hostile layers, missing foreign layers, kill -9 mid-import).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "oci/digest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unpack/test_archives.h"
#include "unpack/import.h"

namespace winsnap::unpack {
namespace {

using json = nlohmann::json;
using snapshotter::Snapshotter;
using testing::BuiltImage;
using testing::CountingSource;
using testing::LaEntry;
using testing::LibarchiveTar;
using testing::PaxTar;
using testing::TestImage;
using testing::WinDir;
using testing::WinFile;
using winsnap::testing::StatusIs;
using winsnap::testing::TempDir;

std::string BaseLayer() {
  return PaxTar({WinDir("Files"), WinDir("Files/Windows"),
                 WinFile("Files/Windows/notepad.exe", std::string(100000, 'n')),
                 WinFile("Files/Windows/old.dll", "old"), WinDir("Hives"),
                 WinFile("Hives/System_Delta", "regf")});
}

std::string DeltaLayer() {
  return PaxTar({WinDir("Files"), WinFile("Files/app.exe", "app"),
                 WinFile("Files/Windows/.wh.old.dll", "")});
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    sn_.reset();
    snapshotter::Options o;
    o.root = tmp_.Sub("root");
    auto s = Snapshotter::Open(o);
    ASSERT_OK(s);
    sn_ = std::move(*s);
  }

  StatusOr<std::vector<ImportedImage>> Import(const std::string& path,
                                              ImportOptions o = {}) {
    o.writer.sync = false;  // tests do not need power-loss durability
    Importer imp(sn_.get());
    return imp.Import(path, o);
  }

  std::vector<std::string> SnapshotNames() {
    std::vector<std::string> out;
    EXPECT_OK(sn_->Walk([&](const snapshotter::Info& i) {
      out.push_back(i.name);
      return OkStatus();
    }));
    return out;
  }
  std::vector<std::string> ImageNames() {
    std::vector<std::string> out;
    EXPECT_OK(sn_->TEST_store()->View([&](metadata::ReadTxn& t) {
      return t.ForEachImage([&](const metadata::ImageRecord& r) {
        out.push_back(r.name);
        return OkStatus();
      });
    }));
    return out;
  }
  // Nothing of a failed import is visible: no snapshot, no image, and no
  // staging folder left once the importer returned.
  void ExpectNothingVisible() {
    EXPECT_TRUE(SnapshotNames().empty());
    EXPECT_TRUE(ImageNames().empty());
    std::vector<std::string> staging;
    for (auto& e :
         std::filesystem::directory_iterator(tmp_.Sub("root/staging")))
      if (e.path().extension() != ".lock") staging.push_back(e.path().string());
    EXPECT_TRUE(staging.empty()) << staging.size() << " staging folders left";
  }
  std::string Write(const BuiltImage& b, bool as_tar, const std::string& name) {
    std::string p = tmp_.Sub(name);
    if (as_tar) {
      testing::WriteTar(p, b.files);
    } else {
      testing::WriteDir(p, b.files);
    }
    return p;
  }

  TempDir tmp_;
  std::unique_ptr<Snapshotter> sn_;
};

TEST_F(ImportTest, OciLayoutDirGzip) {
  TestImage img;
  img.layer_tars = {BaseLayer(), DeltaLayer()};
  BuiltImage b = testing::OciLayout(img);
  std::vector<ImportEvent> events;
  ImportOptions o;
  o.progress = [&](const ImportEvent& e) { events.push_back(e); };
  ASSERT_OK_AND_ASSIGN(auto images, Import(Write(b, false, "oci"), o));
  ASSERT_EQ(images.size(), 1u);
  const auto& rec = images[0].record;
  EXPECT_EQ(rec.name, img.name);
  EXPECT_EQ(rec.manifest_digest, b.manifest_digest);
  EXPECT_EQ(rec.config_digest, b.config_digest);
  EXPECT_EQ(rec.top_chain_id, b.chain_ids[1]);
  EXPECT_EQ(rec.platform, "windows/amd64");
  ASSERT_OK_AND_ASSIGN(auto base, sn_->Stat(b.chain_ids[0]));
  ASSERT_OK_AND_ASSIGN(auto top, sn_->Stat(b.chain_ids[1]));
  EXPECT_EQ(base.kind, metadata::Kind::kCommitted);
  EXPECT_EQ(top.parent, b.chain_ids[0]);
  EXPECT_EQ(top.labels.at(std::string(kLabelUncompressed)), b.diff_ids[1]);
  EXPECT_EQ(top.labels.at(std::string(kLabelLayerDigest)), b.blob_digests[1]);
  EXPECT_EQ(testing::ReadWhole(base.path + "/Files/Windows/notepad.exe"),
            std::string(100000, 'n'));
  EXPECT_EQ(testing::ReadWhole(top.path + "/Files/app.exe"), "app");
  // The image record is stored.
  EXPECT_EQ(ImageNames(), std::vector<std::string>{img.name});
  bool done0 = false, done1 = false, committed = false;
  for (const auto& e : events) {
    done0 |= e.type == ImportEvent::Type::kLayerDone && e.layer == 0;
    done1 |= e.type == ImportEvent::Type::kLayerDone && e.layer == 1;
    committed |= e.type == ImportEvent::Type::kCommitted;
  }
  EXPECT_TRUE(done0 && done1 && committed);
}

TEST_F(ImportTest, OciTarZstdAndUncompressed) {
  for (Compression c : {Compression::kZstd, Compression::kNone}) {
    SCOPED_TRACE(std::string(CompressionName(c)));
    TestImage img;
    img.compression = c;
    img.name = "example.com/c:" + std::string(CompressionName(c));
    img.layer_tars = {BaseLayer() + std::string(CompressionName(c))};
    // (Trailing bytes after the end-of-archive marker are part of the
    // diffID and must be digested too.)
    BuiltImage b = testing::OciLayout(img);
    ASSERT_OK_AND_ASSIGN(
        auto images,
        Import(Write(b, true, "oci-" + img.name.substr(16) + ".tar")));
    ASSERT_EQ(images.size(), 1u);
    ASSERT_OK_AND_ASSIGN(auto info, sn_->Stat(b.chain_ids[0]));
    EXPECT_EQ(testing::ReadWhole(info.path + "/Hives/System_Delta"), "regf");
  }
}

TEST_F(ImportTest, DockerSave) {
  TestImage img;
  img.compression = Compression::kNone;
  img.layer_tars = {BaseLayer(), DeltaLayer()};
  BuiltImage b = testing::DockerSave(img);
  ASSERT_OK_AND_ASSIGN(auto images, Import(Write(b, true, "save.tar")));
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].record.name, img.name);
  EXPECT_EQ(images[0].record.top_chain_id, b.chain_ids[1]);
  EXPECT_TRUE(oci::IsSha256Digest(images[0].record.manifest_digest));
  EXPECT_EQ(images[0].layers[1].digest, b.blob_digests[1]);
  ASSERT_OK(sn_->Stat(b.chain_ids[1]));
}

// A docker-save archive has no manifest, so the importer synthesizes one
// from the layer blobs' digests and sizes. Re-importing it when every layer
// exists must not read those blobs again (an uncompressed blob's digest is
// its diffID), and must give the same manifest digest as the first import.
TEST_F(ImportTest, DockerSaveReimportReadsNoSkippedLayerBlob) {
  TestImage img;
  img.compression = Compression::kNone;
  img.layer_tars = {BaseLayer(), DeltaLayer()};
  BuiltImage b = testing::DockerSave(img);
  std::string path = Write(b, true, "save.tar");
  ASSERT_OK_AND_ASSIGN(auto first, Import(path));
  ASSERT_EQ(first.size(), 1u);

  ASSERT_OK_AND_ASSIGN(auto opened, ImageSource::Open(path));
  CountingSource src(std::move(opened));
  ImportOptions o;
  o.writer.sync = false;
  Importer imp(sn_.get());
  ASSERT_OK_AND_ASSIGN(auto again, imp.Import(src, path, o));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].record.manifest_digest, first[0].record.manifest_digest);
  ASSERT_EQ(again[0].layers.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(again[0].layers[i].skipped);
    EXPECT_EQ(again[0].layers[i].digest, b.blob_digests[i]);
    std::string blob = b.blob_digests[i].substr(7) + "/layer.tar";
    ASSERT_TRUE(src.Has(blob));
    // At most the bytes that tell the compression.
    EXPECT_LE(src.BytesRead(blob), 4)
        << blob << " of " << b.blobs[i].size() << " bytes";
  }
}

// A compressed docker-save layer that is skipped keeps the media type the
// first import gave it (the blob's bytes tell gzip), so the synthesized
// manifest, and the image record's digest, do not change on a re-import.
TEST_F(ImportTest, DockerSaveGzipReimportKeepsTheManifestDigest) {
  TestImage img;
  img.compression = Compression::kGzip;
  img.layer_tars = {BaseLayer(), DeltaLayer()};
  BuiltImage b = testing::DockerSave(img);
  std::string path = Write(b, true, "save-gz.tar");
  ASSERT_OK_AND_ASSIGN(auto first, Import(path));
  ASSERT_EQ(first.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto again, Import(path));
  ASSERT_EQ(again.size(), 1u);
  ASSERT_EQ(again[0].layers.size(), 2u);
  EXPECT_TRUE(again[0].layers[0].skipped);
  EXPECT_TRUE(again[0].layers[1].skipped);
  EXPECT_EQ(again[0].record.manifest_digest, first[0].record.manifest_digest);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_EQ(again[0].layers[i].digest, b.blob_digests[i]) << i;
}

TEST_F(ImportTest, NestedIndexSelectsThePlatform) {
  TestImage win;
  win.layer_tars = {BaseLayer()};
  TestImage lin = win;
  lin.os = "linux";
  lin.layer_tars = {DeltaLayer()};
  BuiltImage bw = testing::OciLayout(win), bl = testing::OciLayout(lin);
  // One nested index listing both manifests.
  std::map<std::string, std::string> files = bw.files;
  for (auto& [k, v] : bl.files)
    if (k.rfind("blobs/", 0) == 0) files[k] = v;
  json nested;
  nested["schemaVersion"] = 2;
  nested["mediaType"] = "application/vnd.oci.image.index.v1+json";
  nested["manifests"] = json::array();
  for (auto [b, os] : {std::pair{&bl, "linux"}, std::pair{&bw, "windows"}}) {
    std::string m = files.at("blobs/sha256/" + b->manifest_digest.substr(7));
    nested["manifests"].push_back(
        {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
         {"digest", b->manifest_digest},
         {"size", m.size()},
         {"platform", {{"os", os}, {"architecture", "amd64"}}}});
  }
  std::string n = nested.dump();
  files["blobs/sha256/" + oci::Sha256Of(n).substr(7)] = n;
  json index;
  index["schemaVersion"] = 2;
  index["manifests"] =
      json::array({{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                    {"digest", oci::Sha256Of(n)},
                    {"size", n.size()},
                    {"annotations",
                     {{"io.containerd.image.name", "example.com/multi:1"}}}}});
  files["index.json"] = index.dump();
  std::string dir = tmp_.Sub("multi");
  testing::WriteDir(dir, files);

  ASSERT_OK_AND_ASSIGN(auto images, Import(dir));
  EXPECT_EQ(images[0].record.top_chain_id, bw.chain_ids[0]);
  EXPECT_EQ(images[0].record.manifest_digest, bw.manifest_digest);
  ImportOptions o;
  o.platform = "linux/amd64";
  ASSERT_OK_AND_ASSIGN(auto linux_images, Import(dir, o));
  EXPECT_EQ(linux_images[0].record.top_chain_id, bl.chain_ids[0]);
  o.platform = "windows/arm64";
  EXPECT_THAT(Import(dir, o), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(ImportTest, PlatformMismatchIsFailedPrecondition) {
  TestImage img;
  img.os = "linux";
  img.layer_tars = {BaseLayer()};
  BuiltImage b = testing::DockerSave(img);
  EXPECT_THAT(Import(Write(b, true, "linux.tar")),
              StatusIs(StatusCode::kFailedPrecondition, "linux/amd64"));
  ExpectNothingVisible();
}

TEST_F(ImportTest, ExistingLayersAreSkipped) {
  TestImage a;
  a.layer_tars = {BaseLayer()};
  TestImage b = a;
  b.name = "example.com/test/derived:1";
  b.layer_tars.push_back(DeltaLayer());
  BuiltImage ba = testing::OciLayout(a), bb = testing::OciLayout(b);
  ASSERT_OK(Import(Write(ba, false, "a")));
  ASSERT_OK_AND_ASSIGN(auto info0, sn_->Stat(ba.chain_ids[0]));
  ASSERT_OK_AND_ASSIGN(auto images, Import(Write(bb, true, "b.tar")));
  EXPECT_TRUE(images[0].layers[0].skipped);
  EXPECT_FALSE(images[0].layers[1].skipped);
  ASSERT_OK_AND_ASSIGN(auto again, Import(tmp_.Sub("b.tar")));
  EXPECT_TRUE(again[0].layers[0].skipped);
  EXPECT_TRUE(again[0].layers[1].skipped);
  ASSERT_OK_AND_ASSIGN(auto info0b, sn_->Stat(ba.chain_ids[0]));
  EXPECT_EQ(info0.id, info0b.id);  // the same folder, not a copy
  EXPECT_EQ(SnapshotNames().size(), 2u);
  EXPECT_EQ(ImageNames().size(), 2u);
}

TEST_F(ImportTest, CorruptBlobIsDataLossAndNothingVisible) {
  TestImage img;
  img.layer_tars = {BaseLayer(), DeltaLayer()};
  BuiltImage b = testing::OciLayout(img);
  std::string& blob = b.files["blobs/sha256/" + b.blob_digests[1].substr(7)];
  blob[blob.size() / 2] ^= 0x01;
  EXPECT_THAT(Import(Write(b, false, "corrupt")),
              StatusIs(StatusCode::kDataLoss));
  ExpectNothingVisible();
}

TEST_F(ImportTest, DiffIdMismatchIsDataLossAndNothingVisible) {
  TestImage img;
  img.layer_tars = {BaseLayer()};
  img.override_diff_ids = {oci::Sha256Of("something else")};
  BuiltImage b = testing::OciLayout(img);
  EXPECT_THAT(Import(Write(b, true, "diff.tar")),
              StatusIs(StatusCode::kDataLoss, "diffID"));
  ExpectNothingVisible();
}

// The blob digest and size match the manifest (the publisher signed a
// truncated stream), so only decompression / the tar reader can tell.
TEST_F(ImportTest, TruncatedLayerStreamIsDataLossAndNothingVisible) {
  for (Compression c :
       {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    SCOPED_TRACE(std::string(CompressionName(c)));
    std::string full = testing::Compress(BaseLayer(), c);
    TestImage img;
    img.compression = Compression::kNone;  // we place our own bytes
    img.layer_tars = {full.substr(0, full.size() * 2 / 3)};
    BuiltImage b = testing::OciLayout(img);
    if (c != Compression::kNone) {
      // Fix the media type to say what the bytes are.
      std::string mt = c == Compression::kGzip ? "+gzip" : "+zstd";
      json m =
          json::parse(b.files["blobs/sha256/" + b.manifest_digest.substr(7)]);
      m["layers"][0]["mediaType"] =
          "application/vnd.oci.image.layer.v1.tar" + mt;
      std::string ms = m.dump();
      b.files.erase("blobs/sha256/" + b.manifest_digest.substr(7));
      b.files["blobs/sha256/" + oci::Sha256Of(ms).substr(7)] = ms;
      json idx = json::parse(b.files["index.json"]);
      idx["manifests"][0]["digest"] = oci::Sha256Of(ms);
      idx["manifests"][0]["size"] = ms.size();
      b.files["index.json"] = idx.dump();
    }
    EXPECT_THAT(
        Import(Write(b, false, "trunc-" + std::string(CompressionName(c)))),
        StatusIs(StatusCode::kDataLoss));
    ExpectNothingVisible();
  }
}

TEST_F(ImportTest, HostileLayerLeavesNothingInTheStore) {
  TestImage img;
  img.layer_tars = {
      BaseLayer(),
      LibarchiveTar({{"Files", '5'}, {"Files/../../evil", '0', "x"}})};
  BuiltImage b = testing::OciLayout(img);
  EXPECT_THAT(Import(Write(b, false, "hostile")),
              StatusIs(StatusCode::kInvalidArgument, "Files/../../evil"));
  ExpectNothingVisible();
  EXPECT_FALSE(std::filesystem::exists(tmp_.Sub("root/evil")));
}

TEST_F(ImportTest, MissingForeignLayerNamesItsUrl) {
  TestImage img;
  img.layer_tars = {BaseLayer(), DeltaLayer()};
  BuiltImage b = testing::OciLayout(img);
  json m = json::parse(b.files["blobs/sha256/" + b.manifest_digest.substr(7)]);
  m["layers"][0]["mediaType"] =
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
  m["layers"][0]["urls"] = {"https://mcr.example.com/base.tar.gz"};
  std::string ms = m.dump();
  b.files["blobs/sha256/" + oci::Sha256Of(ms).substr(7)] = ms;
  json idx = json::parse(b.files["index.json"]);
  idx["manifests"][0]["digest"] = oci::Sha256Of(ms);
  idx["manifests"][0]["size"] = ms.size();
  b.files["index.json"] = idx.dump();
  // With the blob present the foreign layer imports like any other.
  ASSERT_OK(Import(Write(b, false, "foreign-present")));
  ASSERT_OK(sn_->Stat(b.chain_ids[0]));
  // Without it: FailedPrecondition naming the URL.
  TempDir other;
  b.files.erase("blobs/sha256/" + b.blob_digests[0].substr(7));
  std::string dir = other.Sub("foreign-missing");
  testing::WriteDir(dir, b.files);
  EXPECT_THAT(Import(dir), StatusIs(StatusCode::kFailedPrecondition,
                                    "https://mcr.example.com/base.tar.gz"));
}

TEST_F(ImportTest, NameOverrideAndBadArchives) {
  TestImage img;
  img.layer_tars = {BaseLayer()};
  BuiltImage b = testing::OciLayout(img);
  ImportOptions o;
  o.name = "local/renamed:v1";
  ASSERT_OK_AND_ASSIGN(auto images, Import(Write(b, false, "named"), o));
  EXPECT_EQ(images[0].record.name, "local/renamed:v1");
  EXPECT_THAT(Import(tmp_.Sub("nope")), StatusIs(StatusCode::kNotFound));
  std::filesystem::create_directories(tmp_.Sub("empty"));
  EXPECT_THAT(Import(tmp_.Sub("empty")),
              StatusIs(StatusCode::kInvalidArgument));
  // docker-save "Layers" naming a file outside the archive.
  std::map<std::string, std::string> files{
      {"manifest.json",
       R"([{"Config":"c.json","RepoTags":["x:1"],"Layers":["../../etc/passwd"]}])"},
      {"c.json",
       R"({"os":"windows","architecture":"amd64","rootfs":{"type":"layers","diff_ids":["sha256:)" +
           std::string(64, 'a') + R"("]}})"}};
  testing::WriteDir(tmp_.Sub("escape"), files);
  EXPECT_THAT(Import(tmp_.Sub("escape")),
              StatusIs(StatusCode::kInvalidArgument));
}

// A child imports a large layer and is SIGKILLed mid-way; the reopened store
// shows no snapshot of that layer and its staging folder is swept.
TEST_F(ImportTest, KillDuringImportLeavesNothingAfterReopen) {
  std::vector<testing::PaxEntry> entries{WinDir("Files")};
  std::string chunk(256 << 10, 'k');
  for (int i = 0; i < 256; ++i) {
    chunk[i] = static_cast<char>(i);
    entries.push_back(WinFile("Files/f" + std::to_string(i), chunk));
  }
  TestImage img;
  img.layer_tars = {PaxTar(entries)};
  BuiltImage b = testing::OciLayout(img);
  std::string path = Write(b, true, "big.tar");
  std::string marker = tmp_.Sub("started");
  sn_.reset();  // the child opens the store itself

  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    snapshotter::Options o;
    o.root = tmp_.Sub("root");
    auto sn = Snapshotter::Open(o);
    if (!sn.ok()) ::_exit(3);
    Importer imp(sn->get());
    ImportOptions io;
    io.writer.sync = false;
    io.progress = [&](const ImportEvent& e) {
      if (e.type == ImportEvent::Type::kLayerProgress) {
        testing::WriteWhole(marker, "x");
        std::this_thread::sleep_for(std::chrono::seconds(30));
      }
    };
    auto r = imp.Import(path, io);
    ::_exit(r.ok() ? 0 : 4);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(marker) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(std::filesystem::exists(marker))
      << "child never started importing";
  // Mid-import: a locked staging folder with part of the layer exists.
  bool partial = false;
  for (auto& e : std::filesystem::directory_iterator(tmp_.Sub("root/staging")))
    partial |= e.is_directory();
  EXPECT_TRUE(partial);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));

  Reopen();
  EXPECT_THAT(sn_->Stat(b.chain_ids[0]), StatusIs(StatusCode::kNotFound));
  ExpectNothingVisible();
  // And the import works after the crash.
  ASSERT_OK(Import(path));
  ASSERT_OK(sn_->Stat(b.chain_ids[0]));
}

}  // namespace
}  // namespace winsnap::unpack
