// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "snapshotter/proxy/config.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <variant>

namespace winsnap::proxy {
namespace {

using Value = std::variant<std::string, int64_t, bool>;

enum class Type { kString, kInt, kBool };

struct KeySpec {
  const char* name;
  Type type;
};

constexpr KeySpec kKeys[] = {
    {"root", Type::kString},       {"address", Type::kString},
    {"mount_type", Type::kString}, {"log_level", Type::kString},
    {"log_format", Type::kString}, {"metrics_address", Type::kString},
    {"threads", Type::kInt},       {"gc_interval", Type::kInt},
    {"gc_prune", Type::kBool},
};

const KeySpec* FindKey(std::string_view name) {
  for (const auto& k : kKeys) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

std::string KnownKeys() {
  std::string out;
  for (const auto& k : kKeys) {
    if (!out.empty()) out += ", ";
    out += k.name;
  }
  return out;
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kString:
      return "a string";
    case Type::kInt:
      return "an integer";
    case Type::kBool:
      return "true or false";
  }
  return "?";
}

// Stores "v" for key "spec" into *cfg after checking its type and range.
// "where" prefixes error messages.
Status Assign(const KeySpec& spec, const Value& v, const std::string& where,
              ServeConfig* cfg) {
  std::string name = spec.name;
  bool type_ok =
      (spec.type == Type::kString && std::holds_alternative<std::string>(v)) ||
      (spec.type == Type::kInt && std::holds_alternative<int64_t>(v)) ||
      (spec.type == Type::kBool && std::holds_alternative<bool>(v));
  if (!type_ok) {
    return InvalidArgumentError(where + "\"" + name + "\" must be " +
                                TypeName(spec.type));
  }
  if (spec.type == Type::kString) {
    const std::string& s = std::get<std::string>(v);
    if (name == "mount_type" && s != "windows-layer" && s != "overlay") {
      return InvalidArgumentError(where +
                                  "mount_type must be \"windows-layer\" or "
                                  "\"overlay\", got \"" +
                                  s + "\"");
    }
    if (name == "log_format" && s != "text" && s != "json") {
      return InvalidArgumentError(
          where + "log_format must be \"text\" or \"json\", got \"" + s + "\"");
    }
    if ((name == "root" || name == "address") && (s.empty() || s[0] != '/')) {
      return InvalidArgumentError(
          where + name + " must be an absolute path, got \"" + s + "\"");
    }
    if (name == "root") cfg->root = s;
    if (name == "address") cfg->address = s;
    if (name == "mount_type") cfg->mount_type = s;
    if (name == "log_level") cfg->log_level = s;
    if (name == "log_format") cfg->log_format = s;
    if (name == "metrics_address") cfg->metrics_address = s;
    return OkStatus();
  }
  if (spec.type == Type::kInt) {
    int64_t n = std::get<int64_t>(v);
    if (name == "threads") {
      if (n < 1 || n > 256)
        return InvalidArgumentError(where + "threads must be 1..256");
      cfg->threads = static_cast<int>(n);
    }
    if (name == "gc_interval") {
      if (n < 0 || n > std::numeric_limits<int>::max())
        return InvalidArgumentError(where + "gc_interval must be >= 0 seconds");
      cfg->gc_interval = static_cast<int>(n);
    }
    return OkStatus();
  }
  cfg->gc_prune = std::get<bool>(v);
  return OkStatus();
}

StatusOr<ServeConfig> ParseJson(std::string_view text) {
  // nlohmann keeps the last of duplicate keys; the callback spots them.
  std::set<std::string> top_keys;
  std::string duplicate;
  auto on_event = [&](int depth, nlohmann::json::parse_event_t event,
                      nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 &&
        !top_keys.insert(parsed.get<std::string>()).second &&
        duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  auto j = nlohmann::json::parse(text, on_event, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("config is not a valid JSON object");
  }
  if (!duplicate.empty()) {
    return InvalidArgumentError("duplicate key \"" + duplicate + "\"");
  }
  ServeConfig cfg;
  for (const auto& [k, v] : j.items()) {
    const KeySpec* spec = FindKey(k);
    if (!spec) {
      return InvalidArgumentError("unknown key \"" + k +
                                  "\" (known: " + KnownKeys() + ")");
    }
    Value val;
    if (v.is_string()) {
      val = v.get<std::string>();
    } else if (v.is_number_integer()) {
      val = v.get<int64_t>();
    } else if (v.is_boolean()) {
      val = v.get<bool>();
    } else {
      return InvalidArgumentError("\"" + k + "\" must be " +
                                  TypeName(spec->type));
    }
    WINSNAP_RETURN_IF_ERROR(Assign(*spec, val, "", &cfg));
  }
  return cfg;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Cursor over one TOML line.
class LineParser {
 public:
  explicit LineParser(std::string_view line) : s_(line) {}

  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool AtEnd() const { return i_ >= s_.size(); }
  char Peek() const { return s_[i_]; }
  // True if only blanks and an optional comment remain.
  bool RestIsBlank() {
    SkipSpace();
    return AtEnd() || Peek() == '#';
  }

  StatusOr<std::string> Key() {
    size_t start = i_;
    while (i_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' ||
            s_[i_] == '-')) {
      ++i_;
    }
    if (i_ == start) {
      if (!AtEnd() && Peek() == '[') {
        return InvalidArgumentError(
            "tables ([...]) are not supported; put keys at the top level");
      }
      return InvalidArgumentError("expected a key");
    }
    std::string key(s_.substr(start, i_ - start));
    SkipSpace();
    if (!AtEnd() && Peek() == '.') {
      return InvalidArgumentError("dotted keys are not supported");
    }
    return key;
  }

  Status Expect(char c) {
    SkipSpace();
    if (AtEnd() || Peek() != c) {
      return InvalidArgumentError(std::string("expected '") + c + "'");
    }
    ++i_;
    return OkStatus();
  }

  StatusOr<Value> ParseValue() {
    SkipSpace();
    if (AtEnd()) return InvalidArgumentError("missing value");
    char c = Peek();
    if (c == '"') return BasicString();
    if (c == '\'') return LiteralString();
    if (c == '[' || c == '{') {
      return InvalidArgumentError("arrays and inline tables are not supported");
    }
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ' ' && s_[i_] != '\t' && s_[i_] != '#')
      ++i_;
    std::string_view word = s_.substr(start, i_ - start);
    if (word == "true") return Value(true);
    if (word == "false") return Value(false);
    return Integer(word);
  }

 private:
  StatusOr<Value> Integer(std::string_view word) {
    std::string digits;
    size_t j = 0;
    bool neg = false;
    if (j < word.size() && (word[j] == '+' || word[j] == '-')) {
      neg = word[j] == '-';
      ++j;
    }
    char prev = '_';
    for (; j < word.size(); ++j) {
      char d = word[j];
      if (d == '_' && prev != '_') {
        prev = d;
        continue;
      }
      if (d < '0' || d > '9') {
        return InvalidArgumentError(
            "unsupported value \"" + std::string(word) +
            "\" (want a quoted string, an integer, true or false)");
      }
      digits.push_back(d);
      prev = d;
    }
    if (digits.empty() || prev == '_' || digits.size() > 18) {
      return InvalidArgumentError("bad integer \"" + std::string(word) + "\"");
    }
    int64_t n = std::stoll(digits);
    return Value(neg ? -n : n);
  }

  StatusOr<Value> BasicString() {
    ++i_;  // opening quote
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return Value(std::move(out));
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) break;
      char e = s_[i_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'u':
        case 'U': {
          size_t n = e == 'u' ? 4 : 8;
          if (i_ + n > s_.size())
            return InvalidArgumentError("short \\u escape");
          uint32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            char h = s_[i_++];
            int v = std::isdigit(static_cast<unsigned char>(h)) ? h - '0'
                    : (h >= 'a' && h <= 'f')                    ? h - 'a' + 10
                    : (h >= 'A' && h <= 'F')                    ? h - 'A' + 10
                                                                : -1;
            if (v < 0) return InvalidArgumentError("bad \\u escape");
            cp = cp * 16 + static_cast<uint32_t>(v);
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return InvalidArgumentError("\\u escape is not a scalar value");
          AppendUtf8(cp, &out);
          break;
        }
        default:
          return InvalidArgumentError(std::string("unknown escape \\") + e);
      }
    }
    return InvalidArgumentError("unterminated string");
  }

