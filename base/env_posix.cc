// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// POSIX implementation of base::Env.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <set>
#include <utility>

#include "base/env.h"
#include "base/unique_fd.h"

namespace winsnap::base {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

// --- Removal -------------------------------------------------------------
// RemoveAll walks the tree through directory fds (openat/unlinkat relative
// to the directory being emptied, O_NOFOLLOW), so a symlink is removed as a
// link and never followed, and a path component swapped for a link mid-way
// cannot redirect the walk. Every directory is checked against the root's
// filesystem (st_dev) and mount (statx STATX_MNT_ID, which also tells a bind
// mount of a directory on the same filesystem apart); a mount point is
// refused, never descended into.

// Where a directory lives: its device and, if the kernel reports it, its
// mount id.
struct MountIdentity {
  dev_t dev = 0;
  bool has_mnt_id = false;
  uint64_t mnt_id = 0;
};

// Identity of "name" relative to "dirfd" (name "" means dirfd itself).
// Symlinks are not followed.
bool IdentityAt(int dirfd, const char* name, MountIdentity* out) {
  struct statx stx;
  int flags = AT_SYMLINK_NOFOLLOW | (name[0] == '\0' ? AT_EMPTY_PATH : 0);
  if (::statx(dirfd, name, flags, STATX_MNT_ID, &stx) == 0) {
    out->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
    out->has_mnt_id = (stx.stx_mask & STATX_MNT_ID) != 0;
    out->mnt_id = stx.stx_mnt_id;
    return true;
  }
  struct stat st;
  if (::fstatat(dirfd, name, &st, flags) != 0) return false;
  out->dev = st.st_dev;
  out->has_mnt_id = false;
  return true;
}

bool SameMount(const MountIdentity& a, const MountIdentity& b) {
  if (a.dev != b.dev) return false;
  return !(a.has_mnt_id && b.has_mnt_id) || a.mnt_id == b.mnt_id;
}

Status MountPointError(const std::string& path) {
  return FailedPreconditionError(
      path +
      " is a mount point (another filesystem or a bind mount): not deleting "
      "through it; unmount it and retry");
}

// errno of a removal call as a Status: EBUSY/ETXTBSY (in use, e.g. a file
// that is itself a mount point) is Unavailable, a transient condition a
// caller may retry; the rest as ErrnoError maps them.
Status RemoveError(const char* function, int err, const std::string& path) {
  if (err == EBUSY || err == ETXTBSY) {
    return UnavailableError(std::string(function) + " " + path + ": " +
                            std::strerror(err));
  }
  return ErrnoError(function, err, path);
}

Status RemoveDirAt(int parent_fd, const std::string& name,
                   const std::string& path, const MountIdentity& root);

// Removes entry "name" of the directory open as "dir_fd" (shown as "path").
// "type" is a d_type hint (DT_UNKNOWN if none).
Status RemoveEntryAt(int dir_fd, const std::string& name,
                     const std::string& path, unsigned char type,
                     const MountIdentity& root) {
  if (type == DT_UNKNOWN) {
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return OkStatus();
      return ErrnoError("fstatat", errno, path);
    }
    type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
  }
  if (type == DT_DIR) return RemoveDirAt(dir_fd, name, path, root);
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) {
    return OkStatus();
  }
  if (errno == EISDIR) return RemoveDirAt(dir_fd, name, path, root);
  if (errno == EACCES || errno == EPERM) {
    // A directory we own without write permission (e.g. 0555): make it
    // writable, then retry.
    int err = errno;
    if (::fchmod(dir_fd, 0700) != 0) return RemoveError("unlink", err, path);
    if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) {
      return OkStatus();
    }
  }
  return RemoveError("unlink", errno, path);
}

