// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Not linked into any binary: tests/base/CMakeLists.txt compiles this file
// with the clang build's compiler and -Wthread-safety -Werror and passes only
// if clang rejects each marked access. It proves that base::Mutex carries
// the capability attribute and that GUARDED_BY and REQUIRES are checked, so a
// clean linux-clang build means the annotations elsewhere hold.

#include "base/thread_annotations.h"

namespace winsnap::base {

class Account {
 public:
  void DepositUnlocked(int n) { balance_ += n; }    // expected: unguarded write
  int BalanceUnlocked() const { return balance_; }  // expected: unguarded read
  void Deposit(int n) {
    MutexLock lock(&mu_);
    balance_ += n;
  }
  void AddLocked(int n) REQUIRES(mu_) { balance_ += n; }
  void CallWithoutLock() { AddLocked(1); }  // expected: REQUIRES not met

 private:
  mutable Mutex mu_;
  int balance_ GUARDED_BY(mu_) = 0;
};

}  // namespace winsnap::base
