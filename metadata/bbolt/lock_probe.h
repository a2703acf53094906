// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Asks the OS, without taking any lock, which processes hold a file lock on
// a file. Used to tell whether containerd still has its bbolt metastore
// open (bbolt takes an exclusive flock for the life of a writable DB), so a
// migration can refuse to adopt folders that a running containerd still
// manages.
//
// Thread-safety: stateless; safe to call concurrently.

#ifndef WINSNAP_METADATA_BBOLT_LOCK_PROBE_H_
#define WINSNAP_METADATA_BBOLT_LOCK_PROBE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace winsnap::bbolt {

// Process ids holding a flock, POSIX or OFD lock on "path" (an OFD lock's
// holder is reported as -1), in the order the OS lists them; empty if none.
// Waiters that do not hold the lock are not listed. NotFound if "path" does
// not exist; Unimplemented if the OS offers no lock table (Linux reads
// /proc/locks).
StatusOr<std::vector<int64_t>> FileLockHolders(const std::string& path);

}  // namespace winsnap::bbolt

#endif  // WINSNAP_METADATA_BBOLT_LOCK_PROBE_H_
