// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Portable implementation of the path rules declared in path.h.

#include "base/path.h"

#include <vector>

namespace winsnap::base {
namespace {

bool IsDriveLetter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

std::string Slashes(std::string_view p) {
  std::string out(p);
  for (char& c : out)
    if (c == '/') c = '\\';
  return out;
}

}  // namespace

std::string DefaultRootFor(PathStyle style, std::string_view program_data) {
  if (style == PathStyle::kPosix) return "/var/lib/winsnap";
  std::string base =
      program_data.empty() ? "C:\\ProgramData" : std::string(program_data);
  return JoinPathStyle(style, base, "winsnap");
}

char PathSeparator(PathStyle style) {
  return style == PathStyle::kWindows ? '\\' : '/';
}

bool IsPathSeparator(PathStyle style, char c) {
  return c == '/' || (style == PathStyle::kWindows && c == '\\');
}

std::string JoinPathStyle(PathStyle style, std::string_view a,
                          std::string_view b) {
  std::string out(a);
  if (!out.empty() && !IsPathSeparator(style, out.back()) && !b.empty())
    out += PathSeparator(style);
  out += b;
  if (style == PathStyle::kWindows) out = Slashes(out);
  return out;
}

std::string DirName(PathStyle style, std::string_view path) {
  size_t end = path.size();
  while (end > 0 && IsPathSeparator(style, path[end - 1])) --end;
  size_t i = end;
  while (i > 0 && !IsPathSeparator(style, path[i - 1])) --i;
  if (i == 0) {
    // No separator: "a" -> ".", "C:a" or "C:" -> "C:".
    if (style == PathStyle::kWindows && end == 2 && path[1] == ':')
      return std::string(path.substr(0, 2)) + (path.size() > 2 ? "\\" : "");
    return path.empty() || end > 0 ? "." : std::string(path.substr(0, 1));
  }
  size_t stop = i;
  while (stop > 0 && IsPathSeparator(style, path[stop - 1])) --stop;
  if (stop == 0) return std::string(1, PathSeparator(style));  // "/a"
  if (style == PathStyle::kWindows && stop == 2 && path[1] == ':')
    return std::string(path.substr(0, 2)) + "\\";  // "C:\a" -> "C:\"
  std::string out(path.substr(0, stop));
  if (style == PathStyle::kWindows) out = Slashes(out);
  return out;
}

StatusOr<std::string> CleanRoot(PathStyle style, std::string_view root) {
  const std::string shown(root);
  if (style == PathStyle::kPosix) {
    if (root.empty() || root[0] != '/')
      return InvalidArgumentError("root must be an absolute path, got \"" +
                                  shown + "\"");
    std::string out(root);
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
  }
  if (root.size() >= 2 && IsPathSeparator(style, root[0]) &&
      IsPathSeparator(style, root[1])) {
    return InvalidArgumentError(
        "root must be a local drive path like C:\\ProgramData\\winsnap, not "
        "a UNC or device path: \"" +
        shown + "\"");
  }
  if (root.size() < 3 || !IsDriveLetter(root[0]) || root[1] != ':' ||
      !IsPathSeparator(style, root[2])) {
    return InvalidArgumentError(
        "root must be an absolute drive path like C:\\ProgramData\\winsnap, "
        "got \"" +
        shown + "\"");
  }
  std::string out;
  out += static_cast<char>(root[0] >= 'a' && root[0] <= 'z' ? root[0] - 32
                                                            : root[0]);
  out += ":";
  std::string_view rest = root.substr(2);
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && IsPathSeparator(style, rest[i])) ++i;
    size_t j = i;
    while (j < rest.size() && !IsPathSeparator(style, rest[j])) ++j;
    if (j == i) break;
    std::string_view part = rest.substr(i, j - i);
    if (part == "." || part == "..") {
      return InvalidArgumentError(
          "root must not contain \".\" or \"..\" components: \"" + shown +
          "\"");
    }
    out += '\\';
    out += part;
    i = j;
  }
  if (out.size() == 2) out += '\\';  // "C:\"
  return out;
}

std::string ToLongPath(std::string_view path) {
  std::string p = Slashes(path);
  if (p.starts_with("\\\\?\\") || p.starts_with("\\\\.\\")) return p;
  if (p.size() >= 3 && IsDriveLetter(p[0]) && p[1] == ':' && p[2] == '\\')
    return "\\\\?\\" + p;
  if (p.size() > 2 && p.starts_with("\\\\"))
    return "\\\\?\\UNC\\" + p.substr(2);
  return p;
}

}  // namespace winsnap::base
