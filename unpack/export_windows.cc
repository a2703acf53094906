// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Exporter in the Windows build: reading a Windows layer folder back into a
// layer tar needs BackupRead and the layer's own metadata, which this build
// does not have yet (export_posix.cc reads the POSIX layout and its
// sidecar). Both calls fail with one line and write nothing.

#include "unpack/export.h"

namespace winsnap::unpack {
namespace {

Status NotYet() {
  return UnimplementedError(
      "export on Windows: reading a Windows layer folder into a tar is not "
      "in this build yet");
}

}  // namespace

StatusOr<ExportStats> Exporter::Export(const std::string& /*layer_dir*/,
                                       ByteSink* /*sink*/) {
  return NotYet();
}

StatusOr<ExportStats> Exporter::ExportToFile(const std::string& /*layer_dir*/,
                                             const std::string& /*out_path*/) {
  return NotYet();
}

}  // namespace winsnap::unpack
