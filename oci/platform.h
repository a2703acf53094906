// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// OCI platforms (os, architecture, variant, os.version) and the rule that
// picks one manifest out of a manifest list / image index.
//
// Selection rule (SelectPlatform), after normalizing both sides
// (x86_64 -> amd64, aarch64 -> arm64, arm64 variant v8 -> "", arm without
// variant -> v7, os lower-cased):
//   1. Candidates: entries with a platform whose os and architecture equal the
//      wanted ones; if a variant is wanted it must match exactly, otherwise any
//      variant is accepted.
//   2. os == "windows" and an os.version is wanted ("10.0.20348.1607"):
//      a. an entry whose os.version equals it exactly wins;
//      b. else the entries with the same build (first three components,
//         10.0.20348) are compatible - process isolation needs the same build
//         while revisions may differ - and the one with the highest os.version
//         wins;
//      c. else the first entry without an os.version (host-process style
//         images; containerd's Windows matcher accepts those too);
//      d. else NotFound (an image for another build would not start).
//   3. os == "windows" without a wanted os.version: the highest os.version
//      wins (entries without one rank lowest). A Windows host passes its own
//      version to get rule 2.
//   4. Other OSes ignore os.version.
//   Ties go to the earliest entry in the index, as in containerd.
//
// Thread-safety: values and pure functions.

#ifndef WINSNAP_OCI_PLATFORM_H_
#define WINSNAP_OCI_PLATFORM_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace winsnap::oci {

struct Platform {
  std::string os;            // "windows", "linux"
  std::string architecture;  // "amd64", "arm64"
  std::string variant;       // "v7", "" (none)
  std::string os_version;    // "10.0.20348.1607", "" (none)
  std::vector<std::string> os_features;

  // "windows(10.0.20348.1607)/amd64", "linux/arm/v7".
  std::string ToString() const;

  friend bool operator==(const Platform&, const Platform&) = default;
};

// Parses "os[(os.version)]/arch[/variant]", e.g. "windows/amd64",
// "windows(10.0.17763.5820)/amd64", "linux/arm64/v8". The result is
// normalized. InvalidArgument for a malformed string.
StatusOr<Platform> ParsePlatform(std::string_view text);

// The canonical spelling of "p" (see the rule above).
Platform NormalizePlatform(Platform p);

// Compares dotted numeric versions component-wise ("10.0.9" < "10.0.10");
// a missing component counts as -1 and a non-numeric one compares as text.
// Returns <0, 0 or >0.
int CompareOsVersion(std::string_view a, std::string_view b);

// Index of the entry of "entries" that best matches "want" per the rule
// above; entries without a platform never match. NotFound listing the
// available platforms when nothing matches.
StatusOr<size_t> SelectPlatform(
    const std::vector<std::optional<Platform>>& entries, const Platform& want);

}  // namespace winsnap::oci

#endif  // WINSNAP_OCI_PLATFORM_H_
