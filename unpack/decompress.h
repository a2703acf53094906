// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Layer blob decompression: media types and magic numbers to a Compression,
// and pull-style decoders (ByteReader over ByteReader) for gzip, zstd and
// uncompressed blobs. zstd decodes through libarchive's filter with its
// "raw" format; gzip through ISA-L's igzip when available (about 2x zlib's
// speed on x86-64, which is what keeps a layer import ahead of GNU tar on
// two cores), else through zlib, whose checks of the gzip trailer
// (CRC-32, size) libarchive's gzip filter does not make. Corrupt or
// truncated input is DataLoss.
//
// Thread-safety: a decoder and its input are used by one thread at a time.

#ifndef WINSNAP_UNPACK_DECOMPRESS_H_
#define WINSNAP_UNPACK_DECOMPRESS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "base/status.h"

namespace winsnap::unpack {

// A pull stream of bytes.
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Reads up to n (> 0) bytes into buf; returns how many, 0 only at the end.
  virtual StatusOr<size_t> Read(uint8_t* buf, size_t n) = 0;
};

enum class Compression { kUnknown, kNone, kGzip, kZstd };

std::string_view CompressionName(Compression c);

// By magic number: gzip 1f 8b, zstd 28 b5 2f fd, else kNone (tar or
// anything else; the tar reader judges).
Compression DetectCompression(std::span<const uint8_t> head);

struct LayerMediaType {
  Compression compression = Compression::kUnknown;  // kUnknown: detect
  bool foreign = false;  // Docker foreign / OCI non-distributable layer
};

// OCI and Docker layer media types (tar, tar+gzip, tar+zstd, foreign and
// non-distributable variants); "" means unknown (docker-save). Unimplemented
// for other media types.
StatusOr<LayerMediaType> ParseLayerMediaType(std::string_view media_type);

// A decoder reading compressed bytes from "in" (which must outlive it).
// kNone returns a pass-through. InvalidArgument for kUnknown.
StatusOr<std::unique_ptr<ByteReader>> NewDecoder(Compression c, ByteReader* in);

// Implementation details shared by the decoders (decompress.cc, gzip_zlib.cc,
// gzip_isal.cc / gzip_zlib_default.cc).
StatusOr<std::unique_ptr<ByteReader>> NewGzipDecoder(ByteReader* in);
// zlib's gzip inflate, in every build (NewGzipDecoder where ISA-L is not
// built in).
StatusOr<std::unique_ptr<ByteReader>> NewZlibGzipDecoder(ByteReader* in);
// zstd through libarchive's filter.
StatusOr<std::unique_ptr<ByteReader>> NewZstdDecoder(ByteReader* in);
// Name of NewGzipDecoder's implementation ("isa-l" or "zlib").
std::string_view GzipImplementation();

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_DECOMPRESS_H_
