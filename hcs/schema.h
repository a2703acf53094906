// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// HCS schema v2 documents as plain structs: the ComputeSystem document given
// to HcsCreateComputeSystem for a process-isolated (Argon) container, the
// ProcessParameters given to HcsCreateProcess, and the small documents HCS
// returns (Properties, ProcessStatus). JSON keys are exactly those of
// hcsshim's generated schema (HS internal/hcs/schema2/*.go, summarized in
// hcsshim-facts.md §3); every field is "omitempty" as there: empty strings,
// zeros, false, empty arrays/maps and absent optionals are not written, and a
// present optional object is written even when empty (e.g. "Processor":{}).
// Only the fields winsnap uses are modelled; unknown keys are ignored when
// parsing.
//
// Thread-safety: values; distinct objects may be used from different threads.

#ifndef WINSNAP_HCS_SCHEMA_H_
#define WINSNAP_HCS_SCHEMA_H_

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace winsnap::hcs::schema {

struct Version {
  int32_t major = 0;  // "Major"
  int32_t minor = 0;  // "Minor"
  friend bool operator==(const Version&, const Version&) = default;
};

// The schema version hcsshim uses for v2 containers (schemaversion.SchemaV21).
inline Version SchemaV21() { return Version{2, 1}; }

struct Layer {
  std::string id;         // "Id": layer GUID, see hcs/layer_id.h
  std::string path;       // "Path": layer folder
  std::string path_type;  // "PathType"
  std::string cache;      // "Cache"
  friend bool operator==(const Layer&, const Layer&) = default;
};

struct StorageQoS {
  int32_t iops_maximum = 0;       // "IopsMaximum"
  int32_t bandwidth_maximum = 0;  // "BandwidthMaximum"
  friend bool operator==(const StorageQoS&, const StorageQoS&) = default;
};

struct Storage {
  std::vector<Layer> layers;      // "Layers": read-only parents, topmost first
  std::string path;               // "Path": the scratch volume
  std::optional<StorageQoS> qos;  // "QoS"
  friend bool operator==(const Storage&, const Storage&) = default;
};

struct MappedDirectory {
  std::string host_path;       // "HostPath"
  std::string host_path_type;  // "HostPathType"
  std::string container_path;  // "ContainerPath"
  bool read_only = false;      // "ReadOnly"
  friend bool operator==(const MappedDirectory&,
                         const MappedDirectory&) = default;
};

struct MappedPipe {
  std::string container_pipe_name;  // "ContainerPipeName"
  std::string host_path;            // "HostPath"
  std::string host_path_type;       // "HostPathType"
  friend bool operator==(const MappedPipe&, const MappedPipe&) = default;
};

struct Memory {
  uint64_t size_in_mb = 0;  // "SizeInMB"
  friend bool operator==(const Memory&, const Memory&) = default;
};

struct Processor {
  int32_t count = 0;    // "Count"
  int32_t maximum = 0;  // "Maximum": cycles per 10000
  int32_t weight = 0;   // "Weight"
  friend bool operator==(const Processor&, const Processor&) = default;
};

struct Networking {
  bool allow_unqualified_dns_query = false;   // "AllowUnqualifiedDnsQuery"
  std::string dns_search_list;                // "DnsSearchList": comma-joined
  std::string network_shared_container_name;  // "NetworkSharedContainerName"
  std::string name_space;                     // "Namespace": HNS namespace
  std::vector<std::string> network_adapters;  // "NetworkAdapters"
  friend bool operator==(const Networking&, const Networking&) = default;
};

struct GuestOs {
  std::string host_name;  // "HostName"
  friend bool operator==(const GuestOs&, const GuestOs&) = default;
};

struct RegistryKey {
  std::string hive;        // "Hive": "System", "Software", "Security", "Sam"
  std::string name;        // "Name"
  bool volatile_ = false;  // "Volatile"
  friend bool operator==(const RegistryKey&, const RegistryKey&) = default;
};

struct RegistryValue {
  std::optional<RegistryKey> key;  // "Key"
  std::string name;                // "Name"
  std::string type;                // "Type": "String", "DWord", "QWord", ...
  std::string string_value;        // "StringValue"
  std::string binary_value;        // "BinaryValue"
  int32_t dword_value = 0;         // "DWordValue"
  int64_t qword_value = 0;         // "QWordValue"
  friend bool operator==(const RegistryValue&, const RegistryValue&) = default;
};

struct RegistryChanges {
  std::vector<RegistryValue> add_values;  // "AddValues"
  std::vector<RegistryKey> delete_keys;   // "DeleteKeys"
  friend bool operator==(const RegistryChanges&,
                         const RegistryChanges&) = default;
};

struct Container {
  std::optional<GuestOs> guest_os;                  // "GuestOs"
  std::optional<Storage> storage;                   // "Storage"
  std::vector<MappedDirectory> mapped_directories;  // "MappedDirectories"
  std::vector<MappedPipe> mapped_pipes;             // "MappedPipes"
  std::optional<Memory> memory;                     // "Memory"
  std::optional<Processor> processor;               // "Processor"
  std::optional<Networking> networking;             // "Networking"
  std::optional<RegistryChanges> registry_changes;  // "RegistryChanges"
  friend bool operator==(const Container&, const Container&) = default;
};

struct ComputeSystem {
  std::string owner;                      // "Owner"
  std::optional<Version> schema_version;  // "SchemaVersion"
  std::string hosting_system_id;          // "HostingSystemId"
  std::optional<Container> container;     // "Container"
  // "ShouldTerminateOnLastHandleClosed": HCS terminates the system when the
  // last HCS_SYSTEM handle to it is closed.
  bool should_terminate_on_last_handle_closed = false;
  friend bool operator==(const ComputeSystem&, const ComputeSystem&) = default;
};

struct ProcessParameters {
  std::string application_name;                    // "ApplicationName"
  std::string command_line;                        // "CommandLine"
  std::vector<std::string> command_args;           // "CommandArgs" (LCOW only)
  std::string user;                                // "User"
  std::string working_directory;                   // "WorkingDirectory"
  std::map<std::string, std::string> environment;  // "Environment"
  bool restricted_token = false;                   // "RestrictedToken"
  bool emulate_console = false;                    // "EmulateConsole"
  bool create_std_in_pipe = false;                 // "CreateStdInPipe"
  bool create_std_out_pipe = false;                // "CreateStdOutPipe"
  bool create_std_err_pipe = false;                // "CreateStdErrPipe"
  std::vector<int32_t> console_size;  // "ConsoleSize": [height, width]
  bool use_existing_login = false;    // "UseExistingLogin"
  bool use_legacy_console = false;    // "UseLegacyConsole"
  friend bool operator==(const ProcessParameters&,
                         const ProcessParameters&) = default;
};

// HcsGetComputeSystemProperties query, e.g. {"PropertyTypes":["ProcessList"]}.
struct PropertyQuery {
  std::vector<std::string> property_types;  // "PropertyTypes"
  friend bool operator==(const PropertyQuery&, const PropertyQuery&) = default;
};

struct ProcessDetails {
  uint32_t process_id = 0;  // "ProcessId"
  std::string image_name;   // "ImageName"
  friend bool operator==(const ProcessDetails&,
                         const ProcessDetails&) = default;
};

// Result document of HcsGetComputeSystemProperties.
struct Properties {
  std::string id;           // "Id"
  std::string system_type;  // "SystemType": "Container"
  std::string owner;        // "Owner"
  std::string runtime_id;   // "RuntimeId"
  // "State": "Created", "Running", "Paused", "Stopped" (hcsshim-facts §5).
  std::string state;
  bool stopped = false;                      // "Stopped"
  std::string exit_type;                     // "ExitType"
  std::vector<ProcessDetails> process_list;  // "ProcessList"
  friend bool operator==(const Properties&, const Properties&) = default;
};

// Result document of HcsGetProcessProperties / HcsWaitForProcessExit.
struct ProcessStatus {
  uint32_t process_id = 0;       // "ProcessId"
  bool exited = false;           // "Exited"
  uint32_t exit_code = 0;        // "ExitCode"
  int32_t last_wait_result = 0;  // "LastWaitResult"
  friend bool operator==(const ProcessStatus&, const ProcessStatus&) = default;
};

// nlohmann adapters (so `nlohmann::json j = doc;` works). from_json throws on
// schema violations; outside hcs/ use the Parse* functions below instead.
#define WINSNAP_HCS_SCHEMA_JSON(T)               \
  void to_json(nlohmann::json& j, const T& v);   \
  void from_json(const nlohmann::json& j, T& v); \
  void ReadValue(const nlohmann::json& j, T& v);
WINSNAP_HCS_SCHEMA_JSON(Version)
WINSNAP_HCS_SCHEMA_JSON(Layer)
WINSNAP_HCS_SCHEMA_JSON(StorageQoS)
WINSNAP_HCS_SCHEMA_JSON(Storage)
WINSNAP_HCS_SCHEMA_JSON(MappedDirectory)
WINSNAP_HCS_SCHEMA_JSON(MappedPipe)
WINSNAP_HCS_SCHEMA_JSON(Memory)
WINSNAP_HCS_SCHEMA_JSON(Processor)
WINSNAP_HCS_SCHEMA_JSON(Networking)
WINSNAP_HCS_SCHEMA_JSON(GuestOs)
WINSNAP_HCS_SCHEMA_JSON(RegistryKey)
WINSNAP_HCS_SCHEMA_JSON(RegistryValue)
WINSNAP_HCS_SCHEMA_JSON(RegistryChanges)
WINSNAP_HCS_SCHEMA_JSON(Container)
WINSNAP_HCS_SCHEMA_JSON(ComputeSystem)
WINSNAP_HCS_SCHEMA_JSON(ProcessParameters)
WINSNAP_HCS_SCHEMA_JSON(PropertyQuery)
WINSNAP_HCS_SCHEMA_JSON(ProcessDetails)
WINSNAP_HCS_SCHEMA_JSON(Properties)
WINSNAP_HCS_SCHEMA_JSON(ProcessStatus)
#undef WINSNAP_HCS_SCHEMA_JSON

// Compact JSON text of a document, as handed to the HCS APIs: what Go's
// json.Marshal writes (base::GoMarshal; never throws on invalid UTF-8).
std::string ToJsonString(const ComputeSystem& doc);
std::string ToJsonString(const ProcessParameters& params);
std::string ToJsonString(const PropertyQuery& query);

// Parse HCS JSON text (from a file, a caller or HCS itself). InvalidArgument
// naming the JSON path for malformed text, a non-object or a field of the
// wrong type or range; never throws.
StatusOr<ComputeSystem> ParseComputeSystem(std::string_view text);
StatusOr<ProcessParameters> ParseProcessParameters(std::string_view text);
StatusOr<Properties> ParseProperties(std::string_view text);
StatusOr<ProcessStatus> ParseProcessStatus(std::string_view text);

}  // namespace winsnap::hcs::schema

#endif  // WINSNAP_HCS_SCHEMA_H_
