// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Linux LayerWriter: plain folders plus the sidecar index (sidecar.h). Every
// path is opened relative to a directory fd resolved beneath the layer root
// with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
// and the final component is created with O_NOFOLLOW / *at() calls that do
// not follow symlinks, so no entry can reach outside the folder.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "base/env.h"
#include "unpack/beneath.h"
#include "unpack/layer_path.h"
#include "unpack/layer_writer.h"
#include "unpack/sidecar.h"

namespace winsnap::unpack {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";

Status Bad(std::string_view name, std::string_view why) {
  return InvalidArgumentError("layer entry \"" + std::string(name) +
                              "\": " + std::string(why));
}

Status EntryErrno(std::string_view name, const char* fn, int err) {
  return ErrnoError(fn, err, "layer entry \"" + std::string(name) + "\"");
}

// Deletes "name" in "dirfd" and, for a directory, everything below it,
// without following symlinks. OK if it does not exist.
Status RemoveAllAt(int dirfd, const std::string& name, std::string_view entry) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return OkStatus();
    return EntryErrno(entry, "fstatat", errno);
  }
  if (S_ISDIR(st.st_mode)) {
    UniqueFd fd(::openat(dirfd, name.c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return EntryErrno(entry, "openat", errno);
    DIR* d = ::fdopendir(fd.get());
    if (!d) return EntryErrno(entry, "fdopendir", errno);
    (void)fd.release();  // closedir(d) closes it
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    Status s;
    for (const auto& n : names) {
      s = RemoveAllAt(::dirfd(d), n, entry);
      if (!s.ok()) break;
    }
    ::closedir(d);
    WINSNAP_RETURN_IF_ERROR(s);
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0)
      return EntryErrno(entry, "unlinkat", errno);
    return OkStatus();
  }
  if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT)
    return EntryErrno(entry, "unlinkat", errno);
  return OkStatus();
}

bool IsOverlayWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

class PosixLayerWriter final : public LayerWriter {
 public:
  PosixLayerWriter(std::string dir, LayerWriterOptions options, UniqueFd root,
                   SidecarWriter sidecar)
      : dir_(std::move(dir)),
        options_(options),
        root_(std::move(root)),
        sidecar_(std::move(sidecar)) {}

  Status Add(const TarHeader& h, EntryData* data) override;
  StatusOr<LayerStats> Finish() override;
  const LayerStats& stats() const override { return stats_; }

 private:
  // An fd of layer folder "rel" ("" = the root), resolved beneath the root.
  // With "create", missing folders are made (and recorded as implicit).
  // Returns -1 in *fd with OK if it does not exist and !create.
  Status DirFd(const std::string& rel, bool create, std::string_view entry,
               int* fd);
  void InvalidateDirCache() {
    cached_fd_.reset();
    cached_dir_.clear();
    cached_valid_ = false;
  }
  Status WriteData(int fd, EntryData* data, std::string_view entry,
                   int64_t expect);
  Status AddStream(const TarHeader& h, const EntryPath& ep, EntryData* data);
  Status AddWhiteout(const TarHeader& h, const EntryPath& ep);
  Status AddDir(const TarHeader& h, const EntryPath& ep);
  Status AddFile(const TarHeader& h, const EntryPath& ep, EntryData* data);
  Status AddSymlink(const TarHeader& h, const EntryPath& ep);
  Status AddHardlink(const TarHeader& h, const EntryPath& ep);
  Status SetOpaque(int dirfd, std::string_view entry, bool* materialized);
  SidecarRecord Record(RecordType type, const TarHeader& h,
                       const std::string& path) const;

  std::string dir_;
  LayerWriterOptions options_;
  UniqueFd root_;
  SidecarWriter sidecar_;
  LayerStats stats_;
  std::string cached_dir_;
  UniqueFd cached_fd_;
  bool cached_valid_ = false;
  std::string last_owner_;  // path of the last file/dir entry (ADS owner)
  int64_t next_stream_ = 0;
  bool finished_ = false;
};

