// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The image commands as a user runs them: import (human and --json), images,
// export, rmi, through the built snapctl.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"
#include "tests/unpack/test_archives.h"
#include "unpack/tar_reader.h"

namespace winsnap::unpack {
namespace {

using json = nlohmann::json;
using winsnap::testing::RunCommand;
using winsnap::testing::TempDir;

TEST(CliTest, ImportImagesExportRmi) {
  TempDir tmp;
  testing::TestImage img;
  img.name = "example.com/cli/tiny:1";
  img.layer_tars = {testing::PaxTar(
      {testing::WinDir("Files"), testing::WinFile("Files/hello.txt", "hi")})};
  auto b = testing::OciLayout(img);
  testing::WriteTar(tmp.Sub("img.tar"), b.files);
  const std::string bin = WINSNAP_SNAPCTL;
  const std::string root = tmp.Sub("root");

  auto r =
      RunCommand({bin, "--root", root, "--json", "import", tmp.Sub("img.tar")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line, last;
  int events = 0;
  while (std::getline(lines, line)) {
    json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    ++events;
    last = line;
  }
  EXPECT_GE(events, 3);  // image, layer-done, committed, result
  json result = json::parse(last);
  EXPECT_EQ(result["event"], "result");
  EXPECT_EQ(result["images"][0]["top_chain_id"], b.chain_ids[0]);

  r = RunCommand({bin, "--root", root, "images"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("NAME"), std::string::npos);
  EXPECT_NE(r.out.find(img.name), std::string::npos);
  EXPECT_NE(r.out.find(b.manifest_digest), std::string::npos);
  EXPECT_NE(r.out.find("windows/amd64"), std::string::npos);

  r = RunCommand({bin, "--root", root, "import", tmp.Sub("img.tar")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0 new"), std::string::npos) << r.out;

  r = RunCommand(
      {bin, "--root", root, "export", b.chain_ids[0], tmp.Sub("l.tar")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::ReadWhole(tmp.Sub("l.tar")), img.layer_tars[0]);

  r = RunCommand({bin, "--root", root, "rmi", img.name});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCommand({bin, "--root", root, "--json", "images"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::array());
  r = RunCommand({bin, "--root", root, "rmi", img.name});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

// --max-layer-size on import and pull: documented in --help, and a value
// that is not a positive size is refused before the store is opened.
TEST(CliTest, MaxLayerSizeOption) {
  TempDir tmp;
  const std::string bin = WINSNAP_SNAPCTL;
  for (const char* cmd : {"import", "pull"}) {
    auto r = RunCommand({bin, cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("--max-layer-size"), std::string::npos) << cmd;
  }
  for (const char* bad : {"0", "ten", "12Q", "-5", "99999999999T"}) {
    auto r = RunCommand({bin, "--root", tmp.Sub("root"), "import",
                         "--max-layer-size", bad, tmp.Sub("none.tar")});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("is not a positive size"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace winsnap::unpack
