// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// gzip through zlib's inflate (window bits 15 + 16: gzip framing, whose
// header, CRC-32 and ISIZE zlib checks). Multi-member streams decode as
// one; a stream that ends inside a member, or bytes after a member that do
// not start another, is DataLoss. Compiled into every build, so the
// sanitizer build tests it beside ISA-L's decoder.

#include <zlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "unpack/decompress.h"

namespace winsnap::unpack {
namespace {

constexpr int kGzipWindowBits = 15 + 16;

class ZlibGzipDecoder final : public ByteReader {
 public:
  explicit ZlibGzipDecoder(ByteReader* in) : in_(in), buf_(256 << 10) {}
  ~ZlibGzipDecoder() override {
    if (initialized_) inflateEnd(&zs_);
  }
  ZlibGzipDecoder(const ZlibGzipDecoder&) = delete;
  ZlibGzipDecoder& operator=(const ZlibGzipDecoder&) = delete;

  Status Init() {
    if (inflateInit2(&zs_, kGzipWindowBits) != Z_OK)
      return ResourceExhaustedError("gzip: zlib inflateInit2 failed");
    initialized_ = true;
    return OkStatus();
  }

  StatusOr<size_t> Read(uint8_t* out, size_t n) override {
    if (eof_) return size_t{0};
    zs_.next_out = out;
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    const uInt want = zs_.avail_out;
    while (zs_.avail_out == want) {
      if (zs_.avail_in == 0) {
        WINSNAP_RETURN_IF_ERROR(Fill());
        if (zs_.avail_in == 0) {
          if (in_member_)
            return DataLossError("gzip: unexpected end of compressed stream");
          eof_ = true;
          return size_t{0};
        }
      }
      if (!in_member_) {
        // Another member follows the last one (or the first begins).
        if (members_ > 0 && inflateReset(&zs_) != Z_OK)
          return InternalError("gzip: zlib inflateReset failed");
        in_member_ = true;
      }
      int r = inflate(&zs_, Z_NO_FLUSH);
      if (r == Z_STREAM_END) {
        in_member_ = false;
        ++members_;
      } else if (r != Z_OK) {
        // After a complete member this is what follows it: garbage, or a
        // member that is itself corrupt.
        std::string where =
            members_ > 0
                ? " after " + std::to_string(members_) + " complete member(s)"
                : "";
        return DataLossError(
            "gzip: corrupt compressed stream" + where + " (zlib: " +
            (zs_.msg != nullptr ? std::string(zs_.msg) : std::to_string(r)) +
            ")");
      }
    }
    return static_cast<size_t>(want - zs_.avail_out);
  }

 private:
  Status Fill() {
    WINSNAP_ASSIGN_OR_RETURN(size_t got, in_->Read(buf_.data(), buf_.size()));
    zs_.next_in = buf_.data();
    zs_.avail_in = static_cast<uInt>(got);
    return OkStatus();
  }

  ByteReader* in_;
  std::vector<uint8_t> buf_;
  z_stream zs_{};
  bool initialized_ = false;
  bool in_member_ = false;
  int64_t members_ = 0;
  bool eof_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<ByteReader>> NewZlibGzipDecoder(ByteReader* in) {
  auto d = std::make_unique<ZlibGzipDecoder>(in);
  WINSNAP_RETURN_IF_ERROR(d->Init());
  return std::unique_ptr<ByteReader>(std::move(d));
}

}  // namespace winsnap::unpack
