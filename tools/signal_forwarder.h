// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// While `run` waits for its container: an interrupt from the terminal (^C)
// reaches the container, and snapctl stays to clean up (--rm); a request to
// terminate snapctl itself is forwarded as on_term(), run on a thread of
// its own, so the main thread's Wait returns when the container stops.
// POSIX (signal_forwarder_posix.cc): SIGINT/SIGQUIT ignored by a handler
// (reset by exec, so the container keeps default dispositions), SIGTERM and
// SIGHUP forwarded through a self-pipe. Windows (signal_forwarder_windows.cc):
// a console control handler; Ctrl+C/Ctrl+Break ignored, close, logoff and
// shutdown forwarded.

#ifndef WINSNAP_TOOLS_SIGNAL_FORWARDER_H_
#define WINSNAP_TOOLS_SIGNAL_FORWARDER_H_

#include <functional>
#include <memory>

namespace winsnap::tools {

class SignalForwarder {
 public:
  explicit SignalForwarder(std::function<void()> on_term);
  ~SignalForwarder();
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_SIGNAL_FORWARDER_H_
