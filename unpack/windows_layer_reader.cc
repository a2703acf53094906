// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/windows_layer_reader.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "unpack/backup_tar.h"
#include "unpack/win_metadata.h"

namespace winsnap::unpack {
namespace {

constexpr size_t kBufferBytes = 64 << 10;
constexpr std::string_view kWciDirs = ".$wcidirs$";

std::string Slashes(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '\\', '/');
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class Reader {
 public:
  Reader(WinLayerApi* api, TarWriter* w) : api_(api), w_(w) {}

  // One file read with BackupRead, as entry "name".
  Status Backup(const std::string& path, const std::string& name) {
    WINSNAP_ASSIGN_OR_RETURN(auto r, api_->OpenForBackupRead(path));
    Status s = Encode(r.get(), name, std::nullopt);
    Status c = r->Close();
    if (s.ok()) s = c;
    return s.WithContext("export " + path);
  }

  // One transport file (4-byte attributes + backup stream), as "name".
  Status Transport(const std::string& path, const std::string& name) {
    WINSNAP_ASSIGN_OR_RETURN(auto r, api_->OpenForRead(path));
    Status s;
    uint8_t le[4];
    size_t got = 0;
    while (s.ok() && got < 4) {
      auto n = r->Read(le + got, 4 - got);
      if (!n.ok()) {
        s = n.status();
      } else if (*n == 0) {
        s = DataLossError("transport file shorter than its 4-byte attributes");
      } else {
        got += *n;
      }
    }
    if (s.ok()) {
      uint32_t attrs = uint32_t{le[0]} | uint32_t{le[1]} << 8 |
                       uint32_t{le[2]} << 16 | uint32_t{le[3]} << 24;
      s = Encode(r.get(), name, attrs);
    }
    Status c = r->Close();
    if (s.ok()) s = c;
    return s.WithContext("export " + path);
  }

  Status Whiteout(const std::string& name) {
    TarHeader h;
    h.name = name;
    h.typeflag = kTypeReg;
    ++stats_.whiteouts;
    return w_->WriteHeader(h);
  }

  WindowsExportStats stats_;

 private:
  Status Encode(WinFileReader* r, const std::string& name,
                std::optional<uint32_t> attrs) {
    WINSNAP_ASSIGN_OR_RETURN(FileBasicInfo info, r->GetBasicInfo());
    if (attrs) info.file_attributes = *attrs;
    BackupTarEncoder enc(w_, name, info);
    std::vector<uint8_t> buf(kBufferBytes);
    for (;;) {
      WINSNAP_ASSIGN_OR_RETURN(size_t n, r->Read(buf.data(), buf.size()));
      if (n == 0) break;
      stats_.bytes += static_cast<int64_t>(n);
      WINSNAP_RETURN_IF_ERROR(
          enc.Feed(std::span<const uint8_t>(buf.data(), n)));
    }
    ++stats_.files;
    return enc.Finish();
  }

  WinLayerApi* api_;
  TarWriter* w_;
};

// "root\sub" and its tree with BackupRead, as "sub/..." entries; "skip" is a
// subtree (relative to root\sub) left out.
Status BackupTree(WinLayerApi* api, Reader& rd, const std::string& root,
                  const std::string& sub, std::string_view skip = {}) {
  const std::string dir = root + "\\" + sub;
  WINSNAP_RETURN_IF_ERROR(rd.Backup(dir, Slashes(sub)));
  WINSNAP_ASSIGN_OR_RETURN(auto entries, api->ListTree(dir));
  for (const auto& e : entries) {
    if (!skip.empty() &&
        (e.rel == skip || e.rel.rfind(std::string(skip) + "\\", 0) == 0))
      continue;
    WINSNAP_RETURN_IF_ERROR(
        rd.Backup(dir + "\\" + e.rel, Slashes(sub + "\\" + e.rel)));
  }
  return OkStatus();
}

StatusOr<bool> IsDir(WinLayerApi* api, const std::string& path) {
  WINSNAP_ASSIGN_OR_RETURN(auto a, api->GetFileAttributes(path));
  return a && (*a & kFileAttributeDirectory) != 0;
}

StatusOr<std::string> ReadAll(WinLayerApi* api, const std::string& path) {
  WINSNAP_ASSIGN_OR_RETURN(auto r, api->OpenForRead(path));
  std::string out;
  std::vector<uint8_t> buf(kBufferBytes);
  Status s;
  for (;;) {
    auto n = r->Read(buf.data(), buf.size());
    if (!n.ok()) {
      s = n.status();
      break;
    }
    if (*n == 0) break;
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  Status c = r->Close();
  if (s.ok()) s = c;
  if (!s.ok()) return s.WithContext("read " + path);
  return out;
}

// tombstones.txt: BOM + "Version 1.0", then "\path" lines (hcsshim
// readTombstones; facts §1.4).
Status Tombstones(const std::string& text, Reader& rd) {
  size_t pos = text.find('\n');
  std::string first = text.substr(0, pos);
  if (!first.empty() && first.back() == '\r') first.pop_back();
  if (first != "\xEF\xBB\xBFVersion 1.0")
    return DataLossError("tombstones.txt does not start with \"Version 1.0\"");
  while (pos != std::string::npos && pos + 1 < text.size()) {
    size_t next = text.find('\n', pos + 1);
    std::string line =
        text.substr(pos + 1, next == std::string::npos ? std::string::npos
                                                       : next - pos - 1);
    pos = next;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '\\') line.erase(0, 1);
    std::string p = Slashes("Files\\" + line);
    size_t slash = p.rfind('/');
    WINSNAP_RETURN_IF_ERROR(
        rd.Whiteout(p.substr(0, slash + 1) + ".wh." + p.substr(slash + 1)));
  }
  return OkStatus();
}

// A folder of the export: its "<dir>.$wcidirs$" sibling when the export has
// one (the transport form), else the folder itself through BackupRead.
Status ExportDir(WinLayerApi* api, Reader& rd, const std::string& path,
                 const std::string& name) {
  const std::string sibling = path + std::string(kWciDirs);
  WINSNAP_ASSIGN_OR_RETURN(auto a, api->GetFileAttributes(sibling));
  return a ? rd.Transport(sibling, name) : rd.Backup(path, name);
}

// temp\<root> and its tree. Files\ holds transport files; Hives\ real hive
// files, read with BackupRead.
Status ExportRoot(WinLayerApi* api, Reader& rd, const std::string& temp,
                  const std::string& root, bool transport_files) {
  const std::string dir = temp + "\\" + root;
  WINSNAP_ASSIGN_OR_RETURN(bool present, IsDir(api, dir));
  if (!present) return OkStatus();
  WINSNAP_RETURN_IF_ERROR(ExportDir(api, rd, dir, root));
  WINSNAP_ASSIGN_OR_RETURN(auto entries, api->ListTree(dir));
  for (const auto& e : entries) {
    if (EndsWith(e.rel, kWciDirs)) continue;
    const std::string path = dir + "\\" + e.rel;
    const std::string name = Slashes(root + "\\" + e.rel);
    if (e.attributes & kFileAttributeDirectory) {
      WINSNAP_RETURN_IF_ERROR(ExportDir(api, rd, path, name));
    } else if (transport_files) {
      WINSNAP_RETURN_IF_ERROR(rd.Transport(path, name));
    } else {
      WINSNAP_RETURN_IF_ERROR(rd.Backup(path, name));
    }
  }
  return OkStatus();
}

Status ExportDelta(WinLayerApi* api, Reader& rd, const std::string& layer,
                   const std::string& temp,
                   const std::vector<std::string>& parents) {
  WINSNAP_RETURN_IF_ERROR(api->ExportLayer(layer, temp, parents));
  WINSNAP_RETURN_IF_ERROR(ExportRoot(api, rd, temp, "Files", true));
  WINSNAP_ASSIGN_OR_RETURN(auto tomb,
                           api->GetFileAttributes(temp + "\\tombstones.txt"));
  if (tomb) {
    WINSNAP_ASSIGN_OR_RETURN(std::string text,
                             ReadAll(api, temp + "\\tombstones.txt"));
    WINSNAP_RETURN_IF_ERROR(Tombstones(text, rd));
  }
  return ExportRoot(api, rd, temp, "Hives", false);
}

}  // namespace

StatusOr<WindowsExportStats> ExportWindowsLayer(
    WinLayerApi* api, const std::string& layer,
    const std::vector<std::string>& parents, TarWriter* w) {
  WINSNAP_RETURN_IF_ERROR(
      api->EnablePrivileges({"SeBackupPrivilege", "SeRestorePrivilege"}));
  Reader rd(api, w);
  if (parents.empty()) {
    WINSNAP_RETURN_IF_ERROR(
        BackupTree(api, rd, layer, "Files", "$Recycle.Bin"));
  } else {
    WINSNAP_ASSIGN_OR_RETURN(std::string temp, api->CreateTempDirectory());
    Status s = ExportDelta(api, rd, layer, temp, parents);
    Status rm = api->RemoveAll(temp);
    WINSNAP_RETURN_IF_ERROR(s);
    WINSNAP_RETURN_IF_ERROR(rm);
  }
  WINSNAP_ASSIGN_OR_RETURN(bool uvm, IsDir(api, layer + "\\UtilityVM\\Files"));
  if (uvm) {
    WINSNAP_RETURN_IF_ERROR(rd.Backup(layer + "\\UtilityVM", "UtilityVM"));
    WINSNAP_RETURN_IF_ERROR(BackupTree(api, rd, layer, "UtilityVM\\Files"));
  }
  return rd.stats_;
}

}  // namespace winsnap::unpack
