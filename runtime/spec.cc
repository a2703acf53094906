// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "runtime/spec.h"

#include <cstdio>
#include <random>

#include "hcs/oci.h"
#include "metadata/types.h"

namespace winsnap::runtime {

using json = nlohmann::json;

StatusOr<ImageDefaults> ParseImageConfig(std::string_view config_json) {
  WINSNAP_ASSIGN_OR_RETURN(
      oci::ImageConfig c,
      oci::ParseImageConfig(config_json, oci::ConfigParts::kContainerOnly));
  return std::move(c.config);
}

StatusOr<std::vector<std::string>> LayerFolders(snapshotter::Snapshotter& sn,
                                                std::string_view key) {
  WINSNAP_ASSIGN_OR_RETURN(snapshotter::Info scratch, sn.Stat(key));
  if (scratch.kind == snapshotter::Kind::kCommitted) {
    return FailedPreconditionError(
        "snapshot \"" + std::string(key) +
        "\" is committed; a container needs an active snapshot as "
        "scratch (snapctl prepare NEW " +
        std::string(key) + ")");
  }
  std::vector<std::string> folders;
  std::string parent = scratch.parent;
  while (!parent.empty()) {
    WINSNAP_ASSIGN_OR_RETURN(snapshotter::Info p, sn.Stat(parent));
    folders.push_back(p.path);
    parent = p.parent;
  }
  folders.push_back(scratch.path);
  return folders;
}

StatusOr<std::optional<ImageDefaults>> ImageForSnapshot(
    snapshotter::Snapshotter& sn, std::string_view key) {
  WINSNAP_ASSIGN_OR_RETURN(snapshotter::Info info, sn.Stat(key));
  std::optional<std::string> config;
  WINSNAP_ASSIGN_OR_RETURN(std::vector<metadata::ImageRecord> images,
                           sn.ListImages());
  for (const auto& img : images) {
    if (!config && !info.parent.empty() && img.top_chain_id == info.parent &&
        !img.config_json.empty()) {
      config = img.config_json;
    }
  }
  if (!config) return std::optional<ImageDefaults>();
  WINSNAP_ASSIGN_OR_RETURN(ImageDefaults d, ParseImageConfig(*config));
  return std::optional<ImageDefaults>(std::move(d));
}

StatusOr<json> GenerateSpec(snapshotter::Snapshotter& sn, const SpecOptions& o,
                            const ImageDefaults* image) {
  WINSNAP_ASSIGN_OR_RETURN(std::vector<std::string> folders,
                           LayerFolders(sn, o.snapshot_key));
  std::vector<std::string> args;
  if (image) args = image->entrypoint;
  if (!o.args.empty()) {
    args.insert(args.end(), o.args.begin(), o.args.end());
  } else if (image) {
    args.insert(args.end(), image->cmd.begin(), image->cmd.end());
  }
  if (args.empty()) {
    return InvalidArgumentError(
        "no command: the image config has no Entrypoint/Cmd; give one after "
        "--");
  }
  std::vector<std::string> env;
  if (image) env = image->env;
  env.insert(env.end(), o.env.begin(), o.env.end());
  std::string cwd = !o.cwd.empty() ? o.cwd
                    : (image && !image->working_dir.empty())
                        ? image->working_dir
                        : "C:\\";
  std::string user = !o.user.empty() ? o.user : image ? image->user : "";

  hcs::oci::Spec spec;
  spec.oci_version = "1.1.0";
  hcs::oci::Process& process = spec.process.emplace();
  process.terminal = o.terminal;
  process.args = std::move(args);
  process.env = std::move(env);
  process.cwd = std::move(cwd);
  process.user.username = std::move(user);
  spec.hostname = o.hostname.empty() ? std::string("winsnap") : o.hostname;
  // root is left out: on Windows root.path must be the scratch's volume GUID
  // path, known only once the runtime has activated the layers.
  spec.windows.emplace().layer_folders = std::move(folders);
  return hcs::oci::SpecToJson(spec);
}

namespace {

std::string RandomSuffix() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// The --config file with the overrides applied.
StatusOr<std::string> ConfigFromFile(base::Env& env, const ConfigSource& s) {
  WINSNAP_ASSIGN_OR_RETURN(std::string text, env.ReadFile(s.config));
  if (s.args.empty() && s.env.empty() && s.cwd.empty()) return text;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("process") || !j["process"].is_object()) {
    return InvalidArgumentError(s.config +
                                ": not a config.json with a process object");
  }
  if (!s.args.empty()) {
    j["process"]["args"] = s.args;
    j["process"].erase("commandLine");
  }
  for (const std::string& e : s.env) j["process"]["env"].push_back(e);
  if (!s.cwd.empty()) j["process"]["cwd"] = s.cwd;
  return j.dump(2);
}

}  // namespace

StatusOr<PreparedConfig> PrepareConfig(snapshotter::Snapshotter& sn,
                                       base::Env& env, const ConfigSource& s,
                                       std::string_view id) {
  PreparedConfig p;
  if (!s.config.empty()) {
    WINSNAP_ASSIGN_OR_RETURN(p.config_json, ConfigFromFile(env, s));
    return p;
  }
  if (s.image.empty() && s.snapshot.empty()) {
    return InvalidArgumentError(
        "give --config FILE, --image REF or --snapshot KEY (see --help)");
  }
  SpecOptions o;
  o.args = s.args;
  o.env = s.env;
  o.cwd = s.cwd;
  o.hostname = std::string(id);
  std::optional<ImageDefaults> defaults;
  if (!s.image.empty()) {
    WINSNAP_ASSIGN_OR_RETURN(std::optional<metadata::ImageRecord> rec,
                             sn.GetImage(s.image));
    if (!rec) {
      return NotFoundError("no image \"" + s.image + "\" (see snapctl images)");
    }
    if (!rec->config_json.empty()) {
      WINSNAP_ASSIGN_OR_RETURN(defaults, ParseImageConfig(rec->config_json));
    }
    o.snapshot_key = "run-" + std::string(id) + "-" + RandomSuffix();
    WINSNAP_RETURN_IF_ERROR(
        sn.Prepare(o.snapshot_key, rec->top_chain_id,
                   {{"winsnap.io/scratch-for", s.image},
                    {"winsnap.io/container", std::string(id)}})
            .status());
    p.owned_key = o.snapshot_key;
  } else {
    o.snapshot_key = s.snapshot;
    WINSNAP_ASSIGN_OR_RETURN(defaults, ImageForSnapshot(sn, s.snapshot));
  }
  StatusOr<json> spec = GenerateSpec(sn, o, defaults ? &*defaults : nullptr);
  if (!spec.ok()) {
    if (!p.owned_key.empty()) sn.Remove(p.owned_key).IgnoreError();
    return spec.status();
  }
  p.config_json = spec->dump(2) + "\n";
  return p;
}

}  // namespace winsnap::runtime
