// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "hcs/document.h"

#include <cctype>
#include <limits>
#include <map>
#include <set>

#include "hcs/command_line.h"
#include "hcs/layer_id.h"

namespace winsnap::hcs {
namespace {

constexpr std::string_view kPipePrefix = "\\\\.\\pipe\\";

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && StartsWithNoCase(a, b);
}

bool EndsWithSeparator(std::string_view p) {
  return !p.empty() && (p.back() == '\\' || p.back() == '/');
}

template <typename T>
StatusOr<int32_t> ToInt32(std::string_view what, T v) {
  if (v > static_cast<T>(std::numeric_limits<int32_t>::max())) {
    return InvalidArgumentError(std::string(what) + " = " + std::to_string(v) +
                                " does not fit HCS's 32-bit field");
  }
  return static_cast<int32_t>(v);
}

Status Invalid(std::string_view id, const std::string& msg) {
  return InvalidArgumentError("container \"" + std::string(id) + "\": " + msg);
}

}  // namespace

StatusOr<std::string> StandInLayerId(std::string_view layer_path) {
  return StandInNameToGuid(LayerNameFromPath(layer_path)).ToString();
}

bool IsVolumeGuidPath(std::string_view p) {
  constexpr std::string_view kPrefix = "\\\\?\\Volume{";
  if (!StartsWithNoCase(p, kPrefix)) return false;
  p.remove_prefix(kPrefix.size());
  if (p.size() < 37) return false;
  if (!Guid::Parse(p.substr(0, 36)).ok() || p[36] != '}') return false;
  p.remove_prefix(37);
  return p.empty() || p == "\\";
}

