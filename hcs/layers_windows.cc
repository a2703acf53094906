// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Windows LayerService: the legacy, undocumented vmcompute.dll layer
// exports hcsshim uses to mount a process-isolated container's scratch
// (hcsshim-facts.md §4.2 and §3.3; HS internal/wclayer/*.go). They are in no
// SDK or mingw header, so the signatures below are our own declarations of
// what hcsshim's //sys lines describe, and the DLL is bound at run time:
//   DriverInfo      = {int Flavour; PCWSTR HomeDir}, hcsshim passes
//                     {1 /*filter driver*/, L""} and the FULL layer path as id;
//   WC_LAYER_DESCRIPTOR = {GUID LayerId; ULONG Flags; PCWSTR Path};
//   slices          = (pointer, count); hcsshim passes the count as a
//                     uintptr, so it is declared pointer-sized here;
//   every export returns an HRESULT.
// Nothing here can be exercised without a Windows host; see docs/hcs.md.
//
// Thread-safety: all methods may be called concurrently; PrepareLayer calls
// are serialized process-wide as hcsshim does (prepareLayerLock).

#include <windows.h>

#include <mutex>
#include <string>
#include <vector>

#include "hcs/compute_service.h"
#include "hcs/hresult_windows.h"
#include "hcs/layer_id.h"

