// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Linux backend's pure translations (no root needed): Windows-style
// paths and users, HCS ProcessParameters -> OCI process, HCS document ->
// runc bundle config; and the Linux LayerService checks.

#include "hcs/runc_linux.h"

#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "hcs/command_line.h"
#include "hcs/compute_service.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::hcs::linux_backend {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;
using json = nlohmann::json;

TEST(RuncSpecTest, WindowsPathsBecomeRootedLinuxPaths) {
  EXPECT_EQ(LinuxPathFromWindows("C:\\"), "/");
  EXPECT_EQ(LinuxPathFromWindows("C:"), "/");
  EXPECT_EQ(LinuxPathFromWindows("c:\\work dir\\sub"), "/work dir/sub");
  EXPECT_EQ(LinuxPathFromWindows("\\data"), "/data");
  EXPECT_EQ(LinuxPathFromWindows("/already/linux"), "/already/linux");
  EXPECT_EQ(LinuxPathFromWindows(""), "");
  EXPECT_EQ(LinuxPathFromWindows("relative\\x"), "relative/x");
}

TEST(RuncSpecTest, ProcessFromHcsSplitsTheCommandLine) {
  schema::ProcessParameters p;
  p.command_line = JoinCommandLine({"sh", "-c", "echo \"a b\" \\"});
  p.working_directory = "C:\\";
  p.environment = {{"A", "1"}};
  ASSERT_OK_AND_ASSIGN(json j, OciProcessFromHcs(p, "/nonexistent"));
  EXPECT_EQ(j["args"], json({"sh", "-c", "echo \"a b\" \\"}));
  EXPECT_EQ(j["cwd"], "/");
  EXPECT_EQ(j["env"],
            json({"A=1",
                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/"
                  "sbin:/bin"}));
  EXPECT_EQ(j["user"], json({{"uid", 0}, {"gid", 0}}));
  EXPECT_FALSE(j["terminal"].get<bool>());
  EXPECT_FALSE(j.contains("consoleSize"));
  EXPECT_TRUE(j["noNewPrivileges"].get<bool>());
}

TEST(RuncSpecTest, ProcessFromHcsPrefersCommandArgsAndKeepsPath) {
  schema::ProcessParameters p;
  p.command_line = "ignored";
  p.command_args = {"/bin/true"};
  p.environment = {{"PATH", "/only"}};
  p.emulate_console = true;
  p.console_size = {30, 100};
  ASSERT_OK_AND_ASSIGN(json j, OciProcessFromHcs(p, "/nonexistent"));
  EXPECT_EQ(j["args"], json({"/bin/true"}));
  EXPECT_EQ(j["env"], json({"PATH=/only"}));
  EXPECT_TRUE(j["terminal"].get<bool>());
  EXPECT_EQ(j["consoleSize"], json({{"height", 30}, {"width", 100}}));
}

