// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ExportWindowsLayer: the Windows export read path (issue 11), a layer folder
// back into the Windows layer tar format hcsshim writes, over a WinLayerApi
// so its logic runs and is tested on Linux against a fake:
//   * base layer (no parents), as hcsshim's baseLayerReader: the "Files"
//     folder and its tree (skipping Files\$Recycle.Bin), then, if present,
//     "UtilityVM", "UtilityVM/Files" and its tree, each read with BackupRead
//     (processSecurity);
//   * other layers, as hcsshim's legacyLayerReader: ExportLayer(layer, temp,
//     parents nearest first) into a temporary folder; its Files\ tree holds
//     the transport format (4-byte little-endian attributes, then the backup
//     stream; a directory's in its "<dir>.$wcidirs$" sibling), Hives\ is
//     read with BackupRead, tombstones.txt (UTF-8 BOM + "Version 1.0", then
//     one "\path" per line) becomes ".wh." entries under Files/, and
//     UtilityVM\Files is read from the layer itself; the temporary folder is
//     removed on every outcome.
// Every file's stream becomes tar entries through BackupTarEncoder (PAX
// MSWINDOWS.fileattr, MSWINDOWS.rawsd, MSWINDOWS.xattr.*,
// MSWINDOWS.mountpoint, LIBARCHIVE.creationtime; ADS as "<file>:<stream>"
// entries; reference/hcsshim-facts.md §1.2-§1.4).
//
// Not done: hard links are exported as separate files (WinLayerApi exposes no
// file id / link count yet, hcsshim writes the second name as a link entry).
//
// Thread-safety: one thread per call; the layer must not change meanwhile.

#ifndef WINSNAP_UNPACK_WINDOWS_LAYER_READER_H_
#define WINSNAP_UNPACK_WINDOWS_LAYER_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "unpack/tar_writer.h"
#include "unpack/win_layer_api.h"

namespace winsnap::unpack {

struct WindowsExportStats {
  int64_t files = 0;      // files and directories read
  int64_t whiteouts = 0;  // ".wh." entries from tombstones.txt
  int64_t bytes = 0;      // backup stream bytes read
};

// Writes the entries of "layer" (parents nearest first; empty for a base
// layer) to "w" (the caller closes it). Enables SeBackupPrivilege and
// SeRestorePrivilege first. Errors name the file.
StatusOr<WindowsExportStats> ExportWindowsLayer(
    WinLayerApi* api, const std::string& layer,
    const std::vector<std::string>& parents, TarWriter* w);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_WINDOWS_LAYER_READER_H_
