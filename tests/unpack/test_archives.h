// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Test helpers that build archives: layer tars through libarchive's writer
// (hostile names, links, devices - everything libarchive can express) and
// through unpack::TarWriter (PAX vendor records, which libarchive cannot
// write); gzip/zstd via libarchive's write filters; OCI image layouts (as a
// directory or a tar) and docker-save tars around such layers. Not
// thread-safe; test use only.

#ifndef WINSNAP_TESTS_UNPACK_TEST_ARCHIVES_H_
#define WINSNAP_TESTS_UNPACK_TEST_ARCHIVES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/thread_annotations.h"
#include "unpack/decompress.h"
#include "unpack/image_source.h"
#include "unpack/tar_reader.h"

namespace winsnap::unpack::testing {

// gzip or zstd of "data" through libarchive's raw writer + filter.
std::string Compress(std::string_view data, Compression c);

// An entry for LibarchiveTar.
struct LaEntry {
  LaEntry(std::string n, char t = '0', std::string d = "", std::string l = "",
          int m = 0644, std::vector<std::pair<std::string, std::string>> x = {})
      : name(std::move(n)),
        type(t),
        data(std::move(d)),
        link(std::move(l)),
        mode(m),
        xattrs(std::move(x)) {}
  std::string name;
  char type = '0';  // '0' file, '5' dir, '2' symlink, '1' hardlink, '3' char,
                    // '4' block, '6' fifo
  std::string data;
  std::string link;
  int mode = 0644;
  // Extra xattrs (written as LIBARCHIVE.xattr.* PAX records).
  std::vector<std::pair<std::string, std::string>> xattrs;
};
// A pax-format tar written by libarchive.
std::string LibarchiveTar(const std::vector<LaEntry>& entries,
                          bool gnu_format = false);

// An entry for PaxTar: any header, including vendor PAX records.
struct PaxEntry {
  TarHeader h;
  std::string data;
};
std::string PaxTar(const std::vector<PaxEntry>& entries);
// Shorthands with Windows-style PAX records (fileattr, rawsd, creationtime).
PaxEntry WinDir(const std::string& name);
PaxEntry WinFile(const std::string& name, const std::string& data);

struct TestImage {
  std::vector<std::string> layer_tars;  // uncompressed
  Compression compression = Compression::kGzip;
  std::string os = "windows";
  std::string name = "example.com/test/img:1";
  // Corruptions for error tests.
  std::vector<std::string> override_diff_ids;  // used instead when non-empty
};

struct BuiltImage {
  std::vector<std::string> blob_digests;
  std::vector<std::string> blobs;  // compressed bytes
  std::vector<std::string> diff_ids;
  std::vector<std::string> chain_ids;
  std::string config_digest;
  std::string manifest_digest;
  // Archive-relative file name -> content (what was written).
  std::map<std::string, std::string> files;
};

// The files of an OCI layout for "img" (blobs, index.json, oci-layout).
BuiltImage OciLayout(const TestImage& img);
// The files of a docker-save archive (manifest.json, config, layer.tar).
BuiltImage DockerSave(const TestImage& img);
// Writes "files" below directory "dir" / as an uncompressed tar file.
void WriteDir(const std::string& dir,
              const std::map<std::string, std::string>& files);
void WriteTar(const std::string& path,
              const std::map<std::string, std::string>& files);

// (relative path -> sha256 of content or "dir"/"link:<target>") of a tree.
std::map<std::string, std::string> TreeDigest(const std::string& dir);

// A ByteReader over a string that hands out at most "max_read" bytes per
// Read, so decoders and unpackers see their input split at every kind of
// boundary.
class StringReader final : public ByteReader {
 public:
  explicit StringReader(std::string s, size_t max_read = SIZE_MAX)
      : s_(std::move(s)), max_read_(max_read) {}
  StatusOr<size_t> Read(uint8_t* buf, size_t n) override;

 private:
  std::string s_;
  size_t max_read_;
  size_t pos_ = 0;
};

// An ImageSource over another that counts, per file, the whole-file reads
// (ReadFile) and the bytes read through OpenFile. Thread-safe: the importer
// reads blobs from several threads.
class CountingSource final : public ImageSource {
 public:
  explicit CountingSource(std::unique_ptr<ImageSource> in)
      : in_(std::move(in)) {}
  bool Has(const std::string& name) const override;
  StatusOr<std::string> ReadFile(const std::string& name,
                                 size_t limit) const override;
  StatusOr<std::unique_ptr<BlobFile>> OpenFile(
      const std::string& name) const override;
  // ReadFile calls per file.
  std::map<std::string, int> reads() const;
  // Bytes read from "name" through files OpenFile returned.
  int64_t BytesRead(const std::string& name) const;

 private:
  class File;
  void AddBytes(const std::string& name, size_t n) const EXCLUDES(mu_);
  std::unique_ptr<ImageSource> in_;
  mutable base::Mutex mu_;
  mutable std::map<std::string, int> reads_ GUARDED_BY(mu_);
  mutable std::map<std::string, int64_t> bytes_ GUARDED_BY(mu_);
};

std::string ReadWhole(const std::string& path);
void WriteWhole(const std::string& path, const std::string& data);

}  // namespace winsnap::unpack::testing

#endif  // WINSNAP_TESTS_UNPACK_TEST_ARCHIVES_H_
