// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// WinLayerApi over the real Windows calls: kernel32/advapi32 (CreateFileW
// with FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, BackupWrite,
// BackupRead, SetFileInformationByHandle, CreateHardLinkW,
// AdjustTokenPrivileges, ConvertStringSecurityDescriptorToSecurityDescriptorW)
// and vmcompute.dll's undocumented layer calls (ProcessBaseImage,
// ProcessUtilityImage, ImportLayer, NameToGuid; signatures from
// reference/hcsshim-facts.md §4.2), resolved with LoadLibraryExW/GetProcAddress
// on first use so a host without the Containers feature (or Wine, where
// vmcompute.dll is absent and BackupWrite is a stub) fails with one line naming
// the DLL and export. File paths get the \\?\ prefix (long paths); vmcompute
// gets plain paths, as hcsshim passes them.
//
// Thread-safety: the API object is stateless apart from the once-loaded
// vmcompute table; a file object is used by one thread.

#include <windows.h>

#include <sddl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/unique_handle_windows.h"
#include "base/utf16_windows.h"
#include "unpack/win_layer_api.h"

namespace winsnap::unpack {
namespace {

using ::winsnap::base::Widen;

using ::winsnap::base::UniqueHandle;

std::string Narrow(const std::wstring& s) {
  if (s.empty()) return std::string();
  int n =
      ::WideCharToMultiByte(CP_UTF8, 0, s.data(), static_cast<int>(s.size()),
                            nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(n > 0 ? n : 0), '\0');
  if (n > 0)
    ::WideCharToMultiByte(CP_UTF8, 0, s.data(), static_cast<int>(s.size()),
                          out.data(), n, nullptr, nullptr);
  return out;
}

// "C:\x" -> "\\?\C:\x" (lifts MAX_PATH); other forms unchanged.
std::wstring LongPath(const std::string& path) {
  std::wstring w = Widen(path);
  if (w.size() >= 3 && w[1] == L':' && w[2] == L'\\') return L"\\\\?\\" + w;
  return w;
}

Status HresultError(std::string_view fn, HRESULT hr, const std::string& what) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08lx", static_cast<unsigned long>(hr));
  return UnknownError(std::string(fn) + " " + what + ": HRESULT " + buf);
}

FILE_BASIC_INFO ToWin(const FileBasicInfo& i) {
  FILE_BASIC_INFO b{};
  b.CreationTime.QuadPart = i.creation_time;
  b.LastAccessTime.QuadPart = i.last_access_time;
  b.LastWriteTime.QuadPart = i.last_write_time;
  b.ChangeTime.QuadPart = i.change_time;
  b.FileAttributes = i.file_attributes;
  return b;
}

FileBasicInfo FromWin(const FILE_BASIC_INFO& b) {
  FileBasicInfo i;
  i.creation_time = b.CreationTime.QuadPart;
  i.last_access_time = b.LastAccessTime.QuadPart;
  i.last_write_time = b.LastWriteTime.QuadPart;
  i.change_time = b.ChangeTime.QuadPart;
  i.file_attributes = b.FileAttributes;
  return i;
}

constexpr DWORD kOpenFlags =
    FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT;

class Win32File final : public WinFile {
 public:
  Win32File(UniqueHandle h, std::string path, WriteMode mode)
      : h_(std::move(h)), path_(std::move(path)), mode_(mode) {}
  ~Win32File() override { Close().IgnoreError(); }

  Status Write(std::span<const uint8_t> bytes) override {
    const uint8_t* p = bytes.data();
    size_t n = bytes.size();
    while (n > 0) {
      DWORD chunk = static_cast<DWORD>(std::min<size_t>(n, 1u << 30));
      DWORD done = 0;
      BOOL ok;
      if (mode_ == WriteMode::kRaw) {
        ok = ::WriteFile(h_.get(), p, chunk, &done, nullptr);
      } else {
        ok = ::BackupWrite(h_.get(), const_cast<LPBYTE>(p), chunk, &done, FALSE,
                           mode_ == WriteMode::kBackup, &ctx_);
      }
      if (!ok)
        return Win32Error(
            mode_ == WriteMode::kRaw ? "WriteFile" : "BackupWrite",
            ::GetLastError(), path_);
      if (done == 0)
        return UnknownError("BackupWrite " + path_ + ": wrote nothing");
      p += done;
      n -= done;
    }
    return OkStatus();
  }

