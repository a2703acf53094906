// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ScratchLayerService over vmcompute.dll (undocumented exports, signatures
// as hcsshim's //sys lines describe them, hcsshim-facts.md §4.2):
//   ExpandSandboxSize(DriverInfo*, PCWSTR id, UINT64 size)
//   ProcessBaseImage(PCWSTR layerPath); ProcessUtilityImage(PCWSTR uvmPath)
// with DriverInfo {1 /*filter driver*/, L""} and the full layer path as id,
// as hcsshim passes them. CreateSandboxLayer and DeactivateLayer go through
// the LayerService (layers_windows.cc), which builds the parent layer
// descriptors (NameToGuid) the same way PrepareLayer does.
// Not done: hcsshim's ExpandSandboxSize also grows the NTFS volume inside
// sandbox.vhdx (expandSandboxVolume); that needs virtdisk.dll and a host.

#include "hcs/scratch_layers.h"

#include <windows.h>

#include <mutex>

#include "hcs/compute_service.h"
#include "hcs/hresult_windows.h"

namespace winsnap::hcs {
namespace {

using win::HresultError;
using win::Utf8ToWide;

struct DriverInfo {
  int flavour;      // 1 = filter driver
  PCWSTR home_dir;  // L""
};
const DriverInfo kDriverInfo = {1, L""};

using ExpandSandboxSizeFn = HRESULT(WINAPI*)(const DriverInfo*, PCWSTR,
                                             ULONGLONG);
using ProcessImageFn = HRESULT(WINAPI*)(PCWSTR);

// vmcompute.dll from System32, loaded once; nullptr and the Win32 error if
// it cannot be.
struct Module {
  HMODULE handle = nullptr;
  DWORD error = 0;
};
const Module& VmCompute() {
  static const Module m = [] {
    Module r;
    r.handle = ::LoadLibraryExW(L"vmcompute.dll", nullptr,
                                LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (r.handle == nullptr) r.error = ::GetLastError();
    return r;
  }();
  return m;
}

// The export "name" of vmcompute.dll, or one line naming what is missing.
template <typename Fn>
StatusOr<Fn> Export(const char* name) {
  const Module& m = VmCompute();
  if (m.handle == nullptr) {
    return FailedPreconditionError(
        std::string(name) + ": vmcompute.dll cannot be loaded (Win32 error " +
        std::to_string(m.error) +
        "; Windows container layers need the Containers feature)");
  }
  Fn fn = nullptr;
  if (!win::Bind(m.handle, name, fn)) {
    return FailedPreconditionError(std::string(name) +
                                   ": vmcompute.dll has no export " + name);
  }
  return fn;
}

class VmComputeScratch final : public ScratchLayerService {
 public:
  Status CreateSandboxLayer(const std::string& scratch,
                            const std::vector<std::string>& parents) override {
    WINSNAP_ASSIGN_OR_RETURN(LayerService * ls, Layers("CreateSandboxLayer"));
    return ls->EnsureScratchDisk(scratch, parents);
  }

  Status ExpandSandboxSize(const std::string& scratch,
                           uint64_t bytes) override {
    WINSNAP_ASSIGN_OR_RETURN(auto fn,
                             Export<ExpandSandboxSizeFn>("ExpandSandboxSize"));
    std::wstring id = Utf8ToWide(scratch);
    HRESULT hr = fn(&kDriverInfo, id.c_str(), bytes);
    if (FAILED(hr)) return HresultError("ExpandSandboxSize", hr, scratch);
    return OkStatus();
  }

  Status DeactivateLayer(const std::string& layer) override {
    WINSNAP_ASSIGN_OR_RETURN(LayerService * ls, Layers("DeactivateLayer"));
    return ls->DeactivateLayer(layer);
  }

  Status ProcessBaseImage(const std::string& layer) override {
    return Process("ProcessBaseImage", layer);
  }

  Status ProcessUtilityImage(const std::string& utility_vm) override {
    return Process("ProcessUtilityImage", utility_vm);
  }

 private:
  Status Process(const char* name, const std::string& path) {
    WINSNAP_ASSIGN_OR_RETURN(auto fn, Export<ProcessImageFn>(name));
    std::wstring w = Utf8ToWide(path);
    HRESULT hr = fn(w.c_str());
    if (FAILED(hr)) return HresultError(name, hr, path);
    return OkStatus();
  }

  // The LayerService, opened on first use; its error names the DLL.
  StatusOr<LayerService*> Layers(const char* function) {
    std::call_once(once_, [&] {
      auto ls = NewLayerService();
      if (ls.ok()) {
        layers_ = std::move(ls).value();
      } else {
        error_ = ls.status();
      }
    });
    if (!layers_) {
      return Status(error_.code() == StatusCode::kUnavailable
                        ? StatusCode::kFailedPrecondition
                        : error_.code(),
                    std::string(function) + ": " + error_.message());
    }
    return layers_.get();
  }

  std::once_flag once_;
  std::unique_ptr<LayerService> layers_;
  Status error_;
};

}  // namespace

std::unique_ptr<ScratchLayerService> NewScratchLayerService() {
  return std::make_unique<VmComputeScratch>();
}

}  // namespace winsnap::hcs
