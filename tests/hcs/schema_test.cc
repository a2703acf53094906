// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// HCS schema v2 JSON: exact key names, Go omitempty behaviour, strict parsing
// with JSON paths in errors, and hostile input (truncation, byte flips, deep
// nesting) that must give InvalidArgument, never a crash or a throw.

#include "hcs/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <random>
#include <string>

#include "tests/testutil/status_matchers.h"

namespace winsnap::hcs::schema {
namespace {

using ::testing::HasSubstr;
using ::winsnap::testing::StatusIs;
using json = nlohmann::json;

ComputeSystem FullDocument() {
  ComputeSystem d;
  d.owner = "winsnap";
  d.schema_version = SchemaV21();
  d.hosting_system_id = "uvm1";
  d.should_terminate_on_last_handle_closed = true;
  Container& c = d.container.emplace();
  c.guest_os = GuestOs{"box"};
  Storage& s = c.storage.emplace();
  s.layers.push_back(Layer{"11111111-2222-5333-8444-555555555555", "C:\\l\\top",
                           "AbsolutePath", "Enabled"});
  s.path = "\\\\?\\Volume{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}\\";
  s.qos = StorageQoS{100, 2000};
  c.mapped_directories.push_back(
      MappedDirectory{"C:\\host", "AbsolutePath", "C:\\data", true});
  c.mapped_pipes.push_back(MappedPipe{
      "docker_engine", "\\\\.\\pipe\\docker_engine", "AbsolutePath"});
  c.memory = Memory{512};
  c.processor = Processor{2, 5000, 100};
  Networking& n = c.networking.emplace();
  n.allow_unqualified_dns_query = true;
  n.dns_search_list = "a.example,b.example";
  n.network_shared_container_name = "other";
  n.name_space = "ns-guid";
  n.network_adapters = {"eth0"};
  RegistryValue v;
  v.key = RegistryKey{"System", "ControlSet001\\Control", true};
  v.name = "N";
  v.type = "DWord";
  v.string_value = "s";
  v.binary_value = "AAE=";
  v.dword_value = 7;
  v.qword_value = 1ll << 40;
  c.registry_changes =
      RegistryChanges{{v}, {RegistryKey{"Software", "K", false}}};
  return d;
}

TEST(SchemaTest, EmptyDocumentSerializesToEmptyObject) {
  EXPECT_EQ(ToJsonString(ComputeSystem{}), "{}");
  EXPECT_EQ(ToJsonString(ProcessParameters{}), "{}");
}

TEST(SchemaTest, PresentEmptyObjectsAreKeptLikeGoPointers) {
  ComputeSystem d;
  d.container.emplace().processor.emplace();
  EXPECT_EQ(ToJsonString(d), R"({"Container":{"Processor":{}}})");
}

TEST(SchemaTest, KeyNamesAreHcsSchemaNames) {
  json want = json::parse(R"({
    "Owner": "winsnap",
    "SchemaVersion": {"Major": 2, "Minor": 1},
    "HostingSystemId": "uvm1",
    "ShouldTerminateOnLastHandleClosed": true,
    "Container": {
      "GuestOs": {"HostName": "box"},
      "Storage": {
        "Layers": [{"Id": "11111111-2222-5333-8444-555555555555",
                    "Path": "C:\\l\\top", "PathType": "AbsolutePath",
                    "Cache": "Enabled"}],
        "Path": "\\\\?\\Volume{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}\\",
        "QoS": {"IopsMaximum": 100, "BandwidthMaximum": 2000}
      },
      "MappedDirectories": [{"HostPath": "C:\\host",
                             "HostPathType": "AbsolutePath",
                             "ContainerPath": "C:\\data", "ReadOnly": true}],
      "MappedPipes": [{"ContainerPipeName": "docker_engine",
                       "HostPath": "\\\\.\\pipe\\docker_engine",
                       "HostPathType": "AbsolutePath"}],
      "Memory": {"SizeInMB": 512},
      "Processor": {"Count": 2, "Maximum": 5000, "Weight": 100},
      "Networking": {"AllowUnqualifiedDnsQuery": true,
                     "DnsSearchList": "a.example,b.example",
                     "NetworkSharedContainerName": "other",
                     "Namespace": "ns-guid", "NetworkAdapters": ["eth0"]},
      "RegistryChanges": {
        "AddValues": [{"Key": {"Hive": "System",
                               "Name": "ControlSet001\\Control",
                               "Volatile": true},
                       "Name": "N", "Type": "DWord", "StringValue": "s",
                       "BinaryValue": "AAE=", "DWordValue": 7,
                       "QWordValue": 1099511627776}],
        "DeleteKeys": [{"Hive": "Software", "Name": "K"}]
      }
    }
  })");
  EXPECT_EQ(json::parse(ToJsonString(FullDocument())), want);
}

TEST(SchemaTest, ComputeSystemRoundTrips) {
  ComputeSystem d = FullDocument();
  ASSERT_OK_AND_ASSIGN(ComputeSystem back, ParseComputeSystem(ToJsonString(d)));
  EXPECT_EQ(back, d);
}

TEST(SchemaTest, ProcessParametersKeyNamesAndRoundTrip) {
  ProcessParameters p;
  p.application_name = "app";
  p.command_line = "cmd /c dir";
  p.command_args = {"a"};
  p.user = "ContainerUser";
  p.working_directory = "C:\\";
  p.environment = {{"A", "1"}, {"PATH", "C:\\Windows"}};
  p.restricted_token = true;
  p.emulate_console = true;
  p.create_std_in_pipe = true;
  p.create_std_out_pipe = true;
  p.create_std_err_pipe = true;
  p.console_size = {25, 80};
  p.use_existing_login = true;
  p.use_legacy_console = true;
  json want = json::parse(R"({
    "ApplicationName": "app", "CommandLine": "cmd /c dir", "CommandArgs": ["a"],
    "User": "ContainerUser", "WorkingDirectory": "C:\\",
    "Environment": {"A": "1", "PATH": "C:\\Windows"}, "RestrictedToken": true,
    "EmulateConsole": true, "CreateStdInPipe": true, "CreateStdOutPipe": true,
    "CreateStdErrPipe": true, "ConsoleSize": [25, 80],
    "UseExistingLogin": true, "UseLegacyConsole": true})");
  EXPECT_EQ(json::parse(ToJsonString(p)), want);
  ASSERT_OK_AND_ASSIGN(ProcessParameters back,
                       ParseProcessParameters(ToJsonString(p)));
  EXPECT_EQ(back, p);
}

