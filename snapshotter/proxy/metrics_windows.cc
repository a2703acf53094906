// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// MetricsServer's Windows part: TCP only (Boost 1.74's Asio has no AF_UNIX
// on Windows), with an exclusive port and a listener that child processes
// do not inherit.

#include <windows.h>
#include <winsock2.h>

#include "snapshotter/proxy/metrics_os.h"

namespace winsnap::proxy {

StatusOr<boost::asio::generic::stream_protocol::endpoint>
PrepareMetricsUnixSocket(const std::string& path) {
  return InvalidArgumentError("metrics address \"" + path +
                              "\": unix sockets are not supported on "
                              "Windows; use host:port");
}

void PrepareMetricsListener(
    boost::asio::generic::stream_protocol::socket::native_handle_type h) {
  // Asio's Windows handle type converts to the SOCKET it wraps.
  const SOCKET fd = h;
  ::SetHandleInformation(reinterpret_cast<HANDLE>(fd), HANDLE_FLAG_INHERIT, 0);
  BOOL one = TRUE;
  ::setsockopt(fd, SOL_SOCKET, SO_EXCLUSIVEADDRUSE,
               reinterpret_cast<const char*>(&one), sizeof one);
}

}  // namespace winsnap::proxy
