// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// OCI config.json -> HCS documents. Golden files in testdata/ hold an OCI
// config (<case>.config.json), the HCS ComputeSystem document hcsshim's rules
// give for it (<case>.hcs.json; layer Ids computed independently with
// Python's uuid.uuid5 in the stand-in namespace) and, when the config has a
// process, the ProcessParameters (<case>.process.json). Comparison is by
// parsed JSON; a failure prints an RFC 6902 patch from expected to actual.

#include "hcs/document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "hcs/command_line.h"
#include "hcs/layer_id.h"
#include "tests/testutil/status_matchers.h"

namespace winsnap::hcs {
namespace {

using ::testing::HasSubstr;
using ::winsnap::testing::StatusIs;
using json = nlohmann::json;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(WINSNAP_HCS_TESTDATA) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool TestdataExists(const std::string& name) {
  return std::ifstream(std::string(WINSNAP_HCS_TESTDATA) + "/" + name).good();
}

void ExpectJsonEq(const json& want, const json& got, const std::string& what) {
  EXPECT_EQ(want, got) << what << " differs; patch from expected to actual:\n"
                       << json::diff(want, got).dump(2) << "\nactual:\n"
                       << got.dump(2);
}

oci::Spec MustParse(const std::string& text) {
  StatusOr<oci::Spec> spec = oci::ParseSpec(text);
  EXPECT_OK(spec);
  return spec.ok() ? *spec : oci::Spec{};
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpectedDocuments) {
  const std::string name = GetParam();
  ASSERT_TRUE(TestdataExists(name + ".config.json")) << WINSNAP_HCS_TESTDATA;
  ASSERT_OK_AND_ASSIGN(oci::Spec spec,
                       oci::ParseSpec(ReadTestdata(name + ".config.json")));
  ASSERT_OK_AND_ASSIGN(schema::ComputeSystem doc,
                       ContainerDocumentFromOci(spec, name));
  ExpectJsonEq(json::parse(ReadTestdata(name + ".hcs.json")),
               json::parse(schema::ToJsonString(doc)), name + ".hcs.json");

  if (TestdataExists(name + ".process.json")) {
    ASSERT_TRUE(spec.process.has_value());
    ASSERT_OK_AND_ASSIGN(schema::ProcessParameters params,
                         ProcessDocumentFromOci(*spec.process));
    ExpectJsonEq(json::parse(ReadTestdata(name + ".process.json")),
                 json::parse(schema::ToJsonString(params)),
                 name + ".process.json");
    // Whatever the quoting, Windows must split it back into the OCI args.
    if (spec.process->command_line.empty()) {
      EXPECT_EQ(SplitCommandLine(params.command_line), spec.process->args);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Testdata, GoldenTest,
                         ::testing::Values("one_layer", "two_layers",
                                           "five_layers", "servercore",
                                           "volume_root"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

constexpr char kTwoFolders[] = R"({"windows":{"layerFolders":[
    "C:\\s\\1", "C:\\s\\2"]}})";

TEST(DocumentTest, ServercoreLayerOrderIsKeptAndScratchExcluded) {
  oci::Spec spec = MustParse(R"({"windows":{"layerFolders":[
      "C:\\ProgramData\\winsnap\\snapshots\\24",
      "C:\\ProgramData\\winsnap\\snapshots\\23",
      "C:\\ProgramData\\winsnap\\snapshots\\25"]}})");
  ASSERT_OK_AND_ASSIGN(schema::ComputeSystem doc,
                       ContainerDocumentFromOci(spec, "sc"));
  const schema::Storage& st = *doc.container->storage;
  ASSERT_EQ(st.layers.size(), 2u);
  EXPECT_EQ(st.layers[0].path, "C:\\ProgramData\\winsnap\\snapshots\\24");
  EXPECT_EQ(st.layers[1].path, "C:\\ProgramData\\winsnap\\snapshots\\23");
  EXPECT_EQ(st.layers[0].id, StandInNameToGuid("24").ToString());
  EXPECT_EQ(st.layers[1].id, StandInNameToGuid("23").ToString());
  EXPECT_EQ(st.path, "C:\\ProgramData\\winsnap\\snapshots\\25");
}

