// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "base/unique_fd.h"
#include "tools/signal_forwarder.h"

namespace winsnap::tools {
namespace {

// A handler that does nothing: unlike SIG_IGN it is reset by exec.
void IgnoreSignal(int) {}

// The handler only writes the signal number to a pipe (async-signal-safe).
int g_forward_pipe = -1;  // write end; -1 when no run waits
void ForwardSignal(int signo) {
  if (g_forward_pipe >= 0) {
    char c = static_cast<char>(signo);
    ssize_t n = ::write(g_forward_pipe, &c, 1);
    (void)n;
  }
}

}  // namespace

struct SignalForwarder::Impl {
  base::UniqueFd read, write;
  std::thread thread;
  struct sigaction old_term = {}, old_hup = {}, old_int = {}, old_quit = {};
};

SignalForwarder::SignalForwarder(std::function<void()> on_term) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return;
  impl_ = std::make_unique<Impl>();
  impl_->read.reset(p[0]);
  impl_->write.reset(p[1]);
  int rfd = p[0];
  impl_->thread = std::thread([rfd, on_term] {
    char c;
    while (::read(rfd, &c, 1) == 1 && c != 0) on_term();
  });
  g_forward_pipe = p[1];
  struct sigaction sa = {};
  sa.sa_handler = ForwardSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGTERM, &sa, &impl_->old_term);
  ::sigaction(SIGHUP, &sa, &impl_->old_hup);
  sa.sa_handler = IgnoreSignal;
  ::sigaction(SIGINT, &sa, &impl_->old_int);
  ::sigaction(SIGQUIT, &sa, &impl_->old_quit);
}

SignalForwarder::~SignalForwarder() {
  if (!impl_) return;
  ::sigaction(SIGTERM, &impl_->old_term, nullptr);
  ::sigaction(SIGHUP, &impl_->old_hup, nullptr);
  ::sigaction(SIGINT, &impl_->old_int, nullptr);
  ::sigaction(SIGQUIT, &impl_->old_quit, nullptr);
  g_forward_pipe = -1;
  char stop = 0;
  ssize_t n = ::write(impl_->write.get(), &stop, 1);
  (void)n;
  impl_->thread.join();
}

}  // namespace winsnap::tools
