// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/image_source.h"

#include <archive.h>
#include <archive_entry.h>

#include <map>
#include <vector>

#include "unpack/image_file.h"

namespace winsnap::unpack {
namespace {

// An image archive holds a few files per layer; a million is hostile.
constexpr size_t kMaxArchiveEntries = 1000000;

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;

class RangeFile final : public BlobFile {
 public:
  // The file closes when the last reader lets go.
  RangeFile(std::shared_ptr<ImageFile> file, int64_t offset, int64_t size)
      : file_(std::move(file)), offset_(offset), size_(size) {}
  int64_t size() const override { return size_; }
  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    int64_t left = size_ - pos_;
    if (left <= 0) return size_t{0};
    size_t want =
        static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(n)));
    WINSNAP_ASSIGN_OR_RETURN(size_t r,
                             file_->ReadAt(offset_ + pos_, buf, want));
    if (r == 0)
      return DataLossError("image archive is truncated (file ends early)");
    pos_ += static_cast<int64_t>(r);
    return r;
  }

 private:
  std::shared_ptr<ImageFile> file_;
  int64_t offset_;
  int64_t size_;
  int64_t pos_ = 0;
};

Status ReadAll(BlobFile* f, size_t limit, const std::string& name,
               std::string* out) {
  if (f->size() < 0 || static_cast<uint64_t>(f->size()) > limit)
    return ResourceExhaustedError("\"" + name + "\" is larger than " +
                                  std::to_string(limit) + " bytes");
  out->resize(static_cast<size_t>(f->size()));
  size_t got = 0;
  while (got < out->size()) {
    WINSNAP_ASSIGN_OR_RETURN(
        size_t r, f->Read(reinterpret_cast<uint8_t*>(out->data()) + got,
                          out->size() - got));
    if (r == 0) break;
    got += r;
  }
  out->resize(got);
  return OkStatus();
}

class DirSource final : public ImageSource {
 public:
  explicit DirSource(std::unique_ptr<ImageDir> dir) : dir_(std::move(dir)) {}

  bool Has(const std::string& name) const override {
    auto f = OpenFile(name);
    return f.ok();
  }
  StatusOr<std::string> ReadFile(const std::string& name,
                                 size_t limit) const override {
    WINSNAP_ASSIGN_OR_RETURN(auto f, OpenFile(name));
    std::string out;
    WINSNAP_RETURN_IF_ERROR(ReadAll(f.get(), limit, name, &out));
    return out;
  }
  StatusOr<std::unique_ptr<BlobFile>> OpenFile(
      const std::string& name) const override {
    WINSNAP_ASSIGN_OR_RETURN(std::string n, NormalizeArchiveName(name));
    int64_t size = 0;
    WINSNAP_ASSIGN_OR_RETURN(auto file, dir_->OpenRegular(n, &size));
    return std::unique_ptr<BlobFile>(new RangeFile(std::move(file), 0, size));
  }

 private:
  std::unique_ptr<ImageDir> dir_;
};

class TarSource final : public ImageSource {
 public:
  struct Entry {
    int64_t offset = 0;
    int64_t size = 0;
    std::string link;  // symlink/hard link target (archive name), if any
  };

