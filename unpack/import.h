// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Importer: image archives -> committed layer snapshots + image records.
//
// Inputs (image_source.h): OCI image layouts (directory or tar; index.json
// with manifests and/or nested indexes, one platform selected with the
// oci/platform.h rule, windows/amd64 by default) and docker-save archives
// (manifest.json, config, layer tars). Layer media types: OCI/Docker tar,
// tar+gzip, tar+zstd, and foreign / non-distributable layers, whose blob must
// be in the archive (else FailedPrecondition naming the URLs).
//
// For each image, layer by layer (base first): the chain ID is computed
// (digest.h); a committed snapshot of that name means the layer is already
// there (dedupe). Missing layers are unpacked concurrently, as tasks of a
// base::ThreadPool of `parallel_layers` threads (each layer a two-thread
// pipeline, layer_unpacker.h), into staging folders of the snapshotter;
// the blob digest and size are checked against the manifest and the diffID
// against the config's rootfs.diff_ids
// (DataLoss on mismatch). Only when every layer of the image is verified are
// they committed in order with CommitStaged(staging, chainID, parentChainID,
// {"containerd.io/uncompressed": diffID, "winsnap.io/layer.digest": blob
// digest}) and the image record written. So a failed import leaves nothing
// visible; a process killed mid-import leaves only locked staging folders,
// which the next read-write open of the store sweeps.
//
// Windows (LayerWritesNeedCommittedParents()): a layer is written over its
// committed parents (ImportLayer, the UtilityVM clone), so layers are
// unpacked one at a time, in order, each into a staging folder with
// LayerWriterOptions::parents = the parents' snapshot folders, nearest
// first, verified and committed before the next. A failure removes the
// failed layer's folder and the layers this import committed (into trash/),
// and writes no image record; a process killed mid-import may leave
// committed layers of an unfinished image (no image record names them; a
// later import of the same image reuses them).
//
// Thread-safety: Import may run concurrently with other Importers and any
// snapshotter call; progress callbacks are serialized.

#ifndef WINSNAP_UNPACK_IMPORT_H_
#define WINSNAP_UNPACK_IMPORT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "metadata/types.h"
#include "snapshotter/snapshotter.h"
#include "unpack/image_source.h"
#include "unpack/layer_writer.h"

namespace winsnap::unpack {

inline constexpr std::string_view kLabelUncompressed =
    "containerd.io/uncompressed";
inline constexpr std::string_view kLabelLayerDigest = "winsnap.io/layer.digest";

struct ImportEvent {
  enum class Type {
    kImage,          // an image is about to be imported
    kLayerSkipped,   // its chain ID exists already
    kLayerProgress,  // bytes/files so far
    kLayerDone,      // unpacked and verified
    kCommitted,      // image record written
  };
  Type type = Type::kImage;
  std::string image;  // first name of the image
  int layer = -1;     // index, base = 0
  int layers = 0;
  std::string digest;  // layer blob digest (expected, or computed)
  std::string chain_id;
  int64_t size = -1;  // compressed size if known
  int64_t compressed_bytes = 0;
  int64_t uncompressed_bytes = 0;
  int64_t files = 0;
  int64_t entries = 0;
};

struct ImportOptions {
  // Overrides the image name(s) from the archive; InvalidArgument if the
  // archive holds more than one image.
  std::string name;
  // "os[(os.version)]/arch[/variant]".
  std::string platform = "windows/amd64";
  // Layers unpacked at the same time (each uses two threads).
  int parallel_layers = 2;
  LayerWriterOptions writer;
  std::function<void(const ImportEvent&)> progress;
};

struct ImportedLayer {
  std::string digest;  // compressed blob digest
  std::string diff_id;
  std::string chain_id;
  bool skipped = false;  // already present
  int64_t size = 0;      // compressed bytes read (0 when skipped)
  LayerStats stats;
};

struct ImportedImage {
  std::vector<std::string> names;
  metadata::ImageRecord record;  // of names[0]; others differ only in name
  std::vector<ImportedLayer> layers;
};

class Importer {
 public:
  // REQUIRES: "sn" is writable and outlives the Importer.
  explicit Importer(snapshotter::Snapshotter* sn) : sn_(sn) {}

  // Imports every image of the archive at "path" that has a manifest for
  // options.platform. Errors: NotFound (no such path), InvalidArgument
  // (malformed documents, bad names), FailedPrecondition (no image for the
  // platform, foreign layer missing), Unimplemented (media type), DataLoss
  // (digest/size mismatch, corrupt or truncated layer), and the hostile-entry
  // errors of the layer writer. On error no snapshot or image record of this
  // import is visible.
  StatusOr<std::vector<ImportedImage>> Import(const std::string& path,
                                              const ImportOptions& options);
  // Same over an already open source (an archive, or a registry presented
  // as an OCI layout: registry_source.h); "what" names it in errors.
  StatusOr<std::vector<ImportedImage>> Import(const ImageSource& src,
                                              std::string_view what,
                                              const ImportOptions& options);

 private:
  snapshotter::Snapshotter* sn_;
};

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_IMPORT_H_
