// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// scale-bench: fills a snapshots service (containerd.services.snapshots.v1)
// with --count committed snapshots and measures what a large store costs.
// Used by bench/scale-bench.sh against `snapctl serve` and against
// containerd's own socket with snapshotter=native.
//
// Workload: chains of depth 1..10 (chain c has depth 1 + c % 10), each
// snapshot Prepared on its parent and Committed as "s/<chain>/<depth>" with
// three labels (bench.chain, bench.depth, bench.kind), by --clients threads
// sharing one channel (as containerd shares one connection to a plugin).
// When the store holds --checkpoint snapshots and again at --count, it
// measures --samples single Prepare+Commit cycles (one client, parent = a
// committed snapshot, each removed again so the count stays) and reports
// their median. At the end it times --list-runs gRPC Lists of everything.
//
// Output: "key value" lines on stdout (populate_s, reached, pc_ms_at_<n>,
// list_ms, listed, deep_key), progress on stderr. --max-seconds stops the
// population early (reached < count then), so a slow peer still finishes.
//
// This is a benchmark, not a test: it checks only that calls succeed.
// Thread-safety: each client thread owns its chains; counters are atomics.

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "containerd/services/snapshots/v1/snapshots.grpc.pb.h"

namespace {

namespace api = ::containerd::services::snapshots::v1;
using Clock = std::chrono::steady_clock;

class Client {
 public:
  Client(std::shared_ptr<grpc::Channel> ch, std::string snapshotter,
         std::string ns)
      : stub_(api::Snapshots::NewStub(ch)),
        snapshotter_(std::move(snapshotter)),
        ns_(std::move(ns)) {}

  void Context(grpc::ClientContext* c) {
    if (!ns_.empty()) c->AddMetadata("containerd-namespace", ns_);
    c->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(300));
  }

  grpc::Status PrepareCommit(const std::string& name, const std::string& parent,
                             int chain, int depth) {
    const std::string active = name + "-active";
    {
      grpc::ClientContext c;
      Context(&c);
      api::PrepareSnapshotRequest req;
      req.set_snapshotter(snapshotter_);
      req.set_key(active);
      req.set_parent(parent);
      // containerd collects snapshots without a GC root (ctr sets one too).
      (*req.mutable_labels())["containerd.io/gc.root"] = "bench";
      api::PrepareSnapshotResponse resp;
      grpc::Status s = stub_->Prepare(&c, req, &resp);
      if (!s.ok()) return s;
    }
    grpc::ClientContext c;
    Context(&c);
    api::CommitSnapshotRequest req;
    req.set_snapshotter(snapshotter_);
    req.set_name(name);
    req.set_key(active);
    auto& labels = *req.mutable_labels();
    labels["containerd.io/gc.root"] = "bench";
    labels["bench.chain"] = std::to_string(chain);
    labels["bench.depth"] = std::to_string(depth);
    labels["bench.kind"] = depth == 1 ? "base" : "layer";
    google::protobuf::Empty e;
    return stub_->Commit(&c, req, &e);
  }

  grpc::Status Remove(const std::string& key) {
    grpc::ClientContext c;
    Context(&c);
    api::RemoveSnapshotRequest req;
    req.set_snapshotter(snapshotter_);
    req.set_key(key);
    google::protobuf::Empty e;
    return stub_->Remove(&c, req, &e);
  }

  grpc::Status List(int64_t* n) {
    grpc::ClientContext c;
    Context(&c);
    api::ListSnapshotsRequest req;
    req.set_snapshotter(snapshotter_);
    auto reader = stub_->List(&c, req);
    api::ListSnapshotsResponse r;
    *n = 0;
    while (reader->Read(&r)) *n += r.info_size();
    return reader->Finish();
  }

