// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The last line of defence against a damaged data.mdb: LMDB follows page
// numbers and node offsets it reads from the mapped file, and a corrupt
// offset makes it touch memory past the end of the file (SIGBUS) or a wild
// address (SIGSEGV). RunGuarded runs one call into LMDB so that such a fault
// in the calling thread returns false instead of killing the process; the
// store then reports DataLoss. Only C code (LMDB) may run inside the guard:
// a fault skips the frames between the fault and RunGuarded.
//
// mmap_guard_posix.cc installs SIGBUS/SIGSEGV handlers once and chains to
// any previous handler for faults outside a guarded call; on Windows
// (mmap_guard_windows.cc) LMDB sizes the file to the whole map, so reads
// past the file's data are zeros, and the guard only runs the call.
//
// Thread-safety: guards are per thread and nest.

#ifndef WINSNAP_METADATA_MMAP_GUARD_H_
#define WINSNAP_METADATA_MMAP_GUARD_H_

#include <cstdint>

namespace winsnap::metadata::lmdb {

// Runs fn(arg); false if it faulted (see above).
bool RunGuarded(void (*fn)(void*), void* arg);

// Faults caught so far in the calling thread.
int64_t FaultCount();

// The rc Guarded returns for a call that faulted (outside LMDB's range).
inline constexpr int kMdbFaulted = -31900;

// Runs f (returning an LMDB rc) under the guard: its rc, or kMdbFaulted.
template <typename F>
int Guarded(F&& f) {
  struct Ctx {
    F* f;
    int rc;
  } ctx{&f, kMdbFaulted};
  if (!RunGuarded(
          [](void* p) {
            auto* c = static_cast<Ctx*>(p);
            c->rc = (*c->f)();
          },
          &ctx)) {
    return kMdbFaulted;
  }
  return ctx.rc;
}

}  // namespace winsnap::metadata::lmdb

#endif  // WINSNAP_METADATA_MMAP_GUARD_H_
