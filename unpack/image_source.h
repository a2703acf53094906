// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ImageSource: random access to the files of an image archive on local disk,
// either a directory (OCI image layout, docker-save tree) or an uncompressed
// tar of one (`ctr export`, `docker save`, make-image). A tar is indexed once
// (entry name -> data offset; libarchive skips data by seeking) and files are
// then read with pread, so several layers can stream from one archive at the
// same time and index.json / manifest.json may come last in the tar.
//
// Names come from untrusted documents (docker-save manifest.json "Layers"):
// absolute names, ".." and backslashes are refused (InvalidArgument); in a
// directory source, files are opened beneath the directory (openat2
// RESOLVE_BENEATH); tar symlinks/hard links are resolved inside the archive.
//
// Thread-safety: an ImageSource is immutable after Open and safe to share;
// each BlobFile is used by one thread.

#ifndef WINSNAP_UNPACK_IMAGE_SOURCE_H_
#define WINSNAP_UNPACK_IMAGE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "unpack/decompress.h"

namespace winsnap::unpack {

// A readable file of the archive.
class BlobFile : public ByteReader {
 public:
  virtual int64_t size() const = 0;
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;

  // Opens a directory or an (uncompressed) tar. NotFound if "path" does not
  // exist; Unimplemented for a compressed tar; DataLoss for a corrupt tar.
  static StatusOr<std::unique_ptr<ImageSource>> Open(const std::string& path);

  // True if the archive has a regular file "name" ('/' separated, relative).
  virtual bool Has(const std::string& name) const = 0;
  // The whole file. NotFound if missing; ResourceExhausted above "limit".
  virtual StatusOr<std::string> ReadFile(const std::string& name,
                                         size_t limit) const = 0;
  // A reader of the file. NotFound if missing.
  virtual StatusOr<std::unique_ptr<BlobFile>> OpenFile(
      const std::string& name) const = 0;
};

// Normalizes an archive-relative name ("./a//b" -> "a/b"); InvalidArgument
// for absolute names, "..", backslashes or NUL.
StatusOr<std::string> NormalizeArchiveName(const std::string& name);

// Where an OCI image layout keeps the blob "alg:hex": "blobs/alg/hex".
std::string OciBlobPath(std::string_view digest);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_IMAGE_SOURCE_H_
