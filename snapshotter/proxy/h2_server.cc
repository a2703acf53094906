// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// H2Server's OS-independent part: adopting connections and the graceful
// stop. The listeners are in h2_server_posix.cc (unix socket) and
// pipe_listener_windows.cc (named pipe).

#include "snapshotter/proxy/h2_server.h"

#include <boost/asio/post.hpp>

#include "snapshotter/proxy/h2_connection.h"

namespace winsnap::proxy {

namespace net = boost::asio;

void H2Server::Impl::Adopt(const std::shared_ptr<H2ConnectionBase>& c) {
  conns.remove_if([](const auto& w) { return w.expired(); });
  conns.push_back(c);
}

H2Server::H2Server() : impl_(std::make_unique<Impl>()) {}

H2Server::~H2Server() { Shutdown(std::chrono::milliseconds(0)); }

void H2Server::Shutdown(std::chrono::milliseconds grace) {
  Impl* impl = impl_.get();
  if (impl->stopped || !impl->thread.joinable()) return;
  impl->stopped = true;
  impl->core->SetServing(false);
  net::post(*impl->io, [impl] {
    if (impl->stop_accepting) impl->stop_accepting();
    for (auto& w : impl->conns) {
      if (auto c = w.lock()) c->GoAway();
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (*impl->live > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Grace over: queued and walking work stops; connections close.
  impl->core->Stop();
  net::post(*impl->io, [impl] {
    for (auto& w : impl->conns) {
      if (auto c = w.lock()) c->Close();
    }
  });
  const auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (*impl->live > 0 && std::chrono::steady_clock::now() < hard) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // With the listener and every connection closed, run() returns by itself;
  // stop() is the fallback for a connection that would not finish.
  if (*impl->live > 0) impl->io->stop();
  impl->thread.join();
}

}  // namespace winsnap::proxy
