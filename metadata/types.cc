// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "metadata/types.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace winsnap::metadata {

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kView:
      return "View";
    case Kind::kActive:
      return "Active";
    case Kind::kCommitted:
      return "Committed";
    case Kind::kUnknown:
      break;
  }
  return "Unknown";
}

StatusOr<Kind> ParseKind(std::string_view s) {
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  if (l == "view") return Kind::kView;
  if (l == "active") return Kind::kActive;
  if (l == "committed") return Kind::kCommitted;
  if (l == "unknown") return Kind::kUnknown;
  return InvalidArgumentError("unknown snapshot kind \"" + std::string(s) +
                              "\"");
}

}  // namespace winsnap::metadata
