// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include <windows.h>

#include "base/path.h"
#include "base/unique_handle_windows.h"
#include "base/utf16_windows.h"
#include "unpack/image_file.h"

namespace winsnap::unpack {
namespace {

class WindowsImageFile final : public ImageFile {
 public:
  explicit WindowsImageFile(base::UniqueHandle h) : h_(std::move(h)) {}
  StatusOr<size_t> ReadAt(int64_t offset, uint8_t* buf,
                          size_t n) const override {
    // A positional read: each ReadFile names its own offset, so readers
    // sharing the handle never race on a file pointer.
    OVERLAPPED ov = {};
    ov.Offset = static_cast<DWORD>(static_cast<uint64_t>(offset));
    ov.OffsetHigh = static_cast<DWORD>(static_cast<uint64_t>(offset) >> 32);
    DWORD want = n > (1u << 30) ? (1u << 30) : static_cast<DWORD>(n);
    DWORD got = 0;
    if (!::ReadFile(h_.get(), buf, want, &got, &ov)) {
      DWORD err = ::GetLastError();
      if (err == ERROR_HANDLE_EOF) return size_t{0};
      return Win32Error("ReadFile", err);
    }
    return static_cast<size_t>(got);
  }

 private:
  base::UniqueHandle h_;
};

StatusOr<base::UniqueHandle> OpenForRead(const std::string& path,
                                         BY_HANDLE_FILE_INFORMATION* info) {
  std::wstring w = base::Widen(base::ToLongPath(path));
  // FILE_FLAG_BACKUP_SEMANTICS lets the same call open a directory.
  base::UniqueHandle h(::CreateFileW(
      w.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr,
      OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  if (!h.valid()) {
    DWORD err = ::GetLastError();
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND)
      return NotFoundError(path + " does not exist");
    return Win32Error("CreateFileW", err, path);
  }
  if (!::GetFileInformationByHandle(h.get(), info))
    return Win32Error("GetFileInformationByHandle", ::GetLastError(), path);
  return h;
}

class WindowsImageDir final : public ImageDir {
 public:
  explicit WindowsImageDir(std::string path) : path_(std::move(path)) {}
  StatusOr<std::shared_ptr<ImageFile>> OpenRegular(
      const std::string& rel, int64_t* size) const override {
    // "rel" is normalised (no "..", no drive, no '\\'); turn '/' into '\'.
    std::string p = path_;
    p += '\\';
    for (char c : rel) p += c == '/' ? '\\' : c;
    BY_HANDLE_FILE_INFORMATION info;
    auto h = OpenForRead(p, &info);
    if (!h.ok()) {
      if (h.status().code() == StatusCode::kNotFound)
        return NotFoundError("\"" + rel + "\" is not in the image");
      return h.status();
    }
    if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
      return NotFoundError("\"" + rel + "\" is not a regular file");
    *size = static_cast<int64_t>(
        (static_cast<uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow);
    return std::shared_ptr<ImageFile>(new WindowsImageFile(std::move(*h)));
  }

 private:
  std::string path_;
};

}  // namespace

StatusOr<OpenedImagePath> OpenImagePath(const std::string& path) {
  BY_HANDLE_FILE_INFORMATION info;
  WINSNAP_ASSIGN_OR_RETURN(base::UniqueHandle h, OpenForRead(path, &info));
  OpenedImagePath out;
  if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
    out.dir.reset(new WindowsImageDir(path));
  else
    out.file.reset(new WindowsImageFile(std::move(h)));
  return out;
}

}  // namespace winsnap::unpack
