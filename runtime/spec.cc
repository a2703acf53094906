// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "runtime/spec.h"

#include "hcs/oci.h"
#include "metadata/store.h"

namespace winsnap::runtime {

using json = nlohmann::json;

namespace {

StatusOr<std::vector<std::string>> StringList(const json& j,
                                              const char* field) {
  std::vector<std::string> out;
  if (!j.contains(field) || j[field].is_null()) return out;
  if (!j[field].is_array()) {
    return InvalidArgumentError(std::string("image config field ") + field +
                                " is not an array");
  }
  for (const auto& v : j[field]) {
    if (!v.is_string()) {
      return InvalidArgumentError(std::string("image config field ") + field +
                                  " has a non-string entry");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

StatusOr<std::string> StringField(const json& j, const char* field) {
  if (!j.contains(field) || j[field].is_null()) return std::string();
  if (!j[field].is_string()) {
    return InvalidArgumentError(std::string("image config field ") + field +
                                " is not a string");
  }
  return j[field].get<std::string>();
}

}  // namespace

StatusOr<ImageDefaults> ParseImageConfig(std::string_view config_json) {
  json doc = json::parse(config_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgumentError("image config is not a JSON object");
  }
  ImageDefaults d;
  if (!doc.contains("config") || doc["config"].is_null()) return d;
  const json& c = doc["config"];
  if (!c.is_object())
    return InvalidArgumentError("image config \"config\" is not an object");
  WINSNAP_ASSIGN_OR_RETURN(d.entrypoint, StringList(c, "Entrypoint"));
  WINSNAP_ASSIGN_OR_RETURN(d.cmd, StringList(c, "Cmd"));
  WINSNAP_ASSIGN_OR_RETURN(d.env, StringList(c, "Env"));
  WINSNAP_ASSIGN_OR_RETURN(d.working_dir, StringField(c, "WorkingDir"));
  WINSNAP_ASSIGN_OR_RETURN(d.user, StringField(c, "User"));
  return d;
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
  WINSNAP_RETURN_IF_ERROR(sn.store()->View([&](metadata::ReadTxn& txn) {
    return txn.ForEachImage([&](const metadata::ImageRecord& img) {
      if (!config && !info.parent.empty() && img.top_chain_id == info.parent &&
          !img.config_json.empty()) {
        config = img.config_json;
      }
      return OkStatus();
    });
  }));
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

}  // namespace winsnap::runtime