  Status SetBasicInfo(const FileBasicInfo& info) override {
    FILE_BASIC_INFO b = ToWin(info);
    if (!::SetFileInformationByHandle(h_.get(), ::FileBasicInfo, &b, sizeof b))
      return Win32Error("SetFileInformationByHandle", ::GetLastError(), path_);
    return OkStatus();
  }

  Status Close() override {
    if (!h_) return OkStatus();
    Status s;
    if (ctx_) {
      DWORD done = 0;
      // bAbort = TRUE releases the context BackupWrite allocated.
      if (!::BackupWrite(h_.get(), nullptr, 0, &done, TRUE,
                         mode_ == WriteMode::kBackup, &ctx_))
        s = Win32Error("BackupWrite", ::GetLastError(), path_);
      ctx_ = nullptr;
    }
    h_.reset();
    return s;
  }

 private:
  UniqueHandle h_;
  std::string path_;
  WriteMode mode_;
  LPVOID ctx_ = nullptr;
};

class Win32Reader final : public WinFileReader {
 public:
  // "backup": BackupRead (processSecurity); else ReadFile (raw content).
  Win32Reader(UniqueHandle h, std::string path, bool backup = true)
      : h_(std::move(h)), path_(std::move(path)), backup_(backup) {}
  ~Win32Reader() override { Close().IgnoreError(); }

  StatusOr<FileBasicInfo> GetBasicInfo() override {
    FILE_BASIC_INFO b{};
    if (!::GetFileInformationByHandleEx(h_.get(), ::FileBasicInfo, &b,
                                        sizeof b))
      return Win32Error("GetFileInformationByHandleEx", ::GetLastError(),
                        path_);
    return FromWin(b);
  }
  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    DWORD got = 0;
    DWORD want = static_cast<DWORD>(std::min<size_t>(n, 1u << 30));
    if (!backup_) {
      if (!::ReadFile(h_.get(), buf, want, &got, nullptr))
        return Win32Error("ReadFile", ::GetLastError(), path_);
      return static_cast<size_t>(got);
    }
    if (!::BackupRead(h_.get(), buf, want, &got, FALSE, TRUE, &ctx_))
      return Win32Error("BackupRead", ::GetLastError(), path_);
    return static_cast<size_t>(got);
  }
  Status Close() override {
    if (!h_) return OkStatus();
    if (ctx_) {
      DWORD got = 0;
      ::BackupRead(h_.get(), nullptr, 0, &got, TRUE, TRUE, &ctx_);
      ctx_ = nullptr;
    }
    h_.reset();
    return OkStatus();
  }

 private:
  UniqueHandle h_;
  std::string path_;
  bool backup_ = true;
  LPVOID ctx_ = nullptr;
};

// vmcompute.dll's layer exports (hcsshim-facts §4.2).
struct DriverInfo {
  int flavour;       // 1 = filter driver, as hcsshim passes
  LPCWSTR home_dir;  // L"" (the full layer path is the id)
};
struct WcLayerDescriptor {
  GUID layer_id;
  ULONG flags;
  LPCWSTR path;
};
using ProcessImageFn = HRESULT(WINAPI*)(LPCWSTR);
using ImportLayerFn = HRESULT(WINAPI*)(const DriverInfo*, LPCWSTR, LPCWSTR,
                                       const WcLayerDescriptor*, DWORD);
using NameToGuidFn = HRESULT(WINAPI*)(LPCWSTR, GUID*);

