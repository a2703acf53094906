// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// proxy-bench: drives N concurrent clients through the containerd snapshots
// API (containerd.services.snapshots.v1.Snapshots) against one or more
// targets in the same run and prints ops/s per target and their ratios.
// A target is any server of that API: `snapctl serve` directly, or
// containerd's own socket with snapshotter=overlayfs (its built-in
// snapshotter) or snapshotter=winsnap (our proxy behind containerd).
//
// Each client repeats one cycle of 5 operations on its own keys:
//   Prepare(k-active, parent=base) -> Commit(k, k-active) -> Stat(k) ->
//   List(all; containerd's Walk) -> Remove(k)
// so the number of snapshots stays constant and List measures a walk of
// about clients+1 entries. All clients of a target share one channel, as
// containerd shares one connection to a proxy plugin. Targets run one
// after the other, each for --seconds after a short warm-up.
//
// This is a benchmark, not a test: it checks only that calls succeed.
// Thread-safety: one thread per client; results merged after join.

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "containerd/services/snapshots/v1/snapshots.grpc.pb.h"

namespace {

namespace api = ::containerd::services::snapshots::v1;
using Clock = std::chrono::steady_clock;

constexpr const char* kOps[] = {"Prepare", "Commit", "Stat", "List", "Remove"};
constexpr int kNumOps = 5;

struct Target {
  std::string label;
  std::string address;      // unix socket path
  std::string snapshotter;  // request field; containerd routes on it
  std::string ns;           // containerd-namespace header ("" = none)
};

// "label=/path/sock[,snapshotter=S][,namespace=NS]".
bool ParseTarget(const std::string& spec, Target* t) {
  size_t eq = spec.find('=');
  if (eq == std::string::npos) return false;
  t->label = spec.substr(0, eq);
  std::string rest = spec.substr(eq + 1);
  size_t comma = rest.find(',');
  t->address = rest.substr(0, comma);
  while (comma != std::string::npos) {
    rest = rest.substr(comma + 1);
    comma = rest.find(',');
    std::string kv = rest.substr(0, comma);
    size_t e = kv.find('=');
    if (e == std::string::npos) return false;
    std::string k = kv.substr(0, e), v = kv.substr(e + 1);
    if (k == "snapshotter") {
      t->snapshotter = v;
    } else if (k == "namespace") {
      t->ns = v;
    } else {
      return false;
    }
  }
  return !t->address.empty();
}

struct Result {
  int64_t ops = 0;
  int64_t errors = 0;
  std::string first_error;
  std::vector<std::vector<double>> latency_ms{kNumOps};  // per op type
};

class Runner {
 public:
  Runner(const Target& t, std::shared_ptr<grpc::Channel> ch)
      : t_(t), stub_(api::Snapshots::NewStub(ch)) {}

  void Context(grpc::ClientContext* c) {
    if (!t_.ns.empty()) c->AddMetadata("containerd-namespace", t_.ns);
    c->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(60));
  }

  grpc::Status Prepare(const std::string& key, const std::string& parent) {
    grpc::ClientContext c;
    Context(&c);
    api::PrepareSnapshotRequest req;
    req.set_snapshotter(t_.snapshotter);
    req.set_key(key);
    req.set_parent(parent);
    // As ctr does: without a GC root containerd collects the snapshot as
    // soon as its GC runs. (containerd filters it out before the backend.)
    (*req.mutable_labels())["containerd.io/gc.root"] = "bench";
    api::PrepareSnapshotResponse resp;
    return stub_->Prepare(&c, req, &resp);
  }
  grpc::Status Commit(const std::string& name, const std::string& key) {
    grpc::ClientContext c;
    Context(&c);
    api::CommitSnapshotRequest req;
    req.set_snapshotter(t_.snapshotter);
    req.set_name(name);
    req.set_key(key);
    (*req.mutable_labels())["containerd.io/gc.root"] = "bench";
    google::protobuf::Empty e;
    return stub_->Commit(&c, req, &e);
  }
  grpc::Status Stat(const std::string& key) {
    grpc::ClientContext c;
    Context(&c);
    api::StatSnapshotRequest req;
    req.set_snapshotter(t_.snapshotter);
    req.set_key(key);
    api::StatSnapshotResponse resp;
    return stub_->Stat(&c, req, &resp);
  }
  grpc::Status List() {
    grpc::ClientContext c;
    Context(&c);
    api::ListSnapshotsRequest req;
    req.set_snapshotter(t_.snapshotter);
    auto reader = stub_->List(&c, req);
    api::ListSnapshotsResponse r;
    while (reader->Read(&r)) {
    }
    return reader->Finish();
  }
  grpc::Status Remove(const std::string& key) {
    grpc::ClientContext c;
    Context(&c);
    api::RemoveSnapshotRequest req;
    req.set_snapshotter(t_.snapshotter);
    req.set_key(key);
    google::protobuf::Empty e;
    return stub_->Remove(&c, req, &e);
  }

