// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// WindowsLayerWriter: the LayerWriter for Windows hosts, behaving as
// hcsshim's layer writers (reference/hcsshim-facts.md §1.6, §4.2) over a
// WinLayerApi, so its logic runs and is tested on Linux against a fake.
//
// Base layer (no parents), written straight into the layer folder: each
// file or directory is created (FILE_CREATE) and given one backup stream,
// BackupWrite(processSecurity) -- security descriptor (MSWINDOWS.rawsd, else
// MSWINDOWS.sd through SddlToSecurityDescriptor), EAs (MSWINDOWS.xattr.*),
// reparse data for symlinks and junctions (MSWINDOWS.mountpoint), the data,
// then the alternate data streams of the "<file>:<stream>" entries that
// follow -- and its times and attributes are applied after the streams.
// Hard links are made directly. Finish(): directory times reapplied (children
// first), ProcessBaseImage, and ProcessUtilityImage when UtilityVM/Files was
// seen. Whiteouts are refused ("base layer cannot have tombstones").
//
// Non-base layer, through the transport format of hcsshim's legacy writer in
// a temporary folder: Files/ entries become files holding the 4-byte
// little-endian attributes followed by the backup stream, directories a real
// folder plus a "<dir>.$wcidirs$" sibling holding theirs (a directory link's
// placeholder folder is removed and re-created just before the import);
// Hives/ files are written with BackupWrite (no security); UtilityVM/ is
// cloned from the nearest parent by hard links (directories, reparse points
// and the BCD files copied) and its entries written directly into the layer.
// Whiteouts under Files/ are recorded, under UtilityVM/Files/ applied at once;
// hard links wait. Finish(): ImportLayer(layer, temp, parents nearest
// first), whiteouts deleted (missing ones ignored), pending hard links
// created, directory times reapplied, ProcessUtilityImage if a UtilityVM is
// present, temporary folder removed (also on failure).
//
// A writer destroyed before Finish() returned OK (an Add or Finish failed,
// or the caller gave up) removes everything it left below the layer folder,
// so a failed layer leaves the folder empty for its owner to delete.
//
// Both: SeBackupPrivilege and SeRestorePrivilege are enabled first; the
// pristine UtilityVM/Files/EFI/Microsoft/Boot/BCD{,.LOG,.LOG1,.LOG2} streams
// are also written to <layer>\bcd.bak, bcd.log.bak, bcd.log1.bak,
// bcd.log2.bak (as ociwclayer does). Names are validated by layer_path.h
// (nothing outside the folder); symlink targets must stay inside their root
// as on Linux. Errors name the entry.
//
// Parallel writing: with threads > 1 the files (not directories) are written
// by a base::ThreadPool of that many workers. A file's streams up to 1 MiB
// are buffered and handed to a worker when its entry is complete (its
// CreateFile, Write, SetBasicInfo and Close run there); a larger file is
// written on the caller's thread as in serial mode. Directories, links,
// whiteouts and the UtilityVM clone stay on the caller's thread, so a file's
// folder exists before its job is submitted; base-layer hard links are made
// once the workers have drained (their target may be with one), and Finish()
// drains them before its platform calls. The calls are the serial run's,
// only their interleaving differs. At most 64 MiB of buffered files wait for
// workers. A worker's failure is returned by the next Add or by Finish.
//
// Thread-safety: a LayerWriter is used by one thread (its workers are
// internal); the WinLayerApi must allow concurrent calls on different paths.

#ifndef WINSNAP_UNPACK_WINDOWS_LAYER_WRITER_H_
#define WINSNAP_UNPACK_WINDOWS_LAYER_WRITER_H_

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "unpack/layer_writer.h"
#include "unpack/win_layer_api.h"

namespace winsnap::unpack {

// A writer into the existing, empty folder "layer" (Windows path). "parents"
// are the parent layer folders, nearest first (empty for a base layer).
// REQUIRES: "api" outlives the writer.
// Uses DefaultWindowsWriterThreads() workers.
StatusOr<std::unique_ptr<LayerWriter>> NewWindowsLayerWriter(
    WinLayerApi* api, const std::string& layer,
    const std::vector<std::string>& parents, const LayerWriterOptions& options);
// "threads" <= 1: serial, every call on the caller's thread in entry order.
StatusOr<std::unique_ptr<LayerWriter>> NewWindowsLayerWriter(
    WinLayerApi* api, const std::string& layer,
    const std::vector<std::string>& parents, const LayerWriterOptions& options,
    int threads);

// hardware_concurrency clamped to [2, 8].
int DefaultWindowsWriterThreads();

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_WINDOWS_LAYER_WRITER_H_
