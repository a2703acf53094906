// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// CliContext: the global options every snapctl command sees (--root, --json,
// --log-level, --mount-type), plus helpers to open the store the way a command
// needs it. Command groups live in their own files and register themselves
// with a function of the form
//   void RegisterXxxCommands(CLI::App& app, CliContext& ctx);
// Each command's callback returns by throwing CLI::RuntimeError(exit_code)
// after printing a one-line "snapctl: <error>" message to stderr.
//
// Thread-safety: used from the main thread only.

#ifndef WINSNAP_TOOLS_CLI_CONTEXT_H_
#define WINSNAP_TOOLS_CLI_CONTEXT_H_

#include <memory>
#include <string>

#include "base/status.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::tools {

struct CliContext {
  std::string root = "/var/lib/winsnap";
  bool json = false;
  std::string log_level = "warn";
  std::string mount_type = "windows-layer";  // or "overlay"

  // Opens the snapshotter at "root". read_only: for commands that only read
  // (ls, info, path, tree, usage), so they work while a service writes.
  // cleanup: a read-write open empties trash/ (off for gc, which reports).
  StatusOr<std::unique_ptr<snapshotter::Snapshotter>> Open(
      bool read_only, bool cleanup = true) const;

  // "root" made absolute against the current directory and normalized
  // (no trailing '/'): the root Open() uses. InvalidArgument if it is empty.
  StatusOr<std::string> AbsoluteRoot() const;
};

// Prints "snapctl: <status message>" to stderr and throws CLI::RuntimeError
// with an exit code derived from the status (1 for most errors, 2 for
// InvalidArgument).
[[noreturn]] void Fail(const Status& status);

// Fails unless status is OK.
inline void Check(const Status& status) {
  if (!status.ok()) Fail(status);
}
template <typename T>
T Check(StatusOr<T> s) {
  if (!s.ok()) Fail(s.status());
  return std::move(s).value();
}

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_CLI_CONTEXT_H_