 private:
  std::unique_ptr<api::Snapshots::Stub> stub_;
  std::string snapshotter_, ns_;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Ms(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string Name(int chain, int depth) {
  return "s/" + std::to_string(chain) + "/" + std::to_string(depth);
}

// Median Prepare+Commit of `samples` fresh children of committed "s/0/1".
bool SampleLatency(Client* cl, int samples, int64_t at, double* median) {
  std::vector<double> ms;
  for (int i = 0; i < samples; ++i) {
    std::string k = "probe/" + std::to_string(at) + "/" + std::to_string(i);
    auto t0 = Clock::now();
    grpc::Status s = cl->PrepareCommit(k, Name(0, 1), -1, 2);
    ms.push_back(Ms(t0));
    if (!s.ok()) {
      std::cerr << "scale-bench: probe " << k << ": " << s.error_message()
                << "\n";
      return false;
    }
    s = cl->Remove(k);
    if (!s.ok()) {
      std::cerr << "scale-bench: removing " << k << ": " << s.error_message()
                << "\n";
      return false;
    }
  }
  *median = Median(ms);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "scale-bench: fill a containerd snapshots service with chains of "
      "snapshots and time Prepare+Commit at two sizes and List of all."};
  std::string address, snapshotter, ns;
  int64_t count = 100000, checkpoint = 1000;
  int clients = 4, samples = 200, list_runs = 3;
  double max_seconds = 0;
  app.add_option("--address", address, "Unix socket of the service")
      ->required();
  app.add_option("--snapshotter", snapshotter,
                 "Request's snapshotter field (containerd routes on it)");
  app.add_option("--namespace", ns, "containerd-namespace header");
  app.add_option("--count", count, "Committed snapshots to create");
  app.add_option("--checkpoint", checkpoint,
                 "Also sample Prepare+Commit latency at this size");
  app.add_option("--clients", clients, "Threads filling the store");
  app.add_option("--samples", samples, "Prepare+Commit samples per size");
  app.add_option("--list-runs", list_runs, "Timed Lists of everything");
  app.add_option("--max-seconds", max_seconds,
                 "Stop filling after this long (0 = never)");
  CLI11_PARSE(app, argc, argv);

  auto ch = grpc::CreateChannel("unix://" + address,
                                grpc::InsecureChannelCredentials());
  Client probe(ch, snapshotter, ns);

  // Chains are handed out whole; a chain's snapshots are made in order.
  std::atomic<int> next_chain{0};
  std::atomic<int64_t> made{0};
  std::atomic<bool> failed{false}, stop{false};
  std::mutex err_mu;
  std::string first_error;
  auto t_start = Clock::now();
  auto fill_to = [&](int64_t target) {
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
      threads.emplace_back([&, target] {
        Client cl(ch, snapshotter, ns);
        while (!stop && !failed) {
          if (made.load() >= target) return;
          int c = next_chain++;
          int depth = 1 + c % 10;
          std::string parent;
          for (int d = 1; d <= depth; ++d) {
            std::string name = Name(c, d);
            grpc::Status s = cl.PrepareCommit(name, parent, c, d);
            if (!s.ok()) {
              std::lock_guard<std::mutex> l(err_mu);
              if (!failed.exchange(true)) {
                first_error = name + ": " + s.error_message();
              }
              return;
            }
            parent = name;
            int64_t m = ++made;
            if (m % 10000 == 0) {
              std::cerr << "  " << m << " snapshots, "
                        << static_cast<int64_t>(Ms(t_start) / 1000) << " s\n";
            }
            if (max_seconds > 0 && Ms(t_start) > max_seconds * 1000) {
              stop = true;
            }
          }
        }
      });
    }
    for (auto& th : threads) th.join();
  };

  std::vector<std::pair<int64_t, double>> latencies;
  for (int64_t target : {checkpoint, count}) {
    if (target > count) continue;
    fill_to(target);
    if (failed) break;
    double med = 0;
    if (!SampleLatency(&probe, samples, made.load(), &med)) {
      failed = true;
      break;
    }
    latencies.emplace_back(made.load(), med);
    std::cerr << "  Prepare+Commit median at " << made.load() << ": " << med
              << " ms\n";
    if (stop) break;
  }
  double populate_s = Ms(t_start) / 1000;
  if (failed) {
    std::cerr << "scale-bench: "
              << (first_error.empty() ? "probe failed" : first_error) << "\n";
    return 1;
  }

  std::vector<double> list_ms;
  int64_t listed = 0;
  for (int i = 0; i < list_runs; ++i) {
    auto t0 = Clock::now();
    grpc::Status s = probe.List(&listed);
    list_ms.push_back(Ms(t0));
    if (!s.ok()) {
      std::cerr << "scale-bench: List: " << s.error_message() << "\n";
      return 1;
    }
  }
  std::printf("populate_s %.1f\n", populate_s);
  std::printf("reached %lld\n", static_cast<long long>(made.load()));
  for (size_t i = 0; i < latencies.size(); ++i) {
    std::printf("pc_ms_%s %.3f\n", i == 0 ? "small" : "large",
                latencies[i].second);
    std::printf("pc_at_%s %lld\n", i == 0 ? "small" : "large",
                static_cast<long long>(latencies[i].first));
  }
  std::printf("list_ms %.1f\n", Median(list_ms));
  std::printf("listed %lld\n", static_cast<long long>(listed));
  // Chain 9 has depth 10 and exists once 100 snapshots do.
  std::printf("deep_key %s\n", Name(9, 10).c_str());
  return 0;
}
