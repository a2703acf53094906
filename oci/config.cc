// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "oci/config.h"

#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "oci/json_fields.h"

namespace winsnap::oci {
namespace {

using json = nlohmann::json;

StatusOr<std::vector<std::string>> StringList(const json& j,
                                              const char* field) {
  std::vector<std::string> out;
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return InvalidArgumentError(std::string("image config field ") + field +
                                " is not an array");
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return InvalidArgumentError(std::string("image config field ") + field +
                                  " has a non-string entry");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

StatusOr<std::string> String(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return InvalidArgumentError(std::string("image config field ") + field +
                                " is not a string");
  }
  return it->get<std::string>();
}

StatusOr<std::vector<std::string>> DiffIds(const json& doc) {
  auto rootfs = doc.find("rootfs");
  if (rootfs == doc.end() || !rootfs->is_object())
    return InvalidArgumentError("image config has no rootfs");
  auto ids = rootfs->find("diff_ids");
  if (ids == rootfs->end() || !ids->is_array())
    return InvalidArgumentError("image config has no rootfs.diff_ids");
  std::vector<std::string> out;
  for (const auto& d : *ids) {
    if (!d.is_string() || !IsSha256Digest(d.get<std::string>()))
      return InvalidArgumentError("image config has a malformed diff_id");
    out.push_back(d.get<std::string>());
  }
  return out;
}

StatusOr<ContainerConfig> ContainerConfigFrom(const json& doc) {
  ContainerConfig c;
  auto it = doc.find("config");
  if (it == doc.end() || it->is_null()) return c;
  if (!it->is_object())
    return InvalidArgumentError("image config \"config\" is not an object");
  WINSNAP_ASSIGN_OR_RETURN(c.entrypoint, StringList(*it, "Entrypoint"));
  WINSNAP_ASSIGN_OR_RETURN(c.cmd, StringList(*it, "Cmd"));
  WINSNAP_ASSIGN_OR_RETURN(c.env, StringList(*it, "Env"));
  WINSNAP_ASSIGN_OR_RETURN(c.working_dir, String(*it, "WorkingDir"));
  WINSNAP_ASSIGN_OR_RETURN(c.user, String(*it, "User"));
  return c;
}

}  // namespace

StatusOr<ImageConfig> ParseImageConfig(std::string_view text,
                                       ConfigParts parts) {
  WINSNAP_ASSIGN_OR_RETURN(json doc,
                           internal::ParseObject(text, "image config"));
  ImageConfig cfg;
  if (parts == ConfigParts::kAll) {
    WINSNAP_ASSIGN_OR_RETURN(cfg.platform,
                             internal::PlatformFrom(doc, "image config"));
    WINSNAP_ASSIGN_OR_RETURN(cfg.diff_ids, DiffIds(doc));
  }
  WINSNAP_ASSIGN_OR_RETURN(cfg.config, ContainerConfigFrom(doc));
  return cfg;
}

}  // namespace winsnap::oci
