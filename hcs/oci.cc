// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "hcs/oci.h"

#include "hcs/json_util.h"

namespace winsnap::hcs::oci {

using json_util::ExpectObject;
using json_util::Field;
using json_util::Put;
using json_util::SchemaError;
using nlohmann::json;

void ReadValue(const json& j, ConsoleSize& v) {
  ExpectObject(j);
  json_util::RequiredField(j, "height", v.height);
  json_util::RequiredField(j, "width", v.width);
}

void ReadValue(const json& j, User& v) {
  ExpectObject(j);
  Field(j, "uid", v.uid);
  Field(j, "gid", v.gid);
  Field(j, "additionalGids", v.additional_gids);
  Field(j, "username", v.username);
}

void ReadValue(const json& j, Process& v) {
  ExpectObject(j);
  Field(j, "terminal", v.terminal);
  Field(j, "consoleSize", v.console_size);
  Field(j, "user", v.user);
  Field(j, "args", v.args);
  Field(j, "commandLine", v.command_line);
  Field(j, "env", v.env);
  Field(j, "cwd", v.cwd);
  Field(j, "noNewPrivileges", v.no_new_privileges);
  Field(j, "capabilities", v.capabilities);
  Field(j, "rlimits", v.rlimits);
}

void ReadValue(const json& j, Root& v) {
  ExpectObject(j);
  Field(j, "path", v.path);
  Field(j, "readonly", v.readonly);
}

void ReadValue(const json& j, Mount& v) {
  ExpectObject(j);
  json_util::RequiredField(j, "destination", v.destination);
  Field(j, "type", v.type);
  Field(j, "source", v.source);
  Field(j, "options", v.options);
}

void ReadValue(const json& j, WindowsMemoryResources& v) {
  ExpectObject(j);
  Field(j, "limit", v.limit);
}

void ReadValue(const json& j, WindowsCpuResources& v) {
  ExpectObject(j);
  Field(j, "count", v.count);
  Field(j, "shares", v.shares);
  Field(j, "maximum", v.maximum);
  if (v.shares && *v.shares > 10000) {
    throw SchemaError("shares",
                      "must be 0..10000, got " + std::to_string(*v.shares));
  }
  if (v.maximum && *v.maximum > 10000) {
    throw SchemaError("maximum", "must be 0..10000 (cycles per 10000), got " +
                                     std::to_string(*v.maximum));
  }
}

void ReadValue(const json& j, WindowsStorageResources& v) {
  ExpectObject(j);
  Field(j, "iops", v.iops);
  Field(j, "bps", v.bps);
  Field(j, "sandboxSize", v.sandbox_size);
}

void ReadValue(const json& j, WindowsResources& v) {
  ExpectObject(j);
  Field(j, "memory", v.memory);
  Field(j, "cpu", v.cpu);
  Field(j, "storage", v.storage);
}

void ReadValue(const json& j, WindowsNetwork& v) {
  ExpectObject(j);
  Field(j, "endpointList", v.endpoint_list);
  Field(j, "allowUnqualifiedDNSQuery", v.allow_unqualified_dns_query);
  Field(j, "DNSSearchList", v.dns_search_list);
  Field(j, "networkSharedContainerName", v.network_shared_container_name);
  Field(j, "networkNamespace", v.network_namespace);
}

void ReadValue(const json& j, Windows& v) {
  ExpectObject(j);
  auto it = j.find("layerFolders");
  if (it == j.end() || it->is_null()) {
    throw SchemaError(
        "layerFolders",
        "is required: list the image's layer folders nearest parent first, "
        "then the base layer, then the container's scratch folder last "
        "(OCI config-windows.md)");
  }
  Field(j, "layerFolders", v.layer_folders);
  if (v.layer_folders.empty()) {
    throw SchemaError("layerFolders",
                      "must not be empty: it needs at least the scratch "
                      "folder (OCI config-windows.md)");
  }
  for (size_t i = 0; i < v.layer_folders.size(); ++i) {
    if (v.layer_folders[i].empty()) {
      throw SchemaError("layerFolders[" + std::to_string(i) + "]",
                        "must be a folder path, got an empty string");
    }
  }
  Field(j, "resources", v.resources);
  Field(j, "network", v.network);
  Field(j, "hyperv", v.hyperv);
  Field(j, "credentialSpec", v.credential_spec);
  Field(j, "servicing", v.servicing);
  Field(j, "ignoreFlushesDuringBoot", v.ignore_flushes_during_boot);
}

void ReadValue(const json& j, Spec& v) {
  ExpectObject(j);
  Field(j, "ociVersion", v.oci_version);
  Field(j, "process", v.process);
  Field(j, "root", v.root);
  Field(j, "hostname", v.hostname);
  Field(j, "mounts", v.mounts);
  Field(j, "annotations", v.annotations);
  Field(j, "windows", v.windows);
  Field(j, "linux", v.linux_section);
  Field(j, "hooks", v.hooks);
}

StatusOr<Spec> SpecFromJson(const json& config) {
  return json_util::Guard<Spec>("config.json", [&] {
    Spec spec;
    ReadValue(config, spec);
    return spec;
  });
}

StatusOr<Spec> ParseSpec(std::string_view config_json) {
  return json_util::Guard<Spec>("config.json", [&] {
    json j = json::parse(config_json);
    Spec spec;
    ReadValue(j, spec);
    return spec;
  });
}

StatusOr<Process> ParseProcess(std::string_view process_json) {
  return json_util::Guard<Process>("process.json", [&] {
    json j = json::parse(process_json);
    Process p;
    ReadValue(j, p);
    return p;
  });
}

namespace {

void PutOpaque(json& j, const char* key, const json& v) {
  if (!v.is_null()) j[key] = v;
}

template <typename T>
void PutOptional(json& j, const char* key, const std::optional<T>& v) {
  if (v.has_value()) j[key] = *v;
}

json UserToJson(const User& u) {
  json j = json::object();
  j["uid"] = u.uid;
  j["gid"] = u.gid;
  Put(j, "additionalGids", u.additional_gids);
  Put(j, "username", u.username);
  return j;
}

json WindowsToJson(const Windows& w) {
  json j = json::object();
  j["layerFolders"] = w.layer_folders;
  if (w.resources) {
    json r = json::object();
    if (w.resources->memory) {
      json m = json::object();
      PutOptional(m, "limit", w.resources->memory->limit);
      r["memory"] = m;
    }
    if (w.resources->cpu) {
      json c = json::object();
      PutOptional(c, "count", w.resources->cpu->count);
      PutOptional(c, "shares", w.resources->cpu->shares);
      PutOptional(c, "maximum", w.resources->cpu->maximum);
      r["cpu"] = c;
    }
    if (w.resources->storage) {
      json s = json::object();
      PutOptional(s, "iops", w.resources->storage->iops);
      PutOptional(s, "bps", w.resources->storage->bps);
      PutOptional(s, "sandboxSize", w.resources->storage->sandbox_size);
      r["storage"] = s;
    }
    j["resources"] = r;
  }
  if (w.network) {
    json n = json::object();
    Put(n, "endpointList", w.network->endpoint_list);
    Put(n, "allowUnqualifiedDNSQuery", w.network->allow_unqualified_dns_query);
    Put(n, "DNSSearchList", w.network->dns_search_list);
    Put(n, "networkSharedContainerName",
        w.network->network_shared_container_name);
    Put(n, "networkNamespace", w.network->network_namespace);
    j["network"] = n;
  }
  PutOpaque(j, "hyperv", w.hyperv);
  PutOpaque(j, "credentialSpec", w.credential_spec);
  Put(j, "servicing", w.servicing);
  Put(j, "ignoreFlushesDuringBoot", w.ignore_flushes_during_boot);
  return j;
}

}  // namespace

json ProcessToJson(const Process& p) {
  json j = json::object();
  Put(j, "terminal", p.terminal);
  if (p.console_size) {
    j["consoleSize"] = {{"height", p.console_size->height},
                        {"width", p.console_size->width}};
  }
  j["user"] = UserToJson(p.user);
  Put(j, "args", p.args);
  Put(j, "commandLine", p.command_line);
  Put(j, "env", p.env);
  j["cwd"] = p.cwd;
  Put(j, "noNewPrivileges", p.no_new_privileges);
  PutOpaque(j, "capabilities", p.capabilities);
  PutOpaque(j, "rlimits", p.rlimits);
  return j;
}

json SpecToJson(const Spec& s) {
  json j = json::object();
  j["ociVersion"] = s.oci_version;
  if (s.process) j["process"] = ProcessToJson(*s.process);
  if (s.root) {
    json r = json::object();
    r["path"] = s.root->path;
    Put(r, "readonly", s.root->readonly);
    j["root"] = r;
  }
  Put(j, "hostname", s.hostname);
  if (!s.mounts.empty()) {
    json ms = json::array();
    for (const Mount& m : s.mounts) {
      json mj = json::object();
      mj["destination"] = m.destination;
      Put(mj, "type", m.type);
      Put(mj, "source", m.source);
      Put(mj, "options", m.options);
      ms.push_back(mj);
    }
    j["mounts"] = ms;
  }
  Put(j, "annotations", s.annotations);
  if (s.windows) j["windows"] = WindowsToJson(*s.windows);
  PutOpaque(j, "linux", s.linux_section);
  PutOpaque(j, "hooks", s.hooks);
  return j;
}

}  // namespace winsnap::hcs::oci
