// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Win32 backup stream format (what BackupWrite consumes and BackupRead
// produces) and the two payloads a Windows layer writer builds into it, as
// pure functions (reference/hcsshim-facts.md §1.3; MS-FSCC for the payloads):
//   * stream header (WIN32_STREAM_ID): little-endian u32 dwStreamId,
//     u32 dwStreamAttributes, i64 Size, u32 dwStreamNameSize (bytes), then
//     the UTF-16LE name (no NUL), then Size bytes of data; 20 bytes before the
//     name, no padding between streams;
//   * extended attributes (BACKUP_EA_DATA): a chain of FILE_FULL_EA_INFORMATION
//     (u32 NextEntryOffset, u8 Flags, u8 EaNameLength, u16 EaValueLength,
//     name, NUL, value), every entry but the last padded to 4 bytes;
//   * reparse data (BACKUP_REPARSE_DATA): REPARSE_DATA_BUFFER for a symlink
//     (IO_REPARSE_TAG_SYMLINK, with Flags, SYMLINK_FLAG_RELATIVE for relative
//     targets) or a junction (IO_REPARSE_TAG_MOUNT_POINT), the NT substitute
//     name then the print name, each NUL-terminated, as go-winio encodes them.
// BackupStreamDecoder parses a stream back incrementally (export side).
//
// Thread-safety: pure functions; a decoder is used by one thread.

#ifndef WINSNAP_UNPACK_BACKUP_STREAM_H_
#define WINSNAP_UNPACK_BACKUP_STREAM_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace winsnap::unpack {

// dwStreamId values (winbase.h).
enum class BackupStreamId : uint32_t {
  kData = 1,           // BACKUP_DATA
  kEaData = 2,         // BACKUP_EA_DATA
  kSecurityData = 3,   // BACKUP_SECURITY_DATA
  kAlternateData = 4,  // BACKUP_ALTERNATE_DATA
  kLink = 5,           // BACKUP_LINK
  kPropertyData = 6,   // BACKUP_PROPERTY_DATA
  kObjectId = 7,       // BACKUP_OBJECT_ID
  kReparseData = 8,    // BACKUP_REPARSE_DATA
  kSparseBlock = 9,    // BACKUP_SPARSE_BLOCK
  kTxfsData = 10,      // BACKUP_TXFS_DATA
};
// dwStreamAttributes bits.
inline constexpr uint32_t kStreamModifiedWhenRead = 1;
inline constexpr uint32_t kStreamContainsSecurity = 2;
inline constexpr uint32_t kStreamContainsProperties = 4;
inline constexpr uint32_t kStreamSparseAttribute = 8;

inline constexpr size_t kStreamHeaderBytes = 20;
inline constexpr uint32_t kReparseTagMountPoint = 0xA0000003;
inline constexpr uint32_t kReparseTagSymlink = 0xA000000C;

// UTF-8 -> UTF-16LE bytes. InvalidArgument for invalid UTF-8.
StatusOr<std::string> Utf8ToUtf16Le(std::string_view utf8);
// UTF-16LE bytes -> UTF-8. InvalidArgument for an odd length or unpaired
// surrogates.
StatusOr<std::string> Utf16LeToUtf8(std::string_view utf16le);

// The header of one stream; "name" is UTF-8 (e.g. ":Zone.Identifier:$DATA"
// for an alternate data stream, empty for the others).
StatusOr<std::string> EncodeStreamHeader(BackupStreamId id, int64_t size,
                                         std::string_view name = {},
                                         uint32_t attributes = 0);

// BACKUP_EA_DATA payload of (name, value) pairs. InvalidArgument for a name
// longer than 255 bytes, empty or with NUL, or a value over 65535 bytes.
StatusOr<std::string> EncodeExtendedAttributes(
    const std::vector<std::pair<std::string, std::string>>& eas);

// BACKUP_REPARSE_DATA payload for a link to "target" (backslash form, as the
// writer has it after FromSlash). InvalidArgument if a name is too long for
// the 16-bit fields.
StatusOr<std::string> EncodeReparsePoint(std::string_view target,
                                         bool mount_point);

// The inverse of EncodeExtendedAttributes. DataLoss for a malformed chain.
StatusOr<std::vector<std::pair<std::string, std::string>>>
DecodeExtendedAttributes(std::string_view data);

struct ReparsePoint {
  std::string target;  // the print name (or the substitute name without \??\)
  bool mount_point = false;
};
// A symlink or junction REPARSE_DATA_BUFFER. Unimplemented for other tags,
// DataLoss for a malformed buffer.
StatusOr<ReparsePoint> DecodeReparsePoint(std::string_view data);

// Incremental parser of a backup stream: Feed() bytes in any chunking, and
// receive each stream's header, then its data in pieces.
class BackupStreamDecoder {
 public:
  struct Header {
    BackupStreamId id = BackupStreamId::kData;
    uint32_t attributes = 0;
    int64_t size = 0;
    std::string name;  // UTF-8
  };
  class Visitor {
   public:
    virtual ~Visitor() = default;
    virtual Status OnHeader(const Header& h) = 0;
    virtual Status OnData(std::span<const uint8_t> data) = 0;
  };

  // REQUIRES: "v" outlives the decoder.
  explicit BackupStreamDecoder(Visitor* v) : v_(v) {}
  // DataLoss for a negative size or a name over 64 KiB or not UTF-16;
  // the visitor's errors as they are.
  Status Feed(std::span<const uint8_t> bytes);
  // DataLoss if the stream ends inside a header, name or data.
  Status Finish();

 private:
  Visitor* v_;
  std::string head_;  // header bytes collected so far
  uint32_t name_bytes_ = 0;
  int64_t data_left_ = 0;
  bool in_data_ = false;
};

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_BACKUP_STREAM_H_
