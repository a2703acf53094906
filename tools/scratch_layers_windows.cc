// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// snapshotter::ScratchLayers on Windows, as containerd >= 1.7.2's windows
// snapshotter (reference/containerd-facts.md §1):
//   CopyDiskFile      CopyFileW of the base layer's blank.vhdx (no DLL);
//   CreateSandboxLayer, ExpandSandboxSize, DeactivateLayer
//                     hcs::ScratchLayerService (vmcompute.dll);
//   ConvertToBaseLayer hcsshim's: the five hives under
//                     Files\Windows\System32\config must exist, and BCD when
//                     UtilityVM\Files does, then ProcessBaseImage and
//                     ProcessUtilityImage (hcsshim creates missing hives with
//                     offreg.dll; winsnap refuses instead, naming the hive);
//   ConvertScratchToReadOnlyLayer
//                     export of the layer (ExportLayer against its parents)
//                     imported over itself with the Windows layer writer, as
//                     containerd pipes ExportLayerToTar into
//                     ImportLayerFromTar. The tar goes through a file in
//                     the system's temp folder, not memory: a container's
//                     changes can be gigabytes (a process killed meanwhile
//                     leaves that file, winsnap-commit-*, behind).

#include "tools/scratch_layers.h"

#include <windows.h>

#include <memory>

#include "base/env.h"
#include "base/utf16_windows.h"
#include "hcs/scratch_layers.h"
#include "unpack/export.h"
#include "unpack/image_source.h"
#include "unpack/layer_unpacker.h"

namespace winsnap::tools {
namespace {

class Win32ScratchLayers final : public snapshotter::ScratchLayers {
 public:
  Win32ScratchLayers() : hcs_(hcs::NewScratchLayerService()) {}

  Status CopyDiskFile(const std::string& from, const std::string& to) override {
    if (!::CopyFileW(base::Widen(from).c_str(), base::Widen(to).c_str(),
                     /*bFailIfExists=*/TRUE)) {
      return Win32Error("CopyFileW", ::GetLastError(), from + " -> " + to);
    }
    return OkStatus();
  }

  Status CreateSandboxLayer(const std::string& scratch,
                            const std::vector<std::string>& parents) override {
    return hcs_->CreateSandboxLayer(scratch, parents);
  }

  Status ExpandSandboxSize(const std::string& scratch,
                           uint64_t bytes) override {
    return hcs_->ExpandSandboxSize(scratch, bytes);
  }

  Status ConvertToBaseLayer(const std::string& layer) override {
    const std::string config = layer + "\\Files\\Windows\\System32\\config";
    for (const char* hive :
         {"DEFAULT", "SAM", "SECURITY", "SOFTWARE", "SYSTEM"}) {
      if (!Exists(config + "\\" + hive)) {
        return FailedPreconditionError(
            "ConvertToBaseLayer " + layer + ": " + config + "\\" + hive +
            " is missing (a base layer needs its five registry hives)");
      }
    }
    const std::string uvm = layer + "\\UtilityVM";
    const bool has_uvm = Exists(uvm + "\\Files");
    if (has_uvm && !Exists(uvm + "\\Files\\EFI\\Microsoft\\Boot\\BCD")) {
      return FailedPreconditionError("ConvertToBaseLayer " + layer + ": " +
                                     uvm +
                                     "\\Files\\EFI\\Microsoft\\Boot\\BCD is "
                                     "missing");
    }
    WINSNAP_RETURN_IF_ERROR(hcs_->ProcessBaseImage(layer));
    if (has_uvm) WINSNAP_RETURN_IF_ERROR(hcs_->ProcessUtilityImage(uvm));
    return OkStatus();
  }

  Status ConvertScratchToReadOnlyLayer(
      const std::string& layer,
      const std::vector<std::string>& parents) override {
    wchar_t temp[MAX_PATH + 1];
    DWORD n = ::GetTempPathW(MAX_PATH + 1, temp);
    if (n == 0 || n > MAX_PATH)
      return Win32Error("GetTempPathW", ::GetLastError(), layer);
    std::string parent = base::Narrow(std::wstring_view(temp, n));
    while (parent.size() > 3 && parent.back() == '\\') parent.pop_back();
    base::Env* env = base::Env::Default();
    WINSNAP_ASSIGN_OR_RETURN(std::string dir,
                             env->CreateTempDir(parent, "winsnap-commit-"));
    Status s = [&]() -> Status {
      unpack::Exporter exporter;
      exporter.parents = parents;
      WINSNAP_RETURN_IF_ERROR(
          exporter.ExportToFile(layer, dir + "\\layer.tar").status());
      WINSNAP_ASSIGN_OR_RETURN(auto source, unpack::ImageSource::Open(dir));
      WINSNAP_ASSIGN_OR_RETURN(auto tar, source->OpenFile("layer.tar"));
      unpack::UnpackLayerOptions o;
      o.writer.parents = parents;
      return unpack::UnpackLayer(tar.get(), layer, o).status();
    }();
    Status removed = env->RemoveAll(dir);
    if (!removed.ok() && s.ok()) s = removed;
    return s;
  }

  Status DeactivateLayer(const std::string& layer) override {
    return hcs_->DeactivateLayer(layer);
  }

 private:
  static bool Exists(const std::string& path) {
    return ::GetFileAttributesW(base::Widen(path).c_str()) !=
           INVALID_FILE_ATTRIBUTES;
  }

  std::unique_ptr<hcs::ScratchLayerService> hcs_;
};

}  // namespace

snapshotter::ScratchLayers* WindowsScratchLayers() {
  static Win32ScratchLayers* const layers = new Win32ScratchLayers();
  return layers;
}

}  // namespace winsnap::tools
