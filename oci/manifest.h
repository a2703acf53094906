// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// OCI / Docker schema 2 manifest documents: descriptors, image indexes
// (manifest lists) and image manifests, parsed from untrusted bytes (a
// registry, an OCI layout): every descriptor's digest and size are validated
// here so callers can fetch or open the blob as-is. Docker schema 1 is
// refused. The image config blob is config.h's.
//
// Thread-safety: values and pure functions.

#ifndef WINSNAP_OCI_MANIFEST_H_
#define WINSNAP_OCI_MANIFEST_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "oci/media_types.h"
#include "oci/platform.h"

namespace winsnap::oci {

struct Descriptor {
  std::string media_type;
  std::string digest;             // validated "sha256:..." / "sha512:..."
  int64_t size = -1;              // >= 0 once parsed from a document
  std::vector<std::string> urls;  // foreign-layer locations, usually empty
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
};

struct ImageIndex {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

struct ImageManifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

// Media type of a manifest body: the Content-Type the registry sent when it
// names a manifest or index type, else the document's "mediaType" field, else
// inferred from the presence of "manifests" (index) or "layers"/"config"
// (manifest). Empty if none applies.
std::string DetectManifestMediaType(std::string_view content_type,
                                    std::string_view body);

// Parse an index / manifest document. InvalidArgument for malformed JSON,
// schemaVersion other than 2, a missing or malformed descriptor field (digest,
// size), or a document of the other kind.
StatusOr<ImageIndex> ParseImageIndex(std::string_view json);
StatusOr<ImageManifest> ParseImageManifest(std::string_view json);

// The manifest of "index" that best matches "want" (platform.h's rule).
StatusOr<Descriptor> SelectManifest(const ImageIndex& index,
                                    const Platform& want);

}  // namespace winsnap::oci

#endif  // WINSNAP_OCI_MANIFEST_H_