TEST(SchemaTest, UnknownKeysAreIgnored) {
  ASSERT_OK_AND_ASSIGN(
      ComputeSystem d,
      ParseComputeSystem(R"({"Owner":"o","VirtualMachine":{"Chipset":{}},
                             "Container":{"HvSocket":{},"Storage":{"Path":"p"}}})"));
  EXPECT_EQ(d.owner, "o");
  EXPECT_EQ(d.container->storage->path, "p");
}

TEST(SchemaTest, WrongTypesNameTheJsonPath) {
  EXPECT_THAT(
      ParseComputeSystem(
          R"({"Container":{"Storage":{"Layers":[{"Id":"x"},{"Id":5}]}}})"),
      StatusIs(
          StatusCode::kInvalidArgument,
          "Container.Storage.Layers[1].Id: expected a string, got number"));
  EXPECT_THAT(
      ParseComputeSystem(R"({"ShouldTerminateOnLastHandleClosed":1})"),
      StatusIs(StatusCode::kInvalidArgument,
               "ShouldTerminateOnLastHandleClosed: expected a boolean"));
  EXPECT_THAT(
      ParseComputeSystem(R"({"Container":{"Processor":{"Count":1.5}}})"),
      StatusIs(StatusCode::kInvalidArgument,
               "Container.Processor.Count: expected an integer"));
  EXPECT_THAT(
      ParseComputeSystem(R"({"Container":{"Processor":{"Count":true}}})"),
      StatusIs(StatusCode::kInvalidArgument, "expected an integer"));
  EXPECT_THAT(ParseComputeSystem(R"({"Container":{"MappedDirectories":{}}})"),
              StatusIs(StatusCode::kInvalidArgument,
                       "Container.MappedDirectories: expected an array"));
  EXPECT_THAT(ParseProcessParameters(R"({"Environment":{"A":1}})"),
              StatusIs(StatusCode::kInvalidArgument, "Environment.A"));
}

