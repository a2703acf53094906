// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/output.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "base/gojson.h"

namespace winsnap::tools {

std::string GoIndentMounts(const std::vector<snapshotter::Mount>& mounts) {
  if (mounts.empty()) return "[]";
  std::string out = "[\n";
  for (size_t i = 0; i < mounts.size(); ++i) {
    const auto& m = mounts[i];
    out += "    {\n";
    out += "        \"Type\": " + base::GoJsonQuote(m.type) + ",\n";
    out += "        \"Source\": " + base::GoJsonQuote(m.source) + ",\n";
    out += "        \"Target\": " + base::GoJsonQuote(m.target) + ",\n";
    if (m.options.empty()) {
      out += "        \"Options\": null\n";
    } else {
      out += "        \"Options\": [\n";
      for (size_t j = 0; j < m.options.size(); ++j) {
        out += "            " + base::GoJsonQuote(m.options[j]);
        out += j + 1 < m.options.size() ? ",\n" : "\n";
      }
      out += "        ]\n";
    }
    out += i + 1 < mounts.size() ? "    },\n" : "    }\n";
  }
  out += "]";
  return out;
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
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
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

}  // namespace winsnap::tools
