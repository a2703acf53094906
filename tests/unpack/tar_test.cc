// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// TarReader / TarWriter: interoperability with libarchive in both directions
// and the corruption cases of an untrusted reader.

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <clocale>

#include <cstring>

#include "tests/testutil/status_matchers.h"
#include "tests/unpack/test_archives.h"
#include "unpack/tar_reader.h"
#include "unpack/tar_writer.h"

namespace winsnap::unpack {
namespace {

using testing::LaEntry;
using testing::LibarchiveTar;
using testing::PaxEntry;
using testing::PaxTar;
using winsnap::testing::StatusIs;

// Serves a string in small chunks to exercise chunk boundaries.
class SmallChunks final : public ChunkSource {
 public:
  SmallChunks(std::string data, size_t chunk)
      : data_(std::move(data)), chunk_(chunk) {}
  StatusOr<std::span<const uint8_t>> Next() override {
    if (pos_ >= data_.size()) return std::span<const uint8_t>();
    size_t n = std::min(chunk_, data_.size() - pos_);
    auto s = std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(data_.data()) + pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

struct Read {
  TarHeader h;
  std::string data;
};

StatusOr<std::vector<Read>> ReadAll(const std::string& tar, size_t chunk = 777,
                                    TarLimits limits = {}) {
  SmallChunks src(tar, chunk);
  TarReader r(&src, limits);
  std::vector<Read> out;
  for (;;) {
    Read e;
    WINSNAP_ASSIGN_OR_RETURN(bool more, r.Next(&e.h));
    if (!more) break;
    for (;;) {
      WINSNAP_ASSIGN_OR_RETURN(auto span, r.ReadData());
      if (span.empty()) break;
      e.data.append(reinterpret_cast<const char*>(span.data()), span.size());
    }
    out.push_back(std::move(e));
  }
  WINSNAP_RETURN_IF_ERROR(r.Drain());
  return out;
}

TEST(TarReaderTest, ReadsLibarchivePaxAndGnuTars) {
  const std::string long_name = "Files/" + std::string(150, 'd') + "/f.txt";
  for (bool gnu : {false, true}) {
    std::string tar = LibarchiveTar({{"Files", '5'},
                                     {long_name, '0', std::string(70000, 'x')},
                                     {"Files/link", '2', "", "f.txt"},
                                     {"Files/hard", '1', "", long_name},
                                     {"Files/empty", '0', ""}},
                                    gnu);
    ASSERT_OK_AND_ASSIGN(auto entries, ReadAll(tar));
    ASSERT_EQ(entries.size(), 5u) << "gnu=" << gnu;
    EXPECT_EQ(entries[0].h.typeflag, kTypeDir);
    EXPECT_EQ(entries[1].h.name, long_name);
    EXPECT_EQ(entries[1].data, std::string(70000, 'x'));
    EXPECT_EQ(entries[2].h.typeflag, kTypeSymlink);
    EXPECT_EQ(entries[2].h.linkname, "f.txt");
    EXPECT_EQ(entries[3].h.typeflag, kTypeLink);
    EXPECT_EQ(entries[3].h.linkname, long_name);
    EXPECT_EQ(entries[4].h.size, 0);
    EXPECT_EQ(entries[1].h.mtime, 1650000000);
  }
}

TEST(TarReaderTest, KeepsVendorPaxRecords) {
  PaxEntry f = testing::WinFile("Files/a.txt", "abc");
  f.h.pax.emplace_back("MSWINDOWS.xattr.user.note", "aGVsbG8=");
  f.h.pax.emplace_back("MSWINDOWS.mountpoint", "1");
  ASSERT_OK_AND_ASSIGN(auto entries, ReadAll(PaxTar({f}), 100));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].h.pax, f.h.pax);
  EXPECT_EQ(entries[0].data, "abc");
}

// The writer's output is a standard tar: libarchive reads it back, including
// LIBARCHIVE.creationtime and PAX long and non-ASCII names.
TEST(TarWriterTest, LibarchiveReadsOurTars) {
  const std::string long_name = "Files/" + std::string(180, 'n') + "/ü.txt";
  PaxEntry f = testing::WinFile(long_name, std::string(5000, 'q'));
  PaxEntry l;
  l.h.name = "Files/sym";
  l.h.typeflag = kTypeSymlink;
  l.h.linkname = std::string(120, 't');
  std::string tar = PaxTar({testing::WinDir("Files"), f, l});
  std::setlocale(LC_ALL, "C.UTF-8");  // libarchive converts names to it
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  ASSERT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
  archive_entry* e;
  ASSERT_EQ(archive_read_next_header(a, &e), ARCHIVE_OK);
  EXPECT_STREQ(archive_entry_pathname(e), "Files");
  EXPECT_EQ(archive_entry_filetype(e), AE_IFDIR);
  // WARN: the UTF-8 name cannot be converted to the test's C locale.
  ASSERT_GE(archive_read_next_header(a, &e), ARCHIVE_WARN);
  ASSERT_NE(archive_entry_pathname_utf8(e), nullptr);
  EXPECT_EQ(std::string(archive_entry_pathname_utf8(e)), long_name);
  EXPECT_EQ(archive_entry_size(e), 5000);
  EXPECT_EQ(archive_entry_birthtime(e), 1650000000);
  EXPECT_EQ(archive_entry_birthtime_nsec(e), 500000000);
  std::string data(5000, '\0');
  EXPECT_EQ(archive_read_data(a, data.data(), data.size()), 5000);
  EXPECT_EQ(data, std::string(5000, 'q'));
  ASSERT_EQ(archive_read_next_header(a, &e), ARCHIVE_OK);
  ASSERT_NE(archive_entry_symlink(e), nullptr);
  EXPECT_EQ(std::string(archive_entry_symlink(e)), std::string(120, 't'));
  EXPECT_EQ(archive_read_next_header(a, &e), ARCHIVE_EOF);
  archive_read_free(a);
}

TEST(TarReaderTest, FlippedHeaderByteIsDataLoss) {
  std::string tar = LibarchiveTar({{"Files/a", '0', "hello"}});
  tar[0] ^= 0x20;  // inside the (only) header's name
  EXPECT_THAT(ReadAll(tar), StatusIs(StatusCode::kDataLoss, "checksum"));
}

TEST(TarReaderTest, TruncationIsDataLoss) {
  // Mid-data, mid-header, and right after an extended header.
  std::string t2 =
      PaxTar({testing::WinFile("Files/a", std::string(3000, 'z'))});
  EXPECT_THAT(ReadAll(t2.substr(0, 512 + 512 + 1000)),
              StatusIs(StatusCode::kDataLoss, "ends inside"));
  EXPECT_THAT(ReadAll(t2.substr(0, 512 + 300)),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(ReadAll(t2.substr(0, 1024)),
              StatusIs(StatusCode::kDataLoss, "after an extended header"));
}

TEST(TarReaderTest, OversizedExtendedHeaderIsRefused) {
  std::string big(2 << 20, 'v');
  std::string tar =
      LibarchiveTar({{"Files/a", '0', "x", "", 0644, {{"user.big", big}}}});
  EXPECT_THAT(ReadAll(tar), StatusIs(StatusCode::kInvalidArgument, "exceeds"));
  TarLimits small;
  small.max_name_bytes = 64;
  std::string t2 =
      LibarchiveTar({{"Files/" + std::string(100, 'a'), '0', "x"}});
  EXPECT_THAT(ReadAll(t2, 777, small),
              StatusIs(StatusCode::kInvalidArgument, "longer than 64"));
}

TEST(TarReaderTest, MalformedPaxRecordIsDataLoss) {
  EXPECT_THAT(ParsePaxRecords("5 a=b\n", 10), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(ParsePaxRecords("7 a=b\n", 10), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(ParsePaxRecords("x a=b\n", 10), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(ParsePaxRecords("6 =bc\n", 10), StatusIs(StatusCode::kDataLoss));
  ASSERT_OK_AND_ASSIGN(auto recs, ParsePaxRecords("6 a=b\n9 key=vv\n", 10));
  EXPECT_EQ(recs, (PaxRecords{{"a", "b"}, {"key", "vv"}}));
  EXPECT_THAT(ParsePaxRecords("6 a=b\n6 c=d\n", 1),
              StatusIs(StatusCode::kInvalidArgument));
  // The length counts itself: PaxRecord() must produce parseable records.
  std::string r = PaxRecord("MSWINDOWS.rawsd", std::string(95, 'x'));
  ASSERT_OK_AND_ASSIGN(auto one, ParsePaxRecords(r, 10));
  EXPECT_EQ(one[0].second.size(), 95u);
}

TEST(TarReaderTest, LoneZeroBlockIsDataLoss) {
  std::string tar =
      std::string(512, '\0') + LibarchiveTar({{"Files/a", '0', "x"}});
  EXPECT_THAT(ReadAll(tar), StatusIs(StatusCode::kDataLoss, "zero block"));
}

TEST(TarReaderTest, SparseEntriesAreRefused) {
  std::string tar = LibarchiveTar({{"Files/a", '0', "x"}});
  tar[156] = 'S';
  // Fix the checksum for the changed typeflag.
  std::memset(tar.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i) sum += static_cast<unsigned char>(tar[i]);
  std::snprintf(tar.data() + 148, 8, "%06o", sum);
  EXPECT_THAT(ReadAll(tar), StatusIs(StatusCode::kInvalidArgument, "sparse"));
}

TEST(TarReaderTest, PaxTimes) {
  int64_t s;
  int32_t ns;
  ASSERT_OK(ParsePaxTime("1650000000.123", &s, &ns));
  EXPECT_EQ(s, 1650000000);
  EXPECT_EQ(ns, 123000000);
  ASSERT_OK(ParsePaxTime("-1.5", &s, &ns));
  EXPECT_EQ(s, -2);
  EXPECT_EQ(ns, 500000000);
  EXPECT_FALSE(ParsePaxTime("1.x", &s, &ns).ok());
  EXPECT_FALSE(ParsePaxTime("", &s, &ns).ok());
}

}  // namespace
}  // namespace winsnap::unpack