TEST(DocumentTest, OptionsOverrideOwnerVolumeIdsAndTermination) {
  oci::Spec spec = MustParse(kTwoFolders);
  ContainerDocumentOptions o;
  o.owner = "runtime";
  o.scratch_volume_path =
      "\\\\?\\Volume{5d5b3b6a-1c2d-4e5f-8a9b-0c1d2e3f4a5b}\\";
  o.terminate_on_last_handle_closed = false;
  std::vector<std::string> asked;
  o.layer_id = [&](std::string_view p) -> StatusOr<std::string> {
    asked.emplace_back(p);
    return std::string("aaaaaaaa-0000-0000-0000-000000000001");
  };
  ASSERT_OK_AND_ASSIGN(schema::ComputeSystem doc,
                       ContainerDocumentFromOci(spec, "c", o));
  EXPECT_EQ(doc.owner, "runtime");
  EXPECT_FALSE(doc.should_terminate_on_last_handle_closed);
  EXPECT_EQ(doc.container->storage->path, o.scratch_volume_path);
  EXPECT_EQ(doc.container->storage->layers[0].id,
            "aaaaaaaa-0000-0000-0000-000000000001");
  EXPECT_THAT(asked, ::testing::ElementsAre("C:\\s\\1"));  // never the scratch
}

TEST(DocumentTest, LayerIdErrorsPropagate) {
  oci::Spec spec = MustParse(kTwoFolders);
  ContainerDocumentOptions o;
  o.layer_id = [](std::string_view) -> StatusOr<std::string> {
    return UnavailableError("vmcompute.dll missing");
  };
  EXPECT_THAT(ContainerDocumentFromOci(spec, "c", o),
              StatusIs(StatusCode::kUnavailable, "vmcompute.dll missing"));
}

TEST(DocumentTest, CpuCountIsCappedWhenAsked) {
  oci::Spec spec = MustParse(R"({"windows":{"layerFolders":["a\\1","a\\2"],
      "resources":{"cpu":{"count":64}}}})");
  ContainerDocumentOptions o;
  o.max_processor_count = 4;
  ASSERT_OK_AND_ASSIGN(schema::ComputeSystem doc,
                       ContainerDocumentFromOci(spec, "c", o));
  EXPECT_EQ(doc.container->processor->count, 4);
  ASSERT_OK_AND_ASSIGN(doc, ContainerDocumentFromOci(spec, "c"));
  EXPECT_EQ(doc.container->processor->count, 64);
}

TEST(DocumentTest, VolumeGuidPaths) {
  EXPECT_TRUE(IsVolumeGuidPath(
      "\\\\?\\Volume{5d5b3b6a-1c2d-4e5f-8a9b-0c1d2e3f4a5b}\\"));
  EXPECT_TRUE(
      IsVolumeGuidPath("\\\\?\\volume{5D5B3B6A-1C2D-4E5F-8A9B-0C1D2E3F4A5B}"));
  EXPECT_FALSE(IsVolumeGuidPath("\\\\?\\Volume{5d5b3b6a}\\"));
  EXPECT_FALSE(IsVolumeGuidPath(
      "\\\\?\\Volume{5d5b3b6a-1c2d-4e5f-8a9b-0c1d2e3f4a5b}\\x"));
  EXPECT_FALSE(IsVolumeGuidPath("rootfs"));
  EXPECT_FALSE(IsVolumeGuidPath(""));
}

struct BadCase {
  const char* name;
  const char* config;
  StatusCode code;
  const char* message;
};

class BadSpecTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadSpecTest, IsRejectedWithAnExplanation) {
  const BadCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(oci::Spec spec, oci::ParseSpec(c.config));
  EXPECT_THAT(ContainerDocumentFromOci(spec, "bad"),
              StatusIs(c.code, c.message));
}

