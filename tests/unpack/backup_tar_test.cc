// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// BackupTarEncoder: backup streams (as BackupRead returns them) back to the
// tar entries hcsshim writes, read back with TarReader: files with security
// descriptor, EAs, data and alternate data streams; directories; symlinks
// and junctions; dropped stream kinds; refusals (sparse, truncated).

#include <gtest/gtest.h>

#include <map>

#include "tests/testutil/status_matchers.h"
#include "unpack/backup_stream.h"
#include "unpack/backup_tar.h"
#include "unpack/tar_reader.h"

namespace winsnap::unpack {
namespace {

using winsnap::testing::StatusIs;

std::string Stream(BackupStreamId id, const std::string& data,
                   const std::string& name = "", uint32_t attrs = 0) {
  return *EncodeStreamHeader(id, static_cast<int64_t>(data.size()), name,
                             attrs) +
         data;
}

class OneChunk final : public ChunkSource {
 public:
  explicit OneChunk(const std::string& s) : s_(s) {}
  StatusOr<std::span<const uint8_t>> Next() override {
    if (done_) return std::span<const uint8_t>();
    done_ = true;
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s_.data()),
                                    s_.size());
  }

 private:
  const std::string& s_;
  bool done_ = false;
};

struct Read {
  TarHeader h;
  std::string data;
};

std::vector<Read> ReadTar(const std::string& tar) {
  OneChunk src(tar);
  TarReader r(&src);
  std::vector<Read> out;
  TarHeader h;
  for (;;) {
    auto more = r.Next(&h);
    EXPECT_OK(more);
    if (!more.ok() || !*more) break;
    Read e{h, ""};
    for (;;) {
      auto d = r.ReadData();
      EXPECT_OK(d);
      if (!d.ok() || d->empty()) break;
      e.data.append(reinterpret_cast<const char*>(d->data()), d->size());
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Encodes one file's stream in chunks of "chunk" bytes.
StatusOr<std::string> Encode(const std::string& name, const FileBasicInfo& fi,
                             const std::string& stream, size_t chunk = 3) {
  StringSink sink;
  TarWriter w(&sink);
  BackupTarEncoder enc(&w, name, fi);
  for (size_t i = 0; i < stream.size(); i += chunk) {
    std::string_view part = std::string_view(stream).substr(i, chunk);
    WINSNAP_RETURN_IF_ERROR(enc.Feed(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(part.data()), part.size())));
  }
  WINSNAP_RETURN_IF_ERROR(enc.Finish());
  WINSNAP_RETURN_IF_ERROR(w.Close());
  return sink.data();
}

std::map<std::string, std::string> Pax(const TarHeader& h) {
  return {h.pax.begin(), h.pax.end()};
}

TEST(BackupTarTest, FileWithSecurityEasDataAndStreams) {
  FileBasicInfo fi;
  fi.file_attributes = 33;
  fi.last_write_time = UnixToFiletime(1650000001, 0);
  fi.creation_time = UnixToFiletime(1650000000, 500000000);
  fi.last_access_time = UnixToFiletime(1650000002, 250000000);
  const std::string sd("\x01\x00\x04\x80", 4);
  std::string stream =
      Stream(BackupStreamId::kSecurityData, sd) +
      Stream(BackupStreamId::kEaData,
             *EncodeExtendedAttributes({{"K", "v"}, {"L", "ww"}})) +
      Stream(BackupStreamId::kData, "hello") +
      Stream(BackupStreamId::kAlternateData, "ads", ":zone:$DATA") +
      Stream(BackupStreamId::kLink, "dropped") +
      Stream(BackupStreamId::kObjectId, "dropped too");
  ASSERT_OK_AND_ASSIGN(std::string tar, Encode("Files/a.txt", fi, stream));
  auto entries = ReadTar(tar);
  ASSERT_EQ(entries.size(), 2u);
  const TarHeader& h = entries[0].h;
  EXPECT_EQ(h.name, "Files/a.txt");
  EXPECT_EQ(h.typeflag, kTypeReg);
  EXPECT_EQ(h.mode, 0100000);
  EXPECT_EQ(h.mtime, 1650000001);
  EXPECT_EQ(entries[0].data, "hello");
  auto pax = Pax(h);
  EXPECT_EQ(pax["MSWINDOWS.fileattr"], "33");
  EXPECT_EQ(pax["MSWINDOWS.rawsd"], "AQAEgA==");
  EXPECT_EQ(pax["MSWINDOWS.xattr.K"], "dg==");
  EXPECT_EQ(pax["MSWINDOWS.xattr.L"], "d3c=");
  EXPECT_EQ(pax["LIBARCHIVE.creationtime"], "1650000000.5");
  EXPECT_EQ(pax["atime"], "1650000002.25");
  EXPECT_EQ(pax.count("ctime"), 0u);
  EXPECT_EQ(pax.count("mtime"), 0u);  // whole seconds fit the ustar field
  // Sorted by key, as Go writes them.
  EXPECT_TRUE(std::is_sorted(h.pax.begin(), h.pax.end()));
  EXPECT_EQ(entries[1].h.name, "Files/a.txt:zone");
  EXPECT_EQ(entries[1].data, "ads");
  // Decoding what was exported gives back the same metadata.
  ASSERT_OK_AND_ASSIGN(WinEntryMetadata m, ParseWinMetadata(h));
  EXPECT_EQ(m.basic, fi);
  EXPECT_EQ(*m.raw_sd, sd);
}

TEST(BackupTarTest, DirectoriesSymlinksAndJunctions) {
  FileBasicInfo dir;
  dir.file_attributes = kFileAttributeDirectory;
  dir.last_write_time = dir.creation_time = UnixToFiletime(100, 0);
  ASSERT_OK_AND_ASSIGN(std::string tar, Encode("Files/d", dir, ""));
  auto e = ReadTar(tar);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].h.typeflag, kTypeDir);
  EXPECT_EQ(e[0].h.mode, 040000);
  EXPECT_EQ(Pax(e[0].h)["MSWINDOWS.fileattr"], "16");

  FileBasicInfo link = dir;
  link.file_attributes = 0x420;  // archive | reparse point
  ASSERT_OK_AND_ASSIGN(tar, Encode("Files/l", link,
                                   Stream(BackupStreamId::kReparseData,
                                          *EncodeReparsePoint("..\\x", false)),
                                   1));
  e = ReadTar(tar);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].h.typeflag, kTypeSymlink);
  EXPECT_EQ(e[0].h.mode, 0120000);
  EXPECT_EQ(e[0].h.linkname, "..\\x");
  EXPECT_EQ(Pax(e[0].h).count("MSWINDOWS.mountpoint"), 0u);

  FileBasicInfo junction = dir;
  junction.file_attributes = 0x410;  // directory | reparse point
  ASSERT_OK_AND_ASSIGN(
      tar, Encode("Files/j", junction,
                  Stream(BackupStreamId::kReparseData,
                         *EncodeReparsePoint("C:\\Windows", true))));
  e = ReadTar(tar);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].h.typeflag, kTypeSymlink);
  EXPECT_EQ(e[0].h.linkname, "C:\\Windows");
  EXPECT_EQ(Pax(e[0].h)["MSWINDOWS.mountpoint"], "1");
}