StatusOr<schema::ComputeSystem> ContainerDocumentFromOci(
    const oci::Spec& spec, std::string_view id,
    const ContainerDocumentOptions& options) {
  if (id.empty()) return InvalidArgumentError("container id must not be empty");
  if (!spec.windows.has_value()) {
    return Invalid(id,
                   "config.json has no \"windows\" section; a Windows "
                   "container needs windows.layerFolders (image layers "
                   "nearest parent first, then the scratch folder last)");
  }
  const oci::Windows& win = *spec.windows;
  if (!win.hyperv.is_null()) {
    return UnimplementedError(
        "container \"" + std::string(id) +
        "\": windows.hyperv asks for Hyper-V isolation; winsnap only builds "
        "process-isolated (Argon) documents");
  }
  const std::vector<std::string>& folders = win.layer_folders;
  if (folders.size() < 2) {
    return Invalid(
        id, "windows.layerFolders has " + std::to_string(folders.size()) +
                " entr" + (folders.size() == 1 ? "y" : "ies") +
                "; a container needs its image layers (nearest parent first, "
                "base last) followed by its scratch folder, so at least 2 "
                "(hcsshim rejects fewer too). Did you pass only the scratch? "
                "`snapctl spec` fills the list from the snapshot's parents");
  }
  std::set<std::string> seen;
  for (const std::string& f : folders) {
    if (f.empty())
      return Invalid(id, "windows.layerFolders has an empty entry");
    if (EndsWithSeparator(f)) {
      return Invalid(id, "layer folder \"" + f +
                             "\" ends with a path separator; HCS names a "
                             "layer by its last path element, which would be "
                             "empty. Remove the trailing separator");
    }
    if (!seen.insert(f).second) {
      return Invalid(id, "layer folder \"" + f +
                             "\" appears twice in windows.layerFolders");
    }
  }
  if (spec.root.has_value() && spec.root->readonly) {
    return Invalid(id,
                   "root.readonly is true; Windows containers always write "
                   "to their scratch layer (hcsshim rejects it too)");
  }

  schema::ComputeSystem doc;
  doc.owner = options.owner;
  doc.schema_version = schema::SchemaV21();
  doc.should_terminate_on_last_handle_closed =
      options.terminate_on_last_handle_closed;
  schema::Container& c = doc.container.emplace();

  if (!spec.hostname.empty()) c.guest_os = schema::GuestOs{spec.hostname};

  // Storage: parents in layerFolders order; the scratch (last) is excluded.
  schema::Storage& storage = c.storage.emplace();
  const std::string& scratch = folders.back();
  std::map<std::string, std::string> id_owner;
  for (size_t i = 0; i + 1 < folders.size(); ++i) {
    StatusOr<std::string> layer_id = options.layer_id
                                         ? options.layer_id(folders[i])
                                         : StandInLayerId(folders[i]);
    if (!layer_id.ok()) return layer_id.status();
    auto [it, inserted] = id_owner.emplace(*layer_id, folders[i]);
    if (!inserted) {
      return Invalid(id, "layer folders \"" + it->second + "\" and \"" +
                             folders[i] + "\" get the same layer id " +
                             *layer_id +
                             " because HCS derives it from the folder's base "
                             "name only (hcsshim issue #1072); one container "
                             "cannot use both");
    }
    storage.layers.push_back(schema::Layer{*layer_id, folders[i], "", ""});
  }
  if (!options.scratch_volume_path.empty()) {
    storage.path = options.scratch_volume_path;
  } else if (spec.root.has_value() && IsVolumeGuidPath(spec.root->path)) {
    storage.path = spec.root->path;
    if (!EndsWithSeparator(storage.path)) storage.path += '\\';
  } else {
    storage.path = scratch;
  }

  // Resources (hcsshim ConvertCPULimits and the memory/storage annotations'
  // spec fallbacks).
  schema::Processor& cpu = c.processor.emplace();
  if (win.resources.has_value()) {
    const oci::WindowsResources& r = *win.resources;
    if (r.cpu.has_value()) {
      int set = 0;
      if (r.cpu->count.value_or(0) > 0) {
        ++set;
        uint64_t count = *r.cpu->count;
        if (options.max_processor_count > 0 &&
            count > static_cast<uint64_t>(options.max_processor_count)) {
          count = static_cast<uint64_t>(options.max_processor_count);
        }
        WINSNAP_ASSIGN_OR_RETURN(cpu.count,
                                 ToInt32("windows.resources.cpu.count", count));
      }
      if (r.cpu->maximum.value_or(0) > 0) {
        ++set;
        cpu.maximum = *r.cpu->maximum;
      }
      if (r.cpu->shares.value_or(0) > 0) {
        ++set;
        cpu.weight = *r.cpu->shares;
      }
      if (set > 1) {
        return Invalid(id,
                       "windows.resources.cpu count, shares and maximum are "
                       "mutually exclusive (OCI config-windows.md); set one");
      }
    }
    if (r.memory.has_value() && r.memory->limit.value_or(0) > 0) {
      uint64_t mb = *r.memory->limit / 1024 / 1024;
      if (mb > 0) c.memory = schema::Memory{mb};
    }
    if (r.storage.has_value()) {
      uint64_t iops = r.storage->iops.value_or(0);
      uint64_t bps = r.storage->bps.value_or(0);
      if (iops > 0 || bps > 0) {
        schema::StorageQoS qos;
        WINSNAP_ASSIGN_OR_RETURN(
            qos.iops_maximum, ToInt32("windows.resources.storage.iops", iops));
        WINSNAP_ASSIGN_OR_RETURN(qos.bandwidth_maximum,
                                 ToInt32("windows.resources.storage.bps", bps));
        storage.qos = qos;
      }
    }
  }

  if (win.network.has_value()) {
    schema::Networking& net = c.networking.emplace();
    net.allow_unqualified_dns_query = win.network->allow_unqualified_dns_query;
    for (size_t i = 0; i < win.network->dns_search_list.size(); ++i) {
      if (i > 0) net.dns_search_list += ',';
      net.dns_search_list += win.network->dns_search_list[i];
    }
    net.network_shared_container_name =
        win.network->network_shared_container_name;
    net.name_space = win.network->network_namespace;
  }

  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const oci::Mount& m = spec.mounts[i];
    std::string where = "mounts[" + std::to_string(i) + "] (destination \"" +
                        m.destination + "\")";
    if (!m.type.empty() && m.type != "bind") {
      return Invalid(id, where + ": mount type \"" + m.type +
                             "\" is not supported for process-isolated "
                             "containers; use a bind mount (type omitted)");
    }
    if (m.source.empty()) return Invalid(id, where + ": source is empty");
    bool dest_pipe = StartsWithNoCase(m.destination, kPipePrefix);
    bool src_pipe = StartsWithNoCase(m.source, kPipePrefix);
    if (dest_pipe != src_pipe) {
      return Invalid(id, where +
                             ": a named pipe must be mapped from a host pipe "
                             "(\\\\.\\pipe\\...) to a container pipe; one "
                             "side is not a pipe");
    }
    if (dest_pipe) {
      c.mapped_pipes.push_back(schema::MappedPipe{
          m.destination.substr(kPipePrefix.size()), m.source, ""});
      continue;
    }
    bool read_only = false;
    for (const std::string& o : m.options) {
      if (EqualsNoCase(o, "ro")) read_only = true;
    }
    c.mapped_directories.push_back(
        schema::MappedDirectory{m.source, "", m.destination, read_only});
  }

  // hcsshim always raises WaitToKillServiceTimeout so a graceful stop waits
  // for the requested grace period instead of the image's 5 s default
  // (HS internal/hcsoci/hcsdoc_wcow.go).
  schema::RegistryValue wait_to_kill;
  wait_to_kill.key =
      schema::RegistryKey{"System", "ControlSet001\\Control", false};
  wait_to_kill.name = "WaitToKillServiceTimeout";
  wait_to_kill.type = "String";
  wait_to_kill.string_value =
      std::to_string(std::numeric_limits<int32_t>::max());
  c.registry_changes.emplace().add_values.push_back(wait_to_kill);
  return doc;
}

StatusOr<schema::ProcessParameters> ProcessDocumentFromOci(
    const oci::Process& process, const ProcessStdio& stdio) {
  if (process.command_line.empty() && process.args.empty()) {
    return InvalidArgumentError(
        "process has neither commandLine nor args; nothing to run");
  }
  schema::ProcessParameters p;
  p.command_line = process.command_line.empty() ? JoinCommandLine(process.args)
                                                : process.command_line;
  p.working_directory = process.cwd.empty() ? "C:\\" : process.cwd;
  for (const std::string& kv : process.env) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq + 1 == kv.size()) continue;
    p.environment[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  p.user = process.user.username;
  p.emulate_console = process.terminal;
  p.create_std_in_pipe = stdio.std_in;
  p.create_std_out_pipe = stdio.std_out;
  p.create_std_err_pipe = stdio.std_err && !process.terminal;
  if (process.console_size.has_value()) {
    if (process.console_size->height > 0xFFFF ||
        process.console_size->width > 0xFFFF) {
      return InvalidArgumentError(
          "process.consoleSize " +
          std::to_string(process.console_size->height) + "x" +
          std::to_string(process.console_size->width) + " exceeds 65535");
    }
    p.console_size = {static_cast<int32_t>(process.console_size->height),
                      static_cast<int32_t>(process.console_size->width)};
  }
  return p;
}

}  // namespace winsnap::hcs
