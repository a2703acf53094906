// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Regression tests for issue 12's import findings, each failing on the code
// before its fix:
//   item 7   a layer entry declaring more than the disk holds (or more than
//            --max-layer-size) stops the import at once: ResourceExhausted,
//            nothing visible, no staging left;
//   item 8   an index fan-out reads each blob at most once, and the number of
//            descriptors visited is bounded (InvalidArgument naming it);
//   item 9   nesting too deep and errors inside a nested index are reported
//            as themselves, naming the index;
//   item 14c a non-base64 MSWINDOWS.rawsd or non-numeric MSWINDOWS.fileattr
//            is InvalidArgument naming the entry.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unpack/test_archives.h"
#include "unpack/image_source.h"
#include "unpack/import.h"
#include "unpack/tar_writer.h"

namespace winsnap::unpack {
namespace {

using json = nlohmann::json;
using snapshotter::Snapshotter;
using testing::CountingSource;
using ::testing::HasSubstr;
using testing::PaxTar;
using testing::TestImage;
using testing::WinDir;
using testing::WinFile;
using winsnap::testing::RunCommand;
using winsnap::testing::StatusIs;
using winsnap::testing::TempDir;

constexpr const char* kManifestType =
    "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kIndexType = "application/vnd.oci.image.index.v1+json";

std::string Blob(const std::string& digest) {
  return "blobs/sha256/" + digest.substr(7);
}

json IndexDoc(const json& manifests) {
  return {{"schemaVersion", 2},
          {"mediaType", kIndexType},
          {"manifests", manifests}};
}

json Desc(const char* type, const std::string& body, const char* os = nullptr) {
  json d = {{"mediaType", type},
            {"digest", oci::Sha256Of(body)},
            {"size", body.size()}};
  if (os) d["platform"] = {{"os", os}, {"architecture", "amd64"}};
  return d;
}

class Issue12UnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshotter::Options o;
    o.root = tmp_.Sub("root");
    auto s = Snapshotter::Open(o);
    ASSERT_OK(s);
    sn_ = std::move(*s);
  }

  StatusOr<std::vector<ImportedImage>> Import(const std::string& path) {
    ImportOptions o;
    o.writer.sync = false;
    Importer imp(sn_.get());
    return imp.Import(path, o);
  }

  // No snapshot, no image, no staging folder.
  void ExpectNothingVisible() {
    int snapshots = 0;
    EXPECT_OK(sn_->Walk([&](const snapshotter::Info&) {
      ++snapshots;
      return OkStatus();
    }));
    EXPECT_EQ(snapshots, 0);
    int images = 0;
    EXPECT_OK(sn_->TEST_store()->View([&](metadata::ReadTxn& t) {
      return t.ForEachImage([&](const metadata::ImageRecord&) {
        ++images;
        return OkStatus();
      });
    }));
    EXPECT_EQ(images, 0);
    int staging = 0;
    for (auto& e :
         std::filesystem::directory_iterator(tmp_.Sub("root/staging")))
      if (e.path().extension() != ".lock") ++staging;
    EXPECT_EQ(staging, 0) << "staging folders left";
  }

  // An image with one small Windows layer; its files, to be rearranged.
  testing::BuiltImage SmallImage(const std::string& os = "windows") {
    TestImage img;
    img.os = os;
    img.compression = Compression::kNone;
    img.layer_tars = {
        PaxTar({WinDir("Files"), WinFile("Files/" + os + ".txt", os)})};
    return testing::OciLayout(img);
  }

  std::string WriteLayout(std::map<std::string, std::string> files,
                          const json& top_manifests,
                          const std::string& name = "layout") {
    json index = IndexDoc(top_manifests);
    files["index.json"] = index.dump();
    std::string dir = tmp_.Sub(name);
    testing::WriteDir(dir, files);
    return dir;
  }

  TempDir tmp_;
  std::unique_ptr<Snapshotter> sn_;
};

// ---- item 7: layer size bomb ---------------------------------------------

// A layer whose one entry declares 1 PiB (more than any test disk holds),
// followed by a few bytes: before the fix the writer started writing and the
// import ended with DataLoss (truncated); now the header alone refuses it.
TEST_F(Issue12UnpackTest, Item7EntryLargerThanTheDiskIsResourceExhausted) {
  StringSink sink;
  TarWriter w(&sink);
  TarHeader dir = WinDir("Files").h;
  ASSERT_OK(w.WriteHeader(dir));
  TarHeader big = WinFile("Files/big.bin", "").h;
  big.size = int64_t{1} << 50;
  ASSERT_OK(w.WriteHeader(big));
  ASSERT_OK(w.WriteData("abcdefgh", 8));  // the stream ends here
  TestImage img;
  img.compression = Compression::kNone;
  img.layer_tars = {sink.data()};
  auto b = testing::OciLayout(img);
  std::string dirpath = tmp_.Sub("bomb");
  testing::WriteDir(dirpath, b.files);

  auto r = Import(dirpath);
  EXPECT_THAT(r, StatusIs(StatusCode::kResourceExhausted, "Files/big.bin"));
  EXPECT_THAT(r, StatusIs(StatusCode::kResourceExhausted, "bytes free"));
  ExpectNothingVisible();
}