TEST(SchemaTest, IntegersOutOfRangeAreRejected) {
  EXPECT_THAT(
      ParseComputeSystem(R"({"Container":{"Processor":{"Count":4294967296}}})"),
      StatusIs(StatusCode::kInvalidArgument, "out of range"));
  EXPECT_THAT(ParseComputeSystem(
                  R"({"Container":{"Processor":{"Weight":-2147483649}}})"),
              StatusIs(StatusCode::kInvalidArgument, "out of range"));
  EXPECT_THAT(ParseComputeSystem(R"({"Container":{"Memory":{"SizeInMB":-1}}})"),
              StatusIs(StatusCode::kInvalidArgument, "must not be negative"));
  ASSERT_OK_AND_ASSIGN(
      ComputeSystem d,
      ParseComputeSystem(
          R"({"Container":{"Processor":{"Weight":-2147483648}}})"));
  EXPECT_EQ(d.container->processor->weight, INT32_MIN);
}

TEST(SchemaTest, ConsoleSizeMustBeHeightAndWidth) {
  EXPECT_THAT(ParseProcessParameters(R"({"ConsoleSize":[1,2,3]})"),
              StatusIs(StatusCode::kInvalidArgument, "ConsoleSize"));
  EXPECT_OK(ParseProcessParameters(R"({"ConsoleSize":[24,80]})"));
}

TEST(SchemaTest, MalformedTextIsInvalidArgument) {
  EXPECT_THAT(ParseComputeSystem(""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseComputeSystem("[]"),
              StatusIs(StatusCode::kInvalidArgument, "expected an object"));
  EXPECT_THAT(ParseComputeSystem("{\"Owner\":\"a\"} trailing"),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseComputeSystem("{\"Owner\":\"\xff\"}"),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(SchemaTest, EveryTruncationIsRejectedWithoutCrashing) {
  std::string text = ToJsonString(FullDocument());
  for (size_t n = 0; n < text.size(); ++n) {
    EXPECT_THAT(ParseComputeSystem(text.substr(0, n)),
                StatusIs(StatusCode::kInvalidArgument))
        << "prefix of " << n << " bytes";
  }
  EXPECT_OK(ParseComputeSystem(text));
}

TEST(SchemaTest, ByteFlipsGiveOkOrInvalidArgument) {
  std::string text = ToJsonString(FullDocument());
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string t = text;
    t[rng() % t.size()] = static_cast<char>(rng() % 256);
    auto r = ParseComputeSystem(t);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << t;
    }
  }
}

TEST(SchemaTest, DeepNestingDoesNotOverflowTheStack) {
  std::string deep = "{\"Container\":" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  EXPECT_THAT(ParseComputeSystem(deep),
              StatusIs(StatusCode::kInvalidArgument, "Container"));
}

TEST(SchemaTest, ParsesHcsResultDocuments) {
  ASSERT_OK_AND_ASSIGN(
      Properties p,
      ParseProperties(R"({"Id":"c1","SystemType":"Container","Owner":"winsnap",
        "RuntimeId":"6ce1a4d0-0000-0000-0000-000000000000","State":"Running",
        "ProcessList":[{"ProcessId":1234,"ImageName":"cmd.exe",
                        "CreateTimestamp":"2026-01-01T00:00:00Z",
                        "UserTime100ns":5}]})"));
  EXPECT_EQ(p.state, "Running");
  ASSERT_EQ(p.process_list.size(), 1u);
  EXPECT_EQ(p.process_list[0].process_id, 1234u);
  EXPECT_EQ(p.process_list[0].image_name, "cmd.exe");
  ASSERT_OK_AND_ASSIGN(
      ProcessStatus s,
      ParseProcessStatus(
          R"({"ProcessId":1234,"Exited":true,"ExitCode":3221225786})"));
  EXPECT_TRUE(s.exited);
  EXPECT_EQ(s.exit_code, 3221225786u);  // STATUS_CONTROL_C_EXIT
}

}  // namespace
}  // namespace winsnap::hcs::schema
