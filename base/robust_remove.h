// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// RobustRemove: deletes a list of folders (or files) through base::Env with
// retries and exponential back-off on transient errors, so one stuck entry
// never blocks the others, and reports per entry the bytes it freed and why
// it failed. Shared by the snapshotter's trash GC and `snapctl reclaim`
// (containerd's rm-* leftovers). Works only with Status codes, never errno,
// so the same code runs over the Windows Env: an entry in use (EBUSY, a
// sharing violation) is Unavailable, a permission that a scanner or a flag
// may clear is PermissionDenied (Env::RemoveAll's contract).
//
// Thread-safety: RobustRemove is reentrant; the callbacks run on the calling
// thread. Options and the cancel flag must outlive the call.

#ifndef WINSNAP_BASE_ROBUST_REMOVE_H_
#define WINSNAP_BASE_ROBUST_REMOVE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/env.h"
#include "base/status.h"

namespace winsnap::base {

// What happened to one entry.
struct RemoveOutcome {
  std::string path;
  // OK if the entry is gone. Otherwise the last error: FailedPrecondition
  // for a mount point inside, Unavailable/PermissionDenied if it stayed busy
  // or protected through every attempt, Cancelled if the run was cancelled
  // before the entry was finished.
  Status status;
  // Allocated bytes before deletion (Env::GetDiskUsage; 0 if unmeasurable)
  // and bytes actually freed: all of them on success, what went away on a
  // partial failure (measured again afterwards).
  int64_t size_before = 0;
  int64_t bytes_freed = 0;
  int attempts = 0;  // RemoveAll calls made for this entry
  // Distinct errors of RobustRemoveOptions::before_retry for this entry
  // (e.g. "vmcompute.dll is not available"), each once; a failed entry's
  // status message ends with them ("...; before retry: ...").
  std::vector<std::string> retry_errors;
};

// A hook run after a transient failure, before the entry is retried: e.g.
// deactivate and destroy a Windows layer, clear an attribute. A non-OK
// result never stops the retries; it is recorded in the entry's outcome.
using RemoveRetryHook =
    std::function<Status(const std::string& path, const Status& error)>;

struct RobustRemoveOptions {
  // RemoveAll calls per entry at most (values below 1 count as 1).
  int attempts = 3;
  // Wait before the second round; doubled each round, capped at max_backoff.
  // A round retries every entry still failing transiently, after the first
  // round has tried all of them, so a stuck entry costs at most the waits.
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{2000};
  // If set and it becomes true, no new attempt or wait starts; unfinished
  // entries are reported Cancelled.
  const std::atomic<bool>* cancel = nullptr;
  // Called once per entry when its outcome is final (removed, failed or
  // cancelled), in the order outcomes become final. May be empty.
  std::function<void(const RemoveOutcome&)> on_entry;
  // Called after a transient failure before the entry is retried (see
  // RemoveRetryHook). May be empty.
  RemoveRetryHook before_retry;
  // Waits between rounds; std::this_thread::sleep_for if empty (tests
  // record the waits instead).
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct RobustRemoveReport {
  std::vector<RemoveOutcome> entries;  // same order as the input paths
  int64_t bytes_freed = 0;             // sum over entries
  int64_t removed = 0;                 // entries with an OK status
  int64_t failed = 0;                  // entries with a non-OK status
  bool all_removed() const { return failed == 0; }
};

// True for the errors RobustRemove retries: Unavailable (in use, sharing
// violation), PermissionDenied (read-only attribute or flag, ACL, a scanner
// holding the file) and Aborted.
bool IsTransientRemoveError(const Status& s);

// Deletes each of "paths" with env->RemoveAll (a missing path counts as
// removed, freeing 0 bytes). Never fails as a whole: each entry's result is
// in the report. REQUIRES: env != nullptr.
RobustRemoveReport RobustRemove(Env* env, const std::vector<std::string>& paths,
                                const RobustRemoveOptions& options = {});

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_ROBUST_REMOVE_H_
