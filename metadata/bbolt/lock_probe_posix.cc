// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Linux implementation of the lock probe: matches the file's device and
// inode against the kernel lock table in /proc/locks, whose lines read
//   "<n>: FLOCK  ADVISORY  WRITE <pid> <major hex>:<minor hex>:<inode> 0 EOF"
// and, for processes waiting on a lock, "<n>: -> FLOCK ...".

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "metadata/bbolt/lock_probe.h"

namespace winsnap::bbolt {

StatusOr<std::vector<int64_t>> FileLockHolders(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError("stat", errno, path);
  std::ifstream in("/proc/locks");
  if (!in) {
    return UnimplementedError("cannot read /proc/locks to find lock holders");
  }
  std::vector<int64_t> holders;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string ordinal, type, mode, access, pid, file;
    fields >> ordinal >> type;
    if (type == "->") continue;  // a waiter, not a holder
    if (!(fields >> mode >> access >> pid >> file)) continue;
    // file = "<major hex>:<minor hex>:<inode decimal>"
    size_t c1 = file.find(':');
    size_t c2 = file.find(':', c1 == std::string::npos ? c1 : c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    char* end = nullptr;
    unsigned long major = std::strtoul(file.substr(0, c1).c_str(), &end, 16);
    unsigned long minor =
        std::strtoul(file.substr(c1 + 1, c2 - c1 - 1).c_str(), &end, 16);
    unsigned long long inode =
        std::strtoull(file.substr(c2 + 1).c_str(), &end, 10);
    if (major == ::major(st.st_dev) && minor == ::minor(st.st_dev) &&
        inode == static_cast<unsigned long long>(st.st_ino)) {
      holders.push_back(std::strtoll(pid.c_str(), &end, 10));
    }
  }
  return holders;
}

}  // namespace winsnap::bbolt
