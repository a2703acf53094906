// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// UnpackLayer's digests and sizes: the blob digest covers every compressed
// byte and the diffID every uncompressed byte, including what follows the
// tar's end-of-archive blocks (hashed on the writer's thread, issue 14), for
// every compression and for chunk sizes that split entries across buffers.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>

#include "oci/digest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unpack/test_archives.h"
#include "unpack/layer_unpacker.h"

namespace winsnap::unpack {
namespace {

using winsnap::testing::TempDir;

using testing::StringReader;

std::string LayerTar() {
  std::vector<testing::PaxEntry> entries = {testing::WinDir("Files"),
                                            testing::WinDir("Files/dir")};
  for (int i = 0; i < 40; ++i) {
    entries.push_back(testing::WinFile(
        "Files/dir/f" + std::to_string(i),
        std::string(static_cast<size_t>(1 + i * 997), static_cast<char>(i))));
  }
  std::string tar = testing::PaxTar(entries);
  // Trailing zero blocks past the end-of-archive marker, as some writers
  // pad to a record size: part of the diffID, never seen by the writer.
  tar.append(10240, '\0');
  return tar;
}

TEST(UnpackLayerTest, DigestsCoverEveryByteForEachCompressionAndChunkSize) {
  const std::string tar = LayerTar();
  for (Compression c :
       {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    const std::string blob =
        c == Compression::kNone ? tar : testing::Compress(tar, c);
    for (size_t chunk : {size_t{4096}, size_t{5000}, size_t{1} << 20}) {
      SCOPED_TRACE(std::string(CompressionName(c)) + " chunk " +
                   std::to_string(chunk));
      TempDir tmp;
      std::string dir = tmp.Sub("layer");
      std::filesystem::create_directories(dir);
      StringReader in(blob);
      UnpackLayerOptions opts;
      opts.chunk_size = chunk;
      opts.chunks = 2;
      ASSERT_OK_AND_ASSIGN(UnpackedLayer got, UnpackLayer(&in, dir, opts));
      EXPECT_EQ(got.blob_digest, oci::Sha256Of(blob));
      EXPECT_EQ(got.diff_id, oci::Sha256Of(tar));
      EXPECT_EQ(got.compressed_size, static_cast<int64_t>(blob.size()));
      EXPECT_EQ(got.uncompressed_size, static_cast<int64_t>(tar.size()));
      EXPECT_EQ(got.compression, c);
      EXPECT_EQ(got.stats.files, 40);
      EXPECT_EQ(std::filesystem::file_size(dir + "/Files/dir/f39"),
                1u + 39u * 997u);
    }
  }
}

TEST(UnpackLayerTest, TruncatedBlobIsAnErrorNotADigest) {
  const std::string tar = LayerTar();
  std::string blob = testing::Compress(tar, Compression::kGzip);
  blob.resize(blob.size() / 2);
  TempDir tmp;
  std::string dir = tmp.Sub("layer");
  std::filesystem::create_directories(dir);
  StringReader in(blob);
  UnpackLayerOptions opts;
  opts.chunk_size = 4096;
  EXPECT_FALSE(UnpackLayer(&in, dir, opts).ok());
}

}  // namespace
}  // namespace winsnap::unpack
