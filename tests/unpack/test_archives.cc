// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tests/unpack/test_archives.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "oci/digest.h"
#include "tests/testutil/status_matchers.h"
#include "unpack/tar_writer.h"

namespace winsnap::unpack::testing {
namespace {

using json = nlohmann::json;

struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};

la_ssize_t AppendCb(archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

std::string Hex(const std::string& digest) { return digest.substr(7); }

}  // namespace

StatusOr<size_t> StringReader::Read(uint8_t* buf, size_t n) {
  size_t take = std::min({n, max_read_, s_.size() - pos_});
  std::memcpy(buf, s_.data() + pos_, take);
  pos_ += take;
  return take;
}

std::string Compress(std::string_view data, Compression c) {
  if (c == Compression::kNone) return std::string(data);
  std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
  std::string out;
  if (c == Compression::kGzip) {
    archive_write_add_filter_gzip(a.get());
  } else {
    archive_write_add_filter_zstd(a.get());
  }
  archive_write_set_format_raw(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  EXPECT_EQ(archive_write_open(a.get(), &out, nullptr, AppendCb, nullptr),
            ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  EXPECT_EQ(archive_write_header(a.get(), e), ARCHIVE_OK)
      << archive_error_string(a.get());
  archive_entry_free(e);
  EXPECT_EQ(archive_write_data(a.get(), data.data(), data.size()),
            static_cast<la_ssize_t>(data.size()));
  EXPECT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
  return out;
}

std::string LibarchiveTar(const std::vector<LaEntry>& entries,
                          bool gnu_format) {
  std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
  std::string out;
  if (gnu_format) {
    archive_write_set_format_gnutar(a.get());
  } else {
    archive_write_set_format_pax_restricted(a.get());
  }
  archive_write_set_bytes_in_last_block(a.get(), 1);
  EXPECT_EQ(archive_write_open(a.get(), &out, nullptr, AppendCb, nullptr),
            ARCHIVE_OK);
  for (const auto& en : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_copy_pathname(e, en.name.c_str());
    archive_entry_set_mode(e, static_cast<mode_t>(en.mode));
    archive_entry_set_mtime(e, 1650000000, 0);
    switch (en.type) {
      case '5':
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case '2':
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_copy_symlink(e, en.link.c_str());
        break;
      case '1':
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_copy_hardlink(e, en.link.c_str());
        break;
      case '3':
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdevmajor(e, 1);
        archive_entry_set_rdevminor(e, 3);
        break;
      case '4':
        archive_entry_set_filetype(e, AE_IFBLK);
        archive_entry_set_rdevmajor(e, 8);
        archive_entry_set_rdevminor(e, 0);
        break;
      case '6':
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
      default:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(en.data.size()));
    }
    for (const auto& [k, v] : en.xattrs)
      archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    EXPECT_EQ(archive_write_header(a.get(), e), ARCHIVE_OK)
        << en.name << ": " << archive_error_string(a.get());
    if (en.type == '0' && !en.data.empty())
      archive_write_data(a.get(), en.data.data(), en.data.size());
    archive_entry_free(e);
  }
  EXPECT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
  return out;
}

std::string PaxTar(const std::vector<PaxEntry>& entries) {
  StringSink sink;
  TarWriter w(&sink);
  for (const auto& e : entries) {
    EXPECT_OK(w.WriteHeader(e.h));
    if (e.h.IsRegular()) {
      EXPECT_OK(w.WriteData(e.data.data(), e.data.size()));
    }
  }
  EXPECT_OK(w.Close());
  return sink.data();
}

PaxEntry WinDir(const std::string& name) {
  PaxEntry e;
  e.h.name = name;
  e.h.typeflag = kTypeDir;
  e.h.mode = 040755;
  e.h.mtime = 1650000000;
  e.h.pax = {{"MSWINDOWS.fileattr", "16"},
             {"MSWINDOWS.rawsd", "AQAElAAAAAAAAAAAAAAAABQAAAA="},
             {"LIBARCHIVE.creationtime", "1650000000.123456789"}};
  return e;
}

PaxEntry WinFile(const std::string& name, const std::string& data) {
  PaxEntry e;
  e.h.name = name;
  e.h.typeflag = kTypeReg;
  e.h.mode = 0100644;
  e.h.size = static_cast<int64_t>(data.size());
  e.h.mtime = 1650000001;
  e.h.pax = {{"MSWINDOWS.fileattr", "32"},
             {"MSWINDOWS.rawsd", "AQAEgBQAAAAkAAAAAAAAADAAAAA="},
             {"LIBARCHIVE.creationtime", "1650000000.5"}};
  e.data = data;
  return e;
}

namespace {

std::string LayerMediaTypeFor(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Compression::kZstd:
      return "application/vnd.oci.image.layer.v1.tar+zstd";
    default:
      return "application/vnd.oci.image.layer.v1.tar";
  }
}

std::string Config(const TestImage& img, const std::vector<std::string>& ids) {
  json c;
  c["architecture"] = "amd64";
  c["os"] = img.os;
  if (img.os == "windows") c["os.version"] = "10.0.20348.1";
  c["rootfs"] = {{"type", "layers"}, {"diff_ids", ids}};
  c["config"] = {{"Cmd", {"cmd.exe"}}};
  return c.dump();
}

void Layers(const TestImage& img, BuiltImage* b) {
  for (const auto& tar : img.layer_tars) {
    std::string blob = Compress(tar, img.compression);
    b->blobs.push_back(blob);
    b->blob_digests.push_back(oci::Sha256Of(blob));
    b->diff_ids.push_back(oci::Sha256Of(tar));
  }
  if (!img.override_diff_ids.empty()) b->diff_ids = img.override_diff_ids;
  b->chain_ids = oci::ChainIds(b->diff_ids);
}

}  // namespace

BuiltImage OciLayout(const TestImage& img) {
  BuiltImage b;
  Layers(img, &b);
  json layers = json::array();
  for (size_t i = 0; i < b.blobs.size(); ++i) {
    b.files["blobs/sha256/" + Hex(b.blob_digests[i])] = b.blobs[i];
    layers.push_back({{"mediaType", LayerMediaTypeFor(img.compression)},
                      {"digest", b.blob_digests[i]},
                      {"size", b.blobs[i].size()}});
  }
  std::string config = Config(img, b.diff_ids);
  b.config_digest = oci::Sha256Of(config);
  b.files["blobs/sha256/" + Hex(b.config_digest)] = config;
  json man;
  man["schemaVersion"] = 2;
  man["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
  man["config"] = {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                   {"digest", b.config_digest},
                   {"size", config.size()}};
  man["layers"] = layers;
  std::string m = man.dump();
  b.manifest_digest = oci::Sha256Of(m);
  b.files["blobs/sha256/" + Hex(b.manifest_digest)] = m;
  json index;
  index["schemaVersion"] = 2;
  index["mediaType"] = "application/vnd.oci.image.index.v1+json";
  json desc = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
               {"digest", b.manifest_digest},
               {"size", m.size()},
               {"platform", {{"os", img.os}, {"architecture", "amd64"}}},
               {"annotations", {{"io.containerd.image.name", img.name}}}};
  index["manifests"] = json::array({desc});
  b.files["index.json"] = index.dump();
  b.files["oci-layout"] = R"({"imageLayoutVersion":"1.0.0"})";
  return b;
}

BuiltImage DockerSave(const TestImage& img) {
  BuiltImage b;
  Layers(img, &b);
  json paths = json::array();
  for (size_t i = 0; i < b.blobs.size(); ++i) {
    std::string p = Hex(b.blob_digests[i]) + "/layer.tar";
    b.files[p] = b.blobs[i];
    paths.push_back(p);
  }
  std::string config = Config(img, b.diff_ids);
  b.config_digest = oci::Sha256Of(config);
  b.files[Hex(b.config_digest) + ".json"] = config;
  json man = json::array({{{"Config", Hex(b.config_digest) + ".json"},
                           {"RepoTags", {img.name}},
                           {"Layers", paths}}});
  b.files["manifest.json"] = man.dump();
  return b;
}

void WriteDir(const std::string& dir,
              const std::map<std::string, std::string>& files) {
  for (const auto& [name, data] : files) {
    std::filesystem::path p = std::filesystem::path(dir) / name;
    std::filesystem::create_directories(p.parent_path());
    WriteWhole(p.string(), data);
  }
}

void WriteTar(const std::string& path,
              const std::map<std::string, std::string>& files) {
  std::vector<LaEntry> entries;
  // index.json last, as make-image and `ctr export` do.
  for (const auto& [name, data] : files)
    if (name != "index.json" && name != "manifest.json")
      entries.push_back({name, '0', data});
  for (const char* last : {"index.json", "manifest.json"})
    if (auto it = files.find(last); it != files.end())
      entries.push_back({it->first, '0', it->second});
  WriteWhole(path, LibarchiveTar(entries));
}

std::map<std::string, std::string> TreeDigest(const std::string& dir) {
  std::map<std::string, std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (auto it = std::filesystem::recursive_directory_iterator(dir);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    std::string rel = std::filesystem::relative(it->path(), dir).string();
    auto st = it->symlink_status();
    if (std::filesystem::is_symlink(st)) {
      out[rel] = "link:" + std::filesystem::read_symlink(it->path()).string();
      it.disable_recursion_pending();
    } else if (std::filesystem::is_directory(st)) {
      out[rel] = "dir";
    } else if (std::filesystem::is_regular_file(st)) {
      out[rel] = oci::Sha256Of(ReadWhole(it->path().string()));
    } else {
      out[rel] = "special";
    }
  }
  return out;
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteWhole(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

class CountingSource::File final : public BlobFile {
 public:
  File(const CountingSource* src, std::string name, std::unique_ptr<BlobFile> f)
      : src_(src), name_(std::move(name)), f_(std::move(f)) {}
  int64_t size() const override { return f_->size(); }
  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    auto r = f_->Read(buf, n);
    if (r.ok()) src_->AddBytes(name_, *r);
    return r;
  }

 private:
  const CountingSource* src_;
  std::string name_;
  std::unique_ptr<BlobFile> f_;
};

bool CountingSource::Has(const std::string& name) const {
  return in_->Has(name);
}

StatusOr<std::string> CountingSource::ReadFile(const std::string& name,
                                               size_t limit) const {
  {
    base::MutexLock lock(&mu_);
    ++reads_[name];
  }
  return in_->ReadFile(name, limit);
}

StatusOr<std::unique_ptr<BlobFile>> CountingSource::OpenFile(
    const std::string& name) const {
  auto f = in_->OpenFile(name);
  if (!f.ok()) return f.status();
  return std::unique_ptr<BlobFile>(
      std::make_unique<File>(this, name, std::move(*f)));
}

std::map<std::string, int> CountingSource::reads() const {
  base::MutexLock lock(&mu_);
  return reads_;
}

int64_t CountingSource::BytesRead(const std::string& name) const {
  base::MutexLock lock(&mu_);
  auto it = bytes_.find(name);
  return it == bytes_.end() ? 0 : it->second;
}

void CountingSource::AddBytes(const std::string& name, size_t n) const {
  base::MutexLock lock(&mu_);
  bytes_[name] += static_cast<int64_t>(n);
}

}  // namespace winsnap::unpack::testing
