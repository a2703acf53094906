// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Windows implementation of base::Env. Paths are UTF-8 everywhere in winsnap;
// they are converted to UTF-16 here, at the Win32 boundary, and given the
// \\?\ prefix (ToLongPath) so trees deeper than MAX_PATH work. Messages name
// the path as the caller gave it, never the prefixed form.
//
// Errors: every failing Win32 call becomes Win32Error(<function>, code,
// <path>) with FormatMessageW's text; see base/status.h for the codes (a
// sharing or lock violation is Unavailable).
//
// Thread-safety: WindowsEnv has no mutable state; a FileLock is used by one
// thread at a time.

#include <io.h>
#include <windows.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/env.h"
#include "base/unique_handle_windows.h"
#include "base/utf16_windows.h"

namespace winsnap::base {
namespace {

// The wide, \\?\-prefixed form of "path" for a Win32 call.
std::wstring W(const std::string& path) { return Widen(ToLongPath(path)); }

std::string Win32Message(DWORD code) {
  wchar_t* buf = nullptr;
  DWORD n = ::FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
          FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, code, 0, reinterpret_cast<wchar_t*>(&buf), 0, nullptr);
  std::string out;
  if (n > 0 && buf != nullptr) out = Narrow(std::wstring_view(buf, n));
  if (buf != nullptr) ::LocalFree(buf);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' ||
                          out.back() == ' ' || out.back() == '.'))
    out.pop_back();
  return out;
}

Status LastError(std::string_view function, std::string_view what,
                 DWORD code = ::GetLastError()) {
  return Win32Error(function, code, what, Win32Message(code));
}

bool IsTransient(DWORD code) {
  // A virus scanner or indexer holding a file we are deleting shows up as a
  // sharing violation, or access denied while it closes: both pass.
  return code == ERROR_SHARING_VIOLATION || code == ERROR_LOCK_VIOLATION ||
         code == ERROR_ACCESS_DENIED;
}

