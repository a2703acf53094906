// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// BackupTarEncoder: the portable half of Windows export (issue 11 item 2):
// one file's Win32 backup stream (BackupRead output for a base layer, the
// files ExportLayer writes for the others) plus its FILE_BASIC_INFO become
// the tar entries hcsshim writes (go-winio backuptar,
// reference/hcsshim-facts.md §1.2, §1.3):
//   * the entry: PAX format, MSWINDOWS.fileattr (decimal),
//     LIBARCHIVE.creationtime, atime/ctime (and mtime when sub-second),
//     MSWINDOWS.rawsd (base64 of the BACKUP_SECURITY_DATA stream),
//     MSWINDOWS.xattr.<name> (base64, from BACKUP_EA_DATA), and for
//     BACKUP_REPARSE_DATA a symlink entry (Linkname = print name,
//     MSWINDOWS.mountpoint=1 for a junction); a directory is a dir entry;
//     mode carries the type bits only (0100000, 040000, 0120000);
//   * BACKUP_DATA is the entry's data (its header is written when the data
//     stream starts, so the metadata streams before it are known);
//   * each BACKUP_ALTERNATE_DATA stream ":s:$DATA" is a following regular
//     entry "<name>:s";
//   * link, property, object id and TxF streams are dropped (as hcsshim
//     does); sparse blocks are Unimplemented.
// PAX records are written sorted by key, as Go's archive/tar does.
//
// Thread-safety: one thread.

#ifndef WINSNAP_UNPACK_BACKUP_TAR_H_
#define WINSNAP_UNPACK_BACKUP_TAR_H_

#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"
#include "unpack/backup_stream.h"
#include "unpack/tar_writer.h"
#include "unpack/win_metadata.h"

namespace winsnap::unpack {

// "1650000000.5" for a FILETIME (trailing zeros of the fraction trimmed).
std::string FiletimeToPaxTime(int64_t filetime);

class BackupTarEncoder final : public BackupStreamDecoder::Visitor {
 public:
  // "name" is the entry name ('/' separated, e.g. "Files/a.txt").
  // REQUIRES: "w" outlives the encoder.
  BackupTarEncoder(TarWriter* w, std::string name, const FileBasicInfo& info);

  // Bytes of the backup stream, in any chunking.
  Status Feed(std::span<const uint8_t> bytes) { return decoder_.Feed(bytes); }
  // Ends the file: writes the entry if no stream did. DataLoss if the stream
  // stopped inside a stream.
  Status Finish();

  Status OnHeader(const BackupStreamDecoder::Header& h) override;
  Status OnData(std::span<const uint8_t> data) override;

 private:
  enum class Sink { kNone, kCollect, kData, kDrop };
  Status WriteMainHeader(int64_t size);
  Status EndCollected();

  TarWriter* w_;
  BackupStreamDecoder decoder_;
  TarHeader h_;
  bool header_written_ = false;
  Sink sink_ = Sink::kNone;
  BackupStreamId collecting_ = BackupStreamId::kData;
  int64_t collect_left_ = 0;
  std::string collected_;
};

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_BACKUP_TAR_H_
