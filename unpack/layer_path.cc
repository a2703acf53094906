// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/layer_path.h"

#include <cstdint>
#include <vector>

namespace winsnap::unpack {
namespace {

Status Bad(std::string_view name, std::string_view why) {
  return InvalidArgumentError("layer entry \"" + std::string(name) +
                              "\": " + std::string(why));
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t slash = s.find('/', start);
    out.push_back(s.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool IsDriveSpec(std::string_view s) {
  return s.size() >= 2 && s[1] == ':' &&
         ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'));
}

}  // namespace

std::string EntryPath::dir() const {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string EntryPath::base() const {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, surrogates and out-of-range code points.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
        (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

StatusOr<EntryPath> ValidateEntryName(std::string_view name,
                                      bool windows_layer) {
  if (name.empty()) return Bad(name, "empty name");
  if (name.size() > kMaxPathBytes)
    return Bad(name.substr(0, 64),
               "name longer than " + std::to_string(kMaxPathBytes) + " bytes");
  if (name.find('\0') != std::string_view::npos)
    return Bad(name, "name contains NUL");
  if (!IsValidUtf8(name)) return Bad(name, "name is not valid UTF-8");
  if (name.find('\\') != std::string_view::npos)
    return Bad(name, "backslash in name (a Windows path separator)");
  if (name[0] == '/') return Bad(name, "absolute path");
  if (IsDriveSpec(name)) return Bad(name, "drive-letter path");

  std::string_view s = name;
  while (s.size() >= 2 && s.substr(0, 2) == "./") {
    s.remove_prefix(2);
    while (!s.empty() && s[0] == '/') s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  if (s.empty() || s == ".") return Bad(name, "names the layer root");

  auto parts = Split(s);
  if (parts.size() > kMaxDepth) return Bad(name, "path too deep");
  EntryPath out;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view c = parts[i];
    if (c.empty()) return Bad(name, "empty path component");
    if (c == ".") continue;
    if (c == "..") return Bad(name, "\"..\" component");
    if (c.size() > kMaxComponentBytes)
      return Bad(name, "path component longer than " +
                           std::to_string(kMaxComponentBytes) + " bytes");
    size_t colon = c.find(':');
    if (colon != std::string_view::npos) {
      if (i + 1 != parts.size())
        return Bad(name, "':' in a directory component");
      std::string_view stream = c.substr(colon + 1);
      if (colon == 0 || stream.empty() ||
          stream.find(':') != std::string_view::npos)
        return Bad(name, "malformed alternate data stream name");
      out.stream = std::string(stream);
      c = c.substr(0, colon);
    }
    if (!out.path.empty()) out.path += '/';
    out.path += c;
  }
  if (windows_layer) {
    auto p = Split(out.path);
    bool ok = p[0] == "Files" || p[0] == "Hives" ||
              (p[0] == "UtilityVM" && (p.size() == 1 || p[1] == "Files"));
    if (!ok) return Bad(name, "outside Files/, Hives/ and UtilityVM/Files/");
    if (!out.stream.empty() && (p.size() == 1 || out.path == "UtilityVM/Files"))
      return Bad(name, "alternate data stream on a layer root");
  }
  return out;
}

std::string PathRoot(std::string_view p) {
  if (p.substr(0, 16) == "UtilityVM/Files/" || p == "UtilityVM/Files")
    return "UtilityVM/Files";
  size_t slash = p.find('/');
  return std::string(p.substr(0, slash));
}

StatusOr<std::string> ResolveSymlinkTarget(std::string_view link_path,
                                           std::string_view target) {
  auto bad = [&](std::string_view why) {
    return Bad(link_path, "symlink target \"" + std::string(target) + "\" " +
                              std::string(why));
  };
  if (target.empty()) return bad("is empty");
  if (target.size() > kMaxPathBytes) return bad("is too long");
  if (target.find('\0') != std::string_view::npos) return bad("contains NUL");
  if (!IsValidUtf8(target)) return bad("is not valid UTF-8");
  std::string t(target);
  for (char& c : t)
    if (c == '\\') c = '/';

  const std::string root = PathRoot(link_path);
  if (root.empty() || std::string_view(root) == link_path)
    return bad("(a symlink cannot replace a layer root)");
  // Components of the link's directory below the root.
  std::string_view link_dir = link_path.substr(0, link_path.rfind('/'));
  std::vector<std::string> dir_parts;
  if (link_dir.size() > root.size()) {
    for (auto c : Split(link_dir.substr(root.size() + 1)))
      dir_parts.emplace_back(c);
  }

  std::vector<std::string> stack;
  std::string_view rest = t;
  if (rest.size() >= 2 && rest.substr(0, 2) == "//")
    return bad("is a UNC or device path");
  if (IsDriveSpec(rest)) {
    if (rest[0] != 'C' && rest[0] != 'c') return bad("is on another drive");
    rest.remove_prefix(2);
    if (rest.empty() || rest[0] != '/') return bad("is drive-relative");
  }
  if (!rest.empty() && rest[0] == '/') {
    // Absolute within the container: from the root.
  } else {
    stack = dir_parts;
  }
  auto parts = Split(rest);
  if (parts.size() > kMaxDepth) return bad("is too deep");
  for (auto c : parts) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (stack.empty()) return bad("resolves outside the layer");
      stack.pop_back();
      continue;
    }
    if (c.find(':') != std::string_view::npos) return bad("contains ':'");
    if (c.size() > kMaxComponentBytes) return bad("has a too long component");
    stack.emplace_back(c);
  }
  std::string out;
  for (size_t i = 0; i < dir_parts.size(); ++i) out += "../";
  for (const auto& c : stack) out += c + "/";
  if (out.empty()) return std::string(".");
  out.pop_back();
  return out;
}

}  // namespace winsnap::unpack