const BadCase kBadCases[] = {
    BadCase{"NoWindows", R"({"ociVersion":"1.1.0"})",
            StatusCode::kInvalidArgument, "no \"windows\" section"},
    BadCase{"ScratchOnly", R"({"windows":{"layerFolders":["C:\\s\\9"]}})",
            StatusCode::kInvalidArgument,
            "windows.layerFolders has 1 entry; a container needs its "
            "image layers"},
    BadCase{"TrailingSeparator",
            R"({"windows":{"layerFolders":["C:\\s\\1\\","C:\\s\\2"]}})",
            StatusCode::kInvalidArgument, "ends with a path separator"},
    BadCase{
        "Duplicate",
        R"({"windows":{"layerFolders":["C:\\s\\1","C:\\s\\1","C:\\s\\2"]}})",
        StatusCode::kInvalidArgument, "appears twice"},
    BadCase{
        "SameBaseName",
        R"({"windows":{"layerFolders":["C:\\a\\4","D:\\b\\4","C:\\s\\2"]}})",
        StatusCode::kInvalidArgument, "issue #1072"},
    BadCase{"ReadonlyRoot",
            R"({"root":{"path":"","readonly":true},
                    "windows":{"layerFolders":["a\\1","a\\2"]}})",
            StatusCode::kInvalidArgument, "root.readonly"},
    BadCase{"CpuExclusive",
            R"({"windows":{"layerFolders":["a\\1","a\\2"],
                    "resources":{"cpu":{"count":2,"shares":10}}}})",
            StatusCode::kInvalidArgument, "mutually exclusive"},
    BadCase{"CpuCountOverflow",
            R"({"windows":{"layerFolders":["a\\1","a\\2"],
                    "resources":{"cpu":{"count":4294967296}}}})",
            StatusCode::kInvalidArgument, "32-bit"},
    BadCase{"MountType",
            R"({"mounts":[{"destination":"C:\\d","type":"virtual-disk",
                    "source":"x.vhdx"}],
                    "windows":{"layerFolders":["a\\1","a\\2"]}})",
            StatusCode::kInvalidArgument, "mounts[0]"},
    BadCase{"MountNoSource",
            R"({"mounts":[{"destination":"C:\\d"}],
                    "windows":{"layerFolders":["a\\1","a\\2"]}})",
            StatusCode::kInvalidArgument, "source is empty"},
    BadCase{"HalfPipe",
            R"({"mounts":[{"destination":"\\\\.\\pipe\\p","source":"C:\\x"}],
                    "windows":{"layerFolders":["a\\1","a\\2"]}})",
            StatusCode::kInvalidArgument, "named pipe"},
    BadCase{"HyperV",
            R"({"windows":{"layerFolders":["a\\1","a\\2"],"hyperv":{}}})",
            StatusCode::kUnimplemented, "Hyper-V"},
};

INSTANTIATE_TEST_SUITE_P(Cases, BadSpecTest, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ProcessDocumentTest, PipesFollowTheCallersStreams) {
  oci::Process p;
  p.args = {"cmd"};
  ASSERT_OK_AND_ASSIGN(
      schema::ProcessParameters pp,
      ProcessDocumentFromOci(p, ProcessStdio{true, true, false}));
  EXPECT_TRUE(pp.create_std_in_pipe);
  EXPECT_TRUE(pp.create_std_out_pipe);
  EXPECT_FALSE(pp.create_std_err_pipe);
  EXPECT_FALSE(pp.emulate_console);
  p.terminal = true;
  ASSERT_OK_AND_ASSIGN(
      pp, ProcessDocumentFromOci(p, ProcessStdio{true, true, true}));
  EXPECT_TRUE(pp.emulate_console);
  EXPECT_TRUE(pp.create_std_out_pipe);
  EXPECT_FALSE(pp.create_std_err_pipe) << "a console has one output stream";
}

TEST(ProcessDocumentTest, RejectsNothingToRunAndHugeConsole) {
  oci::Process p;
  EXPECT_THAT(
      ProcessDocumentFromOci(p),
      StatusIs(StatusCode::kInvalidArgument, "neither commandLine nor args"));
  p.args = {"cmd"};
  p.console_size = oci::ConsoleSize{70000, 80};
  EXPECT_THAT(ProcessDocumentFromOci(p),
              StatusIs(StatusCode::kInvalidArgument, "65535"));
}

TEST(ProcessDocumentTest, EnvironmentSplitsAtFirstEqualsAndLaterWins) {
  oci::Process p;
  p.args = {"x"};
  p.env = {"A=1", "A=2", "B==x", "=C:=C:\\", "D="};
  ASSERT_OK_AND_ASSIGN(schema::ProcessParameters pp, ProcessDocumentFromOci(p));
  EXPECT_EQ(pp.environment.at("A"), "2");
  EXPECT_EQ(pp.environment.at("B"), "=x");
  EXPECT_EQ(pp.environment.at(""), "C:=C:\\");
  EXPECT_EQ(pp.environment.count("D"), 0u);
}

}  // namespace
}  // namespace winsnap::hcs
