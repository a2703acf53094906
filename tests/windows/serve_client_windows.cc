// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// serve_client.exe: the client side of tests/windows/serve_wine_test.sh and
// service_wine_test.sh (issue 10). It reaches a running `snapctl.exe serve`
// through the named pipe (DialPipe + H2Client, the transport library; the
// protocol itself is proven against containerd's client on Linux) and runs
// tests/proxy/h2_scenario.cc's checks:
//   serve_client wait PIPE SECONDS    until Health answers SERVING
//   serve_client roundtrip PIPE N     N connections at once, each the round
//                                     trip (Check, Prepare, Commit, Mounts,
//                                     Stat, List, Remove) on its own keys
//   serve_client keep PIPE NAME       Prepare + Commit NAME, left in place
//   serve_client gone PIPE            exit 0 iff nobody serves PIPE
// Prints one line per failure; exit 0 on success, 1 on failure, 2 on usage.

#include <windows.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "snapshotter/proxy/h2_client.h"
#include "tests/proxy/h2_scenario.h"

namespace {

using winsnap::Status;
using winsnap::StatusCode;
using winsnap::proxy::DialPipe;
using winsnap::proxy::H2Client;
namespace t = winsnap::proxy::testing;

int Wait(const std::string& pipe, int seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::string last = "never dialed";
  while (std::chrono::steady_clock::now() < deadline) {
    auto s = DialPipe(pipe, std::chrono::milliseconds(500));
    if (s.ok()) {
      H2Client c(std::move(*s));
      auto h = t::HealthCheck(c);
      if (h.ok() && *h == 1) {
        std::printf("serving: %s\n", pipe.c_str());
        return 0;
      }
      last = h.ok() ? "health status " + std::to_string(*h)
                    : h.status().ToString();
    } else {
      last = s.status().ToString();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "%s not serving after %d s: %s\n", pipe.c_str(), seconds,
               last.c_str());
  return 1;
}

int RoundTrip(const std::string& pipe, int n) {
  std::vector<Status> results(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      auto s = DialPipe(pipe);
      if (!s.ok()) {
        results[i] = s.status();
        return;
      }
      H2Client c(std::move(*s));
      results[i] = t::RunSnapshotRoundTrip(
          c, "conn" + std::to_string(i) + "-" +
                 std::to_string(::GetCurrentProcessId()));
    });
  }
  for (auto& th : threads) th.join();
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    if (!results[i].ok()) {
      std::fprintf(stderr, "connection %d: %s\n", i,
                   results[i].ToString().c_str());
      ++failed;
    }
  }
  if (failed) return 1;
  std::printf("round trip ok on %d connections at once\n", n);
  return 0;
}

int Keep(const std::string& pipe, const std::string& name) {
  auto s = DialPipe(pipe);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
    return 1;
  }
  H2Client c(std::move(*s));
  Status st = t::PrepareAndCommit(c, name);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("committed %s\n", name.c_str());
  return 0;
}

int Gone(const std::string& pipe) {
  auto s = DialPipe(pipe, std::chrono::milliseconds(200));
  if (!s.ok() && s.status().code() == StatusCode::kNotFound) return 0;
  std::fprintf(stderr, "%s is still served (%s)\n", pipe.c_str(),
               s.ok() ? "a dial succeeded" : s.status().ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 3 && a[0] == "wait")
    return Wait(a[1], std::atoi(a[2].c_str()));
  if (a.size() == 3 && a[0] == "roundtrip") {
    return RoundTrip(a[1], std::atoi(a[2].c_str()));
  }
  if (a.size() == 3 && a[0] == "keep") return Keep(a[1], a[2]);
  if (a.size() == 2 && a[0] == "gone") return Gone(a[1]);
  std::fprintf(stderr,
               "usage: serve_client wait PIPE SECONDS | roundtrip PIPE N | "
               "keep PIPE NAME | gone PIPE\n");
  return 2;
}