TEST(BackupTarTest, Refusals) {
  FileBasicInfo fi;
  fi.file_attributes = 32;
  EXPECT_THAT(
      Encode("Files/s", fi,
             Stream(BackupStreamId::kData, "abc", "", kStreamSparseAttribute)),
      StatusIs(StatusCode::kUnimplemented, "Files/s"));
  std::string truncated = Stream(BackupStreamId::kData, "abcdef");
  truncated.pop_back();
  EXPECT_THAT(Encode("Files/t", fi, truncated),
              StatusIs(StatusCode::kDataLoss));
  std::string other_tag = std::string("\x01\x00\x00\x80", 4) +
                          std::string(12, '\0');  // a non-link reparse tag
  EXPECT_THAT(
      Encode("Files/r", fi, Stream(BackupStreamId::kReparseData, other_tag)),
      StatusIs(StatusCode::kUnimplemented, "reparse tag"));
  EXPECT_THAT(
      DecodeExtendedAttributes(std::string("\x00\x00\x00\x00\x00\x05", 6)),
      StatusIs(StatusCode::kDataLoss));
  // 1.5 s before the epoch, spelled as Go's archive/tar does; it parses back.
  EXPECT_EQ(FiletimeToPaxTime(UnixToFiletime(-2, 500000000)), "-1.5");
  EXPECT_EQ(FiletimeToPaxTime(UnixToFiletime(7, 120000000)), "7.12");
  int64_t secs;
  int32_t nsec;
  ASSERT_OK(ParsePaxTime("-1.5", &secs, &nsec));
  EXPECT_EQ(UnixToFiletime(secs, nsec), UnixToFiletime(-2, 500000000));
}

}  // namespace
}  // namespace winsnap::unpack
