// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/gojson.h"

#include <cstdint>

namespace winsnap::base {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU(std::string* out, uint32_t cp) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4)
    out->push_back(kHex[(cp >> shift) & 0xf]);
}

// Decodes one UTF-8 sequence at s[i]; returns its length (0 if invalid) and
// the code point in *cp.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n;
  uint32_t v;
  if (c < 0x80) return *cp = c, 1;
  if ((c & 0xe0) == 0xc0)
    n = 2, v = c & 0x1f;
  else if ((c & 0xf0) == 0xe0)
    n = 3, v = c & 0x0f;
  else if ((c & 0xf8) == 0xf0)
    n = 4, v = c & 0x07;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    v = (v << 6) | (b(i + k) & 0x3f);
  }
  // Overlong forms, surrogates and out-of-range values are invalid in Go too.
  if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) ||
      (n == 4 && v < 0x10000) || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
    return 0;
  }
  *cp = v;
  return n;
}

}  // namespace

std::string GoJsonQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        case '<':
        case '>':
        case '&':
          AppendU(&out, c);
          break;
        default:
          if (c < 0x20) {
            AppendU(&out, c);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) {
      out.append("\\ufffd");
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      AppendU(&out, cp);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out.push_back('"');
  return out;
}

namespace {

void AppendIndent(std::string* out, int depth) {
  out->push_back('\n');
  out->append(static_cast<size_t>(depth) * 4, ' ');
}

// Appends the Go encoding of j; indent < 0 means compact.
template <typename Json>
void AppendGo(const Json& j, int indent, std::string* out) {
  const bool pretty = indent >= 0;
  switch (j.type()) {
    case Json::value_t::object: {
      if (j.empty()) {
        out->append("{}");
        return;
      }
      out->push_back('{');
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        if (pretty) AppendIndent(out, indent + 1);
        out->append(GoJsonQuote(it.key()));
        out->append(pretty ? ": " : ":");
        AppendGo(it.value(), pretty ? indent + 1 : -1, out);
      }
      if (pretty) AppendIndent(out, indent);
      out->push_back('}');
      return;
    }
    case Json::value_t::array: {
      if (j.empty()) {
        out->append("[]");
        return;
      }
      out->push_back('[');
      bool first = true;
      for (const auto& v : j) {
        if (!first) out->push_back(',');
        first = false;
        if (pretty) AppendIndent(out, indent + 1);
        AppendGo(v, pretty ? indent + 1 : -1, out);
      }
      if (pretty) AppendIndent(out, indent);
      out->push_back(']');
      return;
    }
    case Json::value_t::string:
      out->append(GoJsonQuote(j.template get_ref<const std::string&>()));
      return;
    default:
      // null, booleans and numbers: nlohmann's spelling is Go's for
      // integers; dump never throws for non-strings.
      out->append(j.dump());
      return;
  }
}

}  // namespace

std::string GoMarshal(const nlohmann::json& j) {
  std::string out;
  AppendGo(j, -1, &out);
  return out;
}

std::string GoMarshal(const nlohmann::ordered_json& j) {
  std::string out;
  AppendGo(j, -1, &out);
  return out;
}

std::string GoMarshalIndent(const nlohmann::json& j) {
  std::string out;
  AppendGo(j, 0, &out);
  return out;
}

std::string GoMarshalIndent(const nlohmann::ordered_json& j) {
  std::string out;
  AppendGo(j, 0, &out);
  return out;
}

std::string GoJsonStringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    out += GoJsonQuote(items[i]);
  }
  out.push_back(']');
  return out;
}

}  // namespace winsnap::base
