// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/output.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "base/gojson.h"

namespace winsnap::tools {

namespace {

void AppendIndent(std::string* out, int depth) {
  out->push_back('\n');
  out->append(static_cast<size_t>(depth) * 4, ' ');
}

void AppendGo(const nlohmann::ordered_json& j, int depth, std::string* out) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::object: {
      if (j.empty()) {
        out->append("{}");
        return;
      }
      out->push_back('{');
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        AppendIndent(out, depth + 1);
        out->append(base::GoJsonQuote(it.key()));
        out->append(": ");
        AppendGo(it.value(), depth + 1, out);
      }
      AppendIndent(out, depth);
      out->push_back('}');
      return;
    }
    case nlohmann::ordered_json::value_t::array: {
      if (j.empty()) {
        out->append("[]");
        return;
      }
      out->push_back('[');
      bool first = true;
      for (const auto& v : j) {
        if (!first) out->push_back(',');
        first = false;
        AppendIndent(out, depth + 1);
        AppendGo(v, depth + 1, out);
      }
      AppendIndent(out, depth);
      out->push_back(']');
      return;
    }
    case nlohmann::ordered_json::value_t::string:
      out->append(base::GoJsonQuote(j.get_ref<const std::string&>()));
      return;
    default:
      // null, booleans and numbers: nlohmann's spelling is Go's for every
      // value snapctl prints (integers); dump never throws for non-strings.
      out->append(j.dump());
      return;
  }
}

}  // namespace

std::string GoMarshalIndent(const nlohmann::ordered_json& j) {
  std::string out;
  AppendGo(j, 0, &out);
  return out;
}

void PrintJson(const nlohmann::ordered_json& j) {
  std::cout << GoMarshalIndent(j) << "\n";
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
  return GoMarshalIndent(arr);
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
