// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ParseServeAddress: unix paths and every named-pipe spelling containerd,
// docker and Windows users write.

#include "snapshotter/proxy/address.h"

#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"

namespace winsnap::proxy {
namespace {

using ::winsnap::testing::StatusIs;
using Kind = ServeAddress::Kind;

TEST(ServeAddressTest, UnixPaths) {
  for (const char* a : {"/run/winsnap/winsnap.sock", "unix:///run/w.sock"}) {
    SCOPED_TRACE(a);
    ASSERT_OK_AND_ASSIGN(ServeAddress s, ParseServeAddress(a));
    EXPECT_EQ(s.kind, Kind::kUnix);
    EXPECT_EQ(s.path[0], '/');
  }
  ASSERT_OK_AND_ASSIGN(ServeAddress s, ParseServeAddress("unix:///run/w.sock"));
  EXPECT_EQ(s.path, "/run/w.sock");
}

TEST(ServeAddressTest, EveryPipeSpellingIsCanonical) {
  for (const char* a :
       {R"(\\.\pipe\winsnap)", "//./pipe/winsnap",
        R"(npipe://\\.\pipe\winsnap)", "npipe:////./pipe/winsnap",
        "npipe://./pipe/winsnap", R"(\\./pipe\winsnap)"}) {
    SCOPED_TRACE(a);
    ASSERT_OK_AND_ASSIGN(ServeAddress s, ParseServeAddress(a));
    EXPECT_EQ(s.kind, Kind::kPipe);
    EXPECT_EQ(s.path, R"(\\.\pipe\winsnap)");
  }
  ASSERT_OK_AND_ASSIGN(ServeAddress s,
                       ParseServeAddress(R"(\\.\pipe\containerd-containerd)"));
  EXPECT_EQ(s.path, R"(\\.\pipe\containerd-containerd)");
  ASSERT_OK(ParseServeAddress(R"(\\.\pipe\)" + std::string(256, 'p')));
}

TEST(ServeAddressTest, BadAddressesAreOneLineInvalidArgument) {
  for (const char* a :
       {"", "w.sock", "unix://w.sock", "unix://", "tcp://127.0.0.1:1",
        R"(\\.\pipe\)", "//./pipe/", R"(\\.\pipe\a\b)", "//./pipe/a/b",
        "npipe://", "npipe:///run/w.sock", "npipe://./pipe/", "./pipe/winsnap",
        R"(\\server\pipe\x)", "//host/share", R"(C:\x.sock)"}) {
    SCOPED_TRACE(a);
    auto s = ParseServeAddress(a);
    EXPECT_THAT(s.status(), StatusIs(StatusCode::kInvalidArgument, "address"));
    if (!s.ok()) {
      EXPECT_EQ(s.status().message().find('\n'), std::string::npos);
    }
  }
  EXPECT_THAT(
      ParseServeAddress(R"(\\.\pipe\)" + std::string(257, 'p')).status(),
      StatusIs(StatusCode::kInvalidArgument, "longer than 256"));
}

}  // namespace
}  // namespace winsnap::proxy
