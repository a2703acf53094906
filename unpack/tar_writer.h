// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// TarWriter: writes POSIX pax tar archives with arbitrary PAX records, the
// format Windows layers use (reference/hcsshim-facts.md §1.2). libarchive's
// writer cannot emit vendor keys such as MSWINDOWS.rawsd, hence this small
// writer. Names and link targets that do not fit ustar (longer than 100 bytes
// or not ASCII) and numbers that do not fit their octal field go into PAX
// records, as Go's archive/tar does.
//
// Thread-safety: one thread at a time.

#ifndef WINSNAP_UNPACK_TAR_WRITER_H_
#define WINSNAP_UNPACK_TAR_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "unpack/tar_reader.h"

namespace winsnap::unpack {

// Where archive bytes go.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(const void* data, size_t n) = 0;
};

// Buffers writes to a file descriptor it does not own.
class FdSink final : public ByteSink {
 public:
  explicit FdSink(int fd, size_t buffer = 1 << 20) : fd_(fd) {
    buf_.reserve(buffer);
  }
  Status Write(const void* data, size_t n) override;
  // Writes out the buffer.
  Status Flush();
  int64_t bytes() const { return bytes_; }

 private:
  int fd_;
  std::vector<char> buf_;
  int64_t bytes_ = 0;
};

// Appends to a string (tests, small archives).
class StringSink final : public ByteSink {
 public:
  Status Write(const void* data, size_t n) override {
    out_.append(static_cast<const char*>(data), n);
    return OkStatus();
  }
  const std::string& data() const { return out_; }

 private:
  std::string out_;
};

class TarWriter {
 public:
  // REQUIRES: "sink" outlives the writer.
  explicit TarWriter(ByteSink* sink) : sink_(sink) {}

  // Writes the header(s) of an entry whose h.size data bytes must follow
  // through WriteData (regular files only; other types get size 0). h.pax is
  // written as is (in order), plus path/linkpath/size/uid/gid/mtime records
  // where the ustar fields cannot hold the value. FailedPrecondition if the
  // previous entry's data is incomplete.
  Status WriteHeader(const TarHeader& h);
  Status WriteData(const void* data, size_t n);
  // Pads the last entry and writes the two zero blocks.
  Status Close();

 private:
  Status Pad();
  ByteSink* sink_;
  int64_t remaining_ = 0;
  int64_t written_in_entry_ = 0;
  bool closed_ = false;
};

// One PAX record line "<len> <key>=<value>\n".
std::string PaxRecord(const std::string& key, const std::string& value);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_TAR_WRITER_H_
