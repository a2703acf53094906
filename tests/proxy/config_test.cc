// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ParseServeConfig: both syntaxes, every key, and each class of error.

#include "snapshotter/proxy/config.h"

#include "tests/testutil/status_matchers.h"

namespace winsnap::proxy {
namespace {

using ::winsnap::testing::StatusIs;

TEST(ServeConfigTest, TomlSubsetSetsEveryKey) {
  ASSERT_OK_AND_ASSIGN(ServeConfig c, ParseServeConfig(R"(
# winsnap serve settings
root = "/var/lib/winsnap"          # store
address = '/run/winsnap/w.sock'
mount_type = "overlay"
log_level = "debug"
log_format = "json"
metrics_address = "127.0.0.1:9130"
threads = 1_6
gc_interval = 0
gc_prune = true
)"));
  EXPECT_EQ(c.root, "/var/lib/winsnap");
  EXPECT_EQ(c.address, "/run/winsnap/w.sock");
  EXPECT_EQ(c.mount_type, "overlay");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.metrics_address, "127.0.0.1:9130");
  EXPECT_EQ(c.threads, 16);
  EXPECT_EQ(c.gc_interval, 0);
  EXPECT_EQ(c.gc_prune, true);
}

TEST(ServeConfigTest, UnsetKeysStayUnset) {
  ASSERT_OK_AND_ASSIGN(ServeConfig c, ParseServeConfig("threads = 2\r\n"));
  EXPECT_EQ(c.threads, 2);
  EXPECT_FALSE(c.root.has_value());
  EXPECT_FALSE(c.gc_prune.has_value());
  ASSERT_OK_AND_ASSIGN(ServeConfig empty, ParseServeConfig("\n  # nothing\n"));
  EXPECT_EQ(empty, ServeConfig{});
}

TEST(ServeConfigTest, TomlBasicStringEscapes) {
  ASSERT_OK_AND_ASSIGN(
      ServeConfig c,
      ParseServeConfig(R"(root = "/a \"q\" \\ \u00e9\t#not-a-comment")"));
  EXPECT_EQ(c.root, "/a \"q\" \\ \xc3\xa9\t#not-a-comment");
  // Literal strings keep backslashes.
  ASSERT_OK_AND_ASSIGN(c, ParseServeConfig(R"(root = '/a\b')"));
  EXPECT_EQ(c.root, "/a\\b");
}

TEST(ServeConfigTest, JsonSetsEveryKey) {
  ASSERT_OK_AND_ASSIGN(ServeConfig c, ParseServeConfig(R"(
  {"root": "/r", "address": "/s.sock", "mount_type": "windows-layer",
   "log_level": "info", "log_format": "text", "metrics_address": "/m.sock",
   "threads": 3, "gc_interval": 60, "gc_prune": false})"));
  EXPECT_EQ(c.root, "/r");
  EXPECT_EQ(c.address, "/s.sock");
  EXPECT_EQ(c.mount_type, "windows-layer");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.log_format, "text");
  EXPECT_EQ(c.metrics_address, "/m.sock");
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.gc_interval, 60);
  EXPECT_EQ(c.gc_prune, false);
}

struct BadCase {
  const char* text;
  const char* message;  // expected substring
};

class ServeConfigErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ServeConfigErrorTest, IsInvalidArgumentWithReason) {
  auto c = ParseServeConfig(GetParam().text);
  EXPECT_THAT(c, StatusIs(StatusCode::kInvalidArgument, GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ServeConfigErrorTest,
    ::testing::Values(
        BadCase{"root = \"/a\"\nrooot = \"/b\"",
                "line 2: unknown key \"rooot\""},
        BadCase{"threads = 2\nthreads = 3", "line 2: duplicate key"},
        BadCase{"[winsnap]\nroot = \"/a\"", "line 1: tables"},
        BadCase{"winsnap.root = \"/a\"", "dotted keys"},
        BadCase{"root = [\"/a\"]", "arrays"},
        BadCase{"root = \"/a", "unterminated string"},
        BadCase{"root = \"/a\" extra", "unexpected text"},
        BadCase{"root /a", "expected '='"}, BadCase{"root =", "missing value"},
        BadCase{"root = /a", "unsupported value"},
        BadCase{"threads = \"4\"", "\"threads\" must be an integer"},
        BadCase{"threads = 0", "threads must be 1..256"},
        BadCase{"threads = 1.5", "unsupported value"},
        BadCase{"gc_interval = -1", "gc_interval must be >= 0"},
        BadCase{"gc_prune = 1", "\"gc_prune\" must be true or false"},
        BadCase{"root = 5", "\"root\" must be a string"},
        BadCase{"root = \"relative\"", "root must be an absolute path"},
        BadCase{"address = \"x.sock\"", "address must be an absolute path"},
        BadCase{"mount_type = \"lcow\"", "mount_type must be"},
        BadCase{"log_format = \"xml\"", "log_format must be"},
        BadCase{"root = \"\\q\"", "unknown escape"},
        BadCase{"root = \"\\ud800\"", "not a scalar value"},
        BadCase{"{\"root\": \"/a\", \"root\": \"/b\"}",
                "duplicate key \"root\""},
        BadCase{"{\"rooot\": \"/a\"}", "unknown key \"rooot\""},
        BadCase{"{\"threads\": 1.5}", "\"threads\" must be an integer"},
        BadCase{"{\"root\": \"/a\",}", "not a valid JSON object"},
        BadCase{"{\"mount_type\": \"x\"}", "mount_type must be"}));

}  // namespace
}  // namespace winsnap::proxy
