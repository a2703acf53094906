// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// LayerWriter turns the entries of a Windows layer tar into a windows-layer
// folder. The Linux implementation (layer_writer_posix.cc) writes Files/,
// Hives/ and UtilityVM/Files/ as plain folders and keeps the Windows metadata
// in the sidecar index (sidecar.h); a Windows implementation (BackupWrite,
// as hcsshim's layer writers) goes behind the same interface.
//
// Security contract (both implementations): nothing is created, changed or
// removed outside the layer folder, whatever the archive says. Names are
// validated by layer_path.h; every file operation resolves its parent folder
// beneath the layer root without following symlinks (openat2 with
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so a symlink extracted earlier can
// never be written through; symlink targets must stay inside their root and
// hard-link targets must be regular files of this layer; device nodes and
// FIFOs are refused. Errors name the entry (InvalidArgument for hostile
// input, DataLoss for a corrupt archive).
//
// Whiteouts: "<dir>/.wh.<name>" removes <dir>/<name> from this layer and is
// recorded so export reproduces it. For overlayfs (the Linux run engine) it is
// also materialized as a 0/0 character device under Files/, and
// "<dir>/.wh..wh..opq" as the trusted.overlay.opaque=y xattr; both need
// CAP_MKNOD/CAP_SYS_ADMIN, and without them the whiteout is only recorded
// (LayerStats::unmaterialized counts them).
//
// Thread-safety: a LayerWriter is used by one thread.

#ifndef WINSNAP_UNPACK_LAYER_WRITER_H_
#define WINSNAP_UNPACK_LAYER_WRITER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "unpack/layer_limits.h"
#include "unpack/tar_reader.h"

namespace winsnap::unpack {

struct LayerWriterOptions {
  // Require the Files/, Hives/, UtilityVM/Files/ roots.
  bool windows_layer = true;
  // Create overlayfs whiteouts/opaque markers (when privileged).
  bool overlay_whiteouts = true;
  // Finish() makes the whole folder durable (syncfs) before returning.
  bool sync = true;
  // Size limits checked from each entry's header before its data is written
  // (WriteLayer / UnpackLayer apply them, for every writer).
  LayerLimits limits;
  // The Windows writer: the committed parent layer folders, nearest parent
  // first, base last (empty for a base layer), as hcsshim's ImportLayer
  // wants them. The Linux writer ignores it.
  std::vector<std::string> parents;
};

struct LayerStats {
  int64_t entries = 0;
  int64_t files = 0;
  int64_t dirs = 0;
  int64_t symlinks = 0;
  int64_t hardlinks = 0;
  int64_t whiteouts = 0;
  int64_t opaque_dirs = 0;
  int64_t streams = 0;
  int64_t bytes = 0;           // file and stream data written
  int64_t unmaterialized = 0;  // whiteouts only recorded (no privilege)
};

// The data of the entry being added, in chunks; an empty span at its end.
class EntryData {
 public:
  virtual ~EntryData() = default;
  virtual StatusOr<std::span<const uint8_t>> Next() = 0;
};

class LayerWriter {
 public:
  virtual ~LayerWriter() = default;

  // Applies one archive entry. For regular entries "data" yields exactly
  // h.size bytes. On error the folder may hold part of the layer (the caller
  // discards it) but nothing outside it was touched.
  virtual Status Add(const TarHeader& h, EntryData* data) = 0;

  // Completes the folder: commits the sidecar and, with options.sync, makes
  // everything durable. No Add() after Finish().
  virtual StatusOr<LayerStats> Finish() = 0;

  // Counters so far (progress).
  virtual const LayerStats& stats() const = 0;
};

// OK when this build can write layer folders; otherwise the one error that
// import and pull report. Importers call it before they write anything, so a
// build without a writer leaves the store untouched. Defined beside the
// platform's NewLayerWriter (layer_writer_posix.cc, layer_writer_windows.cc);
// both builds have a writer today.
Status LayerWritingSupported();

// True when a layer can only be written once its parents are committed
// snapshots (Windows: ImportLayer and the UtilityVM clone read the parent
// folders, and the layer ids hcsshim derives from their names must be the
// final ones). Importers then unpack one layer at a time, in order, and
// commit each before the next; otherwise layers unpack concurrently into
// staging and are committed together at the end.
bool LayerWritesNeedCommittedParents();

// The platform's LayerWriter over the existing, empty folder "dir":
// Linux, files plus the sidecar (layer_writer_posix.cc); Windows,
// NewWindowsLayerWriter over NewWin32LayerApi() with options.parents
// (layer_writer_windows.cc). On an error from Add or Finish the Windows
// writer removes what it put into "dir" (the caller removes "dir").
StatusOr<std::unique_ptr<LayerWriter>> NewLayerWriter(
    const std::string& dir, const LayerWriterOptions& options);

// Reads every entry of "reader" into "writer" and finishes it; "on_entry"
// (may be empty) is called after each entry with the writer's counters.
StatusOr<LayerStats> WriteLayer(
    TarReader* reader, LayerWriter* writer,
    const std::function<void(const LayerStats&)>& on_entry = {});

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_LAYER_WRITER_H_
