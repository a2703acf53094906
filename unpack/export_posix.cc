// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/export.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <vector>

#include "unpack/beneath.h"
#include "unpack/sidecar.h"

namespace winsnap::unpack {
namespace {

constexpr int kFileAttributeDirectory = 16;  // FILE_ATTRIBUTE_DIRECTORY
constexpr int kFileAttributeArchive = 32;    // FILE_ATTRIBUTE_ARCHIVE

class Walker {
 public:
  Walker(int root, TarWriter* w, ExportStats* stats)
      : root_(root), w_(w), stats_(stats) {}

  Status FromSidecar(const std::vector<SidecarRecord>& recs);
  Status Remaining();

 private:
  // lstat of layer path "p" (no symlink followed). ENOENT -> false.
  StatusOr<bool> Lstat(const std::string& p, struct stat* st) {
    size_t slash = p.rfind('/');
    std::string dir = slash == std::string::npos ? "" : p.substr(0, slash);
    std::string base = slash == std::string::npos ? p : p.substr(slash + 1);
    UniqueFd d(dir.empty() ? ::dup(root_)
                           : OpenBeneath(root_, dir, O_RDONLY | O_DIRECTORY));
    if (!d.valid()) {
      if (errno == ENOENT || errno == ENOTDIR) return false;
      return ErrnoError("openat2", errno, p);
    }
    if (::fstatat(d.get(), base.c_str(), st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return false;
      return ErrnoError("fstatat", errno, p);
    }
    return true;
  }

  Status CopyData(int fd, int64_t size, const std::string& what) {
    std::vector<uint8_t> buf(std::min<int64_t>(size, 1 << 20) + 1);
    int64_t left = size;
    while (left > 0) {
      ssize_t r = ::read(fd, buf.data(),
                         static_cast<size_t>(std::min<int64_t>(
                             left, static_cast<int64_t>(buf.size()))));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoError("read", errno, what);
      if (r == 0) return DataLossError(what + " shrank while exporting");
      WINSNAP_RETURN_IF_ERROR(
          w_->WriteData(buf.data(), static_cast<size_t>(r)));
      left -= r;
    }
    stats_->data_bytes += size;
    return OkStatus();
  }

  Status EmitFile(TarHeader h, int dirfd_or_root, const std::string& rel,
                  const std::string& what) {
    UniqueFd fd(OpenBeneath(dirfd_or_root, rel, O_RDONLY));
    if (!fd.valid()) return ErrnoError("open", errno, what);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoError("fstat", errno, what);
    if (!S_ISREG(st.st_mode))
      return DataLossError(what + " is not a regular file");
    h.size = st.st_size;
    WINSNAP_RETURN_IF_ERROR(Header(h));
    return CopyData(fd.get(), st.st_size, what);
  }

  Status Header(const TarHeader& h) {
    ++stats_->entries;
    return w_->WriteHeader(h);
  }

  static TarHeader FromRecord(const SidecarRecord& r) {
    TarHeader h;
    h.name = r.name;
    h.typeflag = r.typeflag;
    h.mode = r.mode;
    h.uid = r.uid;
    h.gid = r.gid;
    h.uname = r.uname;
    h.gname = r.gname;
    h.mtime = r.mtime;
    h.pax = r.pax;
    return h;
  }

  Status WalkDir(const std::string& rel);

  int root_;
  TarWriter* w_;
  ExportStats* stats_;
  std::set<std::string> covered_;
  std::map<std::pair<dev_t, ino_t>, std::string> inodes_;
};

Status Walker::FromSidecar(const std::vector<SidecarRecord>& recs) {
  for (const SidecarRecord& r : recs) {
    struct stat st;
    switch (r.type) {
      case RecordType::kImplicitDir:
        covered_.insert(r.path);
        break;
      case RecordType::kDir: {
        WINSNAP_ASSIGN_OR_RETURN(bool ok, Lstat(r.path, &st));
        if (!ok || !S_ISDIR(st.st_mode)) break;  // removed later in the layer
        covered_.insert(r.path);
        TarHeader h = FromRecord(r);
        h.typeflag = kTypeDir;
        WINSNAP_RETURN_IF_ERROR(Header(h));
        break;
      }
      case RecordType::kFile: {
        WINSNAP_ASSIGN_OR_RETURN(bool ok, Lstat(r.path, &st));
        if (!ok || !S_ISREG(st.st_mode)) break;
        covered_.insert(r.path);
        if (st.st_nlink > 1)
          inodes_.emplace(std::make_pair(st.st_dev, st.st_ino), r.name);
        WINSNAP_RETURN_IF_ERROR(EmitFile(FromRecord(r), root_, r.path, r.path));
        break;
      }
      case RecordType::kStream: {
        TarHeader h = FromRecord(r);
        WINSNAP_RETURN_IF_ERROR(
            EmitFile(h, root_, std::string(kSidecarDir) + "/" + r.data,
                     "stream " + r.name));
        break;
      }
      case RecordType::kSymlink: {
        WINSNAP_ASSIGN_OR_RETURN(bool ok, Lstat(r.path, &st));
        if (!ok || !S_ISLNK(st.st_mode)) break;
        covered_.insert(r.path);
        TarHeader h = FromRecord(r);
        h.linkname = r.target;
        WINSNAP_RETURN_IF_ERROR(Header(h));
        break;
      }
      case RecordType::kHardlink: {
        WINSNAP_ASSIGN_OR_RETURN(bool ok, Lstat(r.path, &st));
        if (!ok || !S_ISREG(st.st_mode)) break;
        covered_.insert(r.path);
        TarHeader h = FromRecord(r);
        h.linkname = r.target;
        WINSNAP_RETURN_IF_ERROR(Header(h));
        break;
      }
      case RecordType::kWhiteout: {
        covered_.insert(r.path);
        TarHeader h = FromRecord(r);
        h.size = 0;
        WINSNAP_RETURN_IF_ERROR(Header(h));
        break;
      }
      case RecordType::kOpaque: {
        covered_.insert(r.path + "/.wh..wh..opq");
        TarHeader h = FromRecord(r);
        h.size = 0;
        WINSNAP_RETURN_IF_ERROR(Header(h));
        break;
      }
    }
  }
  return OkStatus();
}

Status Walker::WalkDir(const std::string& rel) {
  UniqueFd d(OpenBeneath(root_, rel, O_RDONLY | O_DIRECTORY));
  if (!d.valid()) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoError("openat2", errno, rel);
  }
  const std::string opaque = rel + "/.wh..wh..opq";
  if (!covered_.count(opaque)) {
    char v[2] = {};
    ssize_t n = ::fgetxattr(d.get(), "trusted.overlay.opaque", v, sizeof v);
    if (n == 1 && v[0] == 'y') {
      TarHeader h;
      h.name = opaque;
      WINSNAP_RETURN_IF_ERROR(Header(h));
    }
  }
  DIR* dir = ::fdopendir(::dup(d.get()));
  if (!dir) return ErrnoError("fdopendir", errno, rel);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    const std::string p = rel + "/" + n;
    struct stat st;
    if (::fstatat(d.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return ErrnoError("fstatat", errno, p);
    const bool seen = covered_.count(p) > 0;
    if (S_ISDIR(st.st_mode)) {
      if (!seen) {
        TarHeader h;
        h.name = p;
        h.typeflag = kTypeDir;
        h.mode = st.st_mode & 07777;
        h.mtime = st.st_mtim.tv_sec;
        h.pax = {
            {"MSWINDOWS.fileattr", std::to_string(kFileAttributeDirectory)}};
        WINSNAP_RETURN_IF_ERROR(Header(h));
      }
      WINSNAP_RETURN_IF_ERROR(WalkDir(p));
      continue;
    }
    if (seen) continue;
    TarHeader h;
    h.name = p;
    h.mode = st.st_mode & 07777;
    h.mtime = st.st_mtim.tv_sec;
    if (S_ISREG(st.st_mode)) {
      h.pax = {{"MSWINDOWS.fileattr", std::to_string(kFileAttributeArchive)}};
      auto key = std::make_pair(st.st_dev, st.st_ino);
      if (st.st_nlink > 1) {
        if (auto it = inodes_.find(key); it != inodes_.end()) {
          h.typeflag = kTypeLink;
          h.linkname = it->second;
          h.pax.clear();
          WINSNAP_RETURN_IF_ERROR(Header(h));
          continue;
        }
        inodes_.emplace(key, p);
      }
      WINSNAP_RETURN_IF_ERROR(EmitFile(h, d.get(), n, p));
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t len =
          ::readlinkat(d.get(), n.c_str(), target.data(), target.size());
      if (len < 0) return ErrnoError("readlinkat", errno, p);
      target.resize(static_cast<size_t>(len));
      h.typeflag = kTypeSymlink;
      h.linkname = target;
      WINSNAP_RETURN_IF_ERROR(Header(h));
    } else if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
      TarHeader wh;
      wh.name = rel + "/.wh." + n;
      WINSNAP_RETURN_IF_ERROR(Header(wh));
    }
    // Other types (sockets, devices) have no Windows-layer form: skipped.
  }
  return OkStatus();
}

Status Walker::Remaining() {
  for (const char* top : {"Files", "Hives", "UtilityVM"}) {
    struct stat st;
    WINSNAP_ASSIGN_OR_RETURN(bool ok, Lstat(top, &st));
    if (!ok || !S_ISDIR(st.st_mode)) continue;
    if (!covered_.count(top)) {
      TarHeader h;
      h.name = top;
      h.typeflag = kTypeDir;
      h.mode = st.st_mode & 07777;
      h.mtime = st.st_mtim.tv_sec;
      h.pax = {{"MSWINDOWS.fileattr", std::to_string(kFileAttributeDirectory)}};
      WINSNAP_RETURN_IF_ERROR(Header(h));
    }
    WINSNAP_RETURN_IF_ERROR(WalkDir(top));
  }
  return OkStatus();
}

}  // namespace

StatusOr<ExportStats> Exporter::Export(const std::string& layer_dir,
                                       ByteSink* sink) {
  UniqueFd root(::open(layer_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return ErrnoError("open", errno, layer_dir);
  std::vector<SidecarRecord> recs;
  auto r = ReadSidecar(layer_dir);
  if (r.ok()) {
    recs = std::move(*r);
  } else if (r.status().code() != StatusCode::kNotFound) {
    return r.status();
  }
  ExportStats stats;
  TarWriter w(sink);
  Walker walker(root.get(), &w, &stats);
  WINSNAP_RETURN_IF_ERROR(walker.FromSidecar(recs));
  WINSNAP_RETURN_IF_ERROR(walker.Remaining());
  WINSNAP_RETURN_IF_ERROR(w.Close());
  return stats;
}

StatusOr<ExportStats> Exporter::ExportToFile(const std::string& layer_dir,
                                             const std::string& out_path) {
  if (out_path == "-") {
    FdSink sink(STDOUT_FILENO);
    WINSNAP_ASSIGN_OR_RETURN(ExportStats st, Export(layer_dir, &sink));
    WINSNAP_RETURN_IF_ERROR(sink.Flush());
    return st;
  }
  std::string tmp = out_path + ".tmp-XXXXXX";
  UniqueFd fd(::mkstemp(tmp.data()));
  if (!fd.valid()) return ErrnoError("mkstemp", errno, tmp);
  auto fail = [&](Status s) {
    ::unlink(tmp.c_str());
    return s;
  };
  FdSink sink(fd.get());
  auto st = Export(layer_dir, &sink);
  if (!st.ok()) return fail(st.status());
  Status s = sink.Flush();
  if (!s.ok()) return fail(s);
  if (::fchmod(fd.get(), 0644) != 0 || ::fsync(fd.get()) != 0)
    return fail(ErrnoError("fsync", errno, tmp));
  if (::rename(tmp.c_str(), out_path.c_str()) != 0)
    return fail(ErrnoError("rename", errno, out_path));
  return st;
}

}  // namespace winsnap::unpack
