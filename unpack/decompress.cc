// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/decompress.h"

#include <archive.h>
#include <archive_entry.h>

#include <string>
#include <vector>

namespace winsnap::unpack {
namespace {

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;

class PassThrough final : public ByteReader {
 public:
  explicit PassThrough(ByteReader* in) : in_(in) {}
  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    return in_->Read(buf, n);
  }

 private:
  ByteReader* in_;
};

// libarchive with only the zstd filter and the "raw" format: the single raw
// entry's data is the decompressed stream.
class LibarchiveDecoder final : public ByteReader {
 public:
  static StatusOr<std::unique_ptr<ByteReader>> Create(ByteReader* in) {
    auto d = std::unique_ptr<LibarchiveDecoder>(new LibarchiveDecoder(in));
    d->a_.reset(archive_read_new());
    if (!d->a_) return InternalError("archive_read_new failed");
    archive* a = d->a_.get();
    int r = archive_read_support_filter_zstd(a);
    // ARCHIVE_WARN means "uses an external program": refuse that.
    if (r != ARCHIVE_OK)
      return UnimplementedError("libarchive cannot decode zstd in-process");
    archive_read_support_format_raw(a);
    if (archive_read_open(a, d.get(), nullptr, &LibarchiveDecoder::ReadCb,
                          nullptr) != ARCHIVE_OK)
      return d->Error("archive_read_open");
    archive_entry* e = nullptr;
    r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) {
      d->eof_ = true;
    } else if (r != ARCHIVE_OK) {
      return d->Error("archive_read_next_header");
    }
    return std::unique_ptr<ByteReader>(std::move(d));
  }

  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    if (eof_) return size_t{0};
    la_ssize_t r = archive_read_data(a_.get(), buf, n);
    if (r < 0) return Error("archive_read_data");
    if (r == 0) eof_ = true;
    return static_cast<size_t>(r);
  }

 private:
  explicit LibarchiveDecoder(ByteReader* in) : in_(in), buf_(256 << 10) {}

  static la_ssize_t ReadCb(archive* a, void* self, const void** out) {
    auto* d = static_cast<LibarchiveDecoder*>(self);
    auto n = d->in_->Read(d->buf_.data(), d->buf_.size());
    if (!n.ok()) {
      d->in_error_ = n.status();
      archive_set_error(a, EIO, "%s", n.status().message().c_str());
      return -1;
    }
    *out = d->buf_.data();
    return static_cast<la_ssize_t>(*n);
  }

  Status Error(const char* fn) {
    if (!in_error_.ok()) return in_error_;
    const char* msg = archive_error_string(a_.get());
    return DataLossError(std::string("decompress (") + fn +
                         "): " + (msg ? msg : "corrupt compressed stream"));
  }

  ByteReader* in_;
  std::vector<uint8_t> buf_;
  ArchiveReader a_;
  Status in_error_;
  bool eof_ = false;
};

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kUnknown:
      break;
  }
  return "unknown";
}

Compression DetectCompression(std::span<const uint8_t> h) {
  if (h.size() >= 2 && h[0] == 0x1f && h[1] == 0x8b) return Compression::kGzip;
  if (h.size() >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f &&
      h[3] == 0xfd)
    return Compression::kZstd;
  return Compression::kNone;
}

StatusOr<LayerMediaType> ParseLayerMediaType(std::string_view mt) {
  LayerMediaType out;
  if (mt.empty()) return out;
  struct Known {
    std::string_view type;
    Compression c;
    bool foreign;
  };
  static constexpr Known kKnown[] = {
      {"application/vnd.oci.image.layer.v1.tar", Compression::kNone, false},
      {"application/vnd.oci.image.layer.v1.tar+gzip", Compression::kGzip,
       false},
      {"application/vnd.oci.image.layer.v1.tar+zstd", Compression::kZstd,
       false},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar",
       Compression::kNone, true},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
       Compression::kGzip, true},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
       Compression::kZstd, true},
      {"application/vnd.docker.image.rootfs.diff.tar.gzip", Compression::kGzip,
       false},
      {"application/vnd.docker.image.rootfs.diff.tar", Compression::kNone,
       false},
      {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
       Compression::kGzip, true},
      {"application/vnd.docker.image.rootfs.foreign.diff.tar",
       Compression::kNone, true},
  };
  for (const auto& k : kKnown) {
    if (k.type == mt) {
      out.compression = k.c;
      out.foreign = k.foreign;
      return out;
    }
  }
  return UnimplementedError("layer media type \"" + std::string(mt) +
                            "\" is not supported");
}

StatusOr<std::unique_ptr<ByteReader>> NewDecoder(Compression c,
                                                 ByteReader* in) {
  switch (c) {
    case Compression::kNone:
      return std::unique_ptr<ByteReader>(new PassThrough(in));
    case Compression::kGzip:
      return NewGzipDecoder(in);
    case Compression::kZstd:
      return NewZstdDecoder(in);
    case Compression::kUnknown:
      break;
  }
  return InvalidArgumentError("unknown compression");
}

StatusOr<std::unique_ptr<ByteReader>> NewZstdDecoder(ByteReader* in) {
  return LibarchiveDecoder::Create(in);
}

}  // namespace winsnap::unpack
