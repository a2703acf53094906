// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Internal to oci/: the JSON field readers that the manifest and the image
// config parsers share, so both give the same validation and the same error
// messages ("image config is not a JSON object", "...: platform needs os and
// architecture"). Not for use outside oci/.
//
// Thread-safety: pure functions.

#ifndef WINSNAP_OCI_JSON_FIELDS_H_
#define WINSNAP_OCI_JSON_FIELDS_H_

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "base/status.h"
#include "oci/platform.h"

namespace winsnap::oci::internal {

// "text" parsed as a JSON object. InvalidArgument "<what> is not a JSON
// object" for malformed JSON or another JSON type.
StatusOr<nlohmann::json> ParseObject(std::string_view text,
                                     std::string_view what);

// obj[name] if it is a string, else "" (missing or another type).
std::string StringField(const nlohmann::json& obj, const char* name);

// The platform fields of "obj" ("os", "architecture", "variant",
// "os.version", "os.features"; non-string features are skipped), as written.
// InvalidArgument "<what>: platform needs os and architecture" if either is
// missing or empty.
StatusOr<Platform> PlatformFrom(const nlohmann::json& obj,
                                std::string_view what);

}  // namespace winsnap::oci::internal

#endif  // WINSNAP_OCI_JSON_FIELDS_H_
