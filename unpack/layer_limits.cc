// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/layer_limits.h"

#include <limits>

namespace winsnap::unpack {
namespace {

// Entries at least this large always query the filesystem afresh (other
// layers of the same import may be filling it at the same time).
constexpr int64_t kRequeryBytes = 8 << 20;

std::string EntryName(const TarHeader& h) {
  return "layer entry \"" + h.name + "\"";
}

}  // namespace

Status LayerSizeGuard::Admit(const TarHeader& h) {
  if (!h.IsRegular() || h.size <= 0) return OkStatus();
  if (limits_.max_layer_size > 0) {
    const int64_t left = limits_.max_layer_size - declared_;
    if (h.size > left) {
      return ResourceExhaustedError(
          EntryName(h) + " declares " + std::to_string(h.size) +
          " bytes, which passes the layer size limit of " +
          std::to_string(limits_.max_layer_size) + " bytes (--max-layer-size)");
    }
  }
  if (limits_.check_free_space) {
    if (free_estimate_ < 0 || h.size > free_estimate_ ||
        h.size >= kRequeryBytes) {
      auto query = limits_.free_space ? limits_.free_space : FreeDiskBytes;
      WINSNAP_ASSIGN_OR_RETURN(free_estimate_, query(dir_));
    }
    if (h.size > free_estimate_) {
      return ResourceExhaustedError(
          EntryName(h) + " declares " + std::to_string(h.size) +
          " bytes but the filesystem of " + dir_ + " has only " +
          std::to_string(free_estimate_) + " bytes free");
    }
    free_estimate_ -= h.size;
  }
  declared_ += h.size;
  return OkStatus();
}

}  // namespace winsnap::unpack
