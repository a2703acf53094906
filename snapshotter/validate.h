// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Validation of what callers hand the snapshotter: keys, parents and labels
// must be valid UTF-8 (they travel in protobuf string fields), and each label
// obeys containerd's labels.Validate limit (len(key) + len(value) <= 4096
// bytes). Every Snapshotter entry point calls these, so the CLI, gRPC and
// import paths all get the same InvalidArgument errors. Pure functions;
// thread-safe.

#ifndef WINSNAP_SNAPSHOTTER_VALIDATE_H_
#define WINSNAP_SNAPSHOTTER_VALIDATE_H_

#include <cstddef>
#include <string_view>

#include "base/status.h"
#include "metadata/types.h"

namespace winsnap::snapshotter {

// containerd pkg/labels: maxSize, the limit on len(key) + len(value).
inline constexpr size_t kMaxLabelSize = 4096;

// True if "s" is well-formed UTF-8 (no overlong forms, no surrogates, no
// code point above U+10FFFF), as Go's utf8.ValidString decides.
bool IsValidUtf8(std::string_view s);

// InvalidArgument naming "what" (e.g. "snapshot key") unless "s" is valid
// UTF-8. Empty strings pass; callers check emptiness themselves.
Status ValidateUtf8(std::string_view what, std::string_view s);

// InvalidArgument unless every label key and value is valid UTF-8 and
// key + value is at most kMaxLabelSize bytes.
Status ValidateLabels(const metadata::Labels& labels);

}  // namespace winsnap::snapshotter

#endif  // WINSNAP_SNAPSHOTTER_VALIDATE_H_
