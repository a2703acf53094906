// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Output helpers shared by snapctl commands: Go-compatible JSON for mounts
// (byte-identical to `ctr snapshots prepare --mounts`), a tab-aligned table
// like Go's tabwriter as ctr uses it, human sizes like ctr's, RFC 3339 times.
// Pure functions; thread-safe.

#ifndef WINSNAP_TOOLS_OUTPUT_H_
#define WINSNAP_TOOLS_OUTPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "snapshotter/snapshotter.h"

namespace winsnap::tools {

// json.MarshalIndent([]mount.Mount, "", "    ") of containerd >= 1.7 (keys
// Type, Source, Target, Options), without a trailing newline.
std::string GoIndentMounts(const std::vector<snapshotter::Mount>& mounts);

// Rows padded into columns the way text/tabwriter (minwidth 1, padding 1,
// padchar ' ') pads them: each cell but the last gets width max+1.
std::string Table(const std::vector<std::vector<std::string>>& rows);

// Go time.Time RFC3339Nano in UTC: 2026-11-22T23:12:57.123456789Z with
// trailing zeros of the fraction trimmed.
std::string Rfc3339Nano(int64_t unix_ns);

// go-units CustomSize("%02.1f %s", size, 1024, B..YiB), as `ctr snapshots
// usage` prints sizes.
std::string HumanSize(int64_t bytes);

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_OUTPUT_H_
