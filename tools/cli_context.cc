// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/cli_context.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace winsnap::tools {

StatusOr<std::unique_ptr<snapshotter::Snapshotter>> CliContext::Open(
    bool read_only) const {
  snapshotter::Options o;
  o.root = root;
  o.read_only = read_only;
  if (mount_type == "overlay") {
    o.mount_type = snapshotter::MountType::kOverlay;
  } else if (mount_type != "windows-layer") {
    return InvalidArgumentError("unknown --mount-type \"" + mount_type +
                                "\" (want windows-layer or overlay)");
  }
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
  std::cerr << "snapctl: " << status.message() << "\n";
  throw CLI::RuntimeError(status.code() == StatusCode::kInvalidArgument ? 2
                                                                        : 1);
}

}  // namespace winsnap::tools