  StatusOr<Value> LiteralString() {
    ++i_;
    size_t end = s_.find('\'', i_);
    if (end == std::string_view::npos)
      return InvalidArgumentError("unterminated string");
    std::string out(s_.substr(i_, end - i_));
    i_ = end + 1;
    return Value(std::move(out));
  }

  std::string_view s_;
  size_t i_ = 0;
};

StatusOr<ServeConfig> ParseToml(std::string_view text) {
  ServeConfig cfg;
  std::set<std::string> seen;
  size_t pos = 0;
  for (int n = 1; pos <= text.size(); ++n) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(
        pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string where = "line " + std::to_string(n) + ": ";
    auto fail = [&](const Status& s) {
      return InvalidArgumentError(where + std::string(s.message()));
    };
    LineParser p(line);
    if (p.RestIsBlank()) continue;
    auto key = p.Key();
    if (!key.ok()) return fail(key.status());
    const KeySpec* spec = FindKey(*key);
    if (!spec) {
      return InvalidArgumentError(where + "unknown key \"" + *key +
                                  "\" (known: " + KnownKeys() + ")");
    }
    if (!seen.insert(*key).second) {
      return InvalidArgumentError(where + "duplicate key \"" + *key + "\"");
    }
    if (Status s = p.Expect('='); !s.ok()) return fail(s);
    auto value = p.ParseValue();
    if (!value.ok()) return fail(value.status());
    if (!p.RestIsBlank()) {
      return InvalidArgumentError(where + "unexpected text after the value");
    }
    WINSNAP_RETURN_IF_ERROR(Assign(*spec, *value, where, &cfg));
  }
  return cfg;
}

}  // namespace

StatusOr<ServeConfig> ParseServeConfig(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    return ParseJson(text);
  }
  return ParseToml(text);
}

}  // namespace winsnap::proxy
