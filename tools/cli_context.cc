// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/cli_context.h"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <system_error>

#include "base/path.h"
#ifdef _WIN32
#include "tools/scratch_layers.h"
#endif

namespace winsnap::tools {

StatusOr<std::string> CliContext::AbsoluteRoot() const {
  if (root.empty()) {
    return InvalidArgumentError("--root must not be empty");
  }
#ifdef _WIN32
  // Windows: a root is a drive path (C:\ProgramData\winsnap); relative,
  // drive-relative and UNC roots are refused in one line by the library's
  // root check, so a store never lands under whatever folder was current.
  return base::CleanRoot(base::PathStyle::kWindows, root);
#else
  // The library wants an absolute root; a user typing --root ./store means
  // the folder under the current directory, and printed paths stay absolute.
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(root, ec);
  if (ec) {
    return InvalidArgumentError("--root " + root + ": " + ec.message());
  }
  std::string out = abs.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
#endif
}

StatusOr<std::unique_ptr<snapshotter::Snapshotter>> CliContext::Open(
    bool read_only, bool cleanup) const {
  snapshotter::Options o;
  WINSNAP_ASSIGN_OR_RETURN(o.root, AbsoluteRoot());
  o.read_only = read_only;
  o.cleanup_on_open = cleanup;
  if (mount_type == "overlay") {
    o.mount_type = snapshotter::MountType::kOverlay;
  } else if (mount_type != "windows-layer") {
    return InvalidArgumentError("unknown --mount-type \"" + mount_type +
                                "\" (want windows-layer or overlay)");
  }
#ifdef _WIN32
  // containerd's windows-snapshotter scratch semantics (sandbox.vhdx for a
  // container over image layers, conversion at commit, deactivation at
  // remove) over vmcompute.dll; Linux has none.
  o.scratch = WindowsScratchLayers();
#endif
  auto sn = snapshotter::Snapshotter::Open(o);
  if (!sn.ok() && read_only && sn.status().code() == StatusCode::kNotFound) {
    return NotFoundError(
        "no winsnap store at " + root +
        " (create one with a writing command such as `snapctl prepare`, or "
        "pass --root)");
  }
  return sn;
}

void Fail(const Status& status) {
  // One line, whatever the message holds.
  std::string msg(status.message());
  if (msg.empty()) msg = status.ToString();
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "snapctl: " << msg << "\n";
  throw CLI::RuntimeError(status.code() == StatusCode::kInvalidArgument ? 2
                                                                        : 1);
}

}  // namespace winsnap::tools
