// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// `snapctl serve` as a real child process: signals, config file and flag
// precedence, structured logs, socket errors, and kill -9 under load.

#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/env.h"
#include "tests/proxy/proxy_test_util.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::proxy {
namespace {

using ::testing::HasSubstr;
using ::winsnap::proxy::testing::Client;
using ::winsnap::proxy::testing::ServeProcess;
using ::winsnap::testing::TempDir;
using namespace std::chrono_literals;
namespace api = ::containerd::services::snapshots::v1;

class ServeCommandTest : public ::testing::Test {
 protected:
  std::string Root() { return dir_.Sub("root"); }
  std::string Sock() { return dir_.Sub("w.sock"); }
  std::string Log() { return dir_.Sub("serve.log"); }

  // snapctl --root <root> [extra globals] serve --address <sock> [extra].
  std::unique_ptr<ServeProcess> Spawn(std::vector<std::string> globals = {},
                                      std::vector<std::string> serve = {},
                                      bool default_address = true) {
    std::vector<std::string> args = {"--root", Root(), "--log-level", "info"};
    args.insert(args.end(), globals.begin(), globals.end());
    args.push_back("serve");
    if (default_address) {
      args.push_back("--address");
      args.push_back(Sock());
    }
    args.push_back("--gc-interval");
    args.push_back("0");
    args.insert(args.end(), serve.begin(), serve.end());
    return std::make_unique<ServeProcess>(args, Log());
  }

  void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }

  TempDir dir_;
};

