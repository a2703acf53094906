// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The OS seam of image_source.cc: read-only files opened for positional
// reads (many readers share one open file) and an image directory (an OCI
// layout) that opens files below itself. image_file_posix.cc (fds, pread,
// openat2 RESOLVE_BENEATH) and image_file_windows.cc (HANDLEs, ReadFile with
// an OVERLAPPED offset) implement it; CMake picks one.

#ifndef WINSNAP_UNPACK_IMAGE_FILE_H_
#define WINSNAP_UNPACK_IMAGE_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace winsnap::unpack {

class ImageFile {
 public:
  virtual ~ImageFile() = default;
  // Reads up to n bytes at "offset"; 0 only at the end of the file.
  virtual StatusOr<size_t> ReadAt(int64_t offset, uint8_t* buf,
                                  size_t n) const = 0;
};

class ImageDir {
 public:
  virtual ~ImageDir() = default;
  // Opens the regular file "rel" ('/'-separated, already normalised: no
  // "..", not absolute) below this directory. NotFound when it is missing or
  // not a regular file. *size gets its length.
  virtual StatusOr<std::shared_ptr<ImageFile>> OpenRegular(
      const std::string& rel, int64_t* size) const = 0;
};

// What ImageSource::Open found at a path: a directory or a file.
struct OpenedImagePath {
  std::unique_ptr<ImageDir> dir;    // set for a directory
  std::shared_ptr<ImageFile> file;  // set for anything else
};
StatusOr<OpenedImagePath> OpenImagePath(const std::string& path);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_IMAGE_FILE_H_
