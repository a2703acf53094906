// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The named-pipe transport (issue 10), run under Wine: H2Server::StartPipe
// serving a store on a test pipe, reached through DialPipe + H2Client:
// the snapshot round trip (Check, Prepare, Commit, Mounts, List, Stat,
// Remove) over 8 connections at once, a second listener on the same name
// refused with one line, a malformed security descriptor refused, the pipe's
// DACL as created, and a graceful stop after which the name is free again.
// What Wine cannot show (that FILE_FLAG_FIRST_PIPE_INSTANCE alone refuses a
// squatter, that a non-administrator is denied) is in host-check.ps1.

#include <windows.h>

#include <aclapi.h>
#include <sddl.h>

#include <string>
#include <thread>
#include <vector>

#include "snapshotter/proxy/core.h"
#include "snapshotter/proxy/h2_client.h"
#include "snapshotter/proxy/h2_server.h"
#include "snapshotter/snapshotter.h"
#include "tests/proxy/h2_scenario.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::proxy {
namespace {

using ::testing::HasSubstr;
using ::winsnap::testing::StatusIs;
using ::winsnap::testing::TempDir;

// A name no other test run (or helper) in the same wineserver uses.
std::string TestPipe(const char* what) {
  return "\\\\.\\pipe\\winsnap-test-" + std::string(what) + "-" +
         std::to_string(::GetCurrentProcessId());
}

class PipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshotter::Options o;
    o.root = dir_.Sub("root");
    ASSERT_OK_AND_ASSIGN(sn_, snapshotter::Snapshotter::Open(o));
    core_ = std::make_unique<ServiceCore>(sn_.get(), 4);
  }
  void TearDown() override {
    server_.reset();
    core_.reset();
    sn_.reset();
  }
  std::unique_ptr<H2Client> Dial(const std::string& pipe) {
    auto s = DialPipe(pipe);
    EXPECT_OK(s.status());
    if (!s.ok()) return nullptr;
    return std::make_unique<H2Client>(std::move(*s));
  }

  TempDir dir_;
  std::unique_ptr<snapshotter::Snapshotter> sn_;
  std::unique_ptr<ServiceCore> core_;
  std::unique_ptr<H2Server> server_;
};

TEST_F(PipeTest, RoundTripOverEightConnectionsAtOnce) {
  const std::string pipe = TestPipe("eight");
  ASSERT_OK_AND_ASSIGN(server_, H2Server::StartPipe(core_.get(), pipe));
  std::vector<std::thread> threads;
  std::vector<Status> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto s = DialPipe(pipe);
      if (!s.ok()) {
        results[i] = s.status();
        return;
      }
      H2Client c(std::move(*s));
      results[i] = testing::RunSnapshotRoundTrip(c, "c" + std::to_string(i));
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_OK(results[i]) << "connection " << i;
}

TEST_F(PipeTest, ErrorsAndUnknownMethodsOverThePipe) {
  const std::string pipe = TestPipe("errors");
  ASSERT_OK_AND_ASSIGN(server_, H2Server::StartPipe(core_.get(), pipe));
  auto c = Dial(pipe);
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(
      H2CallResult r,
      c->Call("/containerd.services.snapshots.v1.Snapshots/Stat",
              std::string("\x12\x04nope", 6)));
  EXPECT_THAT(r.status, StatusIs(StatusCode::kNotFound, "nope"));
  ASSERT_OK_AND_ASSIGN(r, c->Call("/no.Such/Method", ""));
  EXPECT_THAT(r.status, StatusIs(StatusCode::kUnimplemented));
}

TEST_F(PipeTest, SecondListenerOnTheSameNameIsRefused) {
  const std::string pipe = TestPipe("taken");
  ASSERT_OK_AND_ASSIGN(server_, H2Server::StartPipe(core_.get(), pipe));
  ServiceCore other(sn_.get(), 1);
  auto second = H2Server::StartPipe(&other, pipe);
  EXPECT_THAT(second.status(), StatusIs(StatusCode::kAlreadyExists, "already"));
  if (!second.ok()) {
    EXPECT_EQ(second.status().message().find('\n'), std::string::npos);
  }
  // The first server is unharmed by the probe.
  auto c = Dial(pipe);
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(int serving, testing::HealthCheck(*c));
  EXPECT_EQ(serving, 1);
}

TEST_F(PipeTest, MalformedSecurityDescriptorIsRefused) {
  EXPECT_THAT(H2Server::StartPipe(core_.get(), TestPipe("sddl"), "D:P(nonsense")
                  .status(),
              StatusIs(StatusCode::kInvalidArgument, "security descriptor"));
}

TEST_F(PipeTest, PipeCarriesTheAdministratorsAndSystemDacl) {
  const std::string pipe = TestPipe("dacl");
  ASSERT_OK_AND_ASSIGN(server_, H2Server::StartPipe(core_.get(), pipe));
  const std::wstring name(pipe.begin(), pipe.end());
  HANDLE h = ::CreateFileW(name.c_str(), READ_CONTROL | GENERIC_READ, 0,
                           nullptr, OPEN_EXISTING, 0, nullptr);
  ASSERT_NE(h, INVALID_HANDLE_VALUE) << "open: " << ::GetLastError();
  PSECURITY_DESCRIPTOR sd = nullptr;
  PACL dacl = nullptr;
  DWORD rc = ::GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION,
                               nullptr, nullptr, &dacl, nullptr, &sd);
  ::CloseHandle(h);
  if (rc != ERROR_SUCCESS) {
    GTEST_SKIP() << "Wine cannot read a pipe's DACL here (GetSecurityInfo "
                    "error "
                 << rc << "); host-check.ps1 checks it on Windows";
  }
  LPWSTR text = nullptr;
  ASSERT_TRUE(::ConvertSecurityDescriptorToStringSecurityDescriptorW(
      sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr));
  std::wstring sddl(text);
  ::LocalFree(text);
  ::LocalFree(sd);
  if (sddl.find(L"(A;;") == std::wstring::npos) {
    GTEST_SKIP() << "Wine reports no DACL entries for the pipe; "
                    "host-check.ps1 checks it on Windows";
  }
  EXPECT_NE(sddl.find(L"D:P"), std::wstring::npos);
  EXPECT_NE(sddl.find(L";;;BA)"), std::wstring::npos);
  EXPECT_NE(sddl.find(L";;;SY)"), std::wstring::npos);
  EXPECT_EQ(sddl.find(L";;;WD)"), std::wstring::npos);  // not Everyone
}

TEST_F(PipeTest, GracefulStopFreesTheName) {
  const std::string pipe = TestPipe("stop");
  ASSERT_OK_AND_ASSIGN(server_, H2Server::StartPipe(core_.get(), pipe));
  auto c = Dial(pipe);
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(int serving, testing::HealthCheck(*c));
  EXPECT_EQ(serving, 1);
  server_->Shutdown(std::chrono::milliseconds(500));
  auto r = c->Call("/grpc.health.v1.Health/Check", "");
  EXPECT_FALSE(r.ok() && r->status.ok());
  c.reset();
  server_.reset();
  EXPECT_THAT(DialPipe(pipe, std::chrono::milliseconds(200)).status(),
              StatusIs(StatusCode::kNotFound));
  // The name can be served again.
  ServiceCore again(sn_.get(), 1);
  ASSERT_OK_AND_ASSIGN(auto s2, H2Server::StartPipe(&again, pipe));
  auto c2 = Dial(pipe);
  ASSERT_NE(c2, nullptr);
  EXPECT_OK(testing::HealthCheck(*c2).status());
}

}  // namespace
}  // namespace winsnap::proxy
