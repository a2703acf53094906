// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The OS part of MetricsServer (metrics_posix.cc, metrics_windows.cc); only
// metrics.cc includes this. Thread-safety: plain functions, called by
// MetricsServer::Start on its caller's thread.

#ifndef WINSNAP_SNAPSHOTTER_PROXY_METRICS_OS_H_
#define WINSNAP_SNAPSHOTTER_PROXY_METRICS_OS_H_

#include <boost/asio/generic/stream_protocol.hpp>

#include <string>

#include "base/status.h"

namespace winsnap::proxy {

// The endpoint of the unix socket "path" (absolute), after removing a stale
// socket there. FailedPrecondition if "path" exists and is not a socket;
// InvalidArgument if it is too long, or on Windows (host:port only there).
StatusOr<boost::asio::generic::stream_protocol::endpoint>
PrepareMetricsUnixSocket(const std::string& path);

// Called on the open listening socket before bind: not inherited by child
// processes; on POSIX SO_REUSEADDR (a restart binds while old connections
// linger), on Windows SO_EXCLUSIVEADDRUSE (Windows' SO_REUSEADDR would let
// a second process take the port).
void PrepareMetricsListener(
    boost::asio::generic::stream_protocol::socket::native_handle_type fd);

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_METRICS_OS_H_
