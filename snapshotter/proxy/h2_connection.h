// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The inside of H2Server, shared by its OS-specific listeners
// (h2_server_posix.cc: unix socket; pipe_listener_windows.cc: named pipe):
// H2Server::Impl (the io_context, its thread and the live connections) and
// H2Connection<Stream>, which drives one H2Session over any Asio stream.
// Only snapshotter/proxy/*.cc include this.
//
// Threading: one io_context run by one thread; every H2Session method runs
// there. Pool completions are posted back onto it (see h2_session.h).

#ifndef WINSNAP_SNAPSHOTTER_PROXY_H2_CONNECTION_H_
#define WINSNAP_SNAPSHOTTER_PROXY_H2_CONNECTION_H_

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "snapshotter/proxy/h2_server.h"
#include "snapshotter/proxy/h2_session.h"

namespace winsnap::proxy {

class H2ConnectionBase {
 public:
  virtual ~H2ConnectionBase() = default;
  virtual void GoAway() = 0;
  virtual void Close() = 0;
};

struct H2Server::Impl {
  ServiceCore* core = nullptr;
  std::shared_ptr<boost::asio::io_context> io =
      std::make_shared<boost::asio::io_context>();
  std::thread thread;
  // Set by the listener: stops accepting (closes the acceptor or the pipe
  // instance waiting for a client). Runs on the io thread.
  std::function<void()> stop_accepting;
  // Only touched on the io thread.
  std::list<std::weak_ptr<H2ConnectionBase>> conns;
  // Connections alive; shared so a connection freed late (by io's
  // destructor) never touches a freed Impl.
  std::shared_ptr<std::atomic<int>> live =
      std::make_shared<std::atomic<int>>(0);
  bool stopped = false;

  // On the io thread: tracks and starts a new connection.
  void Adopt(const std::shared_ptr<H2ConnectionBase>& c);
  // Starts the io thread (once the listener has queued its first accept).
  void Run() {
    thread = std::thread([this] { io->run(); });
  }
};

// One connection: reads into the session, writes what it has to say, one
// write in flight. Lives while a read or write handler holds it.
template <class Stream>
class H2Connection final
    : public H2ConnectionBase,
      public std::enable_shared_from_this<H2Connection<Stream>> {
 public:
  H2Connection(H2Server::Impl* impl, Stream stream)
      : live_(impl->live),
        stream_(std::move(stream)),
        self_(std::make_shared<std::weak_ptr<H2Connection>>()),
        session_(impl->core,
                 // Pool completions come back here: the session answers,
                 // then the connection writes what that produced.
                 [io = impl->io, self = self_](std::function<void()> fn) {
                   boost::asio::post(*io, [self, fn = std::move(fn)] {
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
        boost::asio::buffer(buf_),
        [self](boost::system::error_code ec, size_t n) {
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
    boost::asio::async_write(stream_, boost::asio::buffer(out_),
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

  std::shared_ptr<std::atomic<int>> live_;
  Stream stream_;
  std::shared_ptr<std::weak_ptr<H2Connection>> self_;
  H2Session session_;
  std::array<uint8_t, 16384> buf_;
  std::string out_;
  bool writing_ = false;
  bool broken_ = false;
};

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_H2_CONNECTION_H_
