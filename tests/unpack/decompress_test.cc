// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The gzip decoders' contract (decompress.h), run against both of them in
// one build: NewGzipDecoder (ISA-L's igzip where it is built in) and
// zlib's, which Windows builds and builds without ISA-L use. Every byte comes
// back whatever the read sizes, multi-member streams are one stream, and
// corrupt or truncated input is DataLoss, never a crash or short output passed
// off as the end.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <string>

#include "tests/testutil/status_matchers.h"
#include "tests/unpack/test_archives.h"
#include "unpack/decompress.h"

namespace winsnap::unpack {
namespace {

using testing::StringReader;

using Factory =
    std::function<StatusOr<std::unique_ptr<ByteReader>>(ByteReader*)>;

struct Decoder {
  std::string name;
  Factory make;
};

// Both gzip decoders, whichever NewGzipDecoder is in this build.
std::vector<Decoder> GzipDecoders() {
  return {
      {std::string("NewGzipDecoder (") + std::string(GzipImplementation()) +
           ")",
       [](ByteReader* in) { return NewGzipDecoder(in); }},
      {"NewZlibGzipDecoder",
       [](ByteReader* in) { return NewZlibGzipDecoder(in); }},
  };
}

// Decodes "blob" fed "in_chunk" bytes at a time, read "out_chunk" at a time.
StatusOr<std::string> DecodeAll(const Decoder& d, const std::string& blob,
                                size_t in_chunk, size_t out_chunk) {
  StringReader in(blob, in_chunk);
  WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> dec, d.make(&in));
  std::string out;
  std::string buf(out_chunk, '\0');
  for (;;) {
    WINSNAP_ASSIGN_OR_RETURN(
        size_t got,
        dec->Read(reinterpret_cast<uint8_t*>(buf.data()), buf.size()));
    if (got == 0) return out;
    out.append(buf, 0, got);
  }
}

// Compressible and incompressible stretches, so the stream has both stored
// and Huffman-coded blocks.
std::string Payload(size_t size) {
  std::mt19937 rng(42);
  std::string s;
  s.reserve(size);
  while (s.size() < size) {
    if (rng() % 2) {
      s.append(std::min<size_t>(size - s.size(), 1 + rng() % 70000),
               static_cast<char>('a' + rng() % 26));
    } else {
      size_t n = std::min<size_t>(size - s.size(), 1 + rng() % 50000);
      for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(rng()));
    }
  }
  return s;
}

#ifdef WINSNAP_EXPECT_ISAL
// ISA-L is opened with dlopen (unpack/gzip_isal.cc); where it is built in,
// a missing or unusable library would silently halve gzip speed.
TEST(GzipDecoderTest, IsalOpensWhereItIsBuiltIn) {
  EXPECT_EQ(GzipImplementation(), "isa-l");
}
#endif

TEST(GzipDecoderTest, EveryByteComesBackForAnyReadSizes) {
  const std::string data = Payload(3 << 20);
  const std::string blob = testing::Compress(data, Compression::kGzip);
  for (const Decoder& d : GzipDecoders()) {
    for (auto [in_chunk, out_chunk] :
         {std::pair<size_t, size_t>{1 << 20, 1 << 20},
          {7, 1 << 16},
          {4096, 1},
          {65536, 333},
          {blob.size(), data.size() + 1}}) {
      if (in_chunk < 4096 && out_chunk < 4096) continue;
      SCOPED_TRACE(d.name + ", in " + std::to_string(in_chunk) + ", out " +
                   std::to_string(out_chunk));
      // One-byte reads of 3 MiB are slow under ASan: a 64 KiB prefix
      // stream covers that shape.
      const bool small = out_chunk == 1;
      const std::string want = small ? data.substr(0, 65536) : data;
      const std::string in =
          small ? testing::Compress(want, Compression::kGzip) : blob;
      ASSERT_OK_AND_ASSIGN(std::string got,
                           DecodeAll(d, in, in_chunk, out_chunk));
      ASSERT_EQ(got.size(), want.size());
      EXPECT_TRUE(got == want);
    }
  }
}

TEST(GzipDecoderTest, MembersAreConcatenated) {
  const std::string a = Payload(100000), b = "second member", c = Payload(7);
  const std::string blob = testing::Compress(a, Compression::kGzip) +
                           testing::Compress(b, Compression::kGzip) +
                           testing::Compress(c, Compression::kGzip);
  std::string want = a;
  want += b;
  want += c;
  for (const Decoder& d : GzipDecoders()) {
    for (size_t in_chunk : {size_t{1} << 20, size_t{10}}) {
      SCOPED_TRACE(d.name + ", in " + std::to_string(in_chunk));
      ASSERT_OK_AND_ASSIGN(std::string got, DecodeAll(d, blob, in_chunk, 8192));
      EXPECT_TRUE(got == want) << got.size();
    }
  }
}

TEST(GzipDecoderTest, EmptyPayloadDecodesToNothing) {
  const std::string blob = testing::Compress("", Compression::kGzip);
  for (const Decoder& d : GzipDecoders()) {
    SCOPED_TRACE(d.name);
    ASSERT_OK_AND_ASSIGN(std::string got, DecodeAll(d, blob, 4096, 4096));
    EXPECT_EQ(got, "");
  }
}

TEST(GzipDecoderTest, TruncatedStreamIsDataLoss) {
  const std::string blob =
      testing::Compress(Payload(200000), Compression::kGzip);
  // Inside the deflate data, inside the 8-byte trailer, right after the
  // 10-byte header.
  for (size_t keep : {blob.size() / 2, blob.size() - 3, size_t{10}}) {
    for (const Decoder& d : GzipDecoders()) {
      SCOPED_TRACE(d.name + ", first " + std::to_string(keep) + " bytes");
      EXPECT_EQ(DecodeAll(d, blob.substr(0, keep), 4096, 65536).status().code(),
                StatusCode::kDataLoss);
    }
  }
}

TEST(GzipDecoderTest, ChecksumMismatchIsDataLoss) {
  const std::string data = Payload(50000);
  std::string crc = testing::Compress(data, Compression::kGzip);
  crc[crc.size() - 6] ^= 0x5a;  // CRC-32 of the trailer
  std::string isize = testing::Compress(data, Compression::kGzip);
  isize[isize.size() - 2] ^= 0x01;  // ISIZE of the trailer
  for (const Decoder& d : GzipDecoders()) {
    SCOPED_TRACE(d.name);
    EXPECT_EQ(DecodeAll(d, crc, 4096, 65536).status().code(),
              StatusCode::kDataLoss);
    EXPECT_EQ(DecodeAll(d, isize, 4096, 65536).status().code(),
              StatusCode::kDataLoss);
  }
}

TEST(GzipDecoderTest, GarbageAfterAMemberIsDataLoss) {
  const std::string blob =
      testing::Compress(Payload(30000), Compression::kGzip) + "not gzip";
  for (const Decoder& d : GzipDecoders()) {
    SCOPED_TRACE(d.name);
    StatusOr<std::string> got = DecodeAll(d, blob, 4096, 65536);
    EXPECT_EQ(got.status().code(), StatusCode::kDataLoss) << got.status();
  }
}

TEST(GzipDecoderTest, NotGzipIsDataLoss) {
  for (const Decoder& d : GzipDecoders()) {
    SCOPED_TRACE(d.name);
    StatusOr<std::string> got =
        DecodeAll(d, std::string(4096, 'x'), 4096, 65536);
    EXPECT_EQ(got.status().code(), StatusCode::kDataLoss) << got.status();
  }
}

}  // namespace
}  // namespace winsnap::unpack
