// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Windows build's layer-writer factory: the native writer
// (windows_layer_writer.h) over the process's one Win32 layer API
// (win_layer_api.h: BackupWrite and vmcompute.dll's layer calls), with the
// committed parent folders the importer passes in LayerWriterOptions::parents.
// A host that lacks an API the writer needs (Wine: BackupWrite is a stub and
// vmcompute.dll is absent) makes the layer fail with one line naming it; the
// writer then removes what it wrote.
//
// Thread-safety: the API object is created once and shared; WinLayerApi
// allows concurrent calls on different paths.

#include "unpack/layer_writer.h"

#include "unpack/win_layer_api.h"
#include "unpack/windows_layer_writer.h"

namespace winsnap::unpack {

Status LayerWritingSupported() { return OkStatus(); }

bool LayerWritesNeedCommittedParents() { return true; }

StatusOr<std::unique_ptr<LayerWriter>> NewLayerWriter(
    const std::string& dir, const LayerWriterOptions& options) {
  return NewWindowsLayerWriter(ProcessWin32LayerApi(), dir, options.parents,
                               options);
}

}  // namespace winsnap::unpack
