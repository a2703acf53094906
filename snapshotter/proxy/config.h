// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ServeConfig: the settings file of `snapctl serve` (docs/service.md). Two
// syntaxes are accepted, chosen by the first non-blank character:
//   - JSON: one object, e.g. {"root": "/var/lib/winsnap", "threads": 8}.
//   - TOML 1.0 (parsed by toml++), e.g. root = "/var/lib/winsnap". Every
//     TOML form of a string, integer or boolean is accepted; the keys are
//     top-level keys (a table, dotted key or array is an unknown key or a
//     value of the wrong type).
// Unknown keys and duplicate keys are errors (a typo must not be ignored
// silently). Each key is optional; flags given on the command line override
// whatever the file sets.
//
// Thread-safety: pure functions over values; safe to call concurrently.

#ifndef WINSNAP_SNAPSHOTTER_PROXY_CONFIG_H_
#define WINSNAP_SNAPSHOTTER_PROXY_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace winsnap::proxy {

struct ServeConfig {
  std::optional<std::string> root;        // store root (absolute)
  std::optional<std::string> address;     // unix socket path (absolute)
  std::optional<std::string> mount_type;  // "windows-layer" or "overlay"
  std::optional<std::string> log_level;   // trace..off
  std::optional<std::string> log_format;  // "text" or "json"
  // Prometheus text endpoint: "host:port" (TCP) or an absolute unix socket
  // path; "" disables it.
  std::optional<std::string> metrics_address;
  std::optional<int> threads;      // store worker threads, 1..256
  std::optional<int> gc_interval;  // seconds between GC runs, 0 disables
  std::optional<bool> gc_prune;    // GC also prunes unreferenced layers
  friend bool operator==(const ServeConfig&, const ServeConfig&) = default;
};

// Parses a config file's text. Returns InvalidArgument with
// "line N, column M: ..." (TOML) or the key name (JSON) for bad syntax, an
// unknown or duplicate key, a value of the wrong type, or a value out of range
// (mount_type, log_format, threads, gc_interval). Nothing is returned on error.
StatusOr<ServeConfig> ParseServeConfig(std::string_view text);

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_CONFIG_H_
