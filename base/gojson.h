// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// JSON string encoding exactly as Go's encoding/json does it, for output that
// must be byte-identical to containerd's (mount options, `ctr ... --mounts`):
// '"' and '\\' escaped, \n \r \t short forms, other control characters as
// \u00XX, '<' '>' '&' as \u003c \u003e \u0026 (HTML-safe), U+2028/U+2029 as
// \u2028/\u2029, invalid UTF-8 bytes as \ufffd. Pure functions; thread-safe.

#ifndef WINSNAP_BASE_GOJSON_H_
#define WINSNAP_BASE_GOJSON_H_

#include <string>
#include <string_view>
#include <vector>

namespace winsnap::base {

// Returns s as a quoted Go JSON string literal.
std::string GoJsonQuote(std::string_view s);

// Returns json.Marshal([]string) of items: compact, e.g. ["a","b"]; an empty
// list gives "[]".
std::string GoJsonStringArray(const std::vector<std::string>& items);

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_GOJSON_H_
