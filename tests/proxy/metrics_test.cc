// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// RpcMetrics rendering and the MetricsServer HTTP endpoint on TCP and unix
// sockets.

#include "snapshotter/proxy/metrics.h"

#include <fstream>

#include "base/env.h"
#include "tests/proxy/proxy_test_util.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::proxy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::winsnap::proxy::testing::HttpGet;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

TEST(RpcMetricsTest, CountsByMethodAndCode) {
  RpcMetrics m;
  m.Begin();
  m.Begin();
  m.Begin();
  m.End("Prepare", StatusCode::kOk, 1500);
  m.End("Prepare", StatusCode::kOk, 500);
  m.End("Stat", StatusCode::kNotFound, 10);
  m.Begin();  // still running
  EXPECT_EQ(m.Count("Prepare", StatusCode::kOk), 2);
  EXPECT_EQ(m.Count("Stat", StatusCode::kNotFound), 1);
  EXPECT_EQ(m.Count("Stat", StatusCode::kOk), 0);
  std::string text = m.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE winsnap_rpc_total counter\n"));
  EXPECT_THAT(
      text, HasSubstr("winsnap_rpc_total{method=\"Prepare\",code=\"OK\"} 2\n"));
  EXPECT_THAT(
      text,
      HasSubstr("winsnap_rpc_total{method=\"Stat\",code=\"NotFound\"} 1\n"));
  EXPECT_THAT(
      text,
      HasSubstr("winsnap_rpc_seconds_total{method=\"Prepare\"} 0.002000\n"));
  EXPECT_THAT(text, HasSubstr("winsnap_rpc_in_flight 1\n"));
  // Histogram: 1.5 ms and 0.5 ms; buckets are cumulative.
  EXPECT_THAT(text,
              HasSubstr("# TYPE winsnap_rpc_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("winsnap_rpc_duration_seconds_bucket{method="
                              "\"Prepare\",le=\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("winsnap_rpc_duration_seconds_bucket{method="
                              "\"Prepare\",le=\"0.001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("winsnap_rpc_duration_seconds_bucket{method="
                              "\"Prepare\",le=\"0.0025\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("winsnap_rpc_duration_seconds_bucket{method="
                              "\"Prepare\",le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("winsnap_rpc_duration_seconds_count{method="
                              "\"Prepare\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("winsnap_rpc_duration_seconds_sum{method="
                              "\"Prepare\"} 0.002000\n"));
}

TEST(MetricsServerTest, ServesMetricsOverTcp) {
  int renders = 0;
  ASSERT_OK_AND_ASSIGN(auto s, MetricsServer::Start("127.0.0.1:0", [&] {
                         ++renders;
                         return std::string("my_metric 42\n");
                       }));
  std::string r = HttpGet(s->address(), "/metrics");
  EXPECT_THAT(r, HasSubstr("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("Content-Length: 13\r\n"));
  EXPECT_THAT(r, HasSubstr("\r\n\r\nmy_metric 42\n"));
  r = HttpGet(s->address(), "/other");
  EXPECT_THAT(r, HasSubstr("404"));
  EXPECT_THAT(r, Not(HasSubstr("my_metric")));
  EXPECT_EQ(renders, 1);
  std::string addr = s->address();
  s->Stop();
  s->Stop();
  EXPECT_EQ(HttpGet(addr, "/metrics"), "");
}

TEST(MetricsServerTest, ServesMetricsOverAUnixSocket) {
  TempDir dir;
  std::string path = dir.Sub("metrics.sock");
  ASSERT_OK_AND_ASSIGN(
      auto s, MetricsServer::Start(path, [] { return std::string("x 1\n"); }));
  EXPECT_EQ(s->address(), path);
  EXPECT_THAT(HttpGet(path, "/metrics"), HasSubstr("\r\n\r\nx 1\n"));
  s.reset();
  EXPECT_FALSE(base::Env::Default()->Exists(path));
}

TEST(MetricsServerTest, RefusesBadAddressesAndNonSockets) {
  TempDir dir;
  auto render = [] { return std::string(); };
  EXPECT_THAT(MetricsServer::Start("9130", render),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(MetricsServer::Start("127.0.0.1:", render),
              StatusIs(StatusCode::kInvalidArgument));
  std::string file = dir.Sub("file");
  { std::ofstream(file) << "keep"; }
  EXPECT_THAT(MetricsServer::Start(file, render),
              StatusIs(StatusCode::kFailedPrecondition, "not a socket"));
  ASSERT_OK_AND_ASSIGN(auto a, MetricsServer::Start("127.0.0.1:0", render));
  // The same port twice cannot bind.
  EXPECT_THAT(MetricsServer::Start(a->address(), render),
              Not(::winsnap::testing::IsOk()));
}

}  // namespace
}  // namespace winsnap::proxy
