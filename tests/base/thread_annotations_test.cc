// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// base::Mutex, MutexLock and CondVar: mutual exclusion and wake-ups. (What
// the annotations check is proved by the linux-clang preset's build.)

#include "base/thread_annotations.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "base/thread_pool.h"

namespace winsnap::base {
namespace {

class Counter {
 public:
  void Add() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    ++n_;
    cv_.SignalAll();
  }
  // Blocks until the count reaches "want"; returns the count seen.
  int WaitFor(int want) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    while (n_ < want) cv_.Wait(&mu_);
    return n_;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  int n_ GUARDED_BY(mu_) = 0;
};

TEST(MutexTest, ConcurrentIncrementsAreNotLost) {
  Counter c;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.Add();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.WaitFor(40000), 40000);
}

TEST(CondVarTest, WaiterWakesWhenConditionBecomesTrue) {
  Counter c;
  int seen = 0;
  std::thread waiter([&] { seen = c.WaitFor(3); });
  for (int i = 0; i < 3; ++i) c.Add();
  waiter.join();
  EXPECT_EQ(seen, 3);
}

TEST(ThreadPoolTest, RunsEverySubmittedTaskBeforeDestruction) {
  Counter c;
  {
    ThreadPool pool(3);
    for (int i = 0; i < 100; ++i) pool.Submit([&] { c.Add(); });
  }
  EXPECT_EQ(c.WaitFor(100), 100);
}

}  // namespace
}  // namespace winsnap::base
