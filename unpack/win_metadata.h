// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Windows metadata of a layer tar entry, decoded from its PAX records
// (reference/hcsshim-facts.md §1.2, as go-winio's backuptar reads them):
//   MSWINDOWS.fileattr      decimal uint32, FILE_ATTRIBUTE_*; absent: a
//                           directory gets FILE_ATTRIBUTE_DIRECTORY, else 0
//   MSWINDOWS.rawsd         base64 of a self-relative security descriptor
//   MSWINDOWS.sd            SDDL (legacy; used only when rawsd is absent)
//   MSWINDOWS.xattr.<name>  base64 of an extended attribute's value
//   MSWINDOWS.mountpoint    present: the symlink entry is a junction
//   LIBARCHIVE.creationtime PAX time; absent: the modification time
//   mtime / atime / ctime   PAX times (header mtime when no PAX mtime)
// Malformed values are InvalidArgument naming the entry and the record
// (issue 12 item 14c), checked for every layer before its writer sees the
// entry, so no writer stores or exports them back.
//
// Pure functions; thread-safe.

#ifndef WINSNAP_UNPACK_WIN_METADATA_H_
#define WINSNAP_UNPACK_WIN_METADATA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "unpack/tar_reader.h"

namespace winsnap::unpack {

inline constexpr std::string_view kPaxFileAttr = "MSWINDOWS.fileattr";
inline constexpr std::string_view kPaxRawSd = "MSWINDOWS.rawsd";
inline constexpr std::string_view kPaxSddl = "MSWINDOWS.sd";
inline constexpr std::string_view kPaxMountPoint = "MSWINDOWS.mountpoint";
inline constexpr std::string_view kPaxXattrPrefix = "MSWINDOWS.xattr.";
inline constexpr std::string_view kPaxCreationTime = "LIBARCHIVE.creationtime";

inline constexpr uint32_t kFileAttributeReadonly = 0x1;
inline constexpr uint32_t kFileAttributeDirectory = 0x10;
inline constexpr uint32_t kFileAttributeArchive = 0x20;
inline constexpr uint32_t kFileAttributeReparsePoint = 0x400;

// FILE_BASIC_INFO: times as FILETIME values (100 ns units since 1601-01-01
// UTC); a time of 0 leaves that time unchanged when applied.
struct FileBasicInfo {
  int64_t creation_time = 0;
  int64_t last_access_time = 0;
  int64_t last_write_time = 0;
  int64_t change_time = 0;
  uint32_t file_attributes = 0;
  friend bool operator==(const FileBasicInfo&, const FileBasicInfo&) = default;
};

struct WinEntryMetadata {
  FileBasicInfo basic;
  std::optional<std::string> raw_sd;  // decoded MSWINDOWS.rawsd
  std::optional<std::string> sddl;    // MSWINDOWS.sd (when no rawsd)
  // Decoded MSWINDOWS.xattr.* records in archive order (name, value).
  std::vector<std::pair<std::string, std::string>> eas;
  bool mountpoint = false;
};

// FILETIME of a Unix time.
int64_t UnixToFiletime(int64_t secs, int32_t nsec);

// Decodes the entry's Windows metadata. InvalidArgument naming the entry for
// a non-numeric or over-32-bit fileattr, non-base64 rawsd or xattr, or a
// malformed creationtime/atime/ctime.
StatusOr<WinEntryMetadata> ParseWinMetadata(const TarHeader& h);

// ParseWinMetadata's verdict only.
Status ValidateWindowsPax(const TarHeader& h);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_WIN_METADATA_H_
