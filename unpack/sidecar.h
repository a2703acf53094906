// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The per-layer sidecar index: on Linux a layer folder keeps the Windows
// metadata its files cannot carry (PAX MSWINDOWS.* and LIBARCHIVE.* records,
// alternate data streams, whiteouts, the original entry names and order) in
// <layer>/.winsnap/, outside Files/, so overlay mounts never show it:
//   .winsnap/meta.jsonl    one JSON object per archive entry, in archive order
//   .winsnap/streams/<n>   data of alternate data stream number n
// The first line is {"winsnap_layer_sidecar":1}. docs/unpack.md has the field
// list. The file is written to meta.jsonl.tmp, fsynced and renamed, so a
// reader sees a complete index or none.
//
// Thread-safety: a SidecarWriter is used by one thread; ReadSidecar is
// thread-safe.

#ifndef WINSNAP_UNPACK_SIDECAR_H_
#define WINSNAP_UNPACK_SIDECAR_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "unpack/tar_reader.h"

namespace winsnap::unpack {

inline constexpr std::string_view kSidecarDir = ".winsnap";
inline constexpr std::string_view kSidecarFile = ".winsnap/meta.jsonl";
inline constexpr std::string_view kStreamsDir = ".winsnap/streams";
inline constexpr int kSidecarVersion = 1;

enum class RecordType {
  kDir,
  kFile,
  kSymlink,
  kHardlink,
  kWhiteout,     // "<dir>/.wh.<name>": path = the hidden "<dir>/<name>"
  kOpaque,       // "<dir>/.wh..wh..opq": path = "<dir>"
  kStream,       // "<file>:<stream>": path = the owner, data = stream file
  kImplicitDir,  // a parent folder the archive did not list
};

std::string_view RecordTypeName(RecordType t);

struct SidecarRecord {
  RecordType type = RecordType::kFile;
  std::string name;    // the entry name exactly as archived
  std::string path;    // normalized layer path (see RecordType)
  std::string stream;  // kStream: stream name
  std::string data;    // kStream: file under .winsnap/ holding the data
  std::string target;  // kSymlink: target as archived; kHardlink: layer path
  char typeflag = kTypeReg;
  int64_t size = 0;
  int64_t mode = 0;
  int64_t uid = 0;
  int64_t gid = 0;
  std::string uname;
  std::string gname;
  int64_t mtime = 0;
  PaxRecords pax;  // as archived, minus path/linkpath/size
  // kWhiteout/kOpaque: whether the overlayfs form (0/0 char device, opaque
  // xattr) was created; false when the process lacked the privilege.
  bool materialized = true;
};

// The record's JSON line (no newline). Values that are not UTF-8 are stored
// base64-encoded (docs/unpack.md).
std::string EncodeRecord(const SidecarRecord& r);
// DataLoss for a malformed line.
StatusOr<SidecarRecord> DecodeRecord(std::string_view line);

class SidecarWriter {
 public:
  // Creates <layer_dir>/.winsnap/ and starts meta.jsonl.tmp.
  static StatusOr<SidecarWriter> Create(const std::string& layer_dir);
  SidecarWriter(SidecarWriter&& o) noexcept { *this = std::move(o); }
  SidecarWriter& operator=(SidecarWriter&& o) noexcept;
  SidecarWriter(const SidecarWriter&) = delete;
  SidecarWriter& operator=(const SidecarWriter&) = delete;
  ~SidecarWriter();

  Status Append(const SidecarRecord& r);
  // Flushes, fsyncs and renames meta.jsonl.tmp to meta.jsonl, then fsyncs
  // the directory.
  Status Commit();

 private:
  SidecarWriter() = default;
  std::string dir_;
  std::FILE* f_ = nullptr;  // owned
};

// The records of <layer_dir>'s sidecar in order. NotFound if the folder has
// no sidecar; DataLoss if it is malformed or of an unknown version.
StatusOr<std::vector<SidecarRecord>> ReadSidecar(const std::string& layer_dir);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_SIDECAR_H_