  static StatusOr<std::unique_ptr<ImageSource>> Index(
      const std::string& path, std::shared_ptr<ImageFile> file) {
    auto src = std::unique_ptr<TarSource>(new TarSource(std::move(file)));
    ArchiveReader a(archive_read_new());
    if (!a) return InternalError("archive_read_new failed");
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) !=
        ARCHIVE_OK)
      return DataLossError(path + ": not a tar archive (" +
                           ArchiveMessage(a.get()) + ")");
    archive_entry* e;
    for (;;) {
      int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return DataLossError(
            path + ": archive_read_next_header: " + ArchiveMessage(a.get()));
      const char* raw = archive_entry_pathname(e);
      if (!raw) continue;
      auto name = NormalizeArchiveName(raw);
      if (!name.ok()) continue;  // never addressable; ignore
      Entry ent;
      if (archive_entry_hardlink(e)) {
        ent.link = archive_entry_hardlink(e);
      } else if (archive_entry_filetype(e) == AE_IFLNK) {
        std::string t =
            archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
        size_t slash = name->rfind('/');
        ent.link =
            (slash == std::string::npos ? "" : name->substr(0, slash + 1)) + t;
      } else if (archive_entry_filetype(e) == AE_IFREG &&
                 archive_entry_sparse_count(e) == 0) {
        ent.offset = archive_filter_bytes(a.get(), 0);
        ent.size = archive_entry_size(e);
      } else {
        continue;
      }
      if (src->entries_.size() >= kMaxArchiveEntries)
        return InvalidArgumentError(path + ": more than " +
                                    std::to_string(kMaxArchiveEntries) +
                                    " entries; not an image archive");
      src->entries_[*name] = ent;
      if (archive_read_data_skip(a.get()) != ARCHIVE_OK)
        return DataLossError(
            path + ": archive_read_data_skip: " + ArchiveMessage(a.get()));
    }
    return std::unique_ptr<ImageSource>(std::move(src));
  }

  bool Has(const std::string& name) const override { return Find(name).ok(); }
  StatusOr<std::string> ReadFile(const std::string& name,
                                 size_t limit) const override {
    WINSNAP_ASSIGN_OR_RETURN(auto f, OpenFile(name));
    std::string out;
    WINSNAP_RETURN_IF_ERROR(ReadAll(f.get(), limit, name, &out));
    return out;
  }
  StatusOr<std::unique_ptr<BlobFile>> OpenFile(
      const std::string& name) const override {
    WINSNAP_ASSIGN_OR_RETURN(const Entry* e, Find(name));
    return std::unique_ptr<BlobFile>(new RangeFile(file_, e->offset, e->size));
  }

 private:
  explicit TarSource(std::shared_ptr<ImageFile> file)
      : file_(std::move(file)) {}

  static std::string ArchiveMessage(archive* a) {
    const char* m = archive_error_string(a);
    return m ? m : "unknown error";
  }

  StatusOr<const Entry*> Find(const std::string& name) const {
    WINSNAP_ASSIGN_OR_RETURN(std::string n, NormalizeArchiveName(name));
    for (int hops = 0; hops < 8; ++hops) {
      auto it = entries_.find(n);
      if (it == entries_.end())
        return NotFoundError("\"" + name + "\" is not in the image archive");
      if (it->second.link.empty()) return &it->second;
      auto next = NormalizeArchiveName(it->second.link);
      if (!next.ok()) return next.status();
      n = *next;
    }
    return InvalidArgumentError("\"" + name + "\": too many links");
  }

  std::shared_ptr<ImageFile> file_;
  std::map<std::string, Entry> entries_;
};

}  // namespace

StatusOr<std::string> NormalizeArchiveName(const std::string& name) {
  if (name.empty() || name.find('\0') != std::string::npos ||
      name.find('\\') != std::string::npos || name[0] == '/')
    return InvalidArgumentError("bad archive file name \"" + name + "\"");
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t slash = name.find('/', start);
    std::string c = name.substr(start, slash - start);
    if (c == "..") {
      // Resolve lexically but never above the archive root.
      if (parts.empty())
        return InvalidArgumentError("archive file name \"" + name +
                                    "\" leaves the archive");
      parts.pop_back();
    } else if (!c.empty() && c != ".") {
      parts.push_back(c);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.empty())
    return InvalidArgumentError("bad archive file name \"" + name + "\"");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

StatusOr<std::unique_ptr<ImageSource>> ImageSource::Open(
    const std::string& path) {
  WINSNAP_ASSIGN_OR_RETURN(OpenedImagePath opened, OpenImagePath(path));
  if (opened.dir)
    return std::unique_ptr<ImageSource>(new DirSource(std::move(opened.dir)));
  uint8_t magic[4] = {};
  WINSNAP_ASSIGN_OR_RETURN(size_t n,
                           opened.file->ReadAt(0, magic, sizeof magic));
  if (n > 0 && DetectCompression(std::span<const uint8_t>(magic, n)) !=
                   Compression::kNone) {
    return UnimplementedError(path +
                              " is compressed; decompress the image archive "
                              "first (e.g. gzip -d)");
  }
  return TarSource::Index(path, std::move(opened.file));
}

std::string OciBlobPath(std::string_view digest) {
  size_t colon = digest.find(':');
  std::string out = "blobs/";
  out += digest.substr(0, colon);
  out += '/';
  out += digest.substr(colon + 1);  // no : (npos + 1 == 0): the whole name
  return out;
}

}  // namespace winsnap::unpack
