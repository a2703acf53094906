// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// gzip through libarchive's zlib filter (builds without ISA-L).

#include "unpack/decompress.h"

namespace winsnap::unpack {

StatusOr<std::unique_ptr<ByteReader>> NewGzipDecoder(ByteReader* in) {
  return NewLibarchiveDecoder(Compression::kGzip, in);
}

std::string_view GzipImplementation() { return "libarchive"; }

}  // namespace winsnap::unpack
