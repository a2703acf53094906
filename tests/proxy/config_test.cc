// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ParseServeConfig: both syntaxes (TOML through toml++), every key, and each
// class of error, TOML errors with their line and column.

#include "snapshotter/proxy/config.h"

#include "tests/testutil/status_matchers.h"

namespace winsnap::proxy {
namespace {

using ::winsnap::testing::StatusIs;

TEST(ServeConfigTest, TomlSetsEveryKey) {
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

// Forms the old hand-written subset refused: every one is valid TOML 1.0.
TEST(ServeConfigTest, TomlAcceptsTheWholeLanguage) {
  ASSERT_OK_AND_ASSIGN(ServeConfig c, ParseServeConfig(R"(
"root" = """
/var/lib/\
winsnap"""
address = '''/run/winsnap/w.sock'''
threads = 0x10    # hexadecimal
gc_interval = 0o17
log_level = "\U0001F600"
)"));
  EXPECT_EQ(c.root, "/var/lib/winsnap");
  EXPECT_EQ(c.address, "/run/winsnap/w.sock");
  EXPECT_EQ(c.threads, 16);
  EXPECT_EQ(c.gc_interval, 15);
  EXPECT_EQ(c.log_level, "\xf0\x9f\x98\x80");
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
                "line 2, column 1: unknown key \"rooot\""},
        BadCase{"threads = 2\nthreads = 3",
                "line 2, column 11: Error while parsing key-value pair: "
                "cannot redefine existing integer 'threads'"},
        // Tables and dotted keys are valid TOML but name no setting here.
        BadCase{"[winsnap]\nroot = \"/a\"",
                "line 1, column 2: unknown key \"winsnap\""},
        BadCase{"winsnap.root = \"/a\"",
                "line 1, column 1: unknown key \"winsnap\""},
        BadCase{"root = [\"/a\"]", "\"root\" must be a string"},
        BadCase{"root = { path = \"/a\" }", "\"root\" must be a string"},
        BadCase{"root = \"/a", "line 1, column 11: Error while parsing string"},
        BadCase{"root = \"/a\" extra", "line 1, column 13: "},
        BadCase{"root /a", "line 1, column 6: "},
        BadCase{"root =", "line 1, column 7: "},
        BadCase{"root = /a", "line 1, column 8: "},
        BadCase{"threads = \"4\"",
                "line 1, column 1: \"threads\" must be an integer"},
        BadCase{"threads = 0", "line 1, column 1: threads must be 1..256"},
        BadCase{"  threads = 1.5", "line 1, column 3: \"threads\" must be"},
        BadCase{"threads = 2024-01-01", "\"threads\" must be an integer"},
        BadCase{"gc_interval = -1", "gc_interval must be >= 0"},
        BadCase{"gc_prune = 1", "\"gc_prune\" must be true or false"},
        BadCase{"root = 5", "\"root\" must be a string"},
        BadCase{"root = \"relative\"", "root must be an absolute path"},
        BadCase{"address = \"x.sock\"", "address must be an absolute path"},
        BadCase{"mount_type = \"lcow\"", "mount_type must be"},
        BadCase{"log_format = \"xml\"", "log_format must be"},
        BadCase{"root = \"\\q\"", "line 1, column 10: "},
        BadCase{"root = \"\\ud800\"", "line 1, column 15: "},
        BadCase{"{\"root\": \"/a\", \"root\": \"/b\"}",
                "duplicate key \"root\""},
        BadCase{"{\"rooot\": \"/a\"}", "unknown key \"rooot\""},
        BadCase{"{\"threads\": 1.5}", "\"threads\" must be an integer"},
        BadCase{"{\"root\": \"/a\",}", "not a valid JSON object"},
        BadCase{"{\"mount_type\": \"x\"}", "mount_type must be"}));

}  // namespace
}  // namespace winsnap::proxy
