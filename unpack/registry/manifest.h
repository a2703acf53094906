// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// OCI / Docker schema 2 manifest documents: descriptors, image indexes
// (manifest lists) and image manifests, parsed from registry bytes, which are
// untrusted: every descriptor's digest and size are validated here so callers
// can hand them to FetchBlob as-is. Docker schema 1 is refused.
//
// Thread-safety: values and pure functions.

#ifndef WINSNAP_UNPACK_REGISTRY_MANIFEST_H_
#define WINSNAP_UNPACK_REGISTRY_MANIFEST_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "unpack/registry/platform.h"

namespace winsnap::registry {

inline constexpr std::string_view kMediaTypeOciIndex =
    "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeOciManifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kMediaTypeDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kMediaTypeOciConfig =
    "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaTypeDockerConfig =
    "application/vnd.docker.container.image.v1+json";

// The Accept list GetManifest sends by default: indexes first, then
// single-platform manifests, OCI and Docker spellings.
std::vector<std::string> DefaultManifestMediaTypes();

bool IsIndexMediaType(std::string_view media_type);
bool IsManifestMediaType(std::string_view media_type);

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

// Platform of an image config blob ("os", "architecture", "variant",
// "os.version", "os.features"). InvalidArgument for malformed JSON or a
// missing os/architecture.
StatusOr<Platform> ParseConfigPlatform(std::string_view config_json);

// The manifest of "index" that best matches "want" (platform.h's rule).
StatusOr<Descriptor> SelectManifest(const ImageIndex& index,
                                    const Platform& want);

}  // namespace winsnap::registry

#endif  // WINSNAP_UNPACK_REGISTRY_MANIFEST_H_
