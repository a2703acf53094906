// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "oci/media_types.h"

namespace winsnap::oci {

std::vector<std::string> DefaultManifestMediaTypes() {
  return {std::string(kMediaTypeOciIndex), std::string(kMediaTypeDockerList),
          std::string(kMediaTypeOciManifest),
          std::string(kMediaTypeDockerManifest)};
}

bool IsIndexMediaType(std::string_view m) {
  return m == kMediaTypeOciIndex || m == kMediaTypeDockerList;
}

bool IsManifestMediaType(std::string_view m) {
  return m == kMediaTypeOciManifest || m == kMediaTypeDockerManifest;
}

}  // namespace winsnap::oci
