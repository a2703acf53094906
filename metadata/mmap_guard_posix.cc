// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// POSIX mmap fault guard: sigsetjmp before the call, a SIGBUS/SIGSEGV
// handler that siglongjmps back when the faulting thread is inside a
// guarded call, and chains to the previous disposition otherwise.

#include <setjmp.h>
#include <signal.h>

#include <cstring>
#include <mutex>

#include "metadata/mmap_guard.h"

namespace winsnap::metadata::lmdb {
namespace {

thread_local sigjmp_buf* tl_jump = nullptr;
thread_local int64_t tl_faults = 0;

struct sigaction g_prev_bus, g_prev_segv;

void Chain(int sig, siginfo_t* info, void* uc) {
  const struct sigaction& prev = sig == SIGBUS ? g_prev_bus : g_prev_segv;
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction) {
      prev.sa_sigaction(sig, info, uc);
      return;
    }
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: restore it; returning re-runs the faulting access.
  signal(sig, SIG_DFL);
}

void Handler(int sig, siginfo_t* info, void* uc) {
  if (tl_jump != nullptr) siglongjmp(*tl_jump, 1);
  Chain(sig, info, uc);
}

void Install() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = Handler;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &g_prev_bus);
  sigaction(SIGSEGV, &sa, &g_prev_segv);
}

}  // namespace

int64_t FaultCount() { return tl_faults; }

bool RunGuarded(void (*fn)(void*), void* arg) {
  static std::once_flag once;
  std::call_once(once, Install);
  sigjmp_buf buf;
  sigjmp_buf* volatile prev = tl_jump;
  // The signal mask is not saved (savemask 0): saving it is a
  // rt_sigprocmask system call on every guarded LMDB call, 9% of `snapctl
  // ls` (issue 14). Nothing needs restoring: Install() gives the handler
  // SA_NODEFER and an empty sa_mask, so the mask inside the handler, where
  // siglongjmp leaves it, is the mask of the guarded call.
  if (sigsetjmp(buf, 0) != 0) {
    tl_jump = prev;
    ++tl_faults;
    return false;
  }
  tl_jump = &buf;
  fn(arg);
  tl_jump = prev;
  return true;
}

}  // namespace winsnap::metadata::lmdb
