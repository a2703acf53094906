// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Windows build's layer-writer factory. The native writer
// (windows_layer_writer.h over win_layer_api.h: BackupWrite and the layer
// calls) is not wired in yet, so this is the one place that says so: import
// and pull check LayerWritingSupported() before writing anything, and
// NewLayerWriter returns the same error. Wiring the writer in replaces this
// file.

#include "unpack/layer_writer.h"

namespace winsnap::unpack {

Status LayerWritingSupported() {
  return UnimplementedError(
      "import and pull on Windows: the Windows layer writer is not in this "
      "build yet; nothing was written");
}

StatusOr<std::unique_ptr<LayerWriter>> NewLayerWriter(
    const std::string& /*dir*/, const LayerWriterOptions& /*options*/) {
  return LayerWritingSupported();
}

}  // namespace winsnap::unpack