// Empties and removes directory "name" of "parent_fd" (shown as "path"),
// which must be on the same mount as "root". Keeps going after an error so
// everything else is deleted, and returns the first error.
Status RemoveDirAt(int parent_fd, const std::string& name,
                   const std::string& path, const MountIdentity& root) {
  constexpr int kOpenFlags =
      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  // Checked before it is opened or chmod-ed (a mount's root belongs to what
  // is mounted), and again on the open fd below against a swap in between.
  MountIdentity entry;
  if (IdentityAt(parent_fd, name.c_str(), &entry) && !SameMount(entry, root)) {
    return MountPointError(path);
  }
  int fd = ::openat(parent_fd, name.c_str(), kOpenFlags);
  if (fd < 0 && errno == EACCES) {
    // A directory we own but cannot read: make it readable, then retry.
    // (The type was checked without following links; fchmodat with
    // AT_SYMLINK_NOFOLLOW refuses a link swapped in since.)
    if (::fchmodat(parent_fd, name.c_str(), 0700, AT_SYMLINK_NOFOLLOW) != 0) {
      ::fchmodat(parent_fd, name.c_str(), 0700, 0);
    }
    fd = ::openat(parent_fd, name.c_str(), kOpenFlags);
  }
  if (fd < 0) {
    if (errno == ENOENT) return OkStatus();
    if (errno == ELOOP || errno == ENOTDIR) {
      // Replaced by a link or a file since it was listed: remove the entry
      // itself, never what it points to.
      if (::unlinkat(parent_fd, name.c_str(), 0) == 0 || errno == ENOENT) {
        return OkStatus();
      }
      return RemoveError("unlink", errno, path);
    }
    return ErrnoError("open", errno, path);
  }
  UniqueFd owner(fd);  // until fdopendir succeeds; then closedir closes fd
  UniqueDir dir(::fdopendir(fd));
  if (!dir) return ErrnoError("fdopendir", errno, path);
  (void)owner.release();
  MountIdentity here;
  if (!IdentityAt(fd, "", &here)) return ErrnoError("statx", errno, path);
  if (!SameMount(here, root)) return MountPointError(path);
  Status first;
  while (dirent* e = ::readdir(dir.get())) {
    std::string_view child = e->d_name;
    if (child == "." || child == "..") continue;
    Status s = RemoveEntryAt(fd, std::string(child), JoinPath(path, child),
                             e->d_type, root);
    if (!s.ok() && first.ok()) first = s;
  }
  dir.reset();
  if (!first.ok()) return first;
  if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 &&
      errno != ENOENT) {
    return RemoveError("rmdir", errno, path);
  }
  return OkStatus();
}

Status RemoveTree(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("RemoveAll: empty path");
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/") return InvalidArgumentError("RemoveAll: refusing to delete /");
  auto slash = p.find_last_of('/');
  std::string parent = slash == std::string::npos ? "."
                       : slash == 0               ? "/"
                                                  : p.substr(0, slash);
  std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
  if (name == "." || name == "..") {
    return InvalidArgumentError("RemoveAll: path must not end in . or ..: " +
                                path);
  }
  UniqueFd parent_fd(
      ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoError("open", errno, parent);
  }
  struct stat st;
  if (::fstatat(parent_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoError("lstat", errno, path);
  }
  if (!S_ISDIR(st.st_mode)) {
    return RemoveEntryAt(parent_fd.get(), name, p, DT_REG, MountIdentity{});
  }
  // The tree's filesystem is its parent's: a path that is itself a mount
  // point is refused like one met inside.
  MountIdentity root;
  if (!IdentityAt(parent_fd.get(), "", &root)) {
    return ErrnoError("statx", errno, parent);
  }
  return RemoveDirAt(parent_fd.get(), name, p, root);
}

void AddUsage(const std::string& path, std::set<std::pair<dev_t, ino_t>>* seen,
              DiskUsage* usage, Status* first) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT && first->ok())
      *first = ErrnoError("lstat", errno, path);
    return;
  }
  if (seen->insert({st.st_dev, st.st_ino}).second) {
    usage->inodes++;
    usage->size += static_cast<int64_t>(st.st_blocks) * 512;
  }
  if (!S_ISDIR(st.st_mode)) return;
  UniqueDir dir(::opendir(path.c_str()));
  if (!dir) {
    if (first->ok()) *first = ErrnoError("opendir", errno, path);
    return;
  }
  while (dirent* e = ::readdir(dir.get())) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    AddUsage(JoinPath(path, name), seen, usage, first);
  }
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}

  Status TryLock() override {
    if (locked_) return OkStatus();
    while (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EINTR) continue;
      if (errno == EWOULDBLOCK)
        return UnavailableError("flock " + path_ + ": held by another process");
      return ErrnoError("flock", errno, path_);
    }
    locked_ = true;
    return OkStatus();
  }

  Status Unlock() override {
    if (!locked_) return OkStatus();
    if (::flock(fd_.get(), LOCK_UN) != 0)
      return ErrnoError("flock", errno, path_);
    locked_ = false;
    return OkStatus();
  }

  bool locked() const override { return locked_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  UniqueFd fd_;  // closing it drops the flock
  bool locked_ = false;
};

