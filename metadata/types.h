// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Plain value types stored in the metadata store: snapshot and image records.
// Their encoding is documented in docs/metadata-schema.md. Values only; no
// thread-safety concerns.

#ifndef WINSNAP_METADATA_TYPES_H_
#define WINSNAP_METADATA_TYPES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace winsnap::metadata {

// Same numbering as containerd's snapshots.Kind.
enum class Kind : uint8_t {
  kUnknown = 0,
  kView = 1,
  kActive = 2,
  kCommitted = 3
};

// "View", "Active", "Committed", "Unknown" (containerd's Kind.String()).
std::string_view KindName(Kind kind);
// Case-insensitive inverse of KindName; InvalidArgument for anything else.
StatusOr<Kind> ParseKind(std::string_view s);

using Labels = std::map<std::string, std::string>;

struct Usage {
  int64_t size = 0;
  int64_t inodes = 0;
  friend bool operator==(const Usage&, const Usage&) = default;
};

struct SnapshotRecord {
  uint64_t id = 0;  // allocated once, never reused
  Kind kind = Kind::kUnknown;
  std::string key;     // containerd key (or name, once committed)
  std::string parent;  // parent's key; empty for a base
  Labels labels;
  int64_t created_ns = 0;  // Unix ns, UTC
  int64_t updated_ns = 0;
  Usage usage;       // set at commit for committed snapshots
  std::string path;  // absolute folder of the layer
  friend bool operator==(const SnapshotRecord&,
                         const SnapshotRecord&) = default;
};

struct ImageRecord {
  std::string name;             // e.g. "docker.io/library/nanoserver:ltsc2022"
  std::string manifest_digest;  // "sha256:..."
  std::string config_digest;
  std::string top_chain_id;  // snapshot key of the top layer
  std::string platform;      // "windows/amd64"
  int64_t created_ns = 0;
  Labels labels;
  // The image config blob (OCI/Docker config JSON) verbatim, so `snapctl
  // spec --image` can take args/env/cwd/user from it without the archive.
  std::string config_json;
  friend bool operator==(const ImageRecord&, const ImageRecord&) = default;
};

}  // namespace winsnap::metadata

#endif  // WINSNAP_METADATA_TYPES_H_