struct Vmcompute {
  Status status;
  ProcessImageFn process_base_image = nullptr;
  ProcessImageFn process_utility_image = nullptr;
  ImportLayerFn import_layer = nullptr;
  ImportLayerFn export_layer = nullptr;  // same signature (facts §4.2)
  NameToGuidFn name_to_guid = nullptr;
};

// FARPROC -> the export's real type (through void(*)(), which GCC's
// -Wcast-function-type accepts as the generic function pointer).
template <typename F>
F Export(FARPROC p) {
  return reinterpret_cast<F>(reinterpret_cast<void (*)()>(p));
}

const Vmcompute& LoadVmcompute() {
  static Vmcompute* vm = [] {
    auto* v = new Vmcompute;
    HMODULE m = ::LoadLibraryExW(L"vmcompute.dll", nullptr,
                                 LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!m) {
      v->status = FailedPreconditionError(
          "vmcompute.dll cannot be loaded (Win32 error " +
          std::to_string(::GetLastError()) +
          "): Windows layers need the Containers feature of Windows Server or "
          "Windows 10+");
      return v;
    }
    auto get = [&](const char* name) -> FARPROC {
      FARPROC p = ::GetProcAddress(m, name);
      if (!p && v->status.ok())
        v->status = FailedPreconditionError(
            std::string("vmcompute.dll has no export ") + name);
      return p;
    };
    v->process_base_image = Export<ProcessImageFn>(get("ProcessBaseImage"));
    v->process_utility_image =
        Export<ProcessImageFn>(get("ProcessUtilityImage"));
    v->import_layer = Export<ImportLayerFn>(get("ImportLayer"));
    v->export_layer = Export<ImportLayerFn>(get("ExportLayer"));
    v->name_to_guid = Export<NameToGuidFn>(get("NameToGuid"));
    return v;
  }();
  return *vm;
}

std::string BaseName(const std::string& path) {
  size_t end = path.find_last_not_of('\\');
  if (end == std::string::npos) return "";
  size_t slash = path.rfind('\\', end);
  return path.substr(slash == std::string::npos ? 0 : slash + 1,
                     end - (slash == std::string::npos ? 0 : slash + 1) + 1);
}

Status ListInto(const std::wstring& dir, const std::string& rel_prefix,
                std::vector<WinTreeEntry>* out) {
  WIN32_FIND_DATAW fd;
  HANDLE f = ::FindFirstFileExW((dir + L"\\*").c_str(), FindExInfoBasic, &fd,
                                FindExSearchNameMatch, nullptr, 0);
  if (f == INVALID_HANDLE_VALUE) {
    DWORD err = ::GetLastError();
    if (err == ERROR_FILE_NOT_FOUND) return OkStatus();
    return Win32Error("FindFirstFileExW", err, Narrow(dir));
  }
  struct FindCloser {
    HANDLE h;
    ~FindCloser() { ::FindClose(h); }
  } closer{f};
  do {
    std::wstring name = fd.cFileName;
    if (name == L"." || name == L"..") continue;
    std::string rel = rel_prefix + Narrow(name);
    out->push_back({rel, fd.dwFileAttributes});
    if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
        !(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT))
      WINSNAP_RETURN_IF_ERROR(ListInto(dir + L"\\" + name, rel + "\\", out));
  } while (::FindNextFileW(f, &fd));
  DWORD err = ::GetLastError();
  if (err != ERROR_NO_MORE_FILES)
    return Win32Error("FindNextFileW", err, Narrow(dir));
  return OkStatus();
}