class PosixEnv final : public Env {
 public:
  Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0700) != 0)
      return ErrnoError("mkdir", errno, path);
    return OkStatus();
  }

  Status Chmod(const std::string& path, uint32_t mode) override {
    if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0)
      return ErrnoError("chmod", errno, path);
    return OkStatus();
  }

  Status CreateDirs(const std::string& path) override {
    if (path.empty()) return InvalidArgumentError("CreateDirs: empty path");
    if (IsDirectory(path)) return OkStatus();
    auto slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
      WINSNAP_RETURN_IF_ERROR(CreateDirs(path.substr(0, slash)));
    }
    if (::mkdir(path.c_str(), 0700) != 0 &&
        !(errno == EEXIST && IsDirectory(path))) {
      return ErrnoError("mkdir", errno, path);
    }
    return OkStatus();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoError("rename", errno, from + " -> " + to);
    }
    return OkStatus();
  }

  Status RemoveAll(const std::string& path) override {
    return RemoveTree(path);
  }

  Status SyncDir(const std::string& path) override {
    UniqueFd f(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!f) return ErrnoError("open", errno, path);
    if (::fsync(f.get()) != 0) return ErrnoError("fsync", errno, path);
    return OkStatus();
  }

  bool Exists(const std::string& path) override {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }

  bool IsDirectory(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  StatusOr<std::vector<std::string>> ListDir(const std::string& path) override {
    UniqueDir dir(::opendir(path.c_str()));
    if (!dir) return ErrnoError("opendir", errno, path);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir.get())) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    return names;
  }

  StatusOr<DiskUsage> GetDiskUsage(const std::string& path) override {
    std::set<std::pair<dev_t, ino_t>> seen;
    DiskUsage usage;
    Status first;
    AddUsage(path, &seen, &usage, &first);
    if (!first.ok()) return first;
    return usage;
  }

  StatusOr<std::string> ReadFile(const std::string& path) override {
    UniqueFd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!f) return ErrnoError("open", errno, path);
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(f.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("read", errno, path);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  Status WriteFileAtomic(const std::string& path,
                         std::string_view data) override {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
      UniqueFd f(
          ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!f) return ErrnoError("open", errno, tmp);
      size_t off = 0;
      while (off < data.size()) {
        ssize_t n = ::write(f.get(), data.data() + off, data.size() - off);
        if (n < 0) {
          if (errno == EINTR) continue;
          Status s = ErrnoError("write", errno, tmp);
          ::unlink(tmp.c_str());
          return s;
        }
        off += static_cast<size_t>(n);
      }
      if (::fsync(f.get()) != 0) {
        Status s = ErrnoError("fsync", errno, tmp);
        ::unlink(tmp.c_str());
        return s;
      }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      Status s = ErrnoError("rename", errno, tmp + " -> " + path);
      ::unlink(tmp.c_str());
      return s;
    }
    auto slash = path.find_last_of('/');
    return SyncDir(slash == std::string::npos
                       ? "."
                       : path.substr(0, slash == 0 ? 1 : slash));
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoError("unlink", errno, path);
    return OkStatus();
  }

  StatusOr<std::unique_ptr<FileLock>> OpenLockFile(const std::string& path,
                                                   bool create) override {
    int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
    UniqueFd fd(::open(path.c_str(), flags, 0600));
    if (!fd) return ErrnoError("open", errno, path);
    return std::unique_ptr<FileLock>(
        std::make_unique<PosixFileLock>(path, std::move(fd)));
  }

  StatusOr<std::string> CreateTempDir(const std::string& parent,
                                      std::string_view prefix) override {
    std::string tmpl = JoinPath(parent, std::string(prefix) + "XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr)
      return ErrnoError("mkdtemp", errno, tmpl);
    return tmpl;  // mkdtemp creates it with mode 0700
  }

  Status SyncFilesystem(const std::string& path) override {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return ErrnoError("open", errno, path);
    if (::syncfs(fd.get()) != 0) return ErrnoError("syncfs", errno, path);
    return OkStatus();
  }

  int64_t NowNanos() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

void CloseFd(int fd) noexcept { ::close(fd); }

void CrashProcess() {
  ::raise(SIGKILL);
  ::_exit(137);  // not reached: SIGKILL cannot be caught
}

PathStyle NativePathStyle() { return PathStyle::kPosix; }

std::string DefaultRoot() { return DefaultRootFor(PathStyle::kPosix, {}); }

}  // namespace winsnap::base

namespace winsnap {

StatusCode NativeErrorStatusCode(int err) { return ErrnoStatusCode(err); }

}  // namespace winsnap
