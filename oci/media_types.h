// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// OCI image-spec and Docker schema 2 media types (image-spec media-types.md;
// Docker's manifest-v2-2.md) and the predicates over them that the readers of
// indexes and manifests share.
//
// Thread-safety: constants and pure functions.

#ifndef WINSNAP_OCI_MEDIA_TYPES_H_
#define WINSNAP_OCI_MEDIA_TYPES_H_

#include <string>
#include <string_view>
#include <vector>

namespace winsnap::oci {

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
inline constexpr std::string_view kMediaTypeOciLayer =
    "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kMediaTypeOciLayerGzip =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kMediaTypeOciLayerZstd =
    "application/vnd.oci.image.layer.v1.tar+zstd";

// The Accept list a registry manifest GET sends by default: indexes first,
// then single-platform manifests, OCI and Docker spellings.
std::vector<std::string> DefaultManifestMediaTypes();

// An OCI image index or a Docker manifest list.
bool IsIndexMediaType(std::string_view media_type);
// An OCI image manifest or a Docker schema 2 manifest.
bool IsManifestMediaType(std::string_view media_type);

}  // namespace winsnap::oci

#endif  // WINSNAP_OCI_MEDIA_TYPES_H_