TEST(RuncSpecTest, UsersComeFromNumbersOrTheImagesPasswd) {
  TempDir dir;
  ASSERT_EQ(::mkdir(dir.Sub("etc").c_str(), 0755), 0);
  std::ofstream(dir.Sub("etc/passwd"))
      << "root:x:0:0:root:/root:/bin/sh\n"
      << "broken line\n"
      << "tester:x:1000:1001::/home/tester:/bin/sh\n";
  schema::ProcessParameters p;
  p.command_line = "id";
  auto user_of = [&](const std::string& u) -> StatusOr<json> {
    p.user = u;
    WINSNAP_ASSIGN_OR_RETURN(json j, OciProcessFromHcs(p, dir.path()));
    return j["user"];
  };
  EXPECT_THAT(*user_of("tester"), json({{"uid", 1000}, {"gid", 1001}}));
  EXPECT_THAT(*user_of("1000"), json({{"uid", 1000}, {"gid", 1001}}));
  EXPECT_THAT(*user_of("42"), json({{"uid", 42}, {"gid", 0}}));
  EXPECT_THAT(*user_of("5:6"), json({{"uid", 5}, {"gid", 6}}));
  EXPECT_THAT(*user_of("ContainerAdministrator"),
              json({{"uid", 0}, {"gid", 0}}));
  EXPECT_THAT(user_of("ContainerUser"),
              StatusIs(StatusCode::kInvalidArgument, "ContainerUser"));
  EXPECT_THAT(user_of("a:b"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(RuncSpecTest, ProcessFromHcsRejectsNothingToRunAndRelativeCwd) {
  schema::ProcessParameters p;
  EXPECT_THAT(OciProcessFromHcs(p, "/"),
              StatusIs(StatusCode::kInvalidArgument, "empty command line"));
  p.command_line = "x";
  p.working_directory = "relative";
  EXPECT_THAT(OciProcessFromHcs(p, "/"),
              StatusIs(StatusCode::kInvalidArgument, "not absolute"));
}

schema::ComputeSystem Doc() {
  schema::ComputeSystem d;
  d.owner = "winsnap";
  schema::Container& c = d.container.emplace();
  c.storage.emplace().layers.push_back({"id", "/l/1", "", ""});
  c.storage->path = "/s";
  return d;
}

TEST(RuncSpecTest, ConfigHasNamespacesMountsAndHostname) {
  schema::ComputeSystem d = Doc();
  d.container->guest_os = schema::GuestOs{"box"};
  d.container->mapped_directories.push_back({"/host/ro", "", "C:\\data", true});
  d.container->mapped_directories.push_back({"/host/rw", "", "/rw", false});
  ASSERT_OK_AND_ASSIGN(json c,
                       RuncConfigFromHcs(d, "c1", json{{"args", {"sh"}}},
                                         BundleOptions{"/s/rootfs", false, 4}));
  EXPECT_EQ(c["root"]["path"], "/s/rootfs");
  EXPECT_EQ(c["hostname"], "box");
  EXPECT_EQ(c["process"]["args"], json({"sh"}));
  std::vector<std::string> ns;
  for (const json& n : c["linux"]["namespaces"]) ns.push_back(n["type"]);
  EXPECT_THAT(ns, ElementsAre("pid", "ipc", "uts", "mount"));  // host network
  std::vector<std::string> dests;
  for (const json& m : c["mounts"]) dests.push_back(m["destination"]);
  EXPECT_THAT(dests, ElementsAre("/proc", "/dev", "/dev/pts", "/dev/shm",
                                 "/dev/mqueue", "/sys", "/data", "/rw"));
  EXPECT_EQ(c["mounts"][6]["source"], "/host/ro");
  EXPECT_EQ(c["mounts"][6]["options"], json({"rbind", "ro"}));
  EXPECT_EQ(c["mounts"][7]["options"], json({"rbind", "rw"}));
}

TEST(RuncSpecTest, NetworkNamespaceChoices) {
  schema::ComputeSystem d = Doc();
  ASSERT_OK_AND_ASSIGN(json c, RuncConfigFromHcs(d, "c", json::object(),
                                                 BundleOptions{"/r", true, 1}));
  EXPECT_EQ(c["linux"]["namespaces"].back(), json({{"type", "network"}}));
  d.container->networking.emplace().name_space = "/var/run/netns/x";
  ASSERT_OK_AND_ASSIGN(c, RuncConfigFromHcs(d, "c", json::object(),
                                            BundleOptions{"/r", false, 1}));
  EXPECT_EQ(c["linux"]["namespaces"].back(),
            json({{"type", "network"}, {"path", "/var/run/netns/x"}}));
  d.container->networking->name_space = "6e1f4c2a-hns-guid";  // Windows HNS id
  ASSERT_OK_AND_ASSIGN(c, RuncConfigFromHcs(d, "c", json::object(),
                                            BundleOptions{"/r", false, 1}));
  EXPECT_EQ(c["linux"]["namespaces"].size(), 4u);
}

TEST(RuncSpecTest, ResourcesMapOntoCgroupLimits) {
  schema::ComputeSystem d = Doc();
  d.container->memory = schema::Memory{256};
  d.container->processor = schema::Processor{8, 0, 0};
  ASSERT_OK_AND_ASSIGN(
      json c,
      RuncConfigFromHcs(d, "c", json::object(), BundleOptions{"/r", false, 2}));
  EXPECT_EQ(c["linux"]["resources"]["memory"]["limit"], 256ll * 1024 * 1024);
  EXPECT_EQ(c["linux"]["resources"]["cpu"]["cpus"], "0-1");  // capped to host
  d.container->processor = schema::Processor{0, 5000, 0};
  ASSERT_OK_AND_ASSIGN(c, RuncConfigFromHcs(d, "c", json::object(),
                                            BundleOptions{"/r", false, 4}));
  EXPECT_EQ(c["linux"]["resources"]["cpu"]["quota"], 200000);  // half of 4 cpus
  EXPECT_EQ(c["linux"]["resources"]["cpu"]["period"], 100000);
  d.container->processor = schema::Processor{0, 0, 200};
  ASSERT_OK_AND_ASSIGN(c, RuncConfigFromHcs(d, "c", json::object(),
                                            BundleOptions{"/r", false, 4}));
  EXPECT_EQ(c["linux"]["resources"]["cpu"]["shares"], 2048);
}

TEST(RuncSpecTest, RejectsWhatLinuxCannotHonour) {
  schema::ComputeSystem d = Doc();
  d.container->mapped_pipes.push_back({"p", "\\\\.\\pipe\\p", ""});
  EXPECT_THAT(RuncConfigFromHcs(d, "c", json::object(), BundleOptions{}),
              StatusIs(StatusCode::kInvalidArgument, "MappedPipes"));
  d = Doc();
  d.container->mapped_directories.push_back({"D:\\host", "", "C:\\d", false});
  EXPECT_THAT(RuncConfigFromHcs(d, "c", json::object(), BundleOptions{}),
              StatusIs(StatusCode::kInvalidArgument, "must be absolute"));
  EXPECT_THAT(RuncConfigFromHcs(schema::ComputeSystem{}, "c", json::object(),
                                BundleOptions{}),
              StatusIs(StatusCode::kInvalidArgument, "no Container"));
}

TEST(RuncSpecTest, LongIdsAreCutToAValidHostname) {
  ASSERT_OK_AND_ASSIGN(
      json c, RuncConfigFromHcs(Doc(), std::string(100, 'a'), json::object(),
                                BundleOptions{}));
  EXPECT_EQ(c["hostname"].get<std::string>().size(), 63u);
}

TEST(LinuxLayerServiceTest, MountScratchChecksFoldersAndReturnsTheScratch) {
  TempDir dir;
  ASSERT_EQ(::mkdir(dir.Sub("base").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(dir.Sub("base/Files").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(dir.Sub("nofiles").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(dir.Sub("scratch").c_str(), 0755), 0);
  ASSERT_OK_AND_ASSIGN(auto layers, NewLayerService());
  ASSERT_OK_AND_ASSIGN(
      std::string path,
      MountScratch(*layers, dir.Sub("scratch"), {dir.Sub("base")}));
  EXPECT_EQ(path, dir.Sub("scratch"));
  struct stat st;
  EXPECT_EQ(::stat(dir.Sub("scratch/Files").c_str(), &st), 0);
  EXPECT_OK(UnmountScratch(*layers, dir.Sub("scratch")));
  EXPECT_THAT(MountScratch(*layers, dir.Sub("scratch"),
                           {dir.Sub("base"), dir.Sub("nofiles")}),
              StatusIs(StatusCode::kInvalidArgument, dir.Sub("nofiles")));
  EXPECT_THAT(MountScratch(*layers, dir.Sub("missing"), {dir.Sub("base")}),
              StatusIs(StatusCode::kNotFound, "missing"));
  ASSERT_OK_AND_ASSIGN(std::string id, layers->LayerId("/x/snapshots/4"));
  EXPECT_EQ(id, "277fffcd-d6b2-57ac-bcc8-f5c9a113adc2");  // stand-in of "4"
}

}  // namespace
}  // namespace winsnap::hcs::linux_backend
