// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Image references as docker and containerd spell them
// ("nanoserver:ltsc2022", "host:5000/a/b@sha256:...", "name:tag@digest"),
// parsed and normalized the way distribution/reference's ParseNormalizedNamed
// does: a first path component that has no '.' or ':' and is not "localhost"
// is a Docker Hub repository, Docker Hub single-name repositories live under
// "library/", and a reference with neither tag nor digest means ":latest".
//
// Thread-safety: Reference is a value type; the functions are pure.

#ifndef WINSNAP_UNPACK_REGISTRY_REFERENCE_H_
#define WINSNAP_UNPACK_REGISTRY_REFERENCE_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace winsnap::registry {

inline constexpr std::string_view kDockerHubDomain = "docker.io";
// The host that serves Docker Hub's v2 API.
inline constexpr std::string_view kDockerHubApiHost = "registry-1.docker.io";

struct Reference {
  std::string domain;  // "docker.io", "127.0.0.1:5000", "[::1]:5000"
  std::string path;    // "library/nanoserver", "test/img"
  std::string tag;     // "ltsc2022"; empty only when digest is set
  std::string digest;  // "sha256:<64 hex>" or empty

  // "docker.io/library/nanoserver".
  std::string Name() const;
  // Fully qualified: "docker.io/library/nanoserver:ltsc2022[@sha256:...]".
  std::string String() const;
  // What the manifests endpoint is asked for: the digest when there is one
  // (it pins the content), else the tag.
  std::string Identifier() const;
  // host[:port] to connect to for the v2 API ("registry-1.docker.io" for
  // Docker Hub, else the domain).
  std::string ApiHost() const;

  // A copy of this reference pinned to "digest" (tag dropped).
  Reference WithDigest(std::string digest) const;

  friend bool operator==(const Reference&, const Reference&) = default;
};

// Parses "ref" into *its normalized form. Returns InvalidArgument with the
// reason for an empty reference, a malformed domain, a repository path that is
// not lowercase or breaks the path-component grammar, a name over 255
// characters, a malformed tag (must match [\w][\w.-]{0,127}), a malformed or
// unsupported digest (sha256 with 64 or sha512 with 128 lowercase hex digits),
// or a bare 64-hex string (docker refuses those as ambiguous with image ids).
StatusOr<Reference> ParseReference(std::string_view ref);

}  // namespace winsnap::registry

#endif  // WINSNAP_UNPACK_REGISTRY_REFERENCE_H_
