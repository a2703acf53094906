// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the bbolt tests: running the Go generator built from
// tests/bbolt/gen (Go's bbolt and containerd's metastore code, from Debian)
// and dumping a bucket tree in the generator's JSON shape. Not thread-safe.

#ifndef WINSNAP_TESTS_BBOLT_GO_GEN_H_
#define WINSNAP_TESTS_BBOLT_GO_GEN_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "metadata/bbolt/bbolt.h"
#include "metadata/bbolt/containerd_store.h"

namespace winsnap::bbolt::testing {

// Path of the built generator, or "" if it was not built (no Go toolchain
// or Debian Go packages at configure time).
std::string GoGenPath();

// Why generator tests are skipped, for GTEST_SKIP.
inline constexpr const char* kNoGoGen =
    "SKIPPED LOUDLY: the Go bbolt generator was not built (install golang-go, "
    "golang-github-coreos-bbolt-dev and golang-github-containerd-containerd-dev"
    " and reconfigure); the reader is NOT checked against Go's bbolt";

// Runs the generator with "args" and parses its JSON output.
StatusOr<nlohmann::json> RunGoGen(const std::vector<std::string>& args);

// {"seq": n, "entries": [{"k": hex, "v": hex} | {"k": hex, "b": {...}}]}
StatusOr<nlohmann::json> DumpBucket(const Bucket& bucket);

// The generator's snapshot JSON shape.
nlohmann::json SnapshotsToJson(const std::vector<ContainerdSnapshot>& snaps);

}  // namespace winsnap::bbolt::testing

#endif  // WINSNAP_TESTS_BBOLT_GO_GEN_H_