class Win32LayerApi final : public WinLayerApi {
 public:
  Status EnablePrivileges(const std::vector<std::string>& names) override {
    HANDLE raw = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(),
                            TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &raw))
      return Win32Error("OpenProcessToken", ::GetLastError(), "");
    UniqueHandle token(raw);
    for (const auto& n : names) {
      TOKEN_PRIVILEGES tp{};
      tp.PrivilegeCount = 1;
      tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
      if (!::LookupPrivilegeValueW(nullptr, Widen(n).c_str(),
                                   &tp.Privileges[0].Luid))
        return Win32Error("LookupPrivilegeValueW", ::GetLastError(), n);
      if (!::AdjustTokenPrivileges(token.get(), FALSE, &tp, 0, nullptr,
                                   nullptr))
        return Win32Error("AdjustTokenPrivileges", ::GetLastError(), n);
      if (::GetLastError() == ERROR_NOT_ALL_ASSIGNED)
        return PermissionDeniedError(
            n + " cannot be enabled: run snapctl as an administrator");
    }
    return OkStatus();
  }

  StatusOr<std::unique_ptr<WinFile>> CreateFile(
      const std::string& path, const CreateOptions& o) override {
    const std::wstring w = LongPath(path);
    DWORD disposition = OPEN_EXISTING;
    if (o.directory) {
      if (o.disposition != CreateDisposition::kOpenExisting &&
          !::CreateDirectoryW(w.c_str(), nullptr)) {
        DWORD err = ::GetLastError();
        if (!(err == ERROR_ALREADY_EXISTS &&
              o.disposition == CreateDisposition::kOverwrite))
          return Win32Error("CreateDirectoryW", err, path);
      }
    } else if (o.disposition == CreateDisposition::kCreateNew) {
      disposition = CREATE_NEW;
    } else if (o.disposition == CreateDisposition::kOverwrite) {
      disposition = CREATE_ALWAYS;
    }
    DWORD access = GENERIC_READ | GENERIC_WRITE;
    if (o.mode == WriteMode::kBackup)
      access |= WRITE_DAC | WRITE_OWNER | ACCESS_SYSTEM_SECURITY;
    HANDLE h = ::CreateFileW(w.c_str(), access, FILE_SHARE_READ, nullptr,
                             disposition, kOpenFlags, nullptr);
    if (h == INVALID_HANDLE_VALUE)
      return Win32Error("CreateFileW", ::GetLastError(), path);
    return std::unique_ptr<WinFile>(
        new Win32File(UniqueHandle(h), path, o.mode));
  }

  StatusOr<std::unique_ptr<WinFileReader>> OpenForBackupRead(
      const std::string& path) override {
    HANDLE h = ::CreateFileW(
        LongPath(path).c_str(), GENERIC_READ | ACCESS_SYSTEM_SECURITY,
        FILE_SHARE_READ, nullptr, OPEN_EXISTING, kOpenFlags, nullptr);
    if (h == INVALID_HANDLE_VALUE)
      return Win32Error("CreateFileW", ::GetLastError(), path);
    return std::unique_ptr<WinFileReader>(
        new Win32Reader(UniqueHandle(h), path));
  }

  StatusOr<std::unique_ptr<WinFileReader>> OpenForRead(
      const std::string& path) override {
    HANDLE h =
        ::CreateFileW(LongPath(path).c_str(), GENERIC_READ, FILE_SHARE_READ,
                      nullptr, OPEN_EXISTING, kOpenFlags, nullptr);
    if (h == INVALID_HANDLE_VALUE)
      return Win32Error("CreateFileW", ::GetLastError(), path);
    return std::unique_ptr<WinFileReader>(
        new Win32Reader(UniqueHandle(h), path, /*backup=*/false));
  }

  Status SetFileBasicInfo(const std::string& path,
                          const FileBasicInfo& info) override {
    HANDLE h = ::CreateFileW(
        LongPath(path).c_str(), FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES,
        FILE_SHARE_READ, nullptr, OPEN_EXISTING, kOpenFlags, nullptr);
    if (h == INVALID_HANDLE_VALUE)
      return Win32Error("CreateFileW", ::GetLastError(), path);
    UniqueHandle owner(h);
    FILE_BASIC_INFO b = ToWin(info);
    if (!::SetFileInformationByHandle(h, ::FileBasicInfo, &b, sizeof b))
      return Win32Error("SetFileInformationByHandle", ::GetLastError(), path);
    return OkStatus();
  }

  Status CreateDirectory(const std::string& path) override {
    if (!::CreateDirectoryW(LongPath(path).c_str(), nullptr))
      return Win32Error("CreateDirectoryW", ::GetLastError(), path);
    return OkStatus();
  }

  Status CreateHardLink(const std::string& link,
                        const std::string& existing) override {
    if (!::CreateHardLinkW(LongPath(link).c_str(), LongPath(existing).c_str(),
                           nullptr))
      return Win32Error("CreateHardLinkW", ::GetLastError(),
                        link + " -> " + existing);
    return OkStatus();
  }

  Status Remove(const std::string& path) override {
    const std::wstring w = LongPath(path);
    DWORD a = ::GetFileAttributesW(w.c_str());
    if (a == INVALID_FILE_ATTRIBUTES)
      return Win32Error("GetFileAttributesW", ::GetLastError(), path);
    if (a & FILE_ATTRIBUTE_READONLY)
      ::SetFileAttributesW(w.c_str(), a & ~DWORD{FILE_ATTRIBUTE_READONLY});
    BOOL ok = (a & FILE_ATTRIBUTE_DIRECTORY) ? ::RemoveDirectoryW(w.c_str())
                                             : ::DeleteFileW(w.c_str());
    if (!ok)
      return Win32Error(
          (a & FILE_ATTRIBUTE_DIRECTORY) ? "RemoveDirectoryW" : "DeleteFileW",
          ::GetLastError(), path);
    return OkStatus();
  }

  Status RemoveAll(const std::string& path) override {
    DWORD a = ::GetFileAttributesW(LongPath(path).c_str());
    if (a == INVALID_FILE_ATTRIBUTES) {
      DWORD err = ::GetLastError();
      if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND)
        return OkStatus();
      return Win32Error("GetFileAttributesW", err, path);
    }
    if ((a & FILE_ATTRIBUTE_DIRECTORY) && !(a & FILE_ATTRIBUTE_REPARSE_POINT)) {
      std::vector<WinTreeEntry> children;
      WINSNAP_RETURN_IF_ERROR(ListInto(LongPath(path), "", &children));
      // Deepest first: ListInto is pre-order, so reverse order works.
      for (auto it = children.rbegin(); it != children.rend(); ++it) {
        Status s = Remove(path + "\\" + it->rel);
        if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
      }
    }
    Status s = Remove(path);
    return s.code() == StatusCode::kNotFound ? OkStatus() : s;
  }

  StatusOr<std::optional<uint32_t>> GetFileAttributes(
      const std::string& path) override {
    DWORD a = ::GetFileAttributesW(LongPath(path).c_str());
    if (a == INVALID_FILE_ATTRIBUTES) {
      DWORD err = ::GetLastError();
      if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND)
        return std::optional<uint32_t>();
      return Win32Error("GetFileAttributesW", err, path);
    }
    return std::optional<uint32_t>(a);
  }

  StatusOr<std::vector<WinTreeEntry>> ListTree(
      const std::string& path) override {
    std::vector<WinTreeEntry> out;
    WINSNAP_RETURN_IF_ERROR(ListInto(LongPath(path), "", &out));
    return out;
  }

  StatusOr<std::string> SddlToSecurityDescriptor(
      const std::string& sddl) override {
    PSECURITY_DESCRIPTOR sd = nullptr;
    ULONG len = 0;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(
            Widen(sddl).c_str(), SDDL_REVISION_1, &sd, &len))
      return InvalidArgumentError("MSWINDOWS.sd \"" + sddl +
                                  "\" is not valid SDDL (Win32 error " +
                                  std::to_string(::GetLastError()) + ")");
    std::string out(static_cast<const char*>(sd), len);
    ::LocalFree(sd);
    return out;
  }

  StatusOr<std::string> CreateTempDirectory() override {
    wchar_t tmp[MAX_PATH + 1];
    DWORD n = ::GetTempPathW(MAX_PATH + 1, tmp);
    if (n == 0 || n > MAX_PATH)
      return Win32Error("GetTempPathW", ::GetLastError(), "");
    static std::atomic<unsigned> counter{0};
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::wstring dir = std::wstring(tmp) + L"hcs" +
                         std::to_wstring(::GetCurrentProcessId()) + L"-" +
                         std::to_wstring(::GetTickCount64()) + L"-" +
                         std::to_wstring(counter.fetch_add(1));
      if (::CreateDirectoryW(dir.c_str(), nullptr)) return Narrow(dir);
      if (::GetLastError() != ERROR_ALREADY_EXISTS)
        return Win32Error("CreateDirectoryW", ::GetLastError(), Narrow(dir));
    }
    return UnknownError("CreateTempDirectory: no free name");
  }

  Status ProcessBaseImage(const std::string& layer) override {
    const Vmcompute& vm = LoadVmcompute();
    if (!vm.status.ok()) return vm.status.WithContext("ProcessBaseImage");
    HRESULT hr = vm.process_base_image(Widen(layer).c_str());
    if (FAILED(hr)) return HresultError("ProcessBaseImage", hr, layer);
    return OkStatus();
  }

  Status ProcessUtilityImage(const std::string& uvm) override {
    const Vmcompute& vm = LoadVmcompute();
    if (!vm.status.ok()) return vm.status.WithContext("ProcessUtilityImage");
    HRESULT hr = vm.process_utility_image(Widen(uvm).c_str());
    if (FAILED(hr)) return HresultError("ProcessUtilityImage", hr, uvm);
    return OkStatus();
  }

  Status ImportLayer(const std::string& layer, const std::string& folder,
                     const std::vector<std::string>& parents) override {
    return LayerCall("ImportLayer", &Vmcompute::import_layer, layer, folder,
                     parents);
  }

  Status ExportLayer(const std::string& layer, const std::string& folder,
                     const std::vector<std::string>& parents) override {
    return LayerCall("ExportLayer", &Vmcompute::export_layer, layer, folder,
                     parents);
  }

 private:
  // ImportLayer / ExportLayer(DriverInfo, id = layer path, folder, parent
  // descriptors nearest first).
  static Status LayerCall(const char* what, ImportLayerFn Vmcompute::*fn,
                          const std::string& layer, const std::string& folder,
                          const std::vector<std::string>& parents) {
    const Vmcompute& vm = LoadVmcompute();
    if (!vm.status.ok()) return vm.status.WithContext(what);
    std::vector<std::wstring> paths;
    paths.reserve(parents.size());
    std::vector<WcLayerDescriptor> descs(parents.size());
    for (size_t i = 0; i < parents.size(); ++i) {
      paths.push_back(Widen(parents[i]));
      // The layer id is NameToGuid of the folder's base name (§2).
      HRESULT hr = vm.name_to_guid(Widen(BaseName(parents[i])).c_str(),
                                   &descs[i].layer_id);
      if (FAILED(hr)) return HresultError("NameToGuid", hr, parents[i]);
      descs[i].flags = 0;
      descs[i].path = paths.back().c_str();
    }
    DriverInfo info{1, L""};
    HRESULT hr = (vm.*fn)(&info, Widen(layer).c_str(), Widen(folder).c_str(),
                          descs.data(), static_cast<DWORD>(descs.size()));
    if (FAILED(hr)) return HresultError(what, hr, layer);
    return OkStatus();
  }
};

}  // namespace

std::unique_ptr<WinLayerApi> NewWin32LayerApi() {
  return std::make_unique<Win32LayerApi>();
}

WinLayerApi* ProcessWin32LayerApi() {
  // Never destroyed: writers on other threads may still use it at exit.
  static WinLayerApi* const api = NewWin32LayerApi().release();
  return api;
}

}  // namespace winsnap::unpack
