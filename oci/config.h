// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The OCI / Docker image config blob (image-spec config.md), parsed once for
// every reader: the importer (platform check, rootfs.diff_ids for chain IDs),
// the registry client (the config's platform) and the run engine (the
// container config's Entrypoint, Cmd, Env, WorkingDir, User). The blob is
// untrusted: wrong types are InvalidArgument, never a crash.
//
// Thread-safety: values and pure functions.

#ifndef WINSNAP_OCI_CONFIG_H_
#define WINSNAP_OCI_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "oci/platform.h"

namespace winsnap::oci {

// The "config" object: the process defaults of a container from the image.
// Missing fields stay empty.
struct ContainerConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "K=V"
  std::string working_dir;
  std::string user;

  friend bool operator==(const ContainerConfig&,
                         const ContainerConfig&) = default;
};

struct ImageConfig {
  Platform platform;                  // as written (not normalized)
  std::vector<std::string> diff_ids;  // rootfs.diff_ids, base layer first
  ContainerConfig config;
};

// Which parts of the blob ParseImageConfig reads and requires.
enum class ConfigParts {
  // os and architecture, rootfs.diff_ids (each a sha256 digest) and the
  // container config: what an import or a pull needs.
  kAll,
  // Only the container config; platform and rootfs are not looked at and stay
  // empty (a run needs nothing else).
  kContainerOnly,
};

// Parses an image config blob. InvalidArgument, one message per fault, for:
// malformed JSON or not an object ("image config is not a JSON object"); with
// kAll, a missing os/architecture ("image config: platform needs os and
// architecture"), a missing rootfs, rootfs.diff_ids or a diff_id that is not
// a sha256 digest; "config" that is not an object, Entrypoint/Cmd/Env that is
// not an array of strings, WorkingDir/User that is not a string (the message
// names the field). null counts as missing.
StatusOr<ImageConfig> ParseImageConfig(std::string_view json,
                                       ConfigParts parts = ConfigParts::kAll);

}  // namespace winsnap::oci

#endif  // WINSNAP_OCI_CONFIG_H_
