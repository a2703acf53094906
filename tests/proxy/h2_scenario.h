// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The snapshot round trip the H2Client tests run over every byte stream (a
// unix socket on Linux, a named pipe under Wine): Health Check, Prepare,
// Commit, Prepare on the committed parent, Mounts, List, Stat, Remove.
// Portable: protobuf messages and H2Client only.

#ifndef WINSNAP_TESTS_PROXY_H2_SCENARIO_H_
#define WINSNAP_TESTS_PROXY_H2_SCENARIO_H_

#include <string>

#include "base/status.h"
#include "snapshotter/proxy/h2_client.h"

namespace winsnap::proxy::testing {

// Runs the round trip with keys under "prefix" (unique per caller, so
// several may run at once on one store). OK, or the first wrong answer as
// an error naming the RPC and what came back.
Status RunSnapshotRoundTrip(H2Client& client, const std::string& prefix);

// Prepare "<name>-active" (no parent), then Commit it as "name": leaves one
// committed snapshot behind (e.g. for a later `snapctl ls` to find).
Status PrepareAndCommit(H2Client& client, const std::string& name);

// grpc.health.v1.Health/Check for the whole server: SERVING=1,
// NOT_SERVING=2; an error if the call fails.
StatusOr<int> HealthCheck(H2Client& client);

}  // namespace winsnap::proxy::testing

#endif  // WINSNAP_TESTS_PROXY_H2_SCENARIO_H_
