// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "snapshotter/validate.h"

#include <cstdint>
#include <string>

namespace winsnap::snapshotter {
namespace {

// A printable excerpt of a possibly invalid string for error messages:
// at most 32 bytes, non-ASCII and control bytes as \xNN.
std::string Excerpt(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < 32; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > 32) out += "...";
  return out;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      return false;  // continuation byte, overlong lead or > U+10FFFF
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

Status ValidateUtf8(std::string_view what, std::string_view s) {
  if (IsValidUtf8(s)) return OkStatus();
  return InvalidArgumentError(std::string(what) + " \"" + Excerpt(s) +
                              "\" is not valid UTF-8");
}

Status ValidateLabels(const metadata::Labels& labels) {
  for (const auto& [k, v] : labels) {
    WINSNAP_RETURN_IF_ERROR(ValidateUtf8("label key", k));
    if (!IsValidUtf8(v)) {
      return InvalidArgumentError("value of label \"" + Excerpt(k) +
                                  "\" is not valid UTF-8");
    }
    if (k.size() + v.size() > kMaxLabelSize) {
      return InvalidArgumentError(
          "label key and value greater than maximum size (" +
          std::to_string(kMaxLabelSize) +
          " bytes), key: " + Excerpt(std::string_view(k).substr(0, 10)));
    }
  }
  return OkStatus();
}

}  // namespace winsnap::snapshotter
