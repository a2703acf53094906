// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/unique_fd.h"
#include "unpack/beneath.h"
#include "unpack/image_file.h"

namespace winsnap::unpack {
namespace {

class PosixImageFile final : public ImageFile {
 public:
  explicit PosixImageFile(base::UniqueFd fd) : fd_(std::move(fd)) {}
  StatusOr<size_t> ReadAt(int64_t offset, uint8_t* buf,
                          size_t n) const override {
    for (;;) {
      ssize_t r = ::pread(fd_.get(), buf, n, offset);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoError("pread", errno);
      return static_cast<size_t>(r);
    }
  }

 private:
  base::UniqueFd fd_;
};

class PosixImageDir final : public ImageDir {
 public:
  explicit PosixImageDir(base::UniqueFd fd) : fd_(std::move(fd)) {}
  StatusOr<std::shared_ptr<ImageFile>> OpenRegular(
      const std::string& rel, int64_t* size) const override {
    base::UniqueFd fd(
        OpenBeneath(fd_.get(), rel, O_RDONLY, /*allow_symlinks=*/true));
    if (!fd.valid()) {
      if (errno == ENOENT)
        return NotFoundError("\"" + rel + "\" is not in the image");
      return ErrnoError("openat2", errno, rel);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoError("fstat", errno, rel);
    if (!S_ISREG(st.st_mode))
      return NotFoundError("\"" + rel + "\" is not a regular file");
    *size = st.st_size;
    return std::shared_ptr<ImageFile>(new PosixImageFile(std::move(fd)));
  }

 private:
  base::UniqueFd fd_;
};

}  // namespace

StatusOr<OpenedImagePath> OpenImagePath(const std::string& path) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFoundError(path + " does not exist");
    return ErrnoError("open", errno, path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("fstat", errno, path);
  OpenedImagePath out;
  if (S_ISDIR(st.st_mode))
    out.dir.reset(new PosixImageDir(std::move(fd)));
  else
    out.file.reset(new PosixImageFile(std::move(fd)));
  return out;
}

}  // namespace winsnap::unpack