// `snapctl import --max-layer-size` refuses a layer whose entries declare
// more, naming the limit; a generous limit imports it.
TEST_F(Issue12UnpackTest, Item7MaxLayerSizeFlagStopsTheImport) {
  TestImage img;
  img.layer_tars = {
      PaxTar({WinDir("Files"), WinFile("Files/a.bin", std::string(3000, 'a')),
              WinFile("Files/b.bin", std::string(3000, 'b'))})};
  auto b = testing::OciLayout(img);
  testing::WriteTar(tmp_.Sub("img.tar"), b.files);
  sn_.reset();  // the CLI opens the store itself
  const std::string bin = WINSNAP_SNAPCTL;
  const std::string root = tmp_.Sub("root");

  auto r = RunCommand({bin, "--root", root, "import", "--max-layer-size", "4K",
                       tmp_.Sub("img.tar")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("Files/b.bin"));
  EXPECT_THAT(r.err, HasSubstr("layer size limit of 4096 bytes"));
  r = RunCommand({bin, "--root", root, "--json", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false), json::array()) << r.out;

  r = RunCommand({bin, "--root", root, "import", "--max-layer-size", "1M",
                  tmp_.Sub("img.tar")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// ---- item 8: index fan-out -------------------------------------------------

// index.json -> A; A lists B 40 times; B lists C 40 times; C lists the
// manifest 40 times. Before the fix B was read 40 times and C 1600 times.
TEST_F(Issue12UnpackTest, Item8EachBlobIsReadOnce) {
  auto b = SmallImage();
  std::string man = b.files.at(Blob(b.manifest_digest));
  json c = IndexDoc(json::array());
  for (int i = 0; i < 40; ++i)
    c["manifests"].push_back(Desc(kManifestType, man, "windows"));
  std::string cs = c.dump();
  json bi = IndexDoc(json::array());
  for (int i = 0; i < 40; ++i) bi["manifests"].push_back(Desc(kIndexType, cs));
  std::string bs = bi.dump();
  json a = IndexDoc(json::array());
  for (int i = 0; i < 40; ++i) a["manifests"].push_back(Desc(kIndexType, bs));
  std::string as = a.dump();
  auto files = b.files;
  files[Blob(oci::Sha256Of(cs))] = cs;
  files[Blob(oci::Sha256Of(bs))] = bs;
  files[Blob(oci::Sha256Of(as))] = as;
  json top = Desc(kIndexType, as);
  top["annotations"] = {{"io.containerd.image.name", "example.com/fan:1"}};
  std::string dir = WriteLayout(files, json::array({top}));

  ASSERT_OK_AND_ASSIGN(auto src, ImageSource::Open(dir));
  CountingSource counting(std::move(src));
  ImportOptions o;
  o.writer.sync = false;
  Importer imp(sn_.get());
  ASSERT_OK_AND_ASSIGN(auto images, imp.Import(counting, dir, o));
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0].record.manifest_digest, b.manifest_digest);
  for (const auto& [name, n] : counting.reads())
    EXPECT_LE(n, 1) << name << " was read " << n << " times";
}

// An index listing more descriptors than the bound is refused, naming it.
TEST_F(Issue12UnpackTest, Item8DescriptorsVisitedAreBounded) {
  auto b = SmallImage();
  std::string man = b.files.at(Blob(b.manifest_digest));
  json wide = IndexDoc(json::array());
  // Distinct descriptors (linux manifests the archive need not contain).
  for (int i = 0; i < 12000; ++i) {
    std::string fake = "linux manifest " + std::to_string(i);
    wide["manifests"].push_back(Desc(kManifestType, fake, "linux"));
  }
  wide["manifests"].push_back(Desc(kManifestType, man, "windows"));
  std::string ws = wide.dump();
  auto files = b.files;
  files[Blob(oci::Sha256Of(ws))] = ws;
  std::string dir = WriteLayout(files, json::array({Desc(kIndexType, ws)}));

  auto r = Import(dir);
  EXPECT_THAT(
      r, StatusIs(StatusCode::kInvalidArgument, "more than 10000 descriptors"));
  ExpectNothingVisible();
}

// ---- item 9: nested index errors --------------------------------------------

// Six nested indexes around a windows manifest: the depth limit is reported,
// naming an index, not "no image manifest for windows/amd64".
TEST_F(Issue12UnpackTest, Item9TooDeepNestingIsReportedAsSuch) {
  auto b = SmallImage();
  auto files = b.files;
  std::string inner = b.files.at(Blob(b.manifest_digest));
  json d = Desc(kManifestType, inner, "windows");
  for (int level = 0; level < 6; ++level) {
    std::string body = IndexDoc(json::array({d})).dump();
    files[Blob(oci::Sha256Of(body))] = body;
    d = Desc(kIndexType, body);
  }
  auto r = Import(WriteLayout(files, json::array({d})));
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, "nest deeper than"));
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, "image index sha256:"));
  ExpectNothingVisible();
}

