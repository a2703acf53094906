// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Clang thread-safety annotations (GUARDED_BY, REQUIRES, ...) and the
// annotated Mutex, MutexLock and CondVar they need: libstdc++'s std::mutex
// carries no capability attribute, so -Wthread-safety (preset linux-clang)
// can only check state guarded by these. The macros expand to nothing on
// other compilers. Shape as leveldb's port/thread_annotations.h and
// port_stdcxx.h.
//
// Thread-safety: Mutex and CondVar are what makes other code thread-safe;
// a CondVar is waited on with one Mutex.

#ifndef WINSNAP_BASE_THREAD_ANNOTATIONS_H_
#define WINSNAP_BASE_THREAD_ANNOTATIONS_H_

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define WINSNAP_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define WINSNAP_THREAD_ANNOTATION(x)
#endif

#ifndef GUARDED_BY
#define GUARDED_BY(x) WINSNAP_THREAD_ANNOTATION(guarded_by(x))
#endif
#ifndef PT_GUARDED_BY
#define PT_GUARDED_BY(x) WINSNAP_THREAD_ANNOTATION(pt_guarded_by(x))
#endif
#ifndef CAPABILITY
#define CAPABILITY(x) WINSNAP_THREAD_ANNOTATION(capability(x))
#endif
#ifndef SCOPED_CAPABILITY
#define SCOPED_CAPABILITY WINSNAP_THREAD_ANNOTATION(scoped_lockable)
#endif
#ifndef REQUIRES
#define REQUIRES(...) \
  WINSNAP_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#endif
#ifndef EXCLUSIVE_LOCKS_REQUIRED
#define EXCLUSIVE_LOCKS_REQUIRED(...) \
  WINSNAP_THREAD_ANNOTATION(exclusive_locks_required(__VA_ARGS__))
#endif
#ifndef EXCLUDES
#define EXCLUDES(...) WINSNAP_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#endif
#ifndef ACQUIRE
#define ACQUIRE(...) WINSNAP_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#endif
#ifndef RELEASE
#define RELEASE(...) WINSNAP_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#endif
#ifndef ASSERT_CAPABILITY
#define ASSERT_CAPABILITY(x) WINSNAP_THREAD_ANNOTATION(assert_capability(x))
#endif
#ifndef NO_THREAD_SAFETY_ANALYSIS
#define NO_THREAD_SAFETY_ANALYSIS \
  WINSNAP_THREAD_ANNOTATION(no_thread_safety_analysis)
#endif

namespace winsnap::base {

// std::mutex as a capability. Not recursive.
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // Tells the analysis the caller holds the mutex (no runtime check).
  void AssertHeld() ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds *mu for its scope. *mu must outlive the MutexLock.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable over a Mutex. Wait() may wake spuriously, so
// callers wait in a loop over their condition, which the analysis can then
// check: while (!ready_) cv_.Wait(&mu_); Every Wait on one CondVar passes
// the same Mutex.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases *mu while blocked and holds it again on return.
  // REQUIRES: the calling thread holds *mu.
  void Wait(Mutex* mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still held: ownership stays with the caller
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_THREAD_ANNOTATIONS_H_
