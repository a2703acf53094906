// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Validation of names found in untrusted layer tars, before anything touches
// the disk. A Windows layer tar names entries with forward slashes under
// exactly three roots: Files/, Hives/ and UtilityVM/Files/ (plus the
// UtilityVM directory itself); alternate data streams are "<file>:<stream>"
// (reference/hcsshim-facts.md §1.1, §1.3). Everything that could leave the
// layer folder is refused: "..", absolute, drive ("C:") and UNC paths,
// backslashes (Windows would read "Files\..\..\x" as a path), NUL bytes,
// invalid UTF-8, over-long names and components, and names outside the three
// roots. Symlink targets are resolved lexically against the link's root.
//
// Pure functions; thread-safe.

#ifndef WINSNAP_UNPACK_LAYER_PATH_H_
#define WINSNAP_UNPACK_LAYER_PATH_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace winsnap::unpack {

inline constexpr size_t kMaxPathBytes = 4096;
inline constexpr size_t kMaxComponentBytes = 255;
inline constexpr size_t kMaxDepth = 128;

struct EntryPath {
  std::string path;    // normalized: "Files/a/b" (no "./", no trailing "/")
  std::string stream;  // alternate data stream name, or empty
  std::string dir() const;   // "Files/a" ("" for a top-level name)
  std::string base() const;  // "b"
};

// Validates and normalizes a tar entry name. "windows_layer" requires the
// Files/Hives/UtilityVM roots. InvalidArgument naming the entry otherwise.
StatusOr<EntryPath> ValidateEntryName(std::string_view name,
                                      bool windows_layer = true);

// The root a symlink's absolute target is relative to: "Files", "Hives" or
// "UtilityVM/Files" (the directory a container sees as C:\).
std::string PathRoot(std::string_view normalized_path);

// Checks symlink "target" (as archived, '/' or '\' separated; relative, or
// absolute as "\x", "/x" or "C:\x") of the link at "link_path" (normalized)
// and returns the equivalent relative target to create on Linux, which stays
// inside the link's root. InvalidArgument if the target is UNC/device
// ("\\server", "\\?\"), on another drive, drive-relative, or climbs above the
// root.
StatusOr<std::string> ResolveSymlinkTarget(std::string_view link_path,
                                           std::string_view target);

// True if "s" is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_LAYER_PATH_H_