// index.json -> A -> B where B's bytes do not match B's digest: DataLoss
// naming B. Before the fix: "no image manifest for windows/amd64".
TEST_F(Issue12UnpackTest, Item9DigestErrorInsideANestedIndexNamesIt) {
  auto b = SmallImage();
  auto files = b.files;
  std::string man = b.files.at(Blob(b.manifest_digest));
  std::string bs =
      IndexDoc(json::array({Desc(kManifestType, man, "windows")})).dump();
  const std::string b_digest = oci::Sha256Of(bs);
  std::string tampered = bs;
  tampered[tampered.size() - 2] = ' ';  // same size, other bytes
  files[Blob(b_digest)] = tampered;
  std::string as = IndexDoc(json::array({Desc(kIndexType, bs)})).dump();
  files[Blob(oci::Sha256Of(as))] = as;

  auto r = Import(WriteLayout(files, json::array({Desc(kIndexType, as)})));
  EXPECT_THAT(r, StatusIs(StatusCode::kDataLoss, b_digest));
  ExpectNothingVisible();
}

// index.json -> A -> B where B is not JSON: InvalidArgument naming B.
TEST_F(Issue12UnpackTest, Item9ParseErrorInsideANestedIndexNamesIt) {
  auto b = SmallImage();
  auto files = b.files;
  std::string bs = "this is not an image index";
  const std::string b_digest = oci::Sha256Of(bs);
  files[Blob(b_digest)] = bs;
  std::string man = b.files.at(Blob(b.manifest_digest));
  std::string as = IndexDoc(json::array({Desc(kIndexType, bs),
                                         Desc(kManifestType, man, "windows")}))
                       .dump();
  files[Blob(oci::Sha256Of(as))] = as;

  auto r = Import(WriteLayout(files, json::array({Desc(kIndexType, as)})));
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, b_digest));
  ExpectNothingVisible();
}

// ---- item 14c: malformed Windows PAX records
// ----------------------------------

TEST_F(Issue12UnpackTest, Item14cNonBase64RawSdIsInvalidArgument) {
  auto f = WinFile("Files/bad-sd.txt", "x");
  for (auto& [k, v] : f.h.pax)
    if (k == "MSWINDOWS.rawsd") v = "not base64!";
  TestImage img;
  img.layer_tars = {PaxTar({WinDir("Files"), f})};
  std::string dir = tmp_.Sub("sd");
  testing::WriteDir(dir, testing::OciLayout(img).files);
  auto r = Import(dir);
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, "Files/bad-sd.txt"));
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, "MSWINDOWS.rawsd"));
  ExpectNothingVisible();
}

TEST_F(Issue12UnpackTest, Item14cNonNumericFileAttrIsInvalidArgument) {
  for (const char* bad : {"32x", "hidden", "", "4294967296", "-1"}) {
    SCOPED_TRACE(bad);
    auto f = WinFile("Files/bad-attr.txt", "x");
    for (auto& [k, v] : f.h.pax)
      if (k == "MSWINDOWS.fileattr") v = bad;
    TestImage img;
    img.layer_tars = {PaxTar({WinDir("Files"), f})};
    std::string dir = tmp_.Sub(std::string("attr") + bad);
    testing::WriteDir(dir, testing::OciLayout(img).files);
    auto r = Import(dir);
    EXPECT_THAT(r,
                StatusIs(StatusCode::kInvalidArgument, "Files/bad-attr.txt"));
    EXPECT_THAT(r,
                StatusIs(StatusCode::kInvalidArgument, "MSWINDOWS.fileattr"));
    ExpectNothingVisible();
  }
}

}  // namespace
}  // namespace winsnap::unpack