namespace winsnap::hcs {
namespace {

using win::HresultError;
using win::Utf8ToWide;
using win::WideToUtf8;

struct DriverInfo {
  int flavour;      // 1 = filter driver
  PCWSTR home_dir;  // L""
};

struct WcLayerDescriptor {
  GUID layer_id;
  ULONG flags;  // bit 31: dirty; hcsshim passes 0
  PCWSTR path;
};

using ActivateLayerFn = HRESULT(WINAPI*)(const DriverInfo*, PCWSTR);
using DeactivateLayerFn = HRESULT(WINAPI*)(const DriverInfo*, PCWSTR);
using DestroyLayerFn = HRESULT(WINAPI*)(const DriverInfo*, PCWSTR);
using PrepareLayerFn = HRESULT(WINAPI*)(const DriverInfo*, PCWSTR,
                                        const WcLayerDescriptor*, ULONG_PTR);
using UnprepareLayerFn = HRESULT(WINAPI*)(const DriverInfo*, PCWSTR);
using GetLayerMountPathFn = HRESULT(WINAPI*)(const DriverInfo*, PCWSTR, SIZE_T*,
                                             PWSTR);
using CreateSandboxLayerFn = HRESULT(WINAPI*)(const DriverInfo*, PCWSTR,
                                              ULONG_PTR,
                                              const WcLayerDescriptor*,
                                              ULONG_PTR);
using NameToGuidFn = HRESULT(WINAPI*)(PCWSTR, GUID*);

struct VmCompute {
  ActivateLayerFn ActivateLayer = nullptr;
  DeactivateLayerFn DeactivateLayer = nullptr;
  DestroyLayerFn DestroyLayer = nullptr;
  PrepareLayerFn PrepareLayer = nullptr;
  UnprepareLayerFn UnprepareLayer = nullptr;
  GetLayerMountPathFn GetLayerMountPath = nullptr;
  CreateSandboxLayerFn CreateSandboxLayer = nullptr;
  NameToGuidFn NameToGuid = nullptr;
};

const StatusOr<VmCompute>& LoadVmCompute() {
  static const StatusOr<VmCompute> api = []() -> StatusOr<VmCompute> {
    HMODULE m = ::LoadLibraryExW(L"vmcompute.dll", nullptr,
                                 LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (m == nullptr) {
      Status s = win::LastError("LoadLibraryExW", "vmcompute.dll");
      return UnavailableError(
          "vmcompute.dll is not available (the Containers feature is "
          "required): " +
          s.message());
    }
    VmCompute v;
#define WINSNAP_BIND(name)                                         \
  if (!win::Bind(m, #name, v.name)) {                              \
    return UnavailableError("vmcompute.dll has no export " #name); \
  }
    WINSNAP_BIND(ActivateLayer)
    WINSNAP_BIND(DeactivateLayer)
    WINSNAP_BIND(DestroyLayer)
    WINSNAP_BIND(PrepareLayer)
    WINSNAP_BIND(UnprepareLayer)
    WINSNAP_BIND(GetLayerMountPath)
    WINSNAP_BIND(CreateSandboxLayer)
    WINSNAP_BIND(NameToGuid)
#undef WINSNAP_BIND
    return v;
  }();
  return api;
}

const DriverInfo kDriverInfo = {1, L""};

// RFC-order bytes of our Guid <-> the Windows GUID struct.
GUID ToWindowsGuid(const Guid& g) {
  const auto& b = g.bytes();
  GUID w;
  w.Data1 = (static_cast<unsigned long>(b[0]) << 24) |
            (static_cast<unsigned long>(b[1]) << 16) |
            (static_cast<unsigned long>(b[2]) << 8) | b[3];
  w.Data2 = static_cast<unsigned short>((b[4] << 8) | b[5]);
  w.Data3 = static_cast<unsigned short>((b[6] << 8) | b[7]);
  for (int i = 0; i < 8; ++i) w.Data4[i] = b[8 + i];
  return w;
}

Guid FromWindowsGuid(const GUID& w) {
  std::array<uint8_t, 16> b;
  b[0] = static_cast<uint8_t>(w.Data1 >> 24);
  b[1] = static_cast<uint8_t>(w.Data1 >> 16);
  b[2] = static_cast<uint8_t>(w.Data1 >> 8);
  b[3] = static_cast<uint8_t>(w.Data1);
  b[4] = static_cast<uint8_t>(w.Data2 >> 8);
  b[5] = static_cast<uint8_t>(w.Data2);
  b[6] = static_cast<uint8_t>(w.Data3 >> 8);
  b[7] = static_cast<uint8_t>(w.Data3);
  for (int i = 0; i < 8; ++i) b[8 + i] = w.Data4[i];
  return Guid(b);
}

class WindowsLayerService final : public LayerService {
 public:
  explicit WindowsLayerService(const VmCompute& api) : api_(api) {}

  StatusOr<std::string> LayerId(std::string_view layer_path) override {
    WINSNAP_ASSIGN_OR_RETURN(Guid g, NameToGuid(LayerNameFromPath(layer_path)));
    return g.ToString();
  }

  Status ActivateLayer(const std::string& scratch) override {
    std::wstring id = Utf8ToWide(scratch);
    HRESULT hr = api_.ActivateLayer(&kDriverInfo, id.c_str());
    if (FAILED(hr)) return HresultError("ActivateLayer", hr, scratch);
    return OkStatus();
  }

  Status EnsureScratchDisk(const std::string& scratch,
                           const std::vector<std::string>& parents) override {
    // The snapshotter normally copies the base layer's blank.vhdx to
    // sandbox.vhdx; hcsshim creates it with CreateSandboxLayer when it is
    // missing (ensureScratchVHD, facts §3.3).
    std::wstring id = Utf8ToWide(scratch);
    std::wstring vhdx = id + L"\\sandbox.vhdx";
    if (::GetFileAttributesW(vhdx.c_str()) != INVALID_FILE_ATTRIBUTES) {
      return OkStatus();
    }
    Descriptors d;
    WINSNAP_RETURN_IF_ERROR(BuildDescriptors(parents, &d));
    HRESULT hr =
        api_.CreateSandboxLayer(&kDriverInfo, id.c_str(), 0,
                                d.descriptors.data(), d.descriptors.size());
    if (FAILED(hr)) return HresultError("CreateSandboxLayer", hr, scratch);
    return OkStatus();
  }

  Status PrepareLayer(const std::string& scratch,
                      const std::vector<std::string>& parents) override {
    Descriptors d;
    WINSNAP_RETURN_IF_ERROR(BuildDescriptors(parents, &d));
    const std::vector<WcLayerDescriptor>& descriptors = d.descriptors;
    std::wstring id = Utf8ToWide(scratch);
    static std::mutex prepare_mu;  // hcsshim: prepareLayerLock
    std::lock_guard<std::mutex> l(prepare_mu);
    HRESULT hr = S_OK;
    // hcsshim retries up to 5 times, 100 ms apart, while the volume is not
    // ready yet (HS internal/layers/wcow_mount.go).
    for (int attempt = 0; attempt < 5; ++attempt) {
      hr = api_.PrepareLayer(&kDriverInfo, id.c_str(), descriptors.data(),
                             descriptors.size());
      if (hr != HRESULT_FROM_WIN32(ERROR_NOT_READY) &&
          hr != HRESULT_FROM_WIN32(ERROR_DEVICE_NOT_CONNECTED)) {
        break;
      }
      ::Sleep(100);
    }
    if (FAILED(hr)) return HresultError("PrepareLayer", hr, scratch);
    return OkStatus();
  }

  StatusOr<std::string> GetLayerMountPath(const std::string& scratch) override {
    std::wstring id = Utf8ToWide(scratch);
    SIZE_T length = 0;
    HRESULT hr =
        api_.GetLayerMountPath(&kDriverInfo, id.c_str(), &length, nullptr);
    if (FAILED(hr)) return HresultError("GetLayerMountPath", hr, scratch);
    if (length == 0) {
      return InternalError("GetLayerMountPath " + scratch +
                           ": empty mount path");
    }
    std::wstring buf(length, L'\0');
    hr = api_.GetLayerMountPath(&kDriverInfo, id.c_str(), &length, buf.data());
    if (FAILED(hr)) return HresultError("GetLayerMountPath", hr, scratch);
    return WideToUtf8(buf.c_str());
  }

  Status UnprepareLayer(const std::string& scratch) override {
    std::wstring id = Utf8ToWide(scratch);
    HRESULT hr = api_.UnprepareLayer(&kDriverInfo, id.c_str());
    if (FAILED(hr)) return HresultError("UnprepareLayer", hr, scratch);
    return OkStatus();
  }

  Status DeactivateLayer(const std::string& scratch) override {
    std::wstring id = Utf8ToWide(scratch);
    HRESULT hr = api_.DeactivateLayer(&kDriverInfo, id.c_str());
    if (FAILED(hr)) return HresultError("DeactivateLayer", hr, scratch);
    return OkStatus();
  }

  Status DestroyLayer(const std::string& folder) override {
    std::wstring id = Utf8ToWide(folder);
    HRESULT hr = api_.DestroyLayer(&kDriverInfo, id.c_str());
    if (FAILED(hr)) return HresultError("DestroyLayer", hr, folder);
    return OkStatus();
  }

 private:
  // Descriptors point into "paths"; keep both together.
  struct Descriptors {
    std::vector<std::wstring> paths;
    std::vector<WcLayerDescriptor> descriptors;
  };

  // hcsshim layerPathsToDescriptors: {NameToGuid(base name), 0, path}.
  Status BuildDescriptors(const std::vector<std::string>& parents,
                          Descriptors* d) {
    d->paths.clear();
    d->descriptors.clear();
    d->paths.reserve(parents.size());
    for (const std::string& p : parents) d->paths.push_back(Utf8ToWide(p));
    for (size_t i = 0; i < parents.size(); ++i) {
      WINSNAP_ASSIGN_OR_RETURN(Guid g,
                               NameToGuid(LayerNameFromPath(parents[i])));
      d->descriptors.push_back({ToWindowsGuid(g), 0, d->paths[i].c_str()});
    }
    return OkStatus();
  }

  StatusOr<Guid> NameToGuid(std::string_view name) {
    std::wstring w = Utf8ToWide(name);
    GUID g{};
    HRESULT hr = api_.NameToGuid(w.c_str(), &g);
    if (FAILED(hr)) return HresultError("NameToGuid", hr, name);
    return FromWindowsGuid(g);
  }

  const VmCompute& api_;
};

}  // namespace

StatusOr<std::unique_ptr<LayerService>> NewLayerService() {
  const StatusOr<VmCompute>& api = LoadVmCompute();
  if (!api.ok()) return api.status();
  return std::unique_ptr<LayerService>(
      std::make_unique<WindowsLayerService>(*api));
}

}  // namespace winsnap::hcs
