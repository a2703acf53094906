// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/output.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "base/gojson.h"
#include "base/logging.h"

namespace winsnap::tools {

void PrintJson(const nlohmann::ordered_json& j) {
  std::cout << base::GoMarshalIndent(j) << "\n";
}

std::string GoIndentMounts(const std::vector<snapshotter::Mount>& mounts) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& m : mounts) {
    nlohmann::ordered_json o;
    o["Type"] = m.type;
    o["Source"] = m.source;
    o["Target"] = m.target;
    // A nil []string marshals as null; containerd's windows mounts always
    // carry at least ro/rw, so this only matters for completeness.
    o["Options"] = m.options.empty() ? nlohmann::ordered_json(nullptr)
                                     : nlohmann::ordered_json(m.options);
    arr.push_back(std::move(o));
  }
  return base::GoMarshalIndent(arr);
}

std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    for (size_t c = 0; c + 1 < r.size(); ++c) {
      if (width.size() <= c) width.resize(c + 1, 0);
      width[c] = std::max(width[c], r[c].size());
    }
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size()) line.append(width[c] + 1 - r[c].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string Rfc3339Nano(int64_t unix_ns) {
  int64_t secs = unix_ns / 1000000000;
  int64_t nanos = unix_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    secs -= 1;
  }
  std::string out = base::UtcDateTime(secs);
  if (nanos) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

std::string HumanSize(int64_t bytes) {
  static const char* kUnits[] = {"B",   "KiB", "MiB", "GiB", "TiB",
                                 "PiB", "EiB", "ZiB", "YiB"};
  double size = static_cast<double>(bytes);
  int i = 0;
  while (size >= 1024 && i < 8) {
    size /= 1024;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02.1f %s", size, kUnits[i]);
  return buf;
}

namespace {

void AppendOctal(std::string* out, unsigned char c) {
  out->push_back('\\');
  out->push_back(static_cast<char>('0' + ((c >> 6) & 7)));
  out->push_back(static_cast<char>('0' + ((c >> 3) & 7)));
  out->push_back(static_cast<char>('0' + (c & 7)));
}

// Length of the valid UTF-8 sequence at s[i] (>= 2 bytes), or 0.
size_t Utf8SeqLen(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t cp = 0, min = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, cp = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, cp = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

}  // namespace

static std::string EscapeControl(std::string_view s, bool keep_backslash) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t len = Utf8SeqLen(s, i);
      bool c1 =
          len == 2 && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0;
      if (len == 0 || c1) {
        size_t n = len == 0 ? 1 : len;
        for (size_t k = 0; k < n; ++k)
          AppendOctal(&out, static_cast<unsigned char>(s[i + k]));
        i += n;
      } else {
        out.append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '\\':
        out += keep_backslash ? "\\" : "\\\\";
        continue;
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\v':
        out += "\\v";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\r':
        out += "\\r";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
      AppendOctal(&out, c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string EscapeForTerminal(std::string_view s) {
  return EscapeControl(s, /*keep_backslash=*/false);
}

std::string EscapePathForTerminal(std::string_view s) {
  return EscapeControl(s, /*keep_backslash=*/true);
}

}  // namespace winsnap::tools
