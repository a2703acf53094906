// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Windows: LMDB sizes data.mdb to the whole map at open, so a corrupt offset
// inside the map reads zeros rather than faulting; the call runs unguarded.

#include "metadata/mmap_guard.h"

namespace winsnap::metadata::lmdb {

int64_t FaultCount() { return 0; }

bool RunGuarded(void (*fn)(void*), void* arg) {
  fn(arg);
  return true;
}

}  // namespace winsnap::metadata::lmdb
