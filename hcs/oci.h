// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The subset of the OCI runtime-spec config.json that the run engine reads
// (opencontainers/runtime-spec config.md, config-windows.md; summarized in
// hcsshim-facts.md §6), as plain structs with strict parsing. Sections the
// engine does not interpret ("linux", "hooks", ...) are kept as opaque JSON
// so a config can be read and written back without losing them.
//
// Thread-safety: values; distinct objects may be used from different threads.

#ifndef WINSNAP_HCS_OCI_H_
#define WINSNAP_HCS_OCI_H_

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace winsnap::hcs::oci {

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
  friend bool operator==(const ConsoleSize&, const ConsoleSize&) = default;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;  // "additionalGids"
  std::string username;  // Windows: the account the process runs as
  friend bool operator==(const User&, const User&) = default;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;  // "consoleSize"
  User user;
  std::vector<std::string> args;
  std::string command_line;      // "commandLine" (Windows only; wins over args)
  std::vector<std::string> env;  // "K=V"
  std::string cwd;
  bool no_new_privileges = false;  // "noNewPrivileges"
  nlohmann::json capabilities;     // opaque; null if absent
  nlohmann::json rlimits;          // opaque; null if absent
  friend bool operator==(const Process&, const Process&) = default;
};

struct Root {
  std::string path;
  bool readonly = false;
  friend bool operator==(const Root&, const Root&) = default;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  friend bool operator==(const Mount&, const Mount&) = default;
};

struct WindowsMemoryResources {
  std::optional<uint64_t> limit;  // bytes
  friend bool operator==(const WindowsMemoryResources&,
                         const WindowsMemoryResources&) = default;
};

// count, shares and maximum are mutually exclusive (config-windows.md).
struct WindowsCpuResources {
  std::optional<uint64_t> count;
  std::optional<uint16_t> shares;   // 0..10000
  std::optional<uint16_t> maximum;  // cycles per 10000
  friend bool operator==(const WindowsCpuResources&,
                         const WindowsCpuResources&) = default;
};

struct WindowsStorageResources {
  std::optional<uint64_t> iops;
  std::optional<uint64_t> bps;
  std::optional<uint64_t> sandbox_size;  // "sandboxSize"
  friend bool operator==(const WindowsStorageResources&,
                         const WindowsStorageResources&) = default;
};

struct WindowsResources {
  std::optional<WindowsMemoryResources> memory;
  std::optional<WindowsCpuResources> cpu;
  std::optional<WindowsStorageResources> storage;
  friend bool operator==(const WindowsResources&,
                         const WindowsResources&) = default;
};

struct WindowsNetwork {
  std::vector<std::string> endpoint_list;     // "endpointList"
  bool allow_unqualified_dns_query = false;   // "allowUnqualifiedDNSQuery"
  std::vector<std::string> dns_search_list;   // "DNSSearchList"
  std::string network_shared_container_name;  // "networkSharedContainerName"
  std::string network_namespace;              // "networkNamespace"
  friend bool operator==(const WindowsNetwork&,
                         const WindowsNetwork&) = default;
};

struct Windows {
  // "layerFolders": topmost parent first, base, then the scratch LAST.
  std::vector<std::string> layer_folders;
  std::optional<WindowsResources> resources;
  std::optional<WindowsNetwork> network;
  nlohmann::json hyperv;           // opaque "hyperv"; null if absent
  nlohmann::json credential_spec;  // opaque "credentialSpec"; null if absent
  bool servicing = false;
  bool ignore_flushes_during_boot = false;  // "ignoreFlushesDuringBoot"
  friend bool operator==(const Windows&, const Windows&) = default;
};

struct Spec {
  std::string oci_version;  // "ociVersion"
  std::optional<Process> process;
  std::optional<Root> root;
  std::string hostname;
  std::vector<Mount> mounts;
  std::map<std::string, std::string> annotations;
  std::optional<Windows> windows;
  nlohmann::json linux_section;  // opaque "linux"; null if absent
  nlohmann::json hooks;          // opaque "hooks"; null if absent
  friend bool operator==(const Spec&, const Spec&) = default;
};

// Parses config.json text. Checks the shape, not the meaning: every present
// field must have its spec type (InvalidArgument naming the JSON path, e.g.
// "config.json: windows.layerFolders[1]: expected a string, got number"), and
// a "windows" section must carry a non-empty "layerFolders" array of non-empty
// strings (the spec marks it REQUIRED). Whether the folders make a runnable
// container is ContainerDocumentFromOci's job. Never throws.
StatusOr<Spec> ParseSpec(std::string_view config_json);
StatusOr<Spec> SpecFromJson(const nlohmann::json& config);

// Parses a bare process object (runhcs/runc "exec --process" files).
StatusOr<Process> ParseProcess(std::string_view process_json);

// config.json form of a Spec (fields omitted when empty, opaque sections
// written back as they were read).
nlohmann::json SpecToJson(const Spec& spec);
nlohmann::json ProcessToJson(const Process& process);

}  // namespace winsnap::hcs::oci

#endif  // WINSNAP_HCS_OCI_H_
