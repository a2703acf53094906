// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Implementation of the layer-API fallback of folder deletion.

#include "hcs/layer_remove.h"

#include <memory>
#include <mutex>
#include <utility>

#include "hcs/compute_service.h"

namespace winsnap::hcs {

bool LooksLikeLayerFolder(base::Env* env, const std::string& folder) {
  if (env == nullptr) env = base::Env::Default();
  for (const char* dir : {"Files", "Hives", "UtilityVM"}) {
    if (env->IsDirectory(base::JoinPath(folder, dir))) return true;
  }
  for (const char* file : {"layerchain.json", "sandbox.vhdx"}) {
    if (env->Exists(base::JoinPath(folder, file))) return true;
  }
  return false;
}

base::RemoveRetryHook LayerRemoveFallback(LayerRemoveCalls calls,
                                          base::Env* env) {
  if (env == nullptr) env = base::Env::Default();
  return [calls = std::move(calls), env](const std::string& path,
                                         const Status& /*error*/) -> Status {
    if (!LooksLikeLayerFolder(env, path)) return OkStatus();
    calls.deactivate(path).IgnoreError();
    Status s = calls.destroy(path);
    if (s.ok()) return s;
    return Status(s.code(), "layer fallback: " + s.message());
  };
}

base::RemoveRetryHook NewLayerRemoveFallback(base::Env* env) {
  if (env == nullptr) env = base::Env::Default();
  struct Shared {
    std::once_flag once;
    std::unique_ptr<LayerService> layers;
    Status open_error;
  };
  auto shared = std::make_shared<Shared>();
  return [shared, env](const std::string& path, const Status&) -> Status {
    if (!LooksLikeLayerFolder(env, path)) return OkStatus();
    std::call_once(shared->once, [&] {
      auto layers = NewLayerService();
      if (layers.ok()) {
        shared->layers = std::move(layers).value();
      } else {
        shared->open_error = layers.status();
      }
    });
    if (shared->layers == nullptr) {
      return Status(
          shared->open_error.code(),
          "layer fallback unavailable: " + shared->open_error.message());
    }
    LayerService* l = shared->layers.get();
    return LayerRemoveFallback(
        {[l](const std::string& f) { return l->DeactivateLayer(f); },
         [l](const std::string& f) { return l->DestroyLayer(f); }},
        env)(path, OkStatus());
  };
}

}  // namespace winsnap::hcs
