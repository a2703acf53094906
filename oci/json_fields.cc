// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "oci/json_fields.h"

namespace winsnap::oci::internal {

using nlohmann::json;

StatusOr<json> ParseObject(std::string_view text, std::string_view what) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgumentError(std::string(what) + " is not a JSON object");
  }
  return doc;
}

std::string StringField(const json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>()
                                            : std::string();
}

StatusOr<Platform> PlatformFrom(const json& obj, std::string_view what) {
  Platform p;
  p.os = StringField(obj, "os");
  p.architecture = StringField(obj, "architecture");
  p.variant = StringField(obj, "variant");
  p.os_version = StringField(obj, "os.version");
  if (auto it = obj.find("os.features"); it != obj.end() && it->is_array()) {
    for (const auto& f : *it) {
      if (f.is_string()) p.os_features.push_back(f.get<std::string>());
    }
  }
  if (p.os.empty() || p.architecture.empty()) {
    return InvalidArgumentError(std::string(what) +
                                ": platform needs os and architecture");
  }
  return p;
}

}  // namespace winsnap::oci::internal
