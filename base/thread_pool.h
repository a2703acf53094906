// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ThreadPool: a fixed set of worker threads running submitted closures in
// FIFO order. Used to keep blocking work (LMDB transactions, folder walks,
// file writes) off gRPC's callback threads and the unpack reader thread.
//
// Thread-safety: Submit may be called from any thread. The destructor runs
// every task already submitted, then joins the workers.

#ifndef WINSNAP_BASE_THREAD_POOL_H_
#define WINSNAP_BASE_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "base/thread_annotations.h"

namespace winsnap::base {

class ThreadPool {
 public:
  // REQUIRES: threads >= 1.
  explicit ThreadPool(int threads) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Loop(); });
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() {
    {
      MutexLock lock(&mu_);
      stopping_ = true;
    }
    cv_.SignalAll();
    for (auto& w : workers_) w.join();
  }

  void Submit(std::function<void()> task) EXCLUDES(mu_) {
    {
      MutexLock lock(&mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.Signal();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> task;
      {
        MutexLock lock(&mu_);
        while (!stopping_ && tasks_.empty()) cv_.Wait(&mu_);
        if (tasks_.empty()) return;  // stopping and drained
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void()>> tasks_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_THREAD_POOL_H_
