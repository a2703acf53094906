// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// LayerSizeGuard (declared sizes against --max-layer-size and the free space
// of the layer's filesystem, with an injected free-space query),
// FreeDiskBytes on a real directory, and ParseWinMetadata's decoding and
// refusal of malformed Windows PAX records.

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unpack/test_archives.h"
#include "unpack/layer_limits.h"
#include "unpack/layer_unpacker.h"
#include "unpack/win_metadata.h"

namespace winsnap::unpack {
namespace {

using winsnap::testing::StatusIs;
using winsnap::testing::TempDir;

TarHeader File(const std::string& name, int64_t size) {
  TarHeader h;
  h.name = name;
  h.typeflag = kTypeReg;
  h.size = size;
  return h;
}

TEST(LayerSizeGuardTest, MaxLayerSizeCountsDeclaredBytes) {
  LayerLimits l;
  l.max_layer_size = 100;
  l.check_free_space = false;
  LayerSizeGuard g("/x", l);
  EXPECT_OK(g.Admit(File("Files/a", 60)));
  EXPECT_OK(g.Admit(File("Files/b", 40)));
  EXPECT_THAT(g.Admit(File("Files/c", 1)),
              StatusIs(StatusCode::kResourceExhausted, "Files/c"));
  TarHeader dir = File("Files/d", 1000);  // non-regular: data is not written
  dir.typeflag = kTypeDir;
  EXPECT_OK(g.Admit(dir));
  EXPECT_EQ(g.declared_bytes(), 100);
}

TEST(LayerSizeGuardTest, FreeSpaceIsQueriedAndTracked) {
  int queries = 0;
  int64_t free_bytes = 1000;
  LayerLimits l;
  l.free_space = [&](const std::string& dir) -> StatusOr<int64_t> {
    EXPECT_EQ(dir, "/layer");
    ++queries;
    return free_bytes;
  };
  LayerSizeGuard g("/layer", l);
  EXPECT_OK(g.Admit(File("Files/a", 600)));
  EXPECT_EQ(queries, 1);
  EXPECT_OK(g.Admit(File("Files/b", 300)));  // fits the estimate: no query
  EXPECT_EQ(queries, 1);
  // 100 left by the estimate; the filesystem is asked again and still says
  // 1000 (nothing was really written): it fits.
  EXPECT_OK(g.Admit(File("Files/c", 500)));
  EXPECT_EQ(queries, 2);
  free_bytes = 10;
  EXPECT_THAT(g.Admit(File("Files/big", 600)),
              StatusIs(StatusCode::kResourceExhausted, "10 bytes free"));
  l.free_space = [](const std::string&) -> StatusOr<int64_t> {
    return UnknownError("statvfs failed");
  };
  LayerSizeGuard broken("/layer", l);
  EXPECT_THAT(broken.Admit(File("Files/a", 1)),
              StatusIs(StatusCode::kUnknown, "statvfs failed"));
}

TEST(LayerSizeGuardTest, FreeDiskBytesOfARealDirectory) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(int64_t n, FreeDiskBytes(tmp.path()));
  EXPECT_GT(n, 0);
  EXPECT_THAT(FreeDiskBytes(tmp.Sub("missing")),
              StatusIs(StatusCode::kNotFound));
}

// Through UnpackTarBytes: the entry is refused before its file exists.
TEST(LayerSizeGuardTest, RefusedEntryIsNeverCreated) {
  TempDir tmp;
  std::string dir = tmp.Sub("layer");
  std::filesystem::create_directory(dir);
  std::string tar =
      testing::PaxTar({testing::WinDir("Files"),
                       testing::WinFile("Files/big", std::string(5000, 'b'))});
  LayerWriterOptions o;
  o.sync = false;
  o.overlay_whiteouts = false;
  o.limits.free_space = [](const std::string&) -> StatusOr<int64_t> {
    return 4999;
  };
  EXPECT_THAT(UnpackTarBytes(tar, dir, o),
              StatusIs(StatusCode::kResourceExhausted, "Files/big"));
#ifndef _WIN32
  // The POSIX writer makes folders as their entries arrive; the Windows one
  // writes through the layer APIs (BackupWrite), so only the refusal counts.
  EXPECT_TRUE(std::filesystem::exists(dir + "/Files"));
#endif
  EXPECT_FALSE(std::filesystem::exists(dir + "/Files/big"));
}

TEST(WinMetadataTest, DecodesRecordsAsBacktarDoes) {
  TarHeader h = File("Files/a.txt", 3);
  h.mtime = 1650000001;
  h.pax = {{"MSWINDOWS.fileattr", "33"},
           {"MSWINDOWS.rawsd", "AQAEgA=="},
           {"MSWINDOWS.sd", "O:BA"},
           {"MSWINDOWS.xattr.$KERNEL.X", "aGk="},
           {"LIBARCHIVE.creationtime", "1650000000.5"},
           {"atime", "1650000002.25"}};
  ASSERT_OK_AND_ASSIGN(WinEntryMetadata m, ParseWinMetadata(h));
  EXPECT_EQ(m.basic.file_attributes, 33u);
  EXPECT_EQ(*m.raw_sd, std::string("\x01\x00\x04\x80", 4));
  EXPECT_FALSE(m.sddl.has_value());  // rawsd wins
  ASSERT_EQ(m.eas.size(), 1u);
  EXPECT_EQ(m.eas[0].first, "$KERNEL.X");
  EXPECT_EQ(m.eas[0].second, "hi");
  EXPECT_EQ(m.basic.last_write_time, UnixToFiletime(1650000001, 0));
  EXPECT_EQ(m.basic.creation_time, UnixToFiletime(1650000000, 500000000));
  EXPECT_EQ(m.basic.last_access_time, UnixToFiletime(1650000002, 250000000));
  EXPECT_EQ(m.basic.change_time, 0);
  EXPECT_FALSE(m.mountpoint);
  // 1970-01-01 is FILETIME 116444736000000000.
  EXPECT_EQ(UnixToFiletime(0, 0), 116444736000000000);
  EXPECT_EQ(UnixToFiletime(1, 100), 116444736010000001);

  TarHeader d;
  d.name = "Files/d";
  d.typeflag = kTypeDir;
  d.pax = {{"MSWINDOWS.sd", "O:BAG:SY"}, {"MSWINDOWS.mountpoint", "1"}};
  ASSERT_OK_AND_ASSIGN(m, ParseWinMetadata(d));
  EXPECT_EQ(m.basic.file_attributes, kFileAttributeDirectory);
  EXPECT_EQ(*m.sddl, "O:BAG:SY");
  EXPECT_TRUE(m.mountpoint);
  EXPECT_EQ(m.basic.creation_time, m.basic.last_write_time);
}

TEST(WinMetadataTest, MalformedRecordsAreInvalidArgumentNamingTheEntry) {
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"MSWINDOWS.fileattr", "0x20"},
           {"MSWINDOWS.fileattr", "4294967296"},
           {"MSWINDOWS.fileattr", " 32"},
           {"MSWINDOWS.rawsd", "AQ*A"},
           {"MSWINDOWS.rawsd", ""},
           {"MSWINDOWS.xattr.x", "!!"},
           {"LIBARCHIVE.creationtime", "yesterday"},
           {"ctime", "1.x"}}) {
    SCOPED_TRACE(std::string(k).append("=").append(v));
    TarHeader h = File("Files/bad", 0);
    h.pax = {{k, v}};
    EXPECT_THAT(ParseWinMetadata(h),
                StatusIs(StatusCode::kInvalidArgument, "Files/bad"));
    EXPECT_THAT(ValidateWindowsPax(h),
                StatusIs(StatusCode::kInvalidArgument, k));
  }
  TarHeader ok = File("Files/ok", 0);
  ok.pax = {{"MSWINDOWS.fileattr", "4294967295"}};
  EXPECT_OK(ValidateWindowsPax(ok));
}

}  // namespace
}  // namespace winsnap::unpack
