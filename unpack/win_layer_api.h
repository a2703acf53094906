// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// WinLayerApi: the narrow set of Win32 and vmcompute.dll calls a Windows
// layer writer needs, so that the writer's logic (windows_layer_writer.h) is
// portable C++ tested on Linux against a recording fake, and only
// win_layer_api_windows.cc talks to Windows:
//   privileges          AdjustTokenPrivileges (SeBackup/SeRestore)
//   CreateFile          CreateFileW with FILE_FLAG_BACKUP_SEMANTICS |
//                       FILE_FLAG_OPEN_REPARSE_POINT; writes go through
//                       BackupWrite (with or without processSecurity) or
//                       WriteFile (transport files)
//   OpenForBackupRead   CreateFileW + BackupRead (cloning UtilityVM files,
//                       export)
//   OpenForRead         CreateFileW + ReadFile (export's transport files)
//   SetFileBasicInfo    SetFileInformationByHandle(FileBasicInfo)
//   CreateDirectory, CreateHardLink, Remove, RemoveAll, GetFileAttributes,
//   ListTree, SddlToSecurityDescriptor, CreateTempDirectory
//   ProcessBaseImage, ProcessUtilityImage, ImportLayer, ExportLayer
//   (vmcompute.dll,
//   resolved at run time; a missing DLL or export is FailedPrecondition
//   naming it).
// Paths are UTF-8 with backslashes, absolute (the writer joins them).
//
// Thread-safety: an implementation is safe to call from several threads for
// different paths; a WinFile is used by one thread.

#ifndef WINSNAP_UNPACK_WIN_LAYER_API_H_
#define WINSNAP_UNPACK_WIN_LAYER_API_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "unpack/win_metadata.h"

namespace winsnap::unpack {

enum class CreateDisposition {
  kCreateNew,     // FILE_CREATE / CREATE_NEW: AlreadyExists if present
  kOpenExisting,  // FILE_OPEN: NotFound if missing
  kOverwrite,     // CREATE_ALWAYS
};

enum class WriteMode {
  kBackup,            // BackupWrite, processSecurity = TRUE
  kBackupNoSecurity,  // BackupWrite, processSecurity = FALSE
  kRaw,               // WriteFile: the bytes are the file's content
};

struct CreateOptions {
  CreateDisposition disposition = CreateDisposition::kCreateNew;
  bool directory = false;  // FILE_DIRECTORY_FILE
  WriteMode mode = WriteMode::kBackup;
};

// An open file being written.
class WinFile {
 public:
  virtual ~WinFile() = default;
  virtual Status Write(std::span<const uint8_t> bytes) = 0;
  virtual Status SetBasicInfo(const FileBasicInfo& info) = 0;
  // Ends the BackupWrite context and closes the handle.
  virtual Status Close() = 0;
};

// An open file being read as a backup stream (BackupRead,
// processSecurity = TRUE).
class WinFileReader {
 public:
  virtual ~WinFileReader() = default;
  virtual StatusOr<FileBasicInfo> GetBasicInfo() = 0;
  // Up to "n" bytes of the backup stream; 0 at its end.
  virtual StatusOr<size_t> Read(uint8_t* buf, size_t n) = 0;
  virtual Status Close() = 0;
};

struct WinTreeEntry {
  std::string rel;  // relative to the listed folder, backslashes
  uint32_t attributes = 0;
};

class WinLayerApi {
 public:
  virtual ~WinLayerApi() = default;

  // Enables the named privileges ("SeBackupPrivilege") in the process token.
  // PermissionDenied if one cannot be enabled.
  virtual Status EnablePrivileges(const std::vector<std::string>& names) = 0;
  virtual StatusOr<std::unique_ptr<WinFile>> CreateFile(
      const std::string& path, const CreateOptions& options) = 0;
  virtual StatusOr<std::unique_ptr<WinFileReader>> OpenForBackupRead(
      const std::string& path) = 0;
  // Opens an existing file for plain reads of its content (ReadFile).
  virtual StatusOr<std::unique_ptr<WinFileReader>> OpenForRead(
      const std::string& path) = 0;
  // Opens an existing file or directory (not following reparse points) and
  // sets its times and attributes.
  virtual Status SetFileBasicInfo(const std::string& path,
                                  const FileBasicInfo& info) = 0;
  virtual Status CreateDirectory(const std::string& path) = 0;
  virtual Status CreateHardLink(const std::string& link,
                                const std::string& existing) = 0;
  // Deletes a file or an empty directory. NotFound if missing.
  virtual Status Remove(const std::string& path) = 0;
  // Deletes a tree without following reparse points. OK if missing.
  virtual Status RemoveAll(const std::string& path) = 0;
  // FILE_ATTRIBUTE_* of "path" (not following reparse points), or nullopt.
  virtual StatusOr<std::optional<uint32_t>> GetFileAttributes(
      const std::string& path) = 0;
  // Every entry below "path" in pre-order (a directory before its
  // children), never descending into reparse points.
  virtual StatusOr<std::vector<WinTreeEntry>> ListTree(
      const std::string& path) = 0;
  // A self-relative binary security descriptor from SDDL.
  virtual StatusOr<std::string> SddlToSecurityDescriptor(
      const std::string& sddl) = 0;
  // A new empty folder for a transport-format import.
  virtual StatusOr<std::string> CreateTempDirectory() = 0;
  // vmcompute.dll
  virtual Status ProcessBaseImage(const std::string& layer) = 0;
  virtual Status ProcessUtilityImage(const std::string& utility_vm) = 0;
  // "parents": nearest parent first, base last.
  virtual Status ImportLayer(const std::string& layer,
                             const std::string& import_folder,
                             const std::vector<std::string>& parents) = 0;
  // The layer's changes in the transport format, into the empty folder
  // "export_folder"; "parents" nearest first.
  virtual Status ExportLayer(const std::string& layer,
                             const std::string& export_folder,
                             const std::vector<std::string>& parents) = 0;
};

// The real implementation (win_layer_api_windows.cc; Windows builds only).
std::unique_ptr<WinLayerApi> NewWin32LayerApi();
// The process's one instance of it, shared by import and export.
WinLayerApi* ProcessWin32LayerApi();

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_WIN_LAYER_API_H_
