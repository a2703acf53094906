// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// UnpackLayer: one layer blob -> one layer folder, as a two-stage pipeline.
//   stage 1 (calling thread): read blob -> SHA-256 of the compressed bytes ->
//           decompress -> SHA-256 of the tar stream (diffID) -> bounded pipe
//   stage 2 (own thread):     tar reader -> LayerWriter (files, sidecar)
// The pipe holds at most `chunks` buffers of `chunk_size` bytes, so memory is
// bounded (8 MiB by default) whatever the layer size, and file data goes from
// the decompressor's output buffer to write(2) without another copy. The
// writer drains the stream to its end after the tar end-of-archive marker,
// so both digests always cover the whole blob.
//
// The caller compares the returned digests with the manifest and config and
// discards the folder on mismatch; UnpackLayer itself never publishes
// anything.
//
// Thread-safety: UnpackLayer may run concurrently for different folders;
// "progress" is called from the writer thread.

#ifndef WINSNAP_UNPACK_LAYER_UNPACKER_H_
#define WINSNAP_UNPACK_LAYER_UNPACKER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "unpack/decompress.h"
#include "unpack/layer_writer.h"

namespace winsnap::unpack {

struct LayerProgress {
  int64_t compressed_bytes = 0;
  int64_t uncompressed_bytes = 0;
  int64_t entries = 0;
  int64_t files = 0;
  bool done = false;
};

struct UnpackLayerOptions {
  LayerWriterOptions writer;
  // From the media type; kUnknown detects by magic. The magic number wins
  // over the media type when they disagree (logged).
  Compression compression = Compression::kUnknown;
  // Called after the first entry, then at most every ~100 ms, and once with
  // done = true.
  std::function<void(const LayerProgress&)> progress;
  // When set and true, the unpack stops with Cancelled.
  const std::atomic<bool>* cancel = nullptr;
  size_t chunk_size = 1 << 20;
  int chunks = 8;
};

struct UnpackedLayer {
  std::string blob_digest;  // "sha256:..." of the compressed blob
  std::string diff_id;      // "sha256:..." of the uncompressed tar
  int64_t compressed_size = 0;
  int64_t uncompressed_size = 0;
  Compression compression = Compression::kUnknown;
  LayerStats stats;
};

// Unpacks the blob read from "blob" into the empty folder "dir".
StatusOr<UnpackedLayer> UnpackLayer(ByteReader* blob, const std::string& dir,
                                    const UnpackLayerOptions& options);

// A single-threaded unpack of an uncompressed tar held in memory (tests,
// tools): same writer, same checks.
StatusOr<LayerStats> UnpackTarBytes(std::string_view tar,
                                    const std::string& dir,
                                    const LayerWriterOptions& options);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_LAYER_UNPACKER_H_
