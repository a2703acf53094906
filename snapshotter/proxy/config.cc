// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "snapshotter/proxy/config.h"

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

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

std::string Where(const toml::source_position& at) {
  return "line " + std::to_string(at.line) + ", column " +
         std::to_string(at.column) + ": ";
}

// toml++ parses the whole TOML 1.0 language (tables, dotted keys, every
// string and integer form); this maps its document onto the flat key set.
// Its parse_error exception stays inside this function.
StatusOr<ServeConfig> ParseToml(std::string_view text) {
  toml::table doc;
  try {
    doc = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return InvalidArgumentError(Where(e.source().begin) +
                                std::string(e.description()));
  }
  ServeConfig cfg;
  for (const auto& [key, node] : doc) {
    // A key's own position is where the error points (the value's for a
    // table opened by a header, which has none).
    const toml::source_position at =
        key.source().begin ? key.source().begin : node.source().begin;
    std::string name(key.str());
    const KeySpec* spec = FindKey(name);
    if (!spec) {
      return InvalidArgumentError(Where(at) + "unknown key \"" + name +
                                  "\" (known: " + KnownKeys() + ")");
    }
    Value val;
    if (auto s = node.value_exact<std::string>()) {
      val = std::move(*s);
    } else if (auto i = node.value_exact<int64_t>()) {
      val = *i;
    } else if (auto b = node.value_exact<bool>()) {
      val = *b;
    } else {
      return InvalidArgumentError(Where(at) + "\"" + name + "\" must be " +
                                  TypeName(spec->type));
    }
    WINSNAP_RETURN_IF_ERROR(Assign(*spec, val, Where(at), &cfg));
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
