// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// H2Server's unix-socket listener. Runs on the server's io thread after
// StartUnix.

#include <sys/stat.h>

#include <boost/asio/local/stream_protocol.hpp>

#include "snapshotter/proxy/h2_connection.h"
#include "snapshotter/proxy/h2_server.h"

namespace winsnap::proxy {
namespace {

namespace net = boost::asio;
using UnixSocket = net::local::stream_protocol::socket;
using UnixAcceptor = net::local::stream_protocol::acceptor;

void Accept(H2Server::Impl* impl, std::shared_ptr<UnixAcceptor> acc) {
  acc->async_accept([impl, acc](boost::system::error_code ec, UnixSocket sock) {
    if (ec == net::error::operation_aborted || !acc->is_open()) return;
    if (!ec) {
      auto c =
          std::make_shared<H2Connection<UnixSocket>>(impl, std::move(sock));
      impl->Adopt(c);
      c->Start();
    }
    Accept(impl, acc);
  });
}

}  // namespace

StatusOr<std::unique_ptr<H2Server>> H2Server::StartUnix(
    ServiceCore* core, const std::string& path) {
  std::unique_ptr<H2Server> s(new H2Server());
  Impl* impl = s->impl_.get();
  impl->core = core;
  boost::system::error_code ec;
  net::local::stream_protocol::endpoint ep(path);
  auto acc = std::make_shared<UnixAcceptor>(*impl->io);
  acc->open(ep.protocol(), ec);
  if (!ec) {
    // With umask 0177 the socket is born 0600.
    mode_t old = ::umask(0177);
    acc->bind(ep, ec);
    ::umask(old);
  }
  if (!ec) acc->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return UnavailableError("cannot listen on " + path + ": " + ec.message());
  }
  impl->stop_accepting = [acc] {
    boost::system::error_code ignored;
    acc->close(ignored);
  };
  Accept(impl, acc);
  impl->Run();
  return s;
}

}  // namespace winsnap::proxy
