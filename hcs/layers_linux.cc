// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Linux LayerService. There is no volume to mount: the Linux
// ComputeService builds an overlay from the layer folders itself, so these
// calls only check the folders and create the scratch's Files/ (upper dir),
// and GetLayerMountPath returns the scratch folder, which is what the Linux
// backend expects in Storage.Path. Layer ids are the stand-in GUIDs
// (hcs/layer_id.h).
//
// Thread-safety: stateless; safe to call concurrently.

#include <sys/stat.h>

#include <cerrno>

#include "hcs/compute_service.h"
#include "hcs/document.h"

namespace winsnap::hcs {
namespace {

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status CheckScratch(const std::string& scratch) {
  if (!IsDir(scratch)) {
    return NotFoundError("scratch folder \"" + scratch + "\" does not exist");
  }
  return OkStatus();
}

class LinuxLayerService final : public LayerService {
 public:
  StatusOr<std::string> LayerId(std::string_view layer_path) override {
    return StandInLayerId(layer_path);
  }

  Status EnsureScratchDisk(
      const std::string& scratch,
      const std::vector<std::string>& /*parents*/) override {
    WINSNAP_RETURN_IF_ERROR(CheckScratch(scratch));
    std::string files = scratch + "/Files";
    if (::mkdir(files.c_str(), 0755) < 0 && errno != EEXIST) {
      return ErrnoError("mkdir", errno, files);
    }
    return OkStatus();
  }

  Status ActivateLayer(const std::string& scratch) override {
    return CheckScratch(scratch);
  }

  Status PrepareLayer(const std::string& scratch,
                      const std::vector<std::string>& parents) override {
    WINSNAP_RETURN_IF_ERROR(CheckScratch(scratch));
    for (const std::string& p : parents) {
      if (!IsDir(p + "/Files")) {
        return InvalidArgumentError("layer folder \"" + p +
                                    "\" has no Files/ folder; it is not a "
                                    "windows-layer folder");
      }
    }
    return OkStatus();
  }

  StatusOr<std::string> GetLayerMountPath(const std::string& scratch) override {
    WINSNAP_RETURN_IF_ERROR(CheckScratch(scratch));
    return scratch;
  }

  Status UnprepareLayer(const std::string& /*scratch*/) override {
    return OkStatus();
  }
  Status DeactivateLayer(const std::string& /*scratch*/) override {
    return OkStatus();
  }
  Status DestroyLayer(const std::string& folder) override {
    return UnimplementedError("DestroyLayer " + folder +
                              ": no layer API on Linux");
  }
};

}  // namespace

StatusOr<std::unique_ptr<LayerService>> NewLayerService() {
  return std::unique_ptr<LayerService>(std::make_unique<LinuxLayerService>());
}

}  // namespace winsnap::hcs
