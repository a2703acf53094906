// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include <windows.h>

#include <mutex>

#include "tools/signal_forwarder.h"

namespace winsnap::tools {
namespace {

std::mutex g_mu;
std::function<void()>* g_on_term = nullptr;  // guarded by g_mu

// Windows runs console control handlers on a thread of their own, so the
// forwarding work happens right here.
BOOL WINAPI OnConsoleEvent(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
      return TRUE;  // the container gets it too; snapctl stays to clean up
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT: {
      std::lock_guard<std::mutex> l(g_mu);
      if (g_on_term) (*g_on_term)();
      return TRUE;
    }
    default:
      return FALSE;
  }
}

}  // namespace

struct SignalForwarder::Impl {
  std::function<void()> on_term;
};

SignalForwarder::SignalForwarder(std::function<void()> on_term)
    : impl_(std::make_unique<Impl>()) {
  impl_->on_term = std::move(on_term);
  {
    std::lock_guard<std::mutex> l(g_mu);
    g_on_term = &impl_->on_term;
  }
  ::SetConsoleCtrlHandler(OnConsoleEvent, TRUE);
}

SignalForwarder::~SignalForwarder() {
  ::SetConsoleCtrlHandler(OnConsoleEvent, FALSE);
  std::lock_guard<std::mutex> l(g_mu);
  g_on_term = nullptr;
}

}  // namespace winsnap::tools
