// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "hcs/schema.h"

#include "hcs/json_util.h"

namespace winsnap::hcs::schema {

using json_util::ExpectObject;
using json_util::Field;
using json_util::Put;
using nlohmann::json;

// Each type: to_json writes omitempty fields; ReadValue reads strictly;
// from_json (the nlohmann hook) forwards to ReadValue.
#define WINSNAP_FROM_JSON(T) \
  void from_json(const json& j, T& v) { ReadValue(j, v); }

void to_json(json& j, const Version& v) {
  j = json::object();
  Put(j, "Major", v.major);
  Put(j, "Minor", v.minor);
}
void ReadValue(const json& j, Version& v) {
  ExpectObject(j);
  Field(j, "Major", v.major);
  Field(j, "Minor", v.minor);
}
WINSNAP_FROM_JSON(Version)

void to_json(json& j, const Layer& v) {
  j = json::object();
  Put(j, "Id", v.id);
  Put(j, "Path", v.path);
  Put(j, "PathType", v.path_type);
  Put(j, "Cache", v.cache);
}
void ReadValue(const json& j, Layer& v) {
  ExpectObject(j);
  Field(j, "Id", v.id);
  Field(j, "Path", v.path);
  Field(j, "PathType", v.path_type);
  Field(j, "Cache", v.cache);
}
WINSNAP_FROM_JSON(Layer)

void to_json(json& j, const StorageQoS& v) {
  j = json::object();
  Put(j, "IopsMaximum", v.iops_maximum);
  Put(j, "BandwidthMaximum", v.bandwidth_maximum);
}
void ReadValue(const json& j, StorageQoS& v) {
  ExpectObject(j);
  Field(j, "IopsMaximum", v.iops_maximum);
  Field(j, "BandwidthMaximum", v.bandwidth_maximum);
}
WINSNAP_FROM_JSON(StorageQoS)

void to_json(json& j, const Storage& v) {
  j = json::object();
  Put(j, "Layers", v.layers);
  Put(j, "Path", v.path);
  Put(j, "QoS", v.qos);
}
void ReadValue(const json& j, Storage& v) {
  ExpectObject(j);
  Field(j, "Layers", v.layers);
  Field(j, "Path", v.path);
  Field(j, "QoS", v.qos);
}
WINSNAP_FROM_JSON(Storage)

void to_json(json& j, const MappedDirectory& v) {
  j = json::object();
  Put(j, "HostPath", v.host_path);
  Put(j, "HostPathType", v.host_path_type);
  Put(j, "ContainerPath", v.container_path);
  Put(j, "ReadOnly", v.read_only);
}
void ReadValue(const json& j, MappedDirectory& v) {
  ExpectObject(j);
  Field(j, "HostPath", v.host_path);
  Field(j, "HostPathType", v.host_path_type);
  Field(j, "ContainerPath", v.container_path);
  Field(j, "ReadOnly", v.read_only);
}
WINSNAP_FROM_JSON(MappedDirectory)

void to_json(json& j, const MappedPipe& v) {
  j = json::object();
  Put(j, "ContainerPipeName", v.container_pipe_name);
  Put(j, "HostPath", v.host_path);
  Put(j, "HostPathType", v.host_path_type);
}
void ReadValue(const json& j, MappedPipe& v) {
  ExpectObject(j);
  Field(j, "ContainerPipeName", v.container_pipe_name);
  Field(j, "HostPath", v.host_path);
  Field(j, "HostPathType", v.host_path_type);
}
WINSNAP_FROM_JSON(MappedPipe)

void to_json(json& j, const Memory& v) {
  j = json::object();
  Put(j, "SizeInMB", v.size_in_mb);
}
void ReadValue(const json& j, Memory& v) {
  ExpectObject(j);
  Field(j, "SizeInMB", v.size_in_mb);
}
WINSNAP_FROM_JSON(Memory)

void to_json(json& j, const Processor& v) {
  j = json::object();
  Put(j, "Count", v.count);
  Put(j, "Maximum", v.maximum);
  Put(j, "Weight", v.weight);
}
void ReadValue(const json& j, Processor& v) {
  ExpectObject(j);
  Field(j, "Count", v.count);
  Field(j, "Maximum", v.maximum);
  Field(j, "Weight", v.weight);
}
WINSNAP_FROM_JSON(Processor)

void to_json(json& j, const Networking& v) {
  j = json::object();
  Put(j, "AllowUnqualifiedDnsQuery", v.allow_unqualified_dns_query);
  Put(j, "DnsSearchList", v.dns_search_list);
  Put(j, "NetworkSharedContainerName", v.network_shared_container_name);
  Put(j, "Namespace", v.name_space);
  Put(j, "NetworkAdapters", v.network_adapters);
}
void ReadValue(const json& j, Networking& v) {
  ExpectObject(j);
  Field(j, "AllowUnqualifiedDnsQuery", v.allow_unqualified_dns_query);
  Field(j, "DnsSearchList", v.dns_search_list);
  Field(j, "NetworkSharedContainerName", v.network_shared_container_name);
  Field(j, "Namespace", v.name_space);
  Field(j, "NetworkAdapters", v.network_adapters);
}
WINSNAP_FROM_JSON(Networking)

void to_json(json& j, const GuestOs& v) {
  j = json::object();
  Put(j, "HostName", v.host_name);
}
void ReadValue(const json& j, GuestOs& v) {
  ExpectObject(j);
  Field(j, "HostName", v.host_name);
}
WINSNAP_FROM_JSON(GuestOs)

void to_json(json& j, const RegistryKey& v) {
  j = json::object();
  Put(j, "Hive", v.hive);
  Put(j, "Name", v.name);
  Put(j, "Volatile", v.volatile_);
}
void ReadValue(const json& j, RegistryKey& v) {
  ExpectObject(j);
  Field(j, "Hive", v.hive);
  Field(j, "Name", v.name);
  Field(j, "Volatile", v.volatile_);
}
WINSNAP_FROM_JSON(RegistryKey)

void to_json(json& j, const RegistryValue& v) {
  j = json::object();
  Put(j, "Key", v.key);
  Put(j, "Name", v.name);
  Put(j, "Type", v.type);
  Put(j, "StringValue", v.string_value);
  Put(j, "BinaryValue", v.binary_value);
  Put(j, "DWordValue", v.dword_value);
  Put(j, "QWordValue", v.qword_value);
}
void ReadValue(const json& j, RegistryValue& v) {
  ExpectObject(j);
  Field(j, "Key", v.key);
  Field(j, "Name", v.name);
  Field(j, "Type", v.type);
  Field(j, "StringValue", v.string_value);
  Field(j, "BinaryValue", v.binary_value);
  Field(j, "DWordValue", v.dword_value);
  Field(j, "QWordValue", v.qword_value);
}
WINSNAP_FROM_JSON(RegistryValue)

void to_json(json& j, const RegistryChanges& v) {
  j = json::object();
  Put(j, "AddValues", v.add_values);
  Put(j, "DeleteKeys", v.delete_keys);
}
void ReadValue(const json& j, RegistryChanges& v) {
  ExpectObject(j);
  Field(j, "AddValues", v.add_values);
  Field(j, "DeleteKeys", v.delete_keys);
}
WINSNAP_FROM_JSON(RegistryChanges)

void to_json(json& j, const Container& v) {
  j = json::object();
  Put(j, "GuestOs", v.guest_os);
  Put(j, "Storage", v.storage);
  Put(j, "MappedDirectories", v.mapped_directories);
  Put(j, "MappedPipes", v.mapped_pipes);
  Put(j, "Memory", v.memory);
  Put(j, "Processor", v.processor);
  Put(j, "Networking", v.networking);
  Put(j, "RegistryChanges", v.registry_changes);
}
void ReadValue(const json& j, Container& v) {
  ExpectObject(j);
  Field(j, "GuestOs", v.guest_os);
  Field(j, "Storage", v.storage);
  Field(j, "MappedDirectories", v.mapped_directories);
  Field(j, "MappedPipes", v.mapped_pipes);
  Field(j, "Memory", v.memory);
  Field(j, "Processor", v.processor);
  Field(j, "Networking", v.networking);
  Field(j, "RegistryChanges", v.registry_changes);
}
WINSNAP_FROM_JSON(Container)

void to_json(json& j, const ComputeSystem& v) {
  j = json::object();
  Put(j, "Owner", v.owner);
  Put(j, "SchemaVersion", v.schema_version);
  Put(j, "HostingSystemId", v.hosting_system_id);
  Put(j, "Container", v.container);
  Put(j, "ShouldTerminateOnLastHandleClosed",
      v.should_terminate_on_last_handle_closed);
}
void ReadValue(const json& j, ComputeSystem& v) {
  ExpectObject(j);
  Field(j, "Owner", v.owner);
  Field(j, "SchemaVersion", v.schema_version);
  Field(j, "HostingSystemId", v.hosting_system_id);
  Field(j, "Container", v.container);
  Field(j, "ShouldTerminateOnLastHandleClosed",
        v.should_terminate_on_last_handle_closed);
}
WINSNAP_FROM_JSON(ComputeSystem)

void to_json(json& j, const ProcessParameters& v) {
  j = json::object();
  Put(j, "ApplicationName", v.application_name);
  Put(j, "CommandLine", v.command_line);
  Put(j, "CommandArgs", v.command_args);
  Put(j, "User", v.user);
  Put(j, "WorkingDirectory", v.working_directory);
  Put(j, "Environment", v.environment);
  Put(j, "RestrictedToken", v.restricted_token);
  Put(j, "EmulateConsole", v.emulate_console);
  Put(j, "CreateStdInPipe", v.create_std_in_pipe);
  Put(j, "CreateStdOutPipe", v.create_std_out_pipe);
  Put(j, "CreateStdErrPipe", v.create_std_err_pipe);
  Put(j, "ConsoleSize", v.console_size);
  Put(j, "UseExistingLogin", v.use_existing_login);
  Put(j, "UseLegacyConsole", v.use_legacy_console);
}
void ReadValue(const json& j, ProcessParameters& v) {
  ExpectObject(j);
  Field(j, "ApplicationName", v.application_name);
  Field(j, "CommandLine", v.command_line);
  Field(j, "CommandArgs", v.command_args);
  Field(j, "User", v.user);
  Field(j, "WorkingDirectory", v.working_directory);
  Field(j, "Environment", v.environment);
  Field(j, "RestrictedToken", v.restricted_token);
  Field(j, "EmulateConsole", v.emulate_console);
  Field(j, "CreateStdInPipe", v.create_std_in_pipe);
  Field(j, "CreateStdOutPipe", v.create_std_out_pipe);
  Field(j, "CreateStdErrPipe", v.create_std_err_pipe);
  Field(j, "ConsoleSize", v.console_size);
  Field(j, "UseExistingLogin", v.use_existing_login);
  Field(j, "UseLegacyConsole", v.use_legacy_console);
  if (!v.console_size.empty() && v.console_size.size() != 2) {
    throw json_util::SchemaError(
        "ConsoleSize", "expected [height, width], got " +
                           std::to_string(v.console_size.size()) + " numbers");
  }
}
WINSNAP_FROM_JSON(ProcessParameters)

void to_json(json& j, const PropertyQuery& v) {
  j = json::object();
  Put(j, "PropertyTypes", v.property_types);
}
void ReadValue(const json& j, PropertyQuery& v) {
  ExpectObject(j);
  Field(j, "PropertyTypes", v.property_types);
}
WINSNAP_FROM_JSON(PropertyQuery)

void to_json(json& j, const ProcessDetails& v) {
  j = json::object();
  Put(j, "ProcessId", v.process_id);
  Put(j, "ImageName", v.image_name);
}
void ReadValue(const json& j, ProcessDetails& v) {
  ExpectObject(j);
  Field(j, "ProcessId", v.process_id);
  Field(j, "ImageName", v.image_name);
}
WINSNAP_FROM_JSON(ProcessDetails)

void to_json(json& j, const Properties& v) {
  j = json::object();
  Put(j, "Id", v.id);
  Put(j, "SystemType", v.system_type);
  Put(j, "Owner", v.owner);
  Put(j, "RuntimeId", v.runtime_id);
  Put(j, "State", v.state);
  Put(j, "Stopped", v.stopped);
  Put(j, "ExitType", v.exit_type);
  Put(j, "ProcessList", v.process_list);
}
void ReadValue(const json& j, Properties& v) {
  ExpectObject(j);
  Field(j, "Id", v.id);
  Field(j, "SystemType", v.system_type);
  Field(j, "Owner", v.owner);
  Field(j, "RuntimeId", v.runtime_id);
  Field(j, "State", v.state);
  Field(j, "Stopped", v.stopped);
  Field(j, "ExitType", v.exit_type);
  Field(j, "ProcessList", v.process_list);
}
WINSNAP_FROM_JSON(Properties)

void to_json(json& j, const ProcessStatus& v) {
  j = json::object();
  Put(j, "ProcessId", v.process_id);
  Put(j, "Exited", v.exited);
  Put(j, "ExitCode", v.exit_code);
  Put(j, "LastWaitResult", v.last_wait_result);
}
void ReadValue(const json& j, ProcessStatus& v) {
  ExpectObject(j);
  Field(j, "ProcessId", v.process_id);
  Field(j, "Exited", v.exited);
  Field(j, "ExitCode", v.exit_code);
  Field(j, "LastWaitResult", v.last_wait_result);
}
WINSNAP_FROM_JSON(ProcessStatus)

#undef WINSNAP_FROM_JSON

std::string ToJsonString(const ComputeSystem& doc) { return json(doc).dump(); }
std::string ToJsonString(const ProcessParameters& params) {
  return json(params).dump();
}
std::string ToJsonString(const PropertyQuery& query) {
  return json(query).dump();
}

namespace {

template <typename T>
StatusOr<T> ParseText(std::string_view what, std::string_view text) {
  return json_util::Guard<T>(what, [&] {
    json j = json::parse(text);
    T v;
    ReadValue(j, v);
    return v;
  });
}

}  // namespace

StatusOr<ComputeSystem> ParseComputeSystem(std::string_view text) {
  return ParseText<ComputeSystem>("HCS ComputeSystem document", text);
}
StatusOr<ProcessParameters> ParseProcessParameters(std::string_view text) {
  return ParseText<ProcessParameters>("HCS ProcessParameters document", text);
}
StatusOr<Properties> ParseProperties(std::string_view text) {
  return ParseText<Properties>("HCS Properties document", text);
}
StatusOr<ProcessStatus> ParseProcessStatus(std::string_view text) {
  return ParseText<ProcessStatus>("HCS ProcessStatus document", text);
}

}  // namespace winsnap::hcs::schema
