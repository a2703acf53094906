// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// MetricsServer's POSIX part: unix socket paths and listener options.

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>

#include <cerrno>

#include "snapshotter/proxy/metrics_os.h"

namespace winsnap::proxy {

StatusOr<boost::asio::generic::stream_protocol::endpoint>
PrepareMetricsUnixSocket(const std::string& path) {
  sockaddr_un sun{};
  if (path.size() >= sizeof sun.sun_path) {
    return InvalidArgumentError("metrics socket path is too long: " + path);
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return FailedPreconditionError(
          path + " exists and is not a socket; refusing to replace it");
    }
    if (::unlink(path.c_str()) != 0) return ErrnoError("unlink", errno, path);
  }
  return boost::asio::generic::stream_protocol::endpoint(
      boost::asio::local::stream_protocol::endpoint(path));
}

void PrepareMetricsListener(int fd) {
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
}

}  // namespace winsnap::proxy
