// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Path rules of the two platforms, as pure functions of a PathStyle so the
// Windows rules are unit-tested on Linux too. Shared code calls the native
// wrappers (JoinPath in env.h, NativePathStyle, DefaultRoot); the *_windows.cc
// boundary calls ToLongPath before widening a path for a Win32 call.
//
// Thread-safety: all functions are pure (NativePathStyle and DefaultRoot read
// only the process environment).

#ifndef WINSNAP_BASE_PATH_H_
#define WINSNAP_BASE_PATH_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace winsnap::base {

enum class PathStyle { kPosix, kWindows };

// The style of the platform this binary was built for (defined in
// env_posix.cc / env_windows.cc).
PathStyle NativePathStyle();

// The default snapshotter root: /var/lib/winsnap on Linux,
// %ProgramData%\winsnap on Windows (C:\ProgramData\winsnap if unset).
std::string DefaultRoot();
// DefaultRoot's rule for "style" given the value of %ProgramData% (ignored
// for kPosix; empty means unset).
std::string DefaultRootFor(PathStyle style, std::string_view program_data);

// The preferred separator: '/' or '\'.
char PathSeparator(PathStyle style);
// True for '/' and, on Windows, '\'.
bool IsPathSeparator(PathStyle style, char c);

// Joins "a" and "b" with one separator. On Windows every '/' of the result
// becomes '\', so "C:/r" + "snapshots/1" is "C:\r\snapshots\1".
std::string JoinPathStyle(PathStyle style, std::string_view a,
                          std::string_view b);

// The folder part of "path" ("C:\a\b" -> "C:\a", "C:\a" -> "C:\", "/a" ->
// "/", "a" -> "."). Trailing separators are ignored.
std::string DirName(PathStyle style, std::string_view path);

// Validates and normalises a snapshotter root. POSIX: must start with '/';
// trailing slashes are dropped. Windows: must be a drive path "C:\..." or
// "C:/..."; '/' becomes '\', repeated separators collapse, trailing ones are
// dropped (but "C:\" stays), and "." or ".." components are refused (the
// root is used under the \\?\ prefix, which does not resolve them).
// InvalidArgument, one line naming the root and the rule, for a relative
// root, a drive-relative one ("C:foo"), a rooted one without a drive
// ("\foo"), a UNC or device path ("\\server\share", "\\?\C:\x").
StatusOr<std::string> CleanRoot(PathStyle style, std::string_view root);

// Windows only: the form of an absolute path passed to wide Win32 calls so
// trees deeper than MAX_PATH work: "C:\a" -> "\\?\C:\a", "\\srv\s\a" ->
// "\\?\UNC\srv\s\a"; '/' becomes '\'. A path already prefixed, or relative,
// is returned with only the separators normalised. Never print the result:
// messages show the path the caller gave.
std::string ToLongPath(std::string_view path);

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_PATH_H_
