// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "hcs/oci.h"

#include "hcs/json_util.h"

namespace winsnap::hcs::oci {

using json_util::Always;
using json_util::Omitempty;
using json_util::Required;
using json_util::SchemaError;
using nlohmann::json;

namespace {

// Field lists in runtime-spec order. Always: written even when empty (the
// spec has no omitempty there); Required: also an error when missing.
constexpr auto Fields(const ConsoleSize*) {
  return std::tuple{Required("height", &ConsoleSize::height),
                    Required("width", &ConsoleSize::width)};
}
constexpr auto Fields(const User*) {
  return std::tuple{Always("uid", &User::uid), Always("gid", &User::gid),
                    Omitempty("additionalGids", &User::additional_gids),
                    Omitempty("username", &User::username)};
}
constexpr auto Fields(const Process*) {
  using P = Process;
  return std::tuple{Omitempty("terminal", &P::terminal),
                    Omitempty("consoleSize", &P::console_size),
                    Always("user", &P::user),
                    Omitempty("args", &P::args),
                    Omitempty("commandLine", &P::command_line),
                    Omitempty("env", &P::env),
                    Always("cwd", &P::cwd),
                    Omitempty("noNewPrivileges", &P::no_new_privileges),
                    Omitempty("capabilities", &P::capabilities),
                    Omitempty("rlimits", &P::rlimits)};
}
constexpr auto Fields(const Root*) {
  return std::tuple{Always("path", &Root::path),
                    Omitempty("readonly", &Root::readonly)};
}
constexpr auto Fields(const Mount*) {
  return std::tuple{Required("destination", &Mount::destination),
                    Omitempty("type", &Mount::type),
                    Omitempty("source", &Mount::source),
                    Omitempty("options", &Mount::options)};
}
constexpr auto Fields(const WindowsMemoryResources*) {
  return std::tuple{Omitempty("limit", &WindowsMemoryResources::limit)};
}
constexpr auto Fields(const WindowsCpuResources*) {
  using C = WindowsCpuResources;
  return std::tuple{Omitempty("count", &C::count),
                    Omitempty("shares", &C::shares),
                    Omitempty("maximum", &C::maximum)};
}
constexpr auto Fields(const WindowsStorageResources*) {
  using S = WindowsStorageResources;
  return std::tuple{Omitempty("iops", &S::iops), Omitempty("bps", &S::bps),
                    Omitempty("sandboxSize", &S::sandbox_size)};
}
constexpr auto Fields(const WindowsResources*) {
  using R = WindowsResources;
  return std::tuple{Omitempty("memory", &R::memory), Omitempty("cpu", &R::cpu),
                    Omitempty("storage", &R::storage)};
}
constexpr auto Fields(const WindowsNetwork*) {
  using N = WindowsNetwork;
  return std::tuple{
      Omitempty("endpointList", &N::endpoint_list),
      Omitempty("allowUnqualifiedDNSQuery", &N::allow_unqualified_dns_query),
      Omitempty("DNSSearchList", &N::dns_search_list),
      Omitempty("networkSharedContainerName",
                &N::network_shared_container_name),
      Omitempty("networkNamespace", &N::network_namespace)};
}
constexpr auto Fields(const Windows*) {
  using W = Windows;
  return std::tuple{
      Always("layerFolders", &W::layer_folders),
      Omitempty("resources", &W::resources),
      Omitempty("network", &W::network),
      Omitempty("hyperv", &W::hyperv),
      Omitempty("credentialSpec", &W::credential_spec),
      Omitempty("servicing", &W::servicing),
      Omitempty("ignoreFlushesDuringBoot", &W::ignore_flushes_during_boot)};
}
constexpr auto Fields(const Spec*) {
  using S = Spec;
  return std::tuple{Always("ociVersion", &S::oci_version),
                    Omitempty("process", &S::process),
                    Omitempty("root", &S::root),
                    Omitempty("hostname", &S::hostname),
                    Omitempty("mounts", &S::mounts),
                    Omitempty("annotations", &S::annotations),
                    Omitempty("windows", &S::windows),
                    Omitempty("linux", &S::linux_section),
                    Omitempty("hooks", &S::hooks)};
}

// Checks beyond the field types, run after the fields are read (Check) or
// before (Precheck); the defaults have none.
void Precheck(const json&, const void*) {}
void Check(const void*) {}

void Check(const WindowsCpuResources* v) {
  if (v->shares && *v->shares > 10000) {
    throw SchemaError("shares",
                      "must be 0..10000, got " + std::to_string(*v->shares));
  }
  if (v->maximum && *v->maximum > 10000) {
    throw SchemaError("maximum", "must be 0..10000 (cycles per 10000), got " +
                                     std::to_string(*v->maximum));
  }
}

void Precheck(const json& j, const Windows*) {
  auto it = j.find("layerFolders");
  if (it == j.end() || it->is_null()) {
    throw SchemaError(
        "layerFolders",
        "is required: list the image's layer folders nearest parent first, "
        "then the base layer, then the container's scratch folder last "
        "(OCI config-windows.md)");
  }
}

void Check(const Windows* v) {
  if (v->layer_folders.empty()) {
    throw SchemaError("layerFolders",
                      "must not be empty: it needs at least the scratch "
                      "folder (OCI config-windows.md)");
  }
  for (size_t i = 0; i < v->layer_folders.size(); ++i) {
    if (v->layer_folders[i].empty()) {
      throw SchemaError("layerFolders[" + std::to_string(i) + "]",
                        "must be a folder path, got an empty string");
    }
  }
}

}  // namespace

// to_json and ReadValue of each type, from its field list.
#define WINSNAP_OCI_FIELDS_JSON(T)            \
  void to_json(json& j, const T& v) {         \
    json_util::WriteFields(j, v, Fields(&v)); \
  }                                           \
  void ReadValue(const json& j, T& v) {       \
    json_util::ExpectObject(j);               \
    Precheck(j, &v);                          \
    json_util::ReadFields(j, v, Fields(&v));  \
    Check(&v);                                \
  }
WINSNAP_OCI_FIELDS_JSON(ConsoleSize)
WINSNAP_OCI_FIELDS_JSON(User)
WINSNAP_OCI_FIELDS_JSON(Process)
WINSNAP_OCI_FIELDS_JSON(Root)
WINSNAP_OCI_FIELDS_JSON(Mount)
WINSNAP_OCI_FIELDS_JSON(WindowsMemoryResources)
WINSNAP_OCI_FIELDS_JSON(WindowsCpuResources)
WINSNAP_OCI_FIELDS_JSON(WindowsStorageResources)
WINSNAP_OCI_FIELDS_JSON(WindowsResources)
WINSNAP_OCI_FIELDS_JSON(WindowsNetwork)
WINSNAP_OCI_FIELDS_JSON(Windows)
WINSNAP_OCI_FIELDS_JSON(Spec)
#undef WINSNAP_OCI_FIELDS_JSON

namespace {

template <typename T>
StatusOr<T> FromJson(std::string_view what, const json& j) {
  return json_util::Guard<T>(what, [&] {
    T v;
    ReadValue(j, v);
    return v;
  });
}

template <typename T>
StatusOr<T> Parse(std::string_view what, std::string_view text) {
  return json_util::Guard<T>(what, [&] {
    T v;
    ReadValue(json::parse(text), v);
    return v;
  });
}

}  // namespace

StatusOr<Spec> SpecFromJson(const json& config) {
  return FromJson<Spec>("config.json", config);
}
StatusOr<Spec> ParseSpec(std::string_view config_json) {
  return Parse<Spec>("config.json", config_json);
}
StatusOr<Process> ParseProcess(std::string_view process_json) {
  return Parse<Process>("process.json", process_json);
}

json SpecToJson(const Spec& spec) { return spec; }
json ProcessToJson(const Process& process) { return process; }

}  // namespace winsnap::hcs::oci
