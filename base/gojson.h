// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// JSON string encoding exactly as Go's encoding/json does it, for output that
// must be byte-identical to containerd's (mount options, `ctr ... --mounts`):
// '"' and '\\' escaped, \n \r \t short forms, other control characters as
// \u00XX, '<' '>' '&' as \u003c \u003e \u0026 (HTML-safe), U+2028/U+2029 as
// \u2028/\u2029, invalid UTF-8 bytes as \ufffd. Also json.Marshal and
// json.MarshalIndent of a value held in an nlohmann document, and Go's
// "omitempty" rule. This is the project's only Go-style JSON encoder (tools/
// and hcs/ use it). Pure functions; thread-safe.

#ifndef WINSNAP_BASE_GOJSON_H_
#define WINSNAP_BASE_GOJSON_H_

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace winsnap::base {

// Returns s as a quoted Go JSON string literal.
std::string GoJsonQuote(std::string_view s);

// Returns json.Marshal([]string) of items: compact, e.g. ["a","b"]; an empty
// list gives "[]".
std::string GoJsonStringArray(const std::vector<std::string>& items);

// json.Marshal of the value j describes, compact: objects in j's key order
// (ordered_json keeps insertion order, json sorts keys as Go sorts map
// keys), strings quoted by GoJsonQuote, empty arrays and objects as [] and
// {}. Integers, booleans and null print as Go prints them; floating-point
// numbers print in nlohmann's notation. Never throws, whatever bytes the
// strings hold (nlohmann's dump() throws on invalid UTF-8).
std::string GoMarshal(const nlohmann::json& j);
std::string GoMarshal(const nlohmann::ordered_json& j);

// json.MarshalIndent(v, "", "    ") of the value j describes, same rules as
// GoMarshal. No trailing newline.
std::string GoMarshalIndent(const nlohmann::json& j);
std::string GoMarshalIndent(const nlohmann::ordered_json& j);

// Go's encoding/json isEmptyValue, the test behind "omitempty": false, 0,
// and empty strings, arrays and maps are empty; an absent optional is empty
// and a present one never is (a Go pointer).
template <typename T>
bool GoIsEmptyValue(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return !v;
  } else if constexpr (std::is_arithmetic_v<T>) {
    return v == 0;
  } else {  // strings, arrays, maps
    return v.empty();
  }
}
template <typename T>
bool GoIsEmptyValue(const std::optional<T>& v) {
  return !v.has_value();
}

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_GOJSON_H_