TEST_F(ServeCommandTest, SigtermStopsCleanlyAndRemovesTheSocket) {
  auto p = Spawn();
  ASSERT_TRUE(p->WaitForSocket(Sock(), 20s)) << p->Log();
  struct stat st;
  ASSERT_EQ(::lstat(Sock().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  Client c(Sock());
  ASSERT_TRUE(c.WaitServing(10s));
  ASSERT_TRUE(c.Prepare("default/1/k", "").ok());
  EXPECT_EQ(p->Stop(SIGTERM, 30s), 0) << p->Log();
  EXPECT_FALSE(base::Env::Default()->Exists(Sock()));
  EXPECT_THAT(p->Log(), HasSubstr("received SIGTERM"));
  EXPECT_THAT(p->Log(), HasSubstr("stopped"));
}

TEST_F(ServeCommandTest, SigintStopsCleanlyAndTheStoreReopens) {
  auto p = Spawn();
  ASSERT_TRUE(p->WaitForSocket(Sock(), 20s)) << p->Log();
  {
    Client c(Sock());
    ASSERT_TRUE(c.Prepare("a", "").ok());
    ASSERT_TRUE(c.Commit("c", "a").ok());
  }
  EXPECT_EQ(p->Stop(SIGINT, 30s), 0) << p->Log();
  EXPECT_THAT(p->Log(), HasSubstr("received SIGINT"));
  auto again = Spawn();
  ASSERT_TRUE(again->WaitForSocket(Sock(), 20s)) << again->Log();
  Client c(Sock());
  api::Info info;
  ASSERT_TRUE(c.Stat("c", &info).ok());
  EXPECT_EQ(info.kind(), api::COMMITTED);
}

TEST_F(ServeCommandTest, ConfigFileSetsValuesAndFlagsOverrideThem) {
  std::string cfg_root = dir_.Sub("cfg-root");
  std::string cfg_sock = dir_.Sub("cfg.sock");
  WriteFile(dir_.Sub("config.toml"),
            "# test config\n"
            "root = \"" +
                cfg_root +
                "\"\n"
                "address = \"" +
                cfg_sock +
                "\"\n"
                "mount_type = \"overlay\"\n"
                "log_format = \"json\"\n"
                "log_level = \"debug\"\n"
                "threads = 3\n");
  // --address on the command line beats the file; root, mount type, log
  // format and level come from the file.
  std::vector<std::string> args = {"--log-level",
                                   "info",
                                   "serve",
                                   "--config",
                                   dir_.Sub("config.toml"),
                                   "--address",
                                   Sock(),
                                   "--gc-interval",
                                   "0"};
  ServeProcess p(args, Log());
  ASSERT_TRUE(p.WaitForSocket(Sock(), 20s)) << p.Log();
  EXPECT_FALSE(base::Env::Default()->Exists(cfg_sock));
  Client c(Sock());
  api::PrepareSnapshotResponse resp;
  ASSERT_TRUE(c.Prepare("k", "", &resp).ok());
  ASSERT_EQ(resp.mounts_size(), 1);
  EXPECT_EQ(resp.mounts(0).type(), "bind") << "mount_type from the file";
  EXPECT_TRUE(base::Env::Default()->Exists(cfg_root + "/meta") ||
              base::Env::Default()->IsDirectory(cfg_root))
      << "root from the file";
  EXPECT_EQ(resp.mounts(0).source().rfind(cfg_root, 0), 0u)
      << resp.mounts(0).source();
  EXPECT_EQ(p.Stop(SIGTERM, 30s), 0) << p.Log();

  // log_format = json: every line is one JSON object. --log-level info on
  // the command line beat the file's debug: no debug lines.
  std::istringstream lines(p.Log());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg"));
    EXPECT_NE(j["level"], "debug") << line;
    ++n;
  }
  EXPECT_GT(n, 1);
  EXPECT_THAT(p.Log(), HasSubstr("threads=3"));
}

TEST_F(ServeCommandTest, JsonConfigWorksToo) {
  WriteFile(dir_.Sub("config.json"),
            "{\"address\": \"" + Sock() + "\", \"mount_type\": \"overlay\"}");
  auto p = Spawn({}, {"--config", dir_.Sub("config.json")},
                 /*default_address=*/false);
  ASSERT_TRUE(p->WaitForSocket(Sock(), 20s)) << p->Log();
  Client c(Sock());
  api::PrepareSnapshotResponse resp;
  ASSERT_TRUE(c.Prepare("k", "", &resp).ok());
  EXPECT_EQ(resp.mounts(0).type(), "bind");
}

TEST_F(ServeCommandTest, BadConfigFailsNamingFileAndLine) {
  WriteFile(dir_.Sub("config.toml"),
            "root = \"/x\"\nmount-type = \"overlay\"\n");
  auto p = Spawn({}, {"--config", dir_.Sub("config.toml")});
  EXPECT_EQ(p->Wait(20s), 2) << p->Log();
  EXPECT_THAT(p->Log(), HasSubstr(dir_.Sub("config.toml")));
  EXPECT_THAT(p->Log(),
              HasSubstr("line 2, column 1: unknown key \"mount-type\""));
  EXPECT_FALSE(base::Env::Default()->Exists(Sock()));

  auto missing = Spawn({}, {"--config", dir_.Sub("absent.toml")});
  EXPECT_EQ(missing->Wait(20s), 1);
  EXPECT_THAT(missing->Log(), HasSubstr("absent.toml"));
}

TEST_F(ServeCommandTest, NonSocketFileAtTheAddressIsAClearError) {
  WriteFile(Sock(), "not a socket");
  auto p = Spawn();
  EXPECT_EQ(p->Wait(20s), 1) << p->Log();
  EXPECT_THAT(p->Log(), HasSubstr("exists and is not a socket"));
  ASSERT_OK_AND_ASSIGN(auto text, base::Env::Default()->ReadFile(Sock()));
  EXPECT_EQ(text, "not a socket");
}

TEST_F(ServeCommandTest, SecondServerOnALiveSocketIsRefused) {
  auto first = Spawn();
  ASSERT_TRUE(first->WaitForSocket(Sock(), 20s)) << first->Log();
  ServeProcess second({"--root", dir_.Sub("root2"), "serve", "--address",
                       Sock(), "--gc-interval", "0"},
                      dir_.Sub("second.log"));
  EXPECT_EQ(second.Wait(20s), 1) << second.Log();
  EXPECT_THAT(second.Log(), HasSubstr("another server"));
  Client c(Sock());
  EXPECT_TRUE(c.WaitServing(5s)) << "the first server must be unharmed";
}

TEST_F(ServeCommandTest, StaleSocketAfterKillNineIsReplaced) {
  auto p = Spawn();
  ASSERT_TRUE(p->WaitForSocket(Sock(), 20s)) << p->Log();
  EXPECT_EQ(p->Stop(SIGKILL, 10s), 128 + SIGKILL);
  ASSERT_TRUE(base::Env::Default()->Exists(Sock()));  // left behind
  auto again = Spawn();
  ASSERT_TRUE(again->WaitForSocket(Sock(), 20s)) << again->Log();
  EXPECT_THAT(again->Log(), HasSubstr("replaced stale socket"));
}

TEST_F(ServeCommandTest, KillNineUnderLoadLosesNoCommittedSnapshot) {
  auto p = Spawn();
  ASSERT_TRUE(p->WaitForSocket(Sock(), 20s)) << p->Log();
  {
    Client c(Sock());
    ASSERT_TRUE(c.Prepare("base-a", "").ok());
    ASSERT_TRUE(c.Commit("base", "base-a").ok());
  }
  std::mutex mu;
  std::vector<std::string> acknowledged;  // commits the server confirmed
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      Client c(Sock());
      for (int i = 0; !stop; ++i) {
        std::string k =
            "default/" + std::to_string(w) + "/" + std::to_string(i);
        if (!c.Prepare(k + "-a", "base").ok()) break;
        if (!c.Commit(k, k + "-a").ok()) break;
        std::lock_guard lock(mu);
        acknowledged.push_back(k);
      }
    });
  }
  // Kill once the load is well under way.
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mu);
      if (acknowledged.size() >= 40) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(p->Stop(SIGKILL, 10s), 128 + SIGKILL);
  stop = true;
  for (auto& t : workers) t.join();
  ASSERT_GE(acknowledged.size(), 40u) << "the load never got going";

  auto again = Spawn();
  ASSERT_TRUE(again->WaitForSocket(Sock(), 20s)) << again->Log();
  Client c(Sock());
  grpc::Status st;
  std::vector<std::string> names = c.ListNames({"kind==committed"}, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::set<std::string> present(names.begin(), names.end());
  for (const auto& k : acknowledged) {
    EXPECT_TRUE(present.count(k)) << "committed " << k << " lost";
    api::Info info;
    EXPECT_TRUE(c.Stat(k, &info).ok()) << k;
    EXPECT_EQ(info.parent(), "base");
  }
  // And the store is healthy: new work succeeds, recovery left no orphans.
  EXPECT_TRUE(c.Prepare("after", "base").ok());
  EXPECT_EQ(again->Stop(SIGTERM, 30s), 0) << again->Log();
}

}  // namespace
}  // namespace winsnap::proxy
