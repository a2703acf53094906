// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Windows snapshotter::ScratchLayers that CliContext::Open sets on
// Windows (tools/scratch_layers_windows.cc): containerd's windows-snapshotter
// scratch calls over hcs::ScratchLayerService (vmcompute.dll) and, for the
// commit of a container scratch, unpack's export + import over itself.
// Linux sets none (the folder alone is the scratch).
//
// Thread-safety: the object is shared by the process; calls on different
// layers may run concurrently.

#ifndef WINSNAP_TOOLS_SCRATCH_LAYERS_H_
#define WINSNAP_TOOLS_SCRATCH_LAYERS_H_

#include "snapshotter/snapshotter.h"

namespace winsnap::tools {

// The process's one instance (Windows builds only); never null, never
// destroyed. A host without vmcompute.dll gets it too: each call that needs
// the DLL fails with one line naming the function and the DLL.
snapshotter::ScratchLayers* WindowsScratchLayers();

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_SCRATCH_LAYERS_H_
