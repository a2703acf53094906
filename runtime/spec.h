// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// OCI runtime config.json generation from a snapshot (and the image it came
// from): windows.layerFolders = [nearest parent ... base, scratch], process
// defaults from the image config. The layer order is the one every Windows
// runtime expects (OCI config-windows.md, hcsshim wcow_parse.go: topmost
// first, base, scratch last) and the one users get wrong by hand.
//
// Thread-safety: stateless functions; safe to call concurrently.

#ifndef WINSNAP_RUNTIME_SPEC_H_
#define WINSNAP_RUNTIME_SPEC_H_

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "oci/config.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::runtime {

struct SpecOptions {
  // Active snapshot used as scratch (its parents are the image layers).
  std::string snapshot_key;
  // Overrides; empty means "from the image config, else the default".
  std::vector<std::string> args;
  std::vector<std::string> env;  // "K=V", appended after the image's env
  std::string cwd;
  std::string user;
  std::string hostname;
  bool terminal = false;
};

// The parts of an OCI/Docker image config a spec uses: the container config
// (Entrypoint, Cmd, Env, WorkingDir, User) as oci/config.h parses it.
using ImageDefaults = oci::ContainerConfig;

// The container config of an image config blob
// (oci::ParseImageConfig(..., ConfigParts::kContainerOnly)). Missing fields
// stay empty; InvalidArgument if the JSON is malformed or fields have wrong
// types.
StatusOr<ImageDefaults> ParseImageConfig(std::string_view config_json);

// The layer folders for an active or view snapshot: parents nearest first,
// then the snapshot's own folder (the scratch) last. FailedPrecondition for a
// committed snapshot (it cannot be a scratch).
StatusOr<std::vector<std::string>> LayerFolders(snapshotter::Snapshotter& sn,
                                                std::string_view key);

// Builds the config.json document. "image" supplies process defaults (may be
// null). InvalidArgument if no command results from image and options.
StatusOr<nlohmann::json> GenerateSpec(snapshotter::Snapshotter& sn,
                                      const SpecOptions& options,
                                      const ImageDefaults* image);

// Finds the image whose top layer is the parent of "key", if any, and returns
// its defaults.
StatusOr<std::optional<ImageDefaults>> ImageForSnapshot(
    snapshotter::Snapshotter& sn, std::string_view key);

// Where a container's config.json comes from: exactly one of config,
// image and snapshot; env, cwd and args override the process.
struct ConfigSource {
  std::string config;    // an OCI config.json file
  std::string image;     // an imported image: a scratch is prepared on it
  std::string snapshot;  // an active snapshot used as scratch (kept)
  std::vector<std::string> env;  // "K=V", appended
  std::string cwd;
  std::vector<std::string> args;  // replaces the command when not empty
};

struct PreparedConfig {
  std::string config_json;
  // The scratch snapshot PrepareConfig prepared (for "image"), which the
  // caller owns and removes with the container; empty otherwise.
  std::string owned_key;
};

// Builds the config.json text for container "id" from "source": a --config
// file as is (or with the overrides applied), else a spec generated over the
// image's or snapshot's layers with hostname "id". Reads files through *env.
// On error nothing is left behind (a scratch it prepared is removed):
// InvalidArgument for no source or a config file without a process object,
// NotFound for an unknown image, else GenerateSpec's errors.
StatusOr<PreparedConfig> PrepareConfig(snapshotter::Snapshotter& sn,
                                       base::Env& env,
                                       const ConfigSource& source,
                                       std::string_view id);

}  // namespace winsnap::runtime

#endif  // WINSNAP_RUNTIME_SPEC_H_
