// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The POSIX mmap fault guard (metadata/mmap_guard_posix.cc): a SIGBUS inside
// a guarded call returns false, as often as it happens in one thread, and
// leaves the signal mask as it was (the guard does not save the mask, so
// this is what proves it need not).

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "metadata/mmap_guard.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::metadata::lmdb {
namespace {

struct Read {
  const volatile char* at;
  char got;
};

void ReadByte(void* arg) {
  auto* r = static_cast<Read*>(arg);
  r->got = *r->at;
}

TEST(MmapGuardTest, RepeatedFaultsReturnFalseAndKeepTheSignalMask) {
  testing::TempDir dir;
  const std::string file = dir.Sub("one-page");
  int fd = open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  const long page = sysconf(_SC_PAGESIZE);
  ASSERT_EQ(ftruncate(fd, page), 0);
  // Two pages mapped over a one-page file: touching the second is SIGBUS.
  void* map = mmap(nullptr, static_cast<size_t>(2 * page), PROT_READ,
                   MAP_SHARED, fd, 0);
  close(fd);
  ASSERT_NE(map, MAP_FAILED);
  const char* base = static_cast<const char*>(map);

  sigset_t before;
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, nullptr, &before), 0);
  const int64_t faults = FaultCount();
  for (int i = 0; i < 3; ++i) {
    Read past{base + page, 'x'};
    EXPECT_FALSE(RunGuarded(ReadByte, &past)) << "fault " << i;
    sigset_t after;
    ASSERT_EQ(pthread_sigmask(SIG_SETMASK, nullptr, &after), 0);
    EXPECT_EQ(sigismember(&after, SIGBUS), sigismember(&before, SIGBUS));
    EXPECT_EQ(sigismember(&after, SIGSEGV), sigismember(&before, SIGSEGV));
    // A call that does not fault still runs and returns true.
    Read inside{base, 'x'};
    EXPECT_TRUE(RunGuarded(ReadByte, &inside));
    EXPECT_EQ(inside.got, '\0');
  }
  EXPECT_EQ(FaultCount() - faults, 3);
  munmap(map, static_cast<size_t>(2 * page));
}

}  // namespace
}  // namespace winsnap::metadata::lmdb
