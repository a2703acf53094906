// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Platform-independent scratch mount sequence over a LayerService.

#include "hcs/compute_service.h"

namespace winsnap::hcs {

StatusOr<std::string> MountScratch(LayerService& layers,
                                   const std::string& scratch,
                                   const std::vector<std::string>& parents) {
  WINSNAP_RETURN_IF_ERROR(layers.EnsureScratchDisk(scratch, parents));
  WINSNAP_RETURN_IF_ERROR(layers.ActivateLayer(scratch));
  Status s = layers.PrepareLayer(scratch, parents);
  if (!s.ok()) {
    layers.DeactivateLayer(scratch).IgnoreError();
    return s;
  }
  StatusOr<std::string> path = layers.GetLayerMountPath(scratch);
  if (!path.ok()) {
    layers.UnprepareLayer(scratch).IgnoreError();
    layers.DeactivateLayer(scratch).IgnoreError();
    return path.status();
  }
  return path;
}

Status UnmountScratch(LayerService& layers, const std::string& scratch) {
  Status unprepare = layers.UnprepareLayer(scratch);
  Status deactivate = layers.DeactivateLayer(scratch);
  return unprepare.ok() ? deactivate : unprepare;
}

}  // namespace winsnap::hcs
