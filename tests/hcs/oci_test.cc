// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// OCI config.json parsing: field mapping, clear errors with JSON paths for
// malformed configs, opaque sections preserved, hostile input rejected.

#include "hcs/oci.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/testutil/status_matchers.h"

namespace winsnap::hcs::oci {
namespace {

using ::testing::ElementsAre;
using ::winsnap::testing::StatusIs;
using json = nlohmann::json;

constexpr char kFull[] = R"({
  "ociVersion": "1.1.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 30, "width": 100},
    "user": {"uid": 1, "gid": 2, "additionalGids": [3], "username": "u"},
    "args": ["cmd", "/c", "dir"],
    "commandLine": "cmd /c dir",
    "env": ["A=1"],
    "cwd": "C:\\",
    "noNewPrivileges": true,
    "capabilities": {"bounding": ["CAP_KILL"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "h",
  "mounts": [{"destination": "/d", "type": "bind", "source": "/s",
              "options": ["rbind", "ro"]}],
  "annotations": {"k": "v"},
  "windows": {
    "layerFolders": ["C:\\l\\2", "C:\\l\\1", "C:\\l\\3"],
    "resources": {"memory": {"limit": 1024},
                  "cpu": {"count": 1, "shares": 2, "maximum": 3},
                  "storage": {"iops": 4, "bps": 5, "sandboxSize": 6}},
    "network": {"endpointList": ["e"], "allowUnqualifiedDNSQuery": true,
                "DNSSearchList": ["x"], "networkSharedContainerName": "n",
                "networkNamespace": "ns"},
    "hyperv": {"utilityVMPath": "C:\\uvm"},
    "credentialSpec": "spec",
    "servicing": true,
    "ignoreFlushesDuringBoot": true
  },
  "linux": {"namespaces": [{"type": "pid"}]},
  "hooks": {"prestart": []}
})";

TEST(OciTest, ParsesEveryModelledField) {
  ASSERT_OK_AND_ASSIGN(Spec s, ParseSpec(kFull));
  EXPECT_EQ(s.oci_version, "1.1.0");
  ASSERT_TRUE(s.process.has_value());
  EXPECT_TRUE(s.process->terminal);
  EXPECT_EQ(s.process->console_size, (ConsoleSize{30, 100}));
  EXPECT_EQ(s.process->user.uid, 1u);
  EXPECT_EQ(s.process->user.gid, 2u);
  EXPECT_THAT(s.process->user.additional_gids, ElementsAre(3u));
  EXPECT_EQ(s.process->user.username, "u");
  EXPECT_THAT(s.process->args, ElementsAre("cmd", "/c", "dir"));
  EXPECT_EQ(s.process->command_line, "cmd /c dir");
  EXPECT_THAT(s.process->env, ElementsAre("A=1"));
  EXPECT_EQ(s.process->cwd, "C:\\");
  EXPECT_TRUE(s.process->no_new_privileges);
  EXPECT_EQ(s.process->capabilities["bounding"][0], "CAP_KILL");
  EXPECT_EQ(s.root, (Root{"rootfs", true}));
  EXPECT_EQ(s.hostname, "h");
  ASSERT_EQ(s.mounts.size(), 1u);
  EXPECT_EQ(s.mounts[0], (Mount{"/d", "bind", "/s", {"rbind", "ro"}}));
  EXPECT_EQ(s.annotations.at("k"), "v");
  ASSERT_TRUE(s.windows.has_value());
  EXPECT_THAT(s.windows->layer_folders,
              ElementsAre("C:\\l\\2", "C:\\l\\1", "C:\\l\\3"));
  EXPECT_EQ(s.windows->resources->memory->limit, 1024u);
  EXPECT_EQ(s.windows->resources->cpu->count, 1u);
  EXPECT_EQ(s.windows->resources->cpu->shares, 2);
  EXPECT_EQ(s.windows->resources->cpu->maximum, 3);
  EXPECT_EQ(s.windows->resources->storage->sandbox_size, 6u);
  EXPECT_TRUE(s.windows->network->allow_unqualified_dns_query);
  EXPECT_THAT(s.windows->network->dns_search_list, ElementsAre("x"));
  EXPECT_EQ(s.windows->network->network_namespace, "ns");
  EXPECT_EQ(s.windows->hyperv["utilityVMPath"], "C:\\uvm");
  EXPECT_EQ(s.windows->credential_spec, "spec");
  EXPECT_TRUE(s.windows->servicing);
  EXPECT_TRUE(s.windows->ignore_flushes_during_boot);
  EXPECT_EQ(s.linux_section["namespaces"][0]["type"], "pid");
}

TEST(OciTest, WritesBackWhatItRead) {
  ASSERT_OK_AND_ASSIGN(Spec s, ParseSpec(kFull));
  EXPECT_EQ(SpecToJson(s), json::parse(kFull))
      << json::diff(json::parse(kFull), SpecToJson(s)).dump(2);
  ASSERT_OK_AND_ASSIGN(Spec again, SpecFromJson(SpecToJson(s)));
  EXPECT_EQ(again, s);
}

TEST(OciTest, LinuxOnlySpecParses) {
  ASSERT_OK_AND_ASSIGN(Spec s, ParseSpec(R"({"ociVersion":"1.0.2",
      "root":{"path":"rootfs"},"linux":{}})"));
  EXPECT_FALSE(s.windows.has_value());
}

struct BadConfig {
  const char* name;
  const char* text;
  const char* message;
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, IsInvalidArgumentNamingThePath) {
  EXPECT_THAT(ParseSpec(GetParam().text),
              StatusIs(StatusCode::kInvalidArgument, GetParam().message));
}

const BadConfig kBadConfigs[] = {
    BadConfig{"NotJson", "{", "config.json: "},
    BadConfig{"NotObject", "[1]", "config.json: expected an object"},
    BadConfig{"MissingLayerFolders", R"({"windows":{}})",
              "windows.layerFolders: is required: list the image's layer "
              "folders nearest parent first"},
    BadConfig{"NullLayerFolders", R"({"windows":{"layerFolders":null}})",
              "windows.layerFolders: is required"},
    BadConfig{"LayerFoldersNotArray",
              R"({"windows":{"layerFolders":"C:\\l\\1"}})",
              "windows.layerFolders: expected an array, got string"},
    BadConfig{"LayerFolderNotString", R"({"windows":{"layerFolders":["a",7]}})",
              "windows.layerFolders[1]: expected a string, got number"},
    BadConfig{"LayerFoldersEmpty", R"({"windows":{"layerFolders":[]}})",
              "windows.layerFolders: must not be empty"},
    BadConfig{"LayerFolderEmptyString",
              R"({"windows":{"layerFolders":["a",""]}})",
              "windows.layerFolders[1]: must be a folder path"},
    BadConfig{"ArgsNotArray", R"({"process":{"args":"cmd"}})",
              "process.args: expected an array"},
    BadConfig{"EnvEntryNotString", R"({"process":{"env":["A=1",{}]}})",
              "process.env[1]: expected a string, got object"},
    BadConfig{"ConsoleSizeNoWidth",
              R"({"process":{"consoleSize":{"height":1}}})",
              "process.consoleSize.width: is required"},
    BadConfig{"NegativeUid", R"({"process":{"user":{"uid":-1}}})",
              "process.user.uid: integer -1 must not be negative"},
    BadConfig{"SharesTooLarge",
              R"({"windows":{"layerFolders":["a","b"],
                      "resources":{"cpu":{"shares":10001}}}})",
              "windows.resources.cpu.shares: must be 0..10000"},
    BadConfig{"MemoryLimitString",
              R"({"windows":{"layerFolders":["a","b"],
                      "resources":{"memory":{"limit":"1G"}}}})",
              "windows.resources.memory.limit: expected an integer"},
    BadConfig{"MountNoDestination", R"({"mounts":[{"source":"x"}]})",
              "mounts[0].destination: is required"},
    BadConfig{"RootNotObject", R"({"root":"rootfs"})",
              "root: expected an object"},
    BadConfig{"AnnotationNotString", R"({"annotations":{"a":1}})",
              "annotations.a: expected a string"},
    BadConfig{"HostnameNumber", R"({"hostname":5})",
              "hostname: expected a string"},
};

