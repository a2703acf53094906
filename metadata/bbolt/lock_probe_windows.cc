// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Windows lock probe. Windows has no lock table to read; the only way to
// learn whether containerd holds bbolt's LockFileEx lock is to try taking
// it, which this probe must never do (it could stall containerd's start).
// So it reports that it cannot tell, and callers warn instead.

#include "metadata/bbolt/lock_probe.h"

namespace winsnap::bbolt {

StatusOr<std::vector<int64_t>> FileLockHolders(const std::string& path) {
  return UnimplementedError("cannot list the processes locking " + path +
                            " on Windows");
}

}  // namespace winsnap::bbolt
