// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Exporter: a layer folder back to a Windows-format layer tar. Entries the
// sidecar index records (sidecar.h) are written in their original order with
// their original names, header fields and PAX records (MSWINDOWS.*,
// LIBARCHIVE.creationtime, times); file data comes from the folder, stream
// data from .winsnap/streams, alternate data streams right after their file,
// whiteouts as ".wh." entries, hard links as link entries. Entries the folder
// has but the sidecar does not (an active snapshot a container wrote to) are
// appended in sorted order with default Windows attributes; overlayfs
// whiteouts (0/0 character devices) become ".wh." entries and opaque
// directories ".wh..wh..opq".
//
// Files are opened beneath the folder without following symlinks.
//
// Windows (export_windows.cc): the folder is read back through the Win32
// layer API by ExportWindowsLayer (BackupRead for a base layer, vmcompute
// ExportLayer for the others), into the same tar format.
//
// Thread-safety: Export may run concurrently; the folder must not change
// while it runs (committed layers never do).

#ifndef WINSNAP_UNPACK_EXPORT_H_
#define WINSNAP_UNPACK_EXPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "unpack/tar_writer.h"

namespace winsnap::unpack {

struct ExportStats {
  int64_t entries = 0;
  int64_t data_bytes = 0;
};

class Exporter {
 public:
  // Windows: the layer's parent folders, nearest first, base last (empty for
  // a base layer), for ExportLayer (windows_layer_reader.h). The Linux
  // exporter reads the folder alone and ignores it.
  std::vector<std::string> parents;

  // Writes the tar of "layer_dir" to "sink". DataLoss if a recorded file is
  // not what the sidecar says (e.g. a stream file is missing).
  StatusOr<ExportStats> Export(const std::string& layer_dir, ByteSink* sink);

  // Writes it to file "out_path" atomically (temp file + rename), or to
  // stdout for "-".
  StatusOr<ExportStats> ExportToFile(const std::string& layer_dir,
                                     const std::string& out_path);
};

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_EXPORT_H_
