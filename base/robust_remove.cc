// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Implementation of RobustRemove: rounds over the entries still pending,
// with exponential back-off between rounds.

#include "base/robust_remove.h"

#include <algorithm>
#include <thread>

namespace winsnap::base {
namespace {

bool Cancelled(const RobustRemoveOptions& o) {
  return o.cancel != nullptr && o.cancel->load(std::memory_order_relaxed);
}

}  // namespace

bool IsTransientRemoveError(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kPermissionDenied:
    case StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

RobustRemoveReport RobustRemove(Env* env, const std::vector<std::string>& paths,
                                const RobustRemoveOptions& options) {
  RobustRemoveReport report;
  report.entries.resize(paths.size());
  std::vector<size_t> pending;
  for (size_t i = 0; i < paths.size(); ++i) {
    RemoveOutcome& e = report.entries[i];
    e.path = paths[i];
    pending.push_back(i);
  }
  auto finish = [&](size_t i, Status s) {
    RemoveOutcome& e = report.entries[i];
    e.status = std::move(s);
    if (!e.status.ok() && !e.retry_errors.empty()) {
      std::string notes;
      for (const auto& r : e.retry_errors) notes += "; before retry: " + r;
      e.status = Status(e.status.code(), e.status.message() + notes);
    }
    if (e.status.ok()) {
      e.bytes_freed = e.size_before;
      report.removed++;
    } else {
      // What a partial deletion freed; unmeasurable counts as nothing.
      auto after = env->GetDiskUsage(e.path);
      int64_t left = after.ok() ? after->size : e.size_before;
      e.bytes_freed = std::max<int64_t>(0, e.size_before - left);
      report.failed++;
    }
    report.bytes_freed += e.bytes_freed;
    if (options.on_entry) options.on_entry(e);
  };
  std::vector<bool> measured(paths.size(), false);
  const int attempts = std::max(1, options.attempts);
  auto backoff = options.initial_backoff;
  for (int round = 0; round < attempts && !pending.empty(); ++round) {
    if (round > 0) {
      if (Cancelled(options)) break;
      if (options.sleep) {
        options.sleep(backoff);
      } else {
        std::this_thread::sleep_for(backoff);
      }
      backoff = std::min(backoff * 2, options.max_backoff);
    }
    std::vector<size_t> still;
    for (size_t i : pending) {
      if (Cancelled(options)) {
        still.push_back(i);
        continue;
      }
      RemoveOutcome& e = report.entries[i];
      if (!measured[i]) {
        // Measured right before the first attempt, so a long list does not
        // report sizes from long before its deletion.
        auto du = env->GetDiskUsage(e.path);
        e.size_before = du.ok() ? du->size : 0;
        measured[i] = true;
      }
      e.attempts++;
      Status s = env->RemoveAll(e.path);
      if (s.ok() || !IsTransientRemoveError(s) || round + 1 == attempts) {
        finish(i, std::move(s));
        continue;
      }
      e.status = s;
      if (options.before_retry) {
        Status r = options.before_retry(e.path, s);
        if (!r.ok() && std::find(e.retry_errors.begin(), e.retry_errors.end(),
                                 r.message()) == e.retry_errors.end()) {
          e.retry_errors.push_back(r.message());
        }
      }
      still.push_back(i);
    }
    pending = std::move(still);
  }
  for (size_t i : pending) {
    Status last = report.entries[i].status;
    finish(i, CancelledError(
                  "removal of " + report.entries[i].path + " cancelled" +
                  (last.ok() ? "" : "; last error: " + last.message())));
  }
  return report;
}

}  // namespace winsnap::base