// Runs "op" (a Win32 call returning BOOL) and retries transient failures with
// back-off: 10, 20, 40, ... 640 ms, about 1.3 s in all. Returns the last
// error code, or ERROR_SUCCESS.
template <typename Op>
DWORD WithRetry(Op op) {
  DWORD code = ERROR_SUCCESS;
  auto delay = std::chrono::milliseconds(10);
  for (int attempt = 0;; ++attempt) {
    if (op()) return ERROR_SUCCESS;
    code = ::GetLastError();
    if (!IsTransient(code) || attempt == 7) return code;
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
}

// Clears FILE_ATTRIBUTE_READONLY (and HIDDEN/SYSTEM, which also block
// deletion of some files) so the entry can be deleted.
void MakeDeletable(const std::wstring& wpath, DWORD attrs) {
  constexpr DWORD kBlocking =
      FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM;
  if ((attrs & kBlocking) == 0) return;
  DWORD keep = attrs & ~kBlocking &
               (FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_NOT_CONTENT_INDEXED);
  ::SetFileAttributesW(wpath.c_str(), keep == 0 ? FILE_ATTRIBUTE_NORMAL : keep);
}

// Deletes one non-directory entry (or a file symlink) with retries.
Status DeleteOne(const std::string& path, DWORD attrs) {
  std::wstring w = W(path);
  MakeDeletable(w, attrs);
  DWORD code = WithRetry([&] { return ::DeleteFileW(w.c_str()); });
  if (code == ERROR_SUCCESS || code == ERROR_FILE_NOT_FOUND ||
      code == ERROR_PATH_NOT_FOUND)
    return OkStatus();
  return LastError("DeleteFileW", path, code);
}

Status RemoveDirOne(const std::string& path, DWORD attrs) {
  std::wstring w = W(path);
  MakeDeletable(w, attrs);
  DWORD code = WithRetry([&] { return ::RemoveDirectoryW(w.c_str()); });
  if (code == ERROR_SUCCESS || code == ERROR_FILE_NOT_FOUND ||
      code == ERROR_PATH_NOT_FOUND)
    return OkStatus();
  return LastError("RemoveDirectoryW", path, code);
}

// Calls fn(name, find_data) for every entry of directory "path" but "." and
// "..".
template <typename Fn>
Status ForEachEntry(const std::string& path, Fn fn) {
  std::wstring pattern = W(JoinPath(path, "*"));
  WIN32_FIND_DATAW fd;
  UniqueFindHandle find(::FindFirstFileExW(pattern.c_str(), FindExInfoBasic,
                                           &fd, FindExSearchNameMatch, nullptr,
                                           0));
  if (!find) {
    DWORD code = ::GetLastError();
    if (code == ERROR_FILE_NOT_FOUND) return OkStatus();  // no entries
    return LastError("FindFirstFileExW", path, code);
  }
  do {
    std::wstring_view name = fd.cFileName;
    if (name == L"." || name == L"..") continue;
    WINSNAP_RETURN_IF_ERROR(fn(Narrow(name), fd));
  } while (::FindNextFileW(find.get(), &fd));
  DWORD code = ::GetLastError();
  if (code != ERROR_NO_MORE_FILES)
    return LastError("FindNextFileW", path, code);
  return OkStatus();
}

// Removes the tree at "path" whose attributes are "attrs". A reparse point
// (junction, directory or file symlink, mount point) is removed as a link
// and never descended into, so a link pointing out of the tree cannot make
// us delete what it points at.
Status RemoveTreeAt(const std::string& path, DWORD attrs) {
  const bool dir = (attrs & FILE_ATTRIBUTE_DIRECTORY) != 0;
  if (attrs & FILE_ATTRIBUTE_REPARSE_POINT)
    return dir ? RemoveDirOne(path, attrs) : DeleteOne(path, attrs);
  if (!dir) return DeleteOne(path, attrs);
  Status first;
  Status s = ForEachEntry(
      path, [&](const std::string& name, const WIN32_FIND_DATAW& fd) -> Status {
        Status r = RemoveTreeAt(JoinPath(path, name), fd.dwFileAttributes);
        if (!r.ok() && first.ok()) first = r;
        return OkStatus();  // keep deleting the rest; report the first error
      });
  if (!s.ok()) return s;
  if (!first.ok()) return first;
  return RemoveDirOne(path, attrs);
}

// Opens "path" for attribute queries without following a final reparse
// point; directories need FILE_FLAG_BACKUP_SEMANTICS.
UniqueHandle OpenForInfo(const std::string& path, bool follow) {
  DWORD flags = FILE_FLAG_BACKUP_SEMANTICS;
  if (!follow) flags |= FILE_FLAG_OPEN_REPARSE_POINT;
  return UniqueHandle(
      ::CreateFileW(W(path).c_str(), FILE_READ_ATTRIBUTES,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    nullptr, OPEN_EXISTING, flags, nullptr));
}

struct FileId {
  DWORD volume;
  uint64_t index;
  bool operator<(const FileId& o) const {
    return volume != o.volume ? volume < o.volume : index < o.index;
  }
};

void AddUsage(const std::string& path, std::set<FileId>* seen, DiskUsage* usage,
              Status* first) {
  UniqueHandle h = OpenForInfo(path, /*follow=*/false);
  if (!h) {
    DWORD code = ::GetLastError();
    if (code != ERROR_FILE_NOT_FOUND && code != ERROR_PATH_NOT_FOUND &&
        first->ok())
      *first = LastError("CreateFileW", path, code);
    return;
  }
  BY_HANDLE_FILE_INFORMATION info;
  FILE_STANDARD_INFO standard;
  if (!::GetFileInformationByHandle(h.get(), &info)) {
    if (first->ok()) *first = LastError("GetFileInformationByHandle", path);
    return;
  }
  if (!::GetFileInformationByHandleEx(h.get(), FileStandardInfo, &standard,
                                      sizeof standard)) {
    if (first->ok()) *first = LastError("GetFileInformationByHandleEx", path);
    return;
  }
  h.reset();
  FileId id{
      info.dwVolumeSerialNumber,
      (static_cast<uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow};
  if (seen->insert(id).second) {  // hard links counted once, by file id
    usage->inodes++;
    usage->size += standard.AllocationSize.QuadPart;
  }
  if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ||
      (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
    return;
  Status s = ForEachEntry(
      path, [&](const std::string& name, const WIN32_FIND_DATAW&) -> Status {
        AddUsage(JoinPath(path, name), seen, usage, first);
        return OkStatus();
      });
  if (!s.ok() && first->ok()) *first = s;
}

class WindowsFileLock final : public FileLock {
 public:
  WindowsFileLock(std::string path, UniqueHandle h)
      : path_(std::move(path)), h_(std::move(h)) {}

  Status TryLock() override {
    if (locked_) return OkStatus();
    OVERLAPPED ov = {};
    if (!::LockFileEx(h_.get(),
                      LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0,
                      MAXDWORD, MAXDWORD, &ov)) {
      DWORD code = ::GetLastError();
      if (code == ERROR_LOCK_VIOLATION || code == ERROR_IO_PENDING)
        return UnavailableError("LockFileEx " + path_ +
                                ": held by another process");
      return LastError("LockFileEx", path_, code);
    }
    locked_ = true;
    return OkStatus();
  }

  Status Unlock() override {
    if (!locked_) return OkStatus();
    OVERLAPPED ov = {};
    if (!::UnlockFileEx(h_.get(), 0, MAXDWORD, MAXDWORD, &ov))
      return LastError("UnlockFileEx", path_);
    locked_ = false;
    return OkStatus();
  }

  bool locked() const override { return locked_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  UniqueHandle h_;  // closing it releases the lock
  bool locked_ = false;
};

class WindowsEnv final : public Env {
 public:
  Status CreateDir(const std::string& path) override {
    if (!::CreateDirectoryW(W(path).c_str(), nullptr))
      return LastError("CreateDirectoryW", path);
    return OkStatus();
  }

  // Windows has no permission bits; the owner-write bit maps to
  // FILE_ATTRIBUTE_READONLY, the rest is left to the folder's ACL.
  Status Chmod(const std::string& path, uint32_t mode) override {
    std::wstring w = W(path);
    DWORD attrs = ::GetFileAttributesW(w.c_str());
    if (attrs == INVALID_FILE_ATTRIBUTES)
      return LastError("GetFileAttributesW", path);
    DWORD want = (mode & 0200) ? (attrs & ~FILE_ATTRIBUTE_READONLY)
                               : (attrs | FILE_ATTRIBUTE_READONLY);
    if (want != attrs && !::SetFileAttributesW(w.c_str(), want))
      return LastError("SetFileAttributesW", path);
    return OkStatus();
  }

  Status CreateDirs(const std::string& path) override {
    if (path.empty()) return InvalidArgumentError("CreateDirs: empty path");
    if (IsDirectory(path)) return OkStatus();
    std::string parent = DirName(PathStyle::kWindows, path);
    if (parent != path && parent != "." && !IsDirectory(parent))
      WINSNAP_RETURN_IF_ERROR(CreateDirs(parent));
    if (!::CreateDirectoryW(W(path).c_str(), nullptr)) {
      DWORD code = ::GetLastError();
      if (code == ERROR_ALREADY_EXISTS && IsDirectory(path)) return OkStatus();
      return LastError("CreateDirectoryW", path, code);
    }
    return OkStatus();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    std::wstring wf = W(from), wt = W(to);
    DWORD code = WithRetry([&] {
      return ::MoveFileExW(wf.c_str(), wt.c_str(),
                           MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
    });
    if (code != ERROR_SUCCESS)
      return LastError("MoveFileExW", from + " -> " + to, code);
    return OkStatus();
  }

  Status RemoveAll(const std::string& path) override {
    DWORD attrs = ::GetFileAttributesW(W(path).c_str());
    if (attrs == INVALID_FILE_ATTRIBUTES) {
      DWORD code = ::GetLastError();
      if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND)
        return OkStatus();
      return LastError("GetFileAttributesW", path, code);
    }
    return RemoveTreeAt(path, attrs);
  }

  // NTFS journals directory entries, and every rename here is
  // MOVEFILE_WRITE_THROUGH, so there is no directory table to flush; the
  // directory is still checked to exist, as on POSIX.
  Status SyncDir(const std::string& path) override {
    if (!OpenForInfo(path, /*follow=*/true))
      return LastError("CreateFileW", path);
    return OkStatus();
  }

  bool Exists(const std::string& path) override {
    return ::GetFileAttributesW(W(path).c_str()) != INVALID_FILE_ATTRIBUTES;
  }

  bool IsDirectory(const std::string& path) override {
    UniqueHandle h = OpenForInfo(path, /*follow=*/true);
    BY_HANDLE_FILE_INFORMATION info;
    return h && ::GetFileInformationByHandle(h.get(), &info) &&
           (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY);
  }

  StatusOr<std::vector<std::string>> ListDir(const std::string& path) override {
    std::vector<std::string> names;
    WINSNAP_RETURN_IF_ERROR(ForEachEntry(
        path, [&](const std::string& name, const WIN32_FIND_DATAW&) -> Status {
          names.push_back(name);
          return OkStatus();
        }));
    return names;
  }

  StatusOr<DiskUsage> GetDiskUsage(const std::string& path) override {
    std::set<FileId> seen;
    DiskUsage usage;
    Status first;
    AddUsage(path, &seen, &usage, &first);
    if (!first.ok()) return first;
    return usage;
  }

  StatusOr<std::string> ReadFile(const std::string& path) override {
    UniqueHandle h(
        ::CreateFileW(W(path).c_str(), GENERIC_READ,
                      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                      nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!h) return LastError("CreateFileW", path);
    std::string out;
    char buf[65536];
    for (;;) {
      DWORD n = 0;
      if (!::ReadFile(h.get(), buf, sizeof buf, &n, nullptr))
        return LastError("ReadFile", path);
      if (n == 0) break;
      out.append(buf, n);
    }
    return out;
  }

  Status WriteFileAtomic(const std::string& path,
                         std::string_view data) override {
    std::string tmp = path + ".tmp." + std::to_string(::GetCurrentProcessId());
    std::wstring wtmp = W(tmp);
    {
      UniqueHandle h(::CreateFileW(wtmp.c_str(), GENERIC_WRITE, 0, nullptr,
                                   CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL,
                                   nullptr));
      if (!h) return LastError("CreateFileW", tmp);
      size_t off = 0;
      while (off < data.size()) {
        DWORD chunk =
            static_cast<DWORD>(std::min<size_t>(data.size() - off, 1u << 30));
        DWORD n = 0;
        if (!::WriteFile(h.get(), data.data() + off, chunk, &n, nullptr)) {
          Status s = LastError("WriteFile", tmp);
          h.reset();
          ::DeleteFileW(wtmp.c_str());
          return s;
        }
        off += n;
      }
      if (!::FlushFileBuffers(h.get())) {
        Status s = LastError("FlushFileBuffers", tmp);
        h.reset();
        ::DeleteFileW(wtmp.c_str());
        return s;
      }
    }
    Status s = Rename(tmp, path);
    if (!s.ok()) ::DeleteFileW(wtmp.c_str());
    return s;
  }

  Status RemoveFile(const std::string& path) override {
    std::wstring w = W(path);
    DWORD attrs = ::GetFileAttributesW(w.c_str());
    if (attrs == INVALID_FILE_ATTRIBUTES)
      return LastError("GetFileAttributesW", path);
    MakeDeletable(w, attrs);
    DWORD code = WithRetry([&] { return ::DeleteFileW(w.c_str()); });
    if (code != ERROR_SUCCESS) return LastError("DeleteFileW", path, code);
    return OkStatus();
  }

  StatusOr<std::unique_ptr<FileLock>> OpenLockFile(const std::string& path,
                                                   bool create) override {
    // FILE_SHARE_DELETE lets the owner remove the lock file while it holds
    // the lock (StagingDir::Release does), as on POSIX.
    UniqueHandle h(::CreateFileW(
        W(path).c_str(), GENERIC_READ | GENERIC_WRITE,
        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
        create ? OPEN_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!h) return LastError("CreateFileW", path);
    return std::unique_ptr<FileLock>(
        std::make_unique<WindowsFileLock>(path, std::move(h)));
  }

  // The suffix is a random GUID-shaped name; CreateDirectoryW fails on a
  // name that exists, so a collision is retried, never shared.
  StatusOr<std::string> CreateTempDir(const std::string& parent,
                                      std::string_view prefix) override {
    std::random_device rd;
    for (int attempt = 0; attempt < 16; ++attempt) {
      char name[40];
      uint32_t a = rd(), b = rd(), c = rd(), d = rd();
      std::snprintf(name, sizeof name, "%08x-%04x-%04x-%04x-%04x%08x", a,
                    b & 0xffff, b >> 16, c & 0xffff, c >> 16, d);
      std::string dir = JoinPath(parent, std::string(prefix) + name);
      if (::CreateDirectoryW(W(dir).c_str(), nullptr)) return dir;
      DWORD code = ::GetLastError();
      if (code != ERROR_ALREADY_EXISTS)
        return LastError("CreateDirectoryW", dir, code);
    }
    return InternalError("CreateTempDir " + parent +
                         ": no unique name after 16 attempts");
  }

  // Windows has no syncfs. Flushing the volume (FlushFileBuffers on
  // \\.\C:) flushes every file's cached data but needs administrator
  // rights; without them we fall back to OK, which is safe only because the
  // Windows writers flush each file they write (FlushFileBuffers) before the
  // commit that makes it visible.
  Status SyncFilesystem(const std::string& path) override {
    if (::GetFileAttributesW(W(path).c_str()) == INVALID_FILE_ATTRIBUTES)
      return LastError("GetFileAttributesW", path);
    std::string clean = ToLongPath(path);  // "\\?\C:\..."
    if (clean.size() < 6 || clean[5] != ':') {
      return InvalidArgumentError("SyncFilesystem " + path +
                                  ": not a drive path");
    }
    std::string volume = "\\\\.\\" + clean.substr(4, 2);
    UniqueHandle h(::CreateFileW(Widen(volume).c_str(), GENERIC_WRITE,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                                 OPEN_EXISTING, 0, nullptr));
    if (!h) {
      DWORD code = ::GetLastError();
      if (code == ERROR_ACCESS_DENIED) return OkStatus();
      return LastError("CreateFileW", volume, code);
    }
    if (!::FlushFileBuffers(h.get())) {
      DWORD code = ::GetLastError();
      if (code == ERROR_ACCESS_DENIED || code == ERROR_INVALID_FUNCTION)
        return OkStatus();
      return LastError("FlushFileBuffers", volume, code);
    }
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
  static WindowsEnv* env = new WindowsEnv();
  return env;
}

PathStyle NativePathStyle() { return PathStyle::kWindows; }

// base::UniqueFd on Windows owns C runtime descriptors (_open, _wopen).
void CloseFd(int fd) noexcept { ::_close(fd); }

void CrashProcess() {
  // 137 is what a shell reports for a process killed by SIGKILL.
  ::TerminateProcess(::GetCurrentProcess(), 137);
  ::ExitProcess(137);  // not reached
}

std::string DefaultRoot() {
  wchar_t buf[MAX_PATH];
  DWORD n = ::GetEnvironmentVariableW(L"ProgramData", buf, MAX_PATH);
  std::string pd = (n > 0 && n < MAX_PATH) ? Narrow(std::wstring_view(buf, n))
                                           : std::string();
  return DefaultRootFor(PathStyle::kWindows, pd);
}

}  // namespace winsnap::base

namespace winsnap {

StatusCode NativeErrorStatusCode(int err) {
  return Win32StatusCode(static_cast<uint32_t>(err));
}

}  // namespace winsnap
