// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// POSIX implementation of base::Env.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <memory>
#include <set>
#include <utility>

#include "base/env.h"
#include "base/unique_fd.h"

namespace winsnap::base {
namespace {

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

Status RemoveTree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoError("lstat", errno, path);
  }
  if (S_ISDIR(st.st_mode)) {
    UniqueDir dir(::opendir(path.c_str()));
    if (!dir && errno == EACCES) {
      // A directory we own but cannot read: make it readable, then retry.
      ::chmod(path.c_str(), 0700);
      dir.reset(::opendir(path.c_str()));
    }
    if (!dir) return ErrnoError("opendir", errno, path);
    Status first;
    while (dirent* e = ::readdir(dir.get())) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      Status s = RemoveTree(JoinPath(path, name));
      if (!s.ok() && first.ok()) first = s;
    }
    dir.reset();
    if (!first.ok()) return first;
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoError("rmdir", errno, path);
    }
    return OkStatus();
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("unlink", errno, path);
  }
  return OkStatus();
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
    FdCloser f{::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (f.fd < 0) return ErrnoError("open", errno, path);
    if (::fsync(f.fd) != 0) return ErrnoError("fsync", errno, path);
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
    FdCloser f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) return ErrnoError("open", errno, path);
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(f.fd, buf, sizeof buf);
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
      FdCloser f{
          ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
      if (f.fd < 0) return ErrnoError("open", errno, tmp);
      size_t off = 0;
      while (off < data.size()) {
        ssize_t n = ::write(f.fd, data.data() + off, data.size() - off);
        if (n < 0) {
          if (errno == EINTR) continue;
          Status s = ErrnoError("write", errno, tmp);
          ::unlink(tmp.c_str());
          return s;
        }
        off += static_cast<size_t>(n);
      }
      if (::fsync(f.fd) != 0) {
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
