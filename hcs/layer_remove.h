// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The layer-API fallback of folder deletion (issue 15): when plain deletion
// of a windows-layer folder fails (a layer still activated or held by the
// filter driver), deactivate it and let vmcompute destroy it, as hcsshim
// and containerd's Remove do (DeactivateLayer, DestroyLayer). It is a
// base::RemoveRetryHook, so snapshotter/ and metadata/ take it as an option
// and never depend on hcs/; tools/ installs it on Windows for `snapctl
// reclaim` and the trash GC.
//
// Typical use (tools/):
//   base::RobustRemoveOptions o;
//   o.before_retry = hcs::NewLayerRemoveFallback();
//
// Thread-safety: a hook may be called from several threads at once.

#ifndef WINSNAP_HCS_LAYER_REMOVE_H_
#define WINSNAP_HCS_LAYER_REMOVE_H_

#include <functional>
#include <string>

#include "base/env.h"
#include "base/robust_remove.h"
#include "base/status.h"

namespace winsnap::hcs {

// The two layer calls the fallback makes (LayerService's in production).
struct LayerRemoveCalls {
  std::function<Status(const std::string& folder)> deactivate;
  std::function<Status(const std::string& folder)> destroy;
};

// True if "folder" holds what a windows-layer folder holds: Files\, Hives\,
// UtilityVM\, layerchain.json or sandbox.vhdx. Only such folders are handed
// to the layer API.
bool LooksLikeLayerFolder(base::Env* env, const std::string& folder);

// A hook that, for a folder that looks like a layer, calls deactivate (its
// error ignored: a layer that was never activated fails it) then destroy,
// and returns destroy's result ("layer fallback: " + its message). Other
// folders: OK, nothing called. REQUIRES: both calls set.
base::RemoveRetryHook LayerRemoveFallback(LayerRemoveCalls calls,
                                          base::Env* env = nullptr);

// The same over NewLayerService(), opened on the hook's first call for a
// layer folder. If it cannot be opened (vmcompute.dll absent: Wine, a host
// without the Containers feature; Linux has no layer API either), every
// call for a layer folder returns that reason, so RobustRemove reports it
// in the entry's error (once per entry) and carries on with the others.
base::RemoveRetryHook NewLayerRemoveFallback(base::Env* env = nullptr);

}  // namespace winsnap::hcs

#endif  // WINSNAP_HCS_LAYER_REMOVE_H_
