// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Threading: one io_context run by one thread; every H2Session method runs
// there. Pool completions are posted back onto it (see h2_session.h).

#include "snapshotter/proxy/h2_server.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <list>
#include <thread>

#include "snapshotter/proxy/h2_session.h"

namespace winsnap::proxy {

namespace net = boost::asio;

class H2ConnectionBase {
 public:
  virtual ~H2ConnectionBase() = default;
  virtual void GoAway() = 0;
  virtual void Close() = 0;
};

struct H2Server::Impl {
  ServiceCore* core = nullptr;
  std::shared_ptr<net::io_context> io = std::make_shared<net::io_context>();
  net::local::stream_protocol::acceptor acceptor{*io};
  std::thread thread;
  // Only touched on the io thread.
  std::list<std::weak_ptr<H2ConnectionBase>> conns;
  // Connections alive; shared so a connection freed late (by io's
  // destructor) never touches a freed Impl.
  std::shared_ptr<std::atomic<int>> live =
      std::make_shared<std::atomic<int>>(0);
  bool stopped = false;

  void Accept();
};

namespace {

// One connection: reads into the session, writes what it has to say, one
// write in flight. Lives while a read or write handler holds it.
template <class Stream>
class H2Connection final
    : public H2ConnectionBase,
      public std::enable_shared_from_this<H2Connection<Stream>> {
 public:
  H2Connection(H2Server::Impl* impl, Stream stream)
      : impl_(impl),
        live_(impl->live),
        stream_(std::move(stream)),
        self_(std::make_shared<std::weak_ptr<H2Connection>>()),
        session_(impl->core,
                 // Pool completions come back here: the session answers,
                 // then the connection writes what that produced.
                 [io = impl->io, self = self_](std::function<void()> fn) {
                   net::post(*io, [self, fn = std::move(fn)] {
                     fn();
                     if (auto c = self->lock()) c->Flush();
                   });
                 }) {
    ++*live_;
  }
  ~H2Connection() override { --*live_; }

  void Start() {
    *self_ = this->shared_from_this();
    Flush();
    Read();
  }
  void GoAway() override {
    session_.GoAway();
    Flush();
  }
  void Close() override {
    boost::system::error_code ignored;
    stream_.close(ignored);
  }

 private:
  void Read() {
    auto self = this->shared_from_this();
    stream_.async_read_some(
        net::buffer(buf_), [self](boost::system::error_code ec, size_t n) {
          if (ec) {
            self->session_.PeerClosed();
            self->Close();
            return;
          }
          Status s = self->session_.Receive(self->buf_.data(), n);
          if (!s.ok()) {
            spdlog::debug("h2: closing a connection: {}", s.message());
            self->broken_ = true;
          }
          self->Flush();
          if (!self->broken_ && !self->session_.Finished()) self->Read();
        });
  }

  // Runs on the io thread after every event that may have produced output,
  // including posted pool completions (see the session's post).
  void Flush() {
    if (writing_) return;
    out_ = session_.TakeOutput();
    if (out_.empty()) {
      if (broken_ || session_.Finished()) Close();
      return;
    }
    writing_ = true;
    auto self = this->shared_from_this();
    net::async_write(stream_, net::buffer(out_),
                     [self](boost::system::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) {
                         self->session_.PeerClosed();
                         self->Close();
                         return;
                       }
                       self->Flush();
                     });
  }

  H2Server::Impl* impl_;
  std::shared_ptr<std::atomic<int>> live_;
  Stream stream_;
  std::shared_ptr<std::weak_ptr<H2Connection>> self_;
  H2Session session_;
  std::array<uint8_t, 16384> buf_;
  std::string out_;
  bool writing_ = false;
  bool broken_ = false;
};

}  // namespace

void H2Server::Impl::Accept() {
  acceptor.async_accept([this](boost::system::error_code ec,
                               net::local::stream_protocol::socket sock) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      auto c =
          std::make_shared<H2Connection<net::local::stream_protocol::socket>>(
              this, std::move(sock));
      conns.remove_if([](const auto& w) { return w.expired(); });
      conns.push_back(c);
      c->Start();
    }
    Accept();
  });
}

H2Server::H2Server() : impl_(std::make_unique<Impl>()) {}

StatusOr<std::unique_ptr<H2Server>> H2Server::StartUnix(
    ServiceCore* core, const std::string& path) {
  std::unique_ptr<H2Server> s(new H2Server());
  s->impl_->core = core;
  boost::system::error_code ec;
  net::local::stream_protocol::endpoint ep(path);
  auto& acc = s->impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) {
    // With umask 0177 the socket is born 0600.
    mode_t old = ::umask(0177);
    acc.bind(ep, ec);
    ::umask(old);
  }
  if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return UnavailableError("cannot listen on " + path + ": " + ec.message());
  }
  Impl* impl = s->impl_.get();
  impl->Accept();
  impl->thread = std::thread([impl] { impl->io->run(); });
  return s;
}

H2Server::~H2Server() { Shutdown(std::chrono::milliseconds(0)); }

void H2Server::Shutdown(std::chrono::milliseconds grace) {
  Impl* impl = impl_.get();
  if (impl->stopped || !impl->thread.joinable()) return;
  impl->stopped = true;
  impl->core->SetServing(false);
  net::post(*impl->io, [impl] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
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
  // With the acceptor and every connection closed, run() returns by itself;
  // stop() is the fallback for a connection that would not finish.
  if (*impl->live > 0) impl->io->stop();
  impl->thread.join();
}

}  // namespace winsnap::proxy