 private:
  Target t_;
  std::unique_ptr<api::Snapshots::Stub> stub_;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

struct Summary {
  double ops_per_s = 0;
  int64_t ops = 0, errors = 0;
  std::string first_error;
  double p50[kNumOps] = {}, p99[kNumOps] = {};
};

Summary RunTarget(const Target& t, int clients, double seconds, double warmup) {
  auto ch = grpc::CreateChannel("unix://" + t.address,
                                grpc::InsecureChannelCredentials());
  Runner setup(t, ch);
  std::string run = "bench-" + std::to_string(::getpid()) + "-" +
                    std::to_string(Clock::now().time_since_epoch().count());
  std::string base = run + "-base";
  grpc::Status s = setup.Prepare(base + "-active", "");
  if (s.ok()) s = setup.Commit(base, base + "-active");
  Summary sum;
  if (!s.ok()) {
    sum.errors = 1;
    sum.first_error = "setup: " + s.error_message();
    return sum;
  }
  std::atomic<bool> measuring{false}, stop{false};
  std::vector<Result> results(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Runner r(t, ch);
      Result& res = results[c];
      for (int64_t i = 0; !stop; ++i) {
        std::string k =
            run + "-c" + std::to_string(c) + "-" + std::to_string(i);
        auto step = [&](int op, auto&& fn) {
          auto t0 = Clock::now();
          grpc::Status st = fn();
          double ms =
              std::chrono::duration<double, std::milli>(Clock::now() - t0)
                  .count();
          if (!measuring) return st.ok();
          if (st.ok()) {
            ++res.ops;
            res.latency_ms[op].push_back(ms);
          } else {
            if (res.errors++ == 0) {
              res.first_error =
                  std::string(kOps[op]) + ": " + st.error_message();
            }
          }
          return st.ok();
        };
        if (!step(0, [&] { return r.Prepare(k + "-active", base); })) continue;
        if (!step(1, [&] { return r.Commit(k, k + "-active"); })) {
          r.Remove(k + "-active");
          continue;
        }
        step(2, [&] { return r.Stat(k); });
        step(3, [&] { return r.List(); });
        step(4, [&] { return r.Remove(k); });
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  measuring = true;
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  measuring = false;
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  for (auto& th : threads) th.join();
  setup.Remove(base);

  std::vector<std::vector<double>> lat(kNumOps);
  for (auto& r : results) {
    sum.ops += r.ops;
    sum.errors += r.errors;
    if (sum.first_error.empty()) sum.first_error = r.first_error;
    for (int op = 0; op < kNumOps; ++op) {
      lat[op].insert(lat[op].end(), r.latency_ms[op].begin(),
                     r.latency_ms[op].end());
    }
  }
  sum.ops_per_s = static_cast<double>(sum.ops) / elapsed;
  for (int op = 0; op < kNumOps; ++op) {
    sum.p50[op] = Percentile(lat[op], 0.50);
    sum.p99[op] = Percentile(lat[op], 0.99);
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "proxy-bench: N concurrent clients doing prepare/commit/stat/walk/remove "
      "through the containerd snapshots API against each --target; prints "
      "ops/s and ratios.\n"
      "Example:\n"
      "  proxy-bench --clients 8 --seconds 10 \\\n"
      "    --target winsnap=/run/winsnap/winsnap.sock \\\n"
      "    --target 'overlayfs via containerd=/run/containerd/"
      "containerd.sock,snapshotter=overlayfs,namespace=bench'"};
  std::vector<std::string> specs;
  int clients = 8;
  double seconds = 10, warmup = 1;
  std::string baseline;
  app.add_option("--target,-t", specs,
                 "LABEL=SOCKET[,snapshotter=NAME][,namespace=NS]; repeat")
      ->required();
  app.add_option("--baseline", baseline,
                 "Label of the target the others are divided by (default: "
                 "the last)");
  app.add_option("--clients,-c", clients, "Concurrent clients per target");
  app.add_option("--seconds,-s", seconds, "Measured seconds per target");
  app.add_option("--warmup", warmup, "Unmeasured seconds before measuring");
  CLI11_PARSE(app, argc, argv);

  std::vector<Target> targets;
  for (const auto& s : specs) {
    Target t;
    if (!ParseTarget(s, &t)) {
      std::cerr << "proxy-bench: bad --target \"" << s << "\"\n";
      return 2;
    }
    targets.push_back(t);
  }
  std::vector<Summary> sums;
  bool failed = false;
  for (const auto& t : targets) {
    std::cerr << "running " << t.label << " (" << clients << " clients, "
              << seconds << " s)...\n";
    sums.push_back(RunTarget(t, clients, seconds, warmup));
    if (sums.back().errors) {
      failed = true;
      std::cerr << "  " << sums.back().errors
                << " errors, first: " << sums.back().first_error << "\n";
    }
  }
  std::printf("clients=%d seconds=%.0f cycle=Prepare,Commit,Stat,List,Remove\n",
              clients, seconds);
  std::printf("%-32s %10s %10s", "target", "ops", "ops/s");
  for (const char* op : kOps)
    std::printf(" %9s", (std::string(op) + "p50").c_str());
  std::printf(" %9s\n", "p99max");
  for (size_t i = 0; i < targets.size(); ++i) {
    const Summary& s = sums[i];
    std::printf("%-32s %10lld %10.1f", targets[i].label.c_str(),
                static_cast<long long>(s.ops), s.ops_per_s);
    double p99max = 0;
    for (int op = 0; op < kNumOps; ++op) {
      std::printf(" %7.2fms", s.p50[op]);
      p99max = std::max(p99max, s.p99[op]);
    }
    std::printf(" %7.2fms\n", p99max);
  }
  size_t base = targets.size() - 1;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].label == baseline) base = i;
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    if (i == base || sums[base].ops_per_s <= 0) continue;
    std::printf("ratio %s / %s = %.2f\n", targets[i].label.c_str(),
                targets[base].label.c_str(),
                sums[i].ops_per_s / sums[base].ops_per_s);
  }
  return failed ? 1 : 0;
}
