// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// PullPlan downloads several blobs of one repository concurrently, each
// into its own BlobSink, over up to N connections (one worker thread per
// connection). It is how a pull fetches an image's layers in parallel while
// the unpack pipeline consumes each layer's stream (BlobPipe) as it arrives.
//
// Failure policy: the first blob that fails cancels the rest (in-flight
// fetches stop at their next chunk; jobs not started yet are not started);
// every sink whose fetch did not succeed gets Abort(), so no consumer waits
// forever. Run() returns that first error.
//
// Thread-safety: Add() and Run() from one thread; Run() blocks until every
// worker has finished. Cancel() may be called from any thread while Run()
// is in progress. The progress callback is invoked concurrently from the
// worker threads and must be thread-safe.

#ifndef WINSNAP_UNPACK_REGISTRY_PULL_PLAN_H_
#define WINSNAP_UNPACK_REGISTRY_PULL_PLAN_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "base/status.h"
#include "oci/manifest.h"
#include "unpack/registry/blob_sink.h"
#include "unpack/registry/client.h"
#include "unpack/registry/reference.h"

namespace winsnap::registry {

class PullPlan {
 public:
  // job index (Add order), bytes done, blob size (-1 if unknown).
  using ProgressFn =
      std::function<void(size_t job, uint64_t done, int64_t total)>;

  // *client must outlive the plan.
  PullPlan(Client* client, Reference repo)
      : client_(client), repo_(std::move(repo)) {}

  // Queues "blob" to be written into *sink (not owned; must outlive Run).
  // Jobs start in Add order.
  void Add(oci::Descriptor blob, BlobSink* sink);

  // Fetches all queued blobs with at most "parallelism" (>= 1) at a time.
  // OK when every blob was verified and committed; else the first error,
  // with the failing digest in its message. results() then holds one Status
  // per job (Cancelled for jobs stopped or never started).
  Status Run(int parallelism, ProgressFn progress = {});

  // Stops Run() as soon as possible; Run returns Cancelled.
  void Cancel() { cancel_.store(true); }

  const std::vector<Status>& results() const { return results_; }

 private:
  struct Job {
    oci::Descriptor blob;
    BlobSink* sink;
  };

  Client* client_;
  Reference repo_;
  std::vector<Job> jobs_;
  std::vector<Status> results_;
  std::atomic<bool> cancel_{false};
};

}  // namespace winsnap::registry

#endif  // WINSNAP_UNPACK_REGISTRY_PULL_PLAN_H_
