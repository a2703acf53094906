// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Limits an untrusted layer stream must respect before any of its data is
// written (issue 12 item 7, the "layer size bomb"): the declared size of each
// regular entry (tar header, or PAX size) is checked against
//   * LayerLimits::max_layer_size, the sum of declared data bytes of one layer
//     (`--max-layer-size`; 0 = no limit), and
//   * the free space of the filesystem holding the layer folder
//     (FreeDiskBytes: statvfs on Linux, free_space_posix.cc;
//     GetDiskFreeSpaceExW on Windows, free_space_windows.cc).
// Either failing is ResourceExhausted naming the entry, so the import stops
// at once and its staging folder is discarded instead of filling the disk
// until the diffID check fails.
//
// Thread-safety: a LayerSizeGuard is used by one thread (the layer's writer
// thread); FreeDiskBytes is thread-safe.

#ifndef WINSNAP_UNPACK_LAYER_LIMITS_H_
#define WINSNAP_UNPACK_LAYER_LIMITS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "unpack/tar_reader.h"

namespace winsnap::unpack {

// Bytes available to this process on the filesystem holding "path".
// Errors are the OS call's (ErrnoError / Win32 error), naming "path".
StatusOr<int64_t> FreeDiskBytes(const std::string& path);

struct LayerLimits {
  // Sum of the declared data sizes of one layer's entries; 0 = no limit.
  int64_t max_layer_size = 0;
  // Refuse an entry that is larger than the free space of the layer's
  // filesystem.
  bool check_free_space = true;
  // Free-space query; empty means FreeDiskBytes. (Tests inject a fake.)
  std::function<StatusOr<int64_t>(const std::string&)> free_space;
};

class LayerSizeGuard {
 public:
  // "dir" is the layer folder being written (its filesystem is checked).
  LayerSizeGuard(std::string dir, LayerLimits limits)
      : dir_(std::move(dir)), limits_(std::move(limits)) {}

  // Checks entry "h" before any of its data is written. OK, or
  // ResourceExhausted naming the entry and the limit it passes (or the error
  // of the free-space query).
  Status Admit(const TarHeader& h);

  int64_t declared_bytes() const { return declared_; }

 private:
  std::string dir_;
  LayerLimits limits_;
  int64_t declared_ = 0;  // data bytes of the entries admitted so far
  // Free space as last queried, minus what was admitted since (-1: never
  // queried). The filesystem is queried again whenever an entry would not
  // fit this estimate or is large, so small files cost no system call.
  int64_t free_estimate_ = -1;
};

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_LAYER_LIMITS_H_
