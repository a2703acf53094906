// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// TarReader: a streaming reader of POSIX (ustar/pax) and GNU tar archives
// that keeps every PAX record. It exists because libarchive 3.6 (Debian 12)
// silently drops PAX keys it does not know, and Windows layers carry their
// metadata in exactly such keys (MSWINDOWS.fileattr, MSWINDOWS.rawsd, ...;
// reference/hcsshim-facts.md §1.2).
//
// The input is untrusted: header checksums are verified, numeric fields are
// range-checked (octal and base-256), PAX and GNU long-name headers are capped
// (Limits), sparse entries are refused, and a stream that ends inside an entry
// is DataLoss. Names are returned as archived; validating them against the
// layer folder is layer_path.h's job.
//
// Data is handed out as spans into the source's chunks (no copy).
//
// Thread-safety: a TarReader and its ChunkSource are used by one thread.

#ifndef WINSNAP_UNPACK_TAR_READER_H_
#define WINSNAP_UNPACK_TAR_READER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace winsnap::unpack {

// A stream of byte chunks. Next() returns the next chunk (never empty), or an
// empty span at the end of the stream. A chunk stays valid until the next
// call to Next().
class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  virtual StatusOr<std::span<const uint8_t>> Next() = 0;
};

using PaxRecords = std::vector<std::pair<std::string, std::string>>;

inline constexpr char kTypeReg = '0';
inline constexpr char kTypeRegA = '\0';
inline constexpr char kTypeLink = '1';
inline constexpr char kTypeSymlink = '2';
inline constexpr char kTypeChar = '3';
inline constexpr char kTypeBlock = '4';
inline constexpr char kTypeDir = '5';
inline constexpr char kTypeFifo = '6';
inline constexpr char kTypeCont = '7';

struct TarHeader {
  std::string name;      // PAX path > GNU long name > ustar prefix/name
  std::string linkname;  // PAX linkpath > GNU long link > ustar linkname
  char typeflag = kTypeReg;
  int64_t size = 0;  // bytes of data that follow (0 for non-files)
  int64_t mode = 0644;
  int64_t uid = 0;
  int64_t gid = 0;
  std::string uname;
  std::string gname;
  int64_t mtime = 0;  // whole seconds (PAX mtime overrides the header)
  int64_t devmajor = 0;
  int64_t devminor = 0;
  // Every PAX record of the entry in archive order (global records first),
  // except path, linkpath and size, which the fields above carry.
  PaxRecords pax;
  int64_t offset = 0;  // archive offset of the entry's first header block

  // The value of PAX record "key", or nullptr.
  const std::string* FindPax(std::string_view key) const;
  bool IsRegular() const {
    return typeflag == kTypeReg || typeflag == kTypeRegA ||
           typeflag == kTypeCont;
  }
};

struct TarLimits {
  size_t max_pax_bytes = 1 << 20;  // one PAX or GNU long-name header body
  size_t max_pax_records = 4096;
  size_t max_name_bytes = 4096;  // name and linkname, after all overrides
  int max_meta_headers = 16;     // PAX/GNU headers before one entry
};

class TarReader {
 public:
  // REQUIRES: "source" outlives the reader.
  explicit TarReader(ChunkSource* source, TarLimits limits = {});

  // Reads the next entry's header into *h, skipping what is left of the
  // previous entry's data. Returns false at the end of the archive (two zero
  // blocks, or a clean end of stream at a header boundary). DataLoss for a
  // corrupt or truncated archive, InvalidArgument for headers over the limits
  // or unsupported (sparse) entries.
  StatusOr<bool> Next(TarHeader* h);

  // The current entry's data, one span at a time (pointing into the source's
  // chunk, valid until the next call); an empty span once all h->size bytes
  // were returned. DataLoss if the stream ends early.
  StatusOr<std::span<const uint8_t>> ReadData();

  // Bytes of the current entry's data not yet returned.
  int64_t remaining() const { return remaining_; }

  // After Next() returned false: reads the stream to its end (bytes after
  // the end-of-archive marker are ignored but must be consumed so the whole
  // stream is digested).
  Status Drain();

  // Bytes of the archive consumed so far.
  int64_t offset() const { return offset_; }

 private:
  Status ReadBlock(uint8_t* block, bool* eof);
  Status ReadExact(uint8_t* dst, size_t n);
  Status Skip(int64_t n);
  Status FinishEntry();
  bool EnsureChunk(Status* s);

  ChunkSource* source_;
  TarLimits limits_;
  std::span<const uint8_t> chunk_;
  size_t pos_ = 0;
  bool source_eof_ = false;
  int64_t offset_ = 0;
  int64_t remaining_ = 0;  // data bytes of the current entry left
  int64_t padding_ = 0;    // padding after the current entry's data
  bool done_ = false;
  PaxRecords global_;  // records of 'g' headers
};

// Parses a PAX extended header body ("<len> <key>=<value>\n"...). DataLoss
// for a malformed record.
StatusOr<PaxRecords> ParsePaxRecords(std::string_view body, size_t max_records);

// Parses a PAX time "[-]<secs>[.<frac>]" into whole seconds and nanoseconds
// (truncated toward negative infinity like Go's archive/tar). InvalidArgument
// if malformed.
Status ParsePaxTime(std::string_view s, int64_t* secs, int32_t* nsec);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_TAR_READER_H_
