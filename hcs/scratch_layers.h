// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ScratchLayerService: the vmcompute.dll calls behind containerd's
// windows-snapshotter scratch semantics (reference/containerd-facts.md §1,
// containerd >= 1.7.2; hcsshim-facts.md §4.2): CreateSandboxLayer (a
// sandbox.vhdx when the base layer has no blank.vhdx), ExpandSandboxSize
// (the rootfs size labels), DeactivateLayer (Remove of a scratch still
// mounted) and ProcessBaseImage / ProcessUtilityImage (hcsshim's
// ConvertToBaseLayer). containerd's windows snapshotter reaches them through
// hcsshim's vmcompute bindings, not computestorage.dll, so this does too.
// tools/ adapts it to snapshotter::ScratchLayers (hcs/ never includes
// snapshotter/).
//
// Windows only (scratch_layers_windows.cc): vmcompute.dll is loaded from
// System32 alone (LoadLibraryExW, LOAD_LIBRARY_SEARCH_SYSTEM32) on the first
// call, and each export is bound when first used, so a host without the DLL
// or an export (Wine; Windows without the Containers feature) fails that
// call with one FailedPrecondition line naming the function and the DLL,
// and every other call keeps working.
//
// Thread-safety: all methods may be called concurrently.

#ifndef WINSNAP_HCS_SCRATCH_LAYERS_H_
#define WINSNAP_HCS_SCRATCH_LAYERS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace winsnap::hcs {

class ScratchLayerService {
 public:
  virtual ~ScratchLayerService() = default;
  // CreateSandboxLayer(scratch, parents nearest first): <scratch>\sandbox.vhdx.
  virtual Status CreateSandboxLayer(
      const std::string& scratch, const std::vector<std::string>& parents) = 0;
  // ExpandSandboxSize(scratch, bytes).
  virtual Status ExpandSandboxSize(const std::string& scratch,
                                   uint64_t bytes) = 0;
  // DeactivateLayer(layer).
  virtual Status DeactivateLayer(const std::string& layer) = 0;
  // ProcessBaseImage(layer) and ProcessUtilityImage(<layer>\UtilityVM).
  virtual Status ProcessBaseImage(const std::string& layer) = 0;
  virtual Status ProcessUtilityImage(const std::string& utility_vm) = 0;
};

// The vmcompute.dll implementation (Windows builds only). Never fails: a
// missing DLL or export is the error of the call that needs it.
std::unique_ptr<ScratchLayerService> NewScratchLayerService();

}  // namespace winsnap::hcs

#endif  // WINSNAP_HCS_SCRATCH_LAYERS_H_