INSTANTIATE_TEST_SUITE_P(Cases, BadConfigTest, ::testing::ValuesIn(kBadConfigs),
                         [](const ::testing::TestParamInfo<BadConfig>& info) {
                           return std::string(info.param.name);
                         });

TEST(OciTest, ParseProcessForExec) {
  ASSERT_OK_AND_ASSIGN(
      Process p, ParseProcess(R"({"args":["sh"],"cwd":"/","terminal":true})"));
  EXPECT_THAT(p.args, ElementsAre("sh"));
  EXPECT_TRUE(p.terminal);
  EXPECT_THAT(ParseProcess(R"({"args":[1]})"),
              StatusIs(StatusCode::kInvalidArgument, "process.json: args[0]"));
  ASSERT_OK_AND_ASSIGN(Process back, ParseProcess(ProcessToJson(p).dump()));
  EXPECT_EQ(back, p);
}

TEST(OciTest, HostileInputNeverCrashes) {
  std::string text = kFull;
  for (size_t n = 0; n < text.size(); n += 3) {
    auto r = ParseSpec(text.substr(0, n));
    EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument)) << n;
  }
  std::mt19937 rng(99);
  for (int i = 0; i < 3000; ++i) {
    std::string t = text;
    t[rng() % t.size()] = static_cast<char>(rng() % 256);
    auto r = ParseSpec(t);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_THAT(ParseSpec("{\"mounts\":" + std::string(50000, '[') + "}"),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace winsnap::hcs::oci