SidecarRecord PosixLayerWriter::Record(RecordType type, const TarHeader& h,
                                       const std::string& path) const {
  SidecarRecord r;
  r.type = type;
  r.name = h.name;
  r.path = path;
  r.typeflag = h.typeflag;
  r.mode = h.mode;
  r.uid = h.uid;
  r.gid = h.gid;
  r.uname = h.uname;
  r.gname = h.gname;
  r.mtime = h.mtime;
  r.pax = h.pax;
  return r;
}

Status PosixLayerWriter::DirFd(const std::string& rel, bool create,
                               std::string_view entry, int* out) {
  if (cached_valid_ && cached_dir_ == rel) {
    *out = cached_fd_.get();
    return OkStatus();
  }
  auto classify = [&](int err, const std::string& path) -> Status {
    if (err == ELOOP || err == EXDEV)
      return Bad(entry, "its path goes through a symlink");
    if (err == ENOTDIR) {
      // O_NOFOLLOW on a final symlink also reports ENOTDIR: tell them apart
      // by opening the path itself (O_PATH|O_NOFOLLOW returns the link).
      UniqueFd probe(OpenBeneath(root_.get(), path, O_PATH | O_NOFOLLOW));
      struct stat st;
      if (probe.valid() && ::fstat(probe.get(), &st) == 0 &&
          S_ISLNK(st.st_mode))
        return Bad(entry, "its path goes through a symlink");
      return Bad(entry, "a parent is not a directory");
    }
    return EntryErrno(entry, "openat2", err);
  };
  int fd = rel.empty() ? ::dup(root_.get())
                       : OpenBeneath(root_.get(), rel,
                                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    if (!create) {
      *out = -1;
      return OkStatus();
    }
    // Walk from the root, creating what is missing.
    UniqueFd cur(::dup(root_.get()));
    std::string sofar;
    size_t start = 0;
    for (;;) {
      size_t slash = rel.find('/', start);
      std::string comp = rel.substr(start, slash - start);
      sofar += (sofar.empty() ? "" : "/") + comp;
      int f = OpenBeneath(cur.get(), comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (f < 0 && errno == ENOENT) {
        if (::mkdirat(cur.get(), comp.c_str(), 0755) != 0 && errno != EEXIST)
          return EntryErrno(entry, "mkdirat", errno);
        SidecarRecord r;
        r.type = RecordType::kImplicitDir;
        r.name = sofar;
        r.path = sofar;
        r.typeflag = kTypeDir;
        r.mode = 0755;
        WINSNAP_RETURN_IF_ERROR(sidecar_.Append(r));
        f = OpenBeneath(cur.get(), comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      }
      if (f < 0) return classify(errno, sofar);
      cur.reset(f);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    fd = cur.release();
  }
  if (fd < 0) return classify(errno, rel);
  cached_fd_.reset(fd);
  cached_dir_ = rel;
  cached_valid_ = true;
  *out = fd;
  return OkStatus();
}

Status PosixLayerWriter::WriteData(int fd, EntryData* data,
                                   std::string_view entry, int64_t expect) {
  int64_t got = 0;
  for (;;) {
    WINSNAP_ASSIGN_OR_RETURN(std::span<const uint8_t> chunk, data->Next());
    if (chunk.empty()) break;
    const uint8_t* p = chunk.data();
    size_t n = chunk.size();
    got += static_cast<int64_t>(n);
    while (n > 0) {
      ssize_t w = ::write(fd, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return EntryErrno(entry, "write", errno);
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
  if (got != expect)
    return DataLossError("layer entry \"" + std::string(entry) + "\": got " +
                         std::to_string(got) + " of " + std::to_string(expect) +
                         " data bytes");
  stats_.bytes += got;
  return OkStatus();
}

Status PosixLayerWriter::SetOpaque(int dirfd, std::string_view entry,
                                   bool* materialized) {
  *materialized = false;
  if (!options_.overlay_whiteouts) return OkStatus();
  if (::fsetxattr(dirfd, kOpaqueXattr, "y", 1, 0) == 0) {
    *materialized = true;
    return OkStatus();
  }
  if (errno == EPERM || errno == ENOTSUP || errno == EACCES) {
    ++stats_.unmaterialized;
    return OkStatus();
  }
  return EntryErrno(entry, "fsetxattr(trusted.overlay.opaque)", errno);
}

Status PosixLayerWriter::Add(const TarHeader& h, EntryData* data) {
  if (finished_) return FailedPreconditionError("layer writer is finished");
  ++stats_.entries;
  WINSNAP_ASSIGN_OR_RETURN(EntryPath ep,
                           ValidateEntryName(h.name, options_.windows_layer));
  if (!ep.stream.empty()) return AddStream(h, ep, data);
  const std::string base = ep.base();
  if (base.substr(0, kWhiteoutPrefix.size()) == kWhiteoutPrefix) {
    last_owner_.clear();
    return AddWhiteout(h, ep);
  }
  switch (h.typeflag) {
    case kTypeDir:
      last_owner_ = ep.path;
      return AddDir(h, ep);
    case kTypeReg:
    case kTypeRegA:
    case kTypeCont:
      last_owner_ = ep.path;
      return AddFile(h, ep, data);
    case kTypeSymlink:
      last_owner_.clear();
      return AddSymlink(h, ep);
    case kTypeLink:
      last_owner_.clear();
      return AddHardlink(h, ep);
    case kTypeChar:
    case kTypeBlock:
      return Bad(h.name, "device nodes are not allowed in a layer");
    case kTypeFifo:
      return Bad(h.name, "FIFOs are not allowed in a layer");
    default:
      return Bad(h.name,
                 std::string("unsupported entry type '") +
                     (h.typeflag >= 32 && h.typeflag < 127
                          ? std::string(1, h.typeflag)
                          : "\\x" + std::to_string(static_cast<unsigned char>(
                                        h.typeflag))) +
                     "'");
  }
}

Status PosixLayerWriter::AddStream(const TarHeader& h, const EntryPath& ep,
                                   EntryData* data) {
  if (!h.IsRegular())
    return Bad(h.name, "an alternate data stream must be a regular entry");
  if (last_owner_.empty() || last_owner_ != ep.path)
    return Bad(h.name,
               "alternate data stream does not follow its file's entry");
  std::string rel =
      std::string(kStreamsDir) + "/" + std::to_string(next_stream_++);
  UniqueFd fd(::openat(root_.get(), rel.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0600));
  if (fd.get() < 0) return EntryErrno(h.name, "openat", errno);
  WINSNAP_RETURN_IF_ERROR(WriteData(fd.get(), data, h.name, h.size));
  SidecarRecord r = Record(RecordType::kStream, h, ep.path);
  r.stream = ep.stream;
  r.data = rel.substr(kSidecarDir.size() + 1);
  r.size = h.size;
  ++stats_.streams;
  return sidecar_.Append(r);
}

Status PosixLayerWriter::AddWhiteout(const TarHeader& h, const EntryPath& ep) {
  const std::string dir = ep.dir();
  const std::string base = ep.base();
  const std::string root = PathRoot(ep.path);
  if (root != "Files" && root != "UtilityVM/Files")
    return Bad(h.name,
               "whiteouts are only valid under Files/ and "
               "UtilityVM/Files/");
  if (base == kOpaqueMarker) {
    int dfd;
    WINSNAP_RETURN_IF_ERROR(DirFd(dir, /*create=*/true, h.name, &dfd));
    SidecarRecord r = Record(RecordType::kOpaque, h, dir);
    WINSNAP_RETURN_IF_ERROR(SetOpaque(dfd, h.name, &r.materialized));
    ++stats_.opaque_dirs;
    return sidecar_.Append(r);
  }
  const std::string hidden = base.substr(kWhiteoutPrefix.size());
  if (hidden.empty() || hidden == "." || hidden == "..")
    return Bad(h.name, "malformed whiteout");
  const std::string hidden_path = dir + "/" + hidden;
  if (hidden_path == "UtilityVM/Files")
    return Bad(h.name, "whiteout of a layer root");
  const bool materialize = options_.overlay_whiteouts && root == "Files";
  int dfd;
  WINSNAP_RETURN_IF_ERROR(DirFd(dir, /*create=*/materialize, h.name, &dfd));
  SidecarRecord r = Record(RecordType::kWhiteout, h, hidden_path);
  r.materialized = false;
  if (dfd >= 0) {
    WINSNAP_RETURN_IF_ERROR(RemoveAllAt(dfd, hidden, h.name));
    if (materialize) {
      if (::mknodat(dfd, hidden.c_str(), S_IFCHR | 0, makedev(0, 0)) == 0) {
        r.materialized = true;
      } else if (errno == EPERM || errno == EACCES) {
        ++stats_.unmaterialized;
      } else {
        return EntryErrno(h.name, "mknodat", errno);
      }
    }
  }
  if (!materialize) ++stats_.unmaterialized;
  // The removed path may have been a cached folder.
  InvalidateDirCache();
  ++stats_.whiteouts;
  return sidecar_.Append(r);
}

Status PosixLayerWriter::AddDir(const TarHeader& h, const EntryPath& ep) {
  int pfd;
  WINSNAP_RETURN_IF_ERROR(DirFd(ep.dir(), /*create=*/true, h.name, &pfd));
  const std::string base = ep.base();
  mode_t perm = static_cast<mode_t>(h.mode & 0777);
  if (perm == 0) perm = 0755;
  bool replaced_whiteout = false;
  if (::mkdirat(pfd, base.c_str(), perm | 0700) != 0) {
    if (errno != EEXIST) return EntryErrno(h.name, "mkdirat", errno);
    struct stat st;
    if (::fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return EntryErrno(h.name, "fstatat", errno);
    if (!S_ISDIR(st.st_mode)) {
      replaced_whiteout = IsOverlayWhiteout(st);
      WINSNAP_RETURN_IF_ERROR(RemoveAllAt(pfd, base, h.name));
      if (::mkdirat(pfd, base.c_str(), perm | 0700) != 0)
        return EntryErrno(h.name, "mkdirat", errno);
    }
  }
  if (replaced_whiteout) {
    // A directory replacing a whiteout hides the lower one's content.
    UniqueFd dfd(::openat(pfd, base.c_str(),
                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    bool unused;
    if (dfd.get() >= 0)
      WINSNAP_RETURN_IF_ERROR(SetOpaque(dfd.get(), h.name, &unused));
  }
  ++stats_.dirs;
  return sidecar_.Append(Record(RecordType::kDir, h, ep.path));
}

Status PosixLayerWriter::AddFile(const TarHeader& h, const EntryPath& ep,
                                 EntryData* data) {
  int pfd;
  WINSNAP_RETURN_IF_ERROR(DirFd(ep.dir(), /*create=*/true, h.name, &pfd));
  const std::string base = ep.base();
  mode_t perm = static_cast<mode_t>(h.mode & 0777);
  if (perm == 0) perm = 0644;
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd(::openat(pfd, base.c_str(), flags, perm));
  if (fd.get() < 0 && errno == EEXIST) {
    // A later entry replaces an earlier one (tar semantics).
    WINSNAP_RETURN_IF_ERROR(RemoveAllAt(pfd, base, h.name));
    fd.reset(::openat(pfd, base.c_str(), flags, perm));
  }
  if (fd.get() < 0) return EntryErrno(h.name, "openat", errno);
  WINSNAP_RETURN_IF_ERROR(WriteData(fd.get(), data, h.name, h.size));
  timespec times[2] = {{h.mtime, 0}, {h.mtime, 0}};
  ::futimens(fd.get(), times);  // best effort: metadata is in the sidecar
  SidecarRecord r = Record(RecordType::kFile, h, ep.path);
  r.size = h.size;
  ++stats_.files;
  return sidecar_.Append(r);
}

Status PosixLayerWriter::AddSymlink(const TarHeader& h, const EntryPath& ep) {
  WINSNAP_ASSIGN_OR_RETURN(std::string target,
                           ResolveSymlinkTarget(ep.path, h.linkname));
  int pfd;
  WINSNAP_RETURN_IF_ERROR(DirFd(ep.dir(), /*create=*/true, h.name, &pfd));
  const std::string base = ep.base();
  if (::symlinkat(target.c_str(), pfd, base.c_str()) != 0) {
    if (errno != EEXIST) return EntryErrno(h.name, "symlinkat", errno);
    WINSNAP_RETURN_IF_ERROR(RemoveAllAt(pfd, base, h.name));
    if (::symlinkat(target.c_str(), pfd, base.c_str()) != 0)
      return EntryErrno(h.name, "symlinkat", errno);
  }
  InvalidateDirCache();  // the name may have been a cached folder
  SidecarRecord r = Record(RecordType::kSymlink, h, ep.path);
  r.target = h.linkname;
  ++stats_.symlinks;
  return sidecar_.Append(r);
}

Status PosixLayerWriter::AddHardlink(const TarHeader& h, const EntryPath& ep) {
  auto tp = ValidateEntryName(h.linkname, options_.windows_layer);
  if (!tp.ok())
    return Bad(h.name, "hard link target: " + tp.status().message());
  if (!tp->stream.empty())
    return Bad(h.name, "hard link to an alternate data stream");
  if (tp->path == ep.path) return Bad(h.name, "hard link to itself");
  // The target's folder fd is taken (and kept open) before the link's.
  int cached;
  WINSNAP_RETURN_IF_ERROR(DirFd(tp->dir(), /*create=*/false, h.name, &cached));
  if (cached < 0)
    return Bad(h.name,
               "hard link target \"" + h.linkname + "\" is not in this layer");
  UniqueFd tfd(::dup(cached));
  if (tfd.get() < 0) return EntryErrno(h.name, "dup", errno);
  const std::string tbase = tp->base();
  struct stat st;
  if (::fstatat(tfd.get(), tbase.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT)
      return Bad(h.name, "hard link target \"" + h.linkname +
                             "\" is not in this layer");
    return EntryErrno(h.name, "fstatat", errno);
  }
  if (!S_ISREG(st.st_mode))
    return Bad(h.name,
               "hard link target \"" + h.linkname + "\" is not a regular file");
  int pfd;
  WINSNAP_RETURN_IF_ERROR(DirFd(ep.dir(), /*create=*/true, h.name, &pfd));
  const std::string base = ep.base();
  if (::linkat(tfd.get(), tbase.c_str(), pfd, base.c_str(), 0) != 0) {
    if (errno != EEXIST) return EntryErrno(h.name, "linkat", errno);
    WINSNAP_RETURN_IF_ERROR(RemoveAllAt(pfd, base, h.name));
    if (::linkat(tfd.get(), tbase.c_str(), pfd, base.c_str(), 0) != 0)
      return EntryErrno(h.name, "linkat", errno);
  }
  SidecarRecord r = Record(RecordType::kHardlink, h, ep.path);
  r.target = h.linkname;
  ++stats_.hardlinks;
  return sidecar_.Append(r);
}

StatusOr<LayerStats> PosixLayerWriter::Finish() {
  if (finished_) return FailedPreconditionError("layer writer is finished");
  finished_ = true;
  InvalidateDirCache();
  WINSNAP_RETURN_IF_ERROR(sidecar_.Commit());
  if (options_.sync && ::syncfs(root_.get()) != 0)
    return ErrnoError("syncfs", errno, dir_);
  return stats_;
}

}  // namespace

Status LayerWritingSupported() { return OkStatus(); }

bool LayerWritesNeedCommittedParents() { return false; }

StatusOr<std::unique_ptr<LayerWriter>> NewLayerWriter(
    const std::string& dir, const LayerWriterOptions& options) {
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return ErrnoError("open", errno, dir);
  WINSNAP_ASSIGN_OR_RETURN(SidecarWriter sidecar, SidecarWriter::Create(dir));
  std::string streams = base::JoinPath(dir, kStreamsDir);
  if (::mkdir(streams.c_str(), 0700) != 0 && errno != EEXIST)
    return ErrnoError("mkdir", errno, streams);
  return std::unique_ptr<LayerWriter>(
      new PosixLayerWriter(dir, options, std::move(root), std::move(sidecar)));
}

}  // namespace winsnap::unpack
