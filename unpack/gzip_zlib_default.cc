// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// gzip through zlib in builds without ISA-L (the Windows build among them).

#include "unpack/decompress.h"

namespace winsnap::unpack {

StatusOr<std::unique_ptr<ByteReader>> NewGzipDecoder(ByteReader* in) {
  return NewZlibGzipDecoder(in);
}

std::string_view GzipImplementation() { return "zlib"; }

}  // namespace winsnap::unpack
