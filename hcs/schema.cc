// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "hcs/schema.h"

#include "base/gojson.h"
#include "hcs/json_util.h"

namespace winsnap::hcs::schema {

using json_util::Omitempty;
using nlohmann::json;

namespace {

// Every schema field is omitempty (schema.h), in hcsshim's field order.
constexpr auto Fields(const Version*) {
  return std::tuple{Omitempty("Major", &Version::major),
                    Omitempty("Minor", &Version::minor)};
}
constexpr auto Fields(const Layer*) {
  return std::tuple{Omitempty("Id", &Layer::id),
                    Omitempty("Path", &Layer::path),
                    Omitempty("PathType", &Layer::path_type),
                    Omitempty("Cache", &Layer::cache)};
}
constexpr auto Fields(const StorageQoS*) {
  return std::tuple{
      Omitempty("IopsMaximum", &StorageQoS::iops_maximum),
      Omitempty("BandwidthMaximum", &StorageQoS::bandwidth_maximum)};
}
constexpr auto Fields(const Storage*) {
  return std::tuple{Omitempty("Layers", &Storage::layers),
                    Omitempty("Path", &Storage::path),
                    Omitempty("QoS", &Storage::qos)};
}
constexpr auto Fields(const MappedDirectory*) {
  using M = MappedDirectory;
  return std::tuple{Omitempty("HostPath", &M::host_path),
                    Omitempty("HostPathType", &M::host_path_type),
                    Omitempty("ContainerPath", &M::container_path),
                    Omitempty("ReadOnly", &M::read_only)};
}
constexpr auto Fields(const MappedPipe*) {
  return std::tuple{
      Omitempty("ContainerPipeName", &MappedPipe::container_pipe_name),
      Omitempty("HostPath", &MappedPipe::host_path),
      Omitempty("HostPathType", &MappedPipe::host_path_type)};
}
constexpr auto Fields(const Memory*) {
  return std::tuple{Omitempty("SizeInMB", &Memory::size_in_mb)};
}
constexpr auto Fields(const Processor*) {
  return std::tuple{Omitempty("Count", &Processor::count),
                    Omitempty("Maximum", &Processor::maximum),
                    Omitempty("Weight", &Processor::weight)};
}
constexpr auto Fields(const Networking*) {
  using N = Networking;
  return std::tuple{
      Omitempty("AllowUnqualifiedDnsQuery", &N::allow_unqualified_dns_query),
      Omitempty("DnsSearchList", &N::dns_search_list),
      Omitempty("NetworkSharedContainerName",
                &N::network_shared_container_name),
      Omitempty("Namespace", &N::name_space),
      Omitempty("NetworkAdapters", &N::network_adapters)};
}
constexpr auto Fields(const GuestOs*) {
  return std::tuple{Omitempty("HostName", &GuestOs::host_name)};
}
constexpr auto Fields(const RegistryKey*) {
  return std::tuple{Omitempty("Hive", &RegistryKey::hive),
                    Omitempty("Name", &RegistryKey::name),
                    Omitempty("Volatile", &RegistryKey::volatile_)};
}
constexpr auto Fields(const RegistryValue*) {
  using R = RegistryValue;
  return std::tuple{Omitempty("Key", &R::key),
                    Omitempty("Name", &R::name),
                    Omitempty("Type", &R::type),
                    Omitempty("StringValue", &R::string_value),
                    Omitempty("BinaryValue", &R::binary_value),
                    Omitempty("DWordValue", &R::dword_value),
                    Omitempty("QWordValue", &R::qword_value)};
}
constexpr auto Fields(const RegistryChanges*) {
  return std::tuple{Omitempty("AddValues", &RegistryChanges::add_values),
                    Omitempty("DeleteKeys", &RegistryChanges::delete_keys)};
}
constexpr auto Fields(const Container*) {
  using C = Container;
  return std::tuple{Omitempty("GuestOs", &C::guest_os),
                    Omitempty("Storage", &C::storage),
                    Omitempty("MappedDirectories", &C::mapped_directories),
                    Omitempty("MappedPipes", &C::mapped_pipes),
                    Omitempty("Memory", &C::memory),
                    Omitempty("Processor", &C::processor),
                    Omitempty("Networking", &C::networking),
                    Omitempty("RegistryChanges", &C::registry_changes)};
}
constexpr auto Fields(const ComputeSystem*) {
  using C = ComputeSystem;
  return std::tuple{Omitempty("Owner", &C::owner),
                    Omitempty("SchemaVersion", &C::schema_version),
                    Omitempty("HostingSystemId", &C::hosting_system_id),
                    Omitempty("Container", &C::container),
                    Omitempty("ShouldTerminateOnLastHandleClosed",
                              &C::should_terminate_on_last_handle_closed)};
}
constexpr auto Fields(const ProcessParameters*) {
  using P = ProcessParameters;
  return std::tuple{Omitempty("ApplicationName", &P::application_name),
                    Omitempty("CommandLine", &P::command_line),
                    Omitempty("CommandArgs", &P::command_args),
                    Omitempty("User", &P::user),
                    Omitempty("WorkingDirectory", &P::working_directory),
                    Omitempty("Environment", &P::environment),
                    Omitempty("RestrictedToken", &P::restricted_token),
                    Omitempty("EmulateConsole", &P::emulate_console),
                    Omitempty("CreateStdInPipe", &P::create_std_in_pipe),
                    Omitempty("CreateStdOutPipe", &P::create_std_out_pipe),
                    Omitempty("CreateStdErrPipe", &P::create_std_err_pipe),
                    Omitempty("ConsoleSize", &P::console_size),
                    Omitempty("UseExistingLogin", &P::use_existing_login),
                    Omitempty("UseLegacyConsole", &P::use_legacy_console)};
}
constexpr auto Fields(const PropertyQuery*) {
  return std::tuple{Omitempty("PropertyTypes", &PropertyQuery::property_types)};
}
constexpr auto Fields(const ProcessDetails*) {
  return std::tuple{Omitempty("ProcessId", &ProcessDetails::process_id),
                    Omitempty("ImageName", &ProcessDetails::image_name)};
}
constexpr auto Fields(const Properties*) {
  using P = Properties;
  return std::tuple{Omitempty("Id", &P::id),
                    Omitempty("SystemType", &P::system_type),
                    Omitempty("Owner", &P::owner),
                    Omitempty("RuntimeId", &P::runtime_id),
                    Omitempty("State", &P::state),
                    Omitempty("Stopped", &P::stopped),
                    Omitempty("ExitType", &P::exit_type),
                    Omitempty("ProcessList", &P::process_list)};
}
constexpr auto Fields(const ProcessStatus*) {
  using P = ProcessStatus;
  return std::tuple{Omitempty("ProcessId", &P::process_id),
                    Omitempty("Exited", &P::exited),
                    Omitempty("ExitCode", &P::exit_code),
                    Omitempty("LastWaitResult", &P::last_wait_result)};
}

// Checks beyond the field types; the default has none.
void Validate(const void*) {}
void Validate(const ProcessParameters* v) {
  if (!v->console_size.empty() && v->console_size.size() != 2) {
    throw json_util::SchemaError(
        "ConsoleSize", "expected [height, width], got " +
                           std::to_string(v->console_size.size()) + " numbers");
  }
}

}  // namespace

// to_json, ReadValue and from_json of each type, from its field list.
#define WINSNAP_HCS_FIELDS_JSON(T)            \
  void to_json(json& j, const T& v) {         \
    json_util::WriteFields(j, v, Fields(&v)); \
  }                                           \
  void ReadValue(const json& j, T& v) {       \
    json_util::ReadFields(j, v, Fields(&v));  \
    Validate(&v);                             \
  }                                           \
  void from_json(const json& j, T& v) { ReadValue(j, v); }
WINSNAP_HCS_FIELDS_JSON(Version)
WINSNAP_HCS_FIELDS_JSON(Layer)
WINSNAP_HCS_FIELDS_JSON(StorageQoS)
WINSNAP_HCS_FIELDS_JSON(Storage)
WINSNAP_HCS_FIELDS_JSON(MappedDirectory)
WINSNAP_HCS_FIELDS_JSON(MappedPipe)
WINSNAP_HCS_FIELDS_JSON(Memory)
WINSNAP_HCS_FIELDS_JSON(Processor)
WINSNAP_HCS_FIELDS_JSON(Networking)
WINSNAP_HCS_FIELDS_JSON(GuestOs)
WINSNAP_HCS_FIELDS_JSON(RegistryKey)
WINSNAP_HCS_FIELDS_JSON(RegistryValue)
WINSNAP_HCS_FIELDS_JSON(RegistryChanges)
WINSNAP_HCS_FIELDS_JSON(Container)
WINSNAP_HCS_FIELDS_JSON(ComputeSystem)
WINSNAP_HCS_FIELDS_JSON(ProcessParameters)
WINSNAP_HCS_FIELDS_JSON(PropertyQuery)
WINSNAP_HCS_FIELDS_JSON(ProcessDetails)
WINSNAP_HCS_FIELDS_JSON(Properties)
WINSNAP_HCS_FIELDS_JSON(ProcessStatus)
#undef WINSNAP_HCS_FIELDS_JSON

std::string ToJsonString(const ComputeSystem& doc) {
  return base::GoMarshal(json(doc));
}
std::string ToJsonString(const ProcessParameters& params) {
  return base::GoMarshal(json(params));
}
std::string ToJsonString(const PropertyQuery& query) {
  return base::GoMarshal(json(query));
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
