// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "oci/platform.h"

#include <algorithm>
#include <cctype>

namespace winsnap::oci {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "10.0.20348.1607" -> "10.0.20348"; fewer than three components -> itself.
std::string_view BuildPrefix(std::string_view v) {
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    pos = v.find('.', pos);
    if (pos == std::string_view::npos) return v;
    if (i < 2) ++pos;
  }
  return v.substr(0, pos);
}

}  // namespace

std::string Platform::ToString() const {
  std::string s = os;
  if (!os_version.empty()) s += "(" + os_version + ")";
  s += "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Platform NormalizePlatform(Platform p) {
  p.os = Lower(p.os);
  if (p.os == "macos") p.os = "darwin";
  p.architecture = Lower(p.architecture);
  p.variant = Lower(p.variant);
  const std::string& a = p.architecture;
  if (a == "x86_64" || a == "x86-64" || a == "amd64") {
    p.architecture = "amd64";
    if (p.variant == "v1") p.variant.clear();
  } else if (a == "i386") {
    p.architecture = "386";
  } else if (a == "aarch64" || a == "arm64") {
    p.architecture = "arm64";
    if (p.variant == "8" || p.variant == "v8" || p.variant == "v8.0") {
      p.variant.clear();
    }
  } else if (a == "armhf") {
    p.architecture = "arm";
    p.variant = "v7";
  } else if (a == "armel") {
    p.architecture = "arm";
    p.variant = "v6";
  } else if (a == "arm") {
    if (p.variant.empty() || p.variant == "7") p.variant = "v7";
    if (p.variant == "5" || p.variant == "6" || p.variant == "8") {
      p.variant = "v" + p.variant;
    }
  }
  return p;
}

StatusOr<Platform> ParsePlatform(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("invalid platform \"" + std::string(text) +
                                "\": " + std::string(why) +
                                " (want os[(os.version)]/arch[/variant])");
  };
  std::vector<std::string_view> parts = Split(text, '/');
  if (parts.size() < 2 || parts.size() > 3) return bad("wrong number of parts");
  Platform p;
  std::string_view os = parts[0];
  size_t open = os.find('(');
  if (open != std::string_view::npos) {
    if (os.back() != ')' || open + 2 > os.size() - 1)
      return bad("bad os.version");
    p.os_version = std::string(os.substr(open + 1, os.size() - open - 2));
    os = os.substr(0, open);
  }
  p.os = std::string(os);
  p.architecture = std::string(parts[1]);
  if (parts.size() == 3) p.variant = std::string(parts[2]);
  auto ok_word = [](std::string_view w) {
    if (w.empty()) return false;
    for (char c : w) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' &&
          c != '-' && c != '.') {
        return false;
      }
    }
    return true;
  };
  if (!ok_word(p.os) || !ok_word(p.architecture) ||
      (parts.size() == 3 && !ok_word(p.variant)) ||
      (!p.os_version.empty() && !ok_word(p.os_version))) {
    return bad("empty or malformed component");
  }
  return NormalizePlatform(std::move(p));
}

int CompareOsVersion(std::string_view a, std::string_view b) {
  std::vector<std::string_view> pa = Split(a, '.');
  std::vector<std::string_view> pb = Split(b, '.');
  if (a.empty()) pa.clear();
  if (b.empty()) pb.clear();
  size_t n = std::max(pa.size(), pb.size());
  for (size_t i = 0; i < n; ++i) {
    if (i >= pa.size()) return -1;
    if (i >= pb.size()) return 1;
    std::string_view x = pa[i], y = pb[i];
    if (AllDigits(x) && AllDigits(y)) {
      // Compare as numbers without overflow: strip leading zeros, then by
      // length, then lexically.
      while (x.size() > 1 && x.front() == '0') x.remove_prefix(1);
      while (y.size() > 1 && y.front() == '0') y.remove_prefix(1);
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
    }
    int c = x.compare(y);
    if (c != 0) return c < 0 ? -1 : 1;
  }
  return 0;
}

StatusOr<size_t> SelectPlatform(
    const std::vector<std::optional<Platform>>& entries,
    const Platform& want_in) {
  const Platform want = NormalizePlatform(want_in);
  std::vector<size_t> candidates;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i]) continue;
    Platform p = NormalizePlatform(*entries[i]);
    if (p.os != want.os || p.architecture != want.architecture) continue;
    if (!want.variant.empty() && p.variant != want.variant) continue;
    candidates.push_back(i);
  }
  auto version = [&](size_t i) -> const std::string& {
    return entries[i]->os_version;
  };
  std::optional<size_t> best;
  if (want.os == "windows" && !want.os_version.empty()) {
    for (size_t i : candidates) {
      if (version(i) == want.os_version) return i;
    }
    std::string_view build = BuildPrefix(want.os_version);
    for (size_t i : candidates) {
      if (BuildPrefix(version(i)) != build) continue;
      if (!best || CompareOsVersion(version(i), version(*best)) > 0) best = i;
    }
    if (!best) {
      for (size_t i : candidates) {
        if (version(i).empty()) return i;
      }
    }
  } else if (want.os == "windows") {
    for (size_t i : candidates) {
      if (!best || CompareOsVersion(version(i), version(*best)) > 0) best = i;
    }
  } else if (!candidates.empty()) {
    best = candidates.front();
  }
  if (best) return *best;

  std::string available;
  for (const auto& e : entries) {
    if (!e) continue;
    if (!available.empty()) available += ", ";
    available += NormalizePlatform(*e).ToString();
  }
  return NotFoundError(
      "no manifest for platform " + want.ToString() +
      (want.os == "windows" && !want.os_version.empty()
           ? " (same build required)"
           : "") +
      "; available: " + (available.empty() ? "none" : available));
}

}  // namespace winsnap::oci
