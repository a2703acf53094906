// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/registry/pull_plan.h"

#include <algorithm>
#include <thread>

#include "base/thread_annotations.h"

namespace winsnap::registry {

void PullPlan::Add(oci::Descriptor blob, BlobSink* sink) {
  jobs_.push_back(Job{std::move(blob), sink});
}

Status PullPlan::Run(int parallelism, ProgressFn progress) {
  if (parallelism < 1) return InvalidArgumentError("parallelism must be >= 1");
  results_.assign(jobs_.size(), CancelledError("not started"));
  std::atomic<size_t> next{0};
  struct {
    base::Mutex mu;
    Status first GUARDED_BY(mu);
  } error;

  // Each worker owns one download at a time; the atomic counter hands out
  // jobs in Add order, and results_[i] is written only by the worker that
  // took job i, so results_ needs no lock.
  auto worker = [&] {
    while (true) {
      size_t i = next.fetch_add(1);
      if (i >= jobs_.size()) return;
      Job& job = jobs_[i];
      if (cancel_.load()) {
        results_[i] = CancelledError("blob " + job.blob.digest + ": cancelled");
        job.sink->Abort(results_[i]);
        continue;
      }
      FetchOptions fo;
      fo.cancel = &cancel_;
      if (progress) {
        fo.progress = [&progress, i](uint64_t done, int64_t total) {
          progress(i, done, total);
        };
      }
      Status st = client_->FetchBlob(repo_, job.blob, *job.sink, fo);
      results_[i] = st;
      if (!st.ok()) {
        base::MutexLock lock(&error.mu);
        // A Cancelled that follows another job's failure is a consequence,
        // not the cause; report the cause.
        if (error.first.ok() &&
            (st.code() != StatusCode::kCancelled || !cancel_.load())) {
          error.first = st;
        }
        cancel_.store(true);
      }
    }
  };

  const size_t n =
      std::min<size_t>(static_cast<size_t>(parallelism), jobs_.size());
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (size_t t = 0; t < n; ++t) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();

  {
    // The workers are joined; the lock is for the analysis.
    base::MutexLock lock(&error.mu);
    if (!error.first.ok()) return error.first;
  }
  for (const Status& st : results_) {
    if (!st.ok()) return st;  // cancelled from outside
  }
  return OkStatus();
}

}  // namespace winsnap::registry
