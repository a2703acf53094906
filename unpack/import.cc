// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/import.h"

#include <spdlog/spdlog.h>

#include <cerrno>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "base/env.h"
#include "oci/config.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/platform.h"
#include "unpack/decompress.h"
#include "unpack/image_source.h"
#include "unpack/index_resolver.h"
#include "unpack/layer_unpacker.h"

namespace winsnap::unpack {
namespace {

using json = nlohmann::json;
using oci::ChainIds;
using oci::Descriptor;
using oci::IsSha256Digest;
using oci::Platform;
using oci::Sha256Of;

constexpr size_t kMaxDocument = 4 << 20;  // index/manifest JSON
constexpr size_t kMaxConfig = 16 << 20;

struct LayerPlan {
  std::string blob;        // archive file name
  std::string media_type;  // "" for docker-save
  std::string digest;      // expected blob digest ("" if unknown)
  int64_t size = -1;       // expected blob size (-1 if unknown)
  std::vector<std::string> urls;
  Compression compression = Compression::kUnknown;
  std::string diff_id;
  std::string chain_id;
  std::string parent;  // parent chain ID
};

struct ImagePlan {
  std::vector<std::string> names;
  std::string manifest_digest;  // "" for docker-save (synthesized later)
  std::string config_digest;
  std::string config_json;
  std::string platform;
  std::vector<LayerPlan> layers;
};

// "os/architecture[/variant]" as the image record shows it.
std::string PlatformString(const Platform& p) {
  std::string s = p.os + "/" + p.architecture;
  if (!p.variant.empty()) s += "/" + p.variant;
  return s;
}

Status CheckPlatform(const Platform& have, const Platform& want,
                     std::string_view image) {
  std::vector<std::optional<Platform>> one{have};
  if (!oci::SelectPlatform(one, want).ok())
    return FailedPreconditionError("image " + std::string(image) + " is " +
                                   have.ToString() + ", not " +
                                   want.ToString());
  return OkStatus();
}

Status FillLayers(ImagePlan* plan, const std::vector<std::string>& diff_ids) {
  if (diff_ids.size() != plan->layers.size())
    return InvalidArgumentError("image has " +
                                std::to_string(plan->layers.size()) +
                                " layers but its config lists " +
                                std::to_string(diff_ids.size()) + " diff_ids");
  auto chains = ChainIds(diff_ids);
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    plan->layers[i].diff_id = diff_ids[i];
    plan->layers[i].chain_id = chains[i];
    plan->layers[i].parent = i ? chains[i - 1] : "";
  }
  return OkStatus();
}

Status CheckForeign(const ImageSource& src, const LayerPlan& l) {
  if (src.Has(l.blob)) return OkStatus();
  std::string urls;
  for (const auto& u : l.urls) urls += (urls.empty() ? "" : ", ") + u;
  if (!urls.empty())
    return FailedPreconditionError(
        "foreign layer " + (l.digest.empty() ? l.diff_id : l.digest) +
        " is not in the archive; it is published at " + urls);
  return FailedPreconditionError("layer blob \"" + l.blob +
                                 "\" is missing from the archive");
}

StatusOr<std::vector<ImagePlan>> PlanOci(const ImageSource& src,
                                         const Platform& want) {
  WINSNAP_ASSIGN_OR_RETURN(std::string body,
                           src.ReadFile("index.json", kMaxDocument));
  auto index = oci::ParseImageIndex(body);
  if (!index.ok()) return index.status().WithContext("index.json");
  // Top-level entries grouped by image name, in order.
  std::vector<std::pair<std::string, std::vector<Descriptor>>> groups;
  for (const auto& d : index->manifests) {
    std::string name;
    if (auto it = d.annotations.find("io.containerd.image.name");
        it != d.annotations.end()) {
      name = it->second;
    } else if (auto it2 =
                   d.annotations.find("org.opencontainers.image.ref.name");
               it2 != d.annotations.end()) {
      name = it2->second;
    }
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const auto& e) { return e.first == name; });
    if (g == groups.end()) {
      groups.push_back({name, {d}});
    } else {
      g->second.push_back(d);
    }
  }
  // Every index, manifest and config is read and verified once per import.
  IndexResolver resolver(src);
  std::vector<ImagePlan> plans;
  Status last_miss;
  for (const auto& [name, descs] : groups) {
    auto m = resolver.ResolveManifest(descs, want);
    if (!m.ok()) {
      if (m.status().code() != StatusCode::kFailedPrecondition)
        return m.status();
      last_miss = m.status().WithContext(name.empty() ? "image" : name);
      continue;
    }
    WINSNAP_ASSIGN_OR_RETURN(
        std::string mbody, resolver.ReadVerified(*m, kMaxDocument, "manifest"));
    WINSNAP_ASSIGN_OR_RETURN(oci::ImageManifest man,
                             oci::ParseImageManifest(mbody));
    ImagePlan plan;
    if (!name.empty()) plan.names.push_back(name);
    plan.manifest_digest = m->digest;
    plan.config_digest = man.config.digest;
    WINSNAP_ASSIGN_OR_RETURN(
        plan.config_json,
        resolver.ReadVerified(man.config, kMaxConfig, "config"));
    // The config is parsed once (oci/config.h). One that is no image config
    // (an artifact's) or is for another platform is a miss.
    StatusOr<oci::ImageConfig> config = oci::ParseImageConfig(plan.config_json);
    Status ps = config.ok() ? CheckPlatform(config->platform, want,
                                            name.empty() ? m->digest : name)
                            : config.status();
    if (!ps.ok()) {
      last_miss = ps;
      continue;
    }
    plan.platform = PlatformString(config->platform);
    for (const auto& l : man.layers) {
      LayerPlan lp;
      WINSNAP_ASSIGN_OR_RETURN(LayerMediaType mt,
                               ParseLayerMediaType(l.media_type));
      if (!IsSha256Digest(l.digest))
        return UnimplementedError("layer digest " + l.digest +
                                  " is not sha256");
      lp.blob = OciBlobPath(l.digest);
      lp.media_type = l.media_type;
      lp.digest = l.digest;
      lp.size = l.size;
      lp.urls = l.urls;
      lp.compression = mt.compression;
      plan.layers.push_back(std::move(lp));
    }
    WINSNAP_RETURN_IF_ERROR(FillLayers(&plan, config->diff_ids));
    for (const auto& l : plan.layers)
      WINSNAP_RETURN_IF_ERROR(CheckForeign(src, l));
    plans.push_back(std::move(plan));
  }
  if (plans.empty()) {
    if (!last_miss.ok()) return last_miss;
    return InvalidArgumentError("index.json lists no image");
  }
  return plans;
}

StatusOr<std::vector<ImagePlan>> PlanDockerSave(const ImageSource& src,
                                                const Platform& want) {
  WINSNAP_ASSIGN_OR_RETURN(std::string body,
                           src.ReadFile("manifest.json", kMaxDocument));
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_array() || doc.empty())
    return InvalidArgumentError("manifest.json is not a non-empty JSON array");
  std::vector<ImagePlan> plans;
  Status last_miss;
  for (const auto& e : doc) {
    auto cfg = e.find("Config");
    auto layers = e.find("Layers");
    if (!e.is_object() || cfg == e.end() || !cfg->is_string() ||
        layers == e.end() || !layers->is_array())
      return InvalidArgumentError(
          "manifest.json entry needs Config and Layers");
    ImagePlan plan;
    if (auto tags = e.find("RepoTags"); tags != e.end() && tags->is_array()) {
      for (const auto& t : *tags)
        if (t.is_string()) plan.names.push_back(t.get<std::string>());
    }
    WINSNAP_ASSIGN_OR_RETURN(std::string cname,
                             NormalizeArchiveName(cfg->get<std::string>()));
    WINSNAP_ASSIGN_OR_RETURN(plan.config_json, src.ReadFile(cname, kMaxConfig));
    plan.config_digest = Sha256Of(plan.config_json);
    // docker save names the config "<hex>.json" (or blobs/sha256/<hex>).
    std::string base = cname.substr(cname.rfind('/') + 1);
    if (base.size() >= 64 && IsSha256Digest("sha256:" + base.substr(0, 64)) &&
        "sha256:" + base.substr(0, 64) != plan.config_digest)
      return DataLossError("config " + cname + " does not match its name");
    std::string label = plan.names.empty() ? plan.config_digest : plan.names[0];
    StatusOr<oci::ImageConfig> config = oci::ParseImageConfig(plan.config_json);
    Status ps = config.ok() ? CheckPlatform(config->platform, want, label)
                            : config.status();
    if (!ps.ok()) {
      last_miss = ps;
      continue;
    }
    plan.platform = PlatformString(config->platform);
    const std::vector<std::string>& ids = config->diff_ids;
    std::map<std::string, Descriptor> sources;
    if (auto ls = e.find("LayerSources"); ls != e.end() && ls->is_object()) {
      for (const auto& [diff, d] : ls->items()) {
        Descriptor desc;
        if (d.is_object()) {
          desc.media_type = d.value("mediaType", "");
          desc.digest = d.value("digest", "");
          if (auto u = d.find("urls"); u != d.end() && u->is_array()) {
            for (const auto& x : *u)
              if (x.is_string()) desc.urls.push_back(x.get<std::string>());
          }
        }
        sources[diff] = desc;
      }
    }
    for (size_t i = 0; i < layers->size(); ++i) {
      const auto& l = (*layers)[i];
      if (!l.is_string())
        return InvalidArgumentError("manifest.json Layers must be strings");
      LayerPlan lp;
      WINSNAP_ASSIGN_OR_RETURN(lp.blob,
                               NormalizeArchiveName(l.get<std::string>()));
      if (i < ids.size()) {
        if (auto it = sources.find(ids[i]); it != sources.end()) {
          lp.urls = it->second.urls;
          lp.media_type = it->second.media_type;
          if (IsSha256Digest(it->second.digest)) lp.digest = it->second.digest;
        }
      }
      plan.layers.push_back(std::move(lp));
    }
    WINSNAP_RETURN_IF_ERROR(FillLayers(&plan, ids));
    for (const auto& l : plan.layers)
      WINSNAP_RETURN_IF_ERROR(CheckForeign(src, l));
    plans.push_back(std::move(plan));
  }
  if (plans.empty()) return last_miss;
  return plans;
}

// SHA-256 of a whole archive file (docker-save layers that were deduped still
// need their digest for the synthesized manifest).
StatusOr<std::pair<std::string, int64_t>> HashFile(const ImageSource& src,
                                                   const std::string& name) {
  WINSNAP_ASSIGN_OR_RETURN(auto f, src.OpenFile(name));
  WINSNAP_ASSIGN_OR_RETURN(oci::Digester sha, oci::Digester::Create("sha256"));
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    WINSNAP_ASSIGN_OR_RETURN(size_t n, f->Read(buf.data(), buf.size()));
    if (n == 0) break;
    sha.Update(buf.data(), n);
  }
  int64_t size = static_cast<int64_t>(sha.bytes());
  return std::make_pair(sha.Finish(), size);
}

std::string OciLayerMediaType(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Compression::kZstd:
      return "application/vnd.oci.image.layer.v1.tar+zstd";
    default:
      return "application/vnd.oci.image.layer.v1.tar";
  }
}

// One layer being unpacked by a worker.
struct Slot {
  bool done = false;
  Status status;
  snapshotter::StagingDir staging;
  UnpackedLayer result;
};

}  // namespace

StatusOr<std::vector<ImportedImage>> Importer::Import(
    const std::string& path, const ImportOptions& options) {
  WINSNAP_RETURN_IF_ERROR(oci::ParsePlatform(options.platform).status());
  WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<ImageSource> src,
                           ImageSource::Open(path));
  return Import(*src, path, options);
}

StatusOr<std::vector<ImportedImage>> Importer::Import(
    const ImageSource& src, std::string_view what,
    const ImportOptions& options) {
  WINSNAP_RETURN_IF_ERROR(LayerWritingSupported());
  WINSNAP_ASSIGN_OR_RETURN(Platform want, oci::ParsePlatform(options.platform));
  std::vector<ImagePlan> plans;
  if (src.Has("index.json")) {
    WINSNAP_ASSIGN_OR_RETURN(plans, PlanOci(src, want));
  } else if (src.Has("manifest.json")) {
    WINSNAP_ASSIGN_OR_RETURN(plans, PlanDockerSave(src, want));
  } else {
    return InvalidArgumentError(std::string(what) +
                                " has neither index.json (OCI layout) nor "
                                "manifest.json (docker save)");
  }
  if (!options.name.empty()) {
    if (plans.size() != 1)
      return InvalidArgumentError("--name given but the archive holds " +
                                  std::to_string(plans.size()) + " images");
    plans[0].names = {options.name};
  }

  std::mutex progress_mu;
  auto emit = [&](const ImportEvent& ev) {
    if (!options.progress) return;
    std::lock_guard lock(progress_mu);
    options.progress(ev);
  };

  std::vector<ImportedImage> out;
  for (ImagePlan& plan : plans) {
    const std::string label = plan.names.empty() ? (plan.manifest_digest.empty()
                                                        ? plan.config_digest
                                                        : plan.manifest_digest)
                                                 : plan.names[0];
    const int n = static_cast<int>(plan.layers.size());
    {
      ImportEvent ev;
      ev.type = ImportEvent::Type::kImage;
      ev.image = label;
      ev.layers = n;
      emit(ev);
    }
    ImportedImage img;
    img.layers.resize(plan.layers.size());
    std::vector<int> todo;
    for (int i = 0; i < n; ++i) {
      const LayerPlan& l = plan.layers[i];
      img.layers[i].diff_id = l.diff_id;
      img.layers[i].chain_id = l.chain_id;
      img.layers[i].digest = l.digest;
      auto info = sn_->Stat(l.chain_id);
      if (info.ok()) {
        if (info->kind != metadata::Kind::kCommitted)
          return FailedPreconditionError("snapshot " + l.chain_id +
                                         " exists but is not committed");
        img.layers[i].skipped = true;
        if (img.layers[i].digest.empty()) {
          auto it = info->labels.find(std::string(kLabelLayerDigest));
          if (it != info->labels.end()) img.layers[i].digest = it->second;
        }
        ImportEvent ev;
        ev.type = ImportEvent::Type::kLayerSkipped;
        ev.image = label;
        ev.layer = i;
        ev.layers = n;
        ev.digest = img.layers[i].digest;
        ev.chain_id = l.chain_id;
        ev.size = l.size;
        emit(ev);
        continue;
      }
      if (info.status().code() != StatusCode::kNotFound) return info.status();
      todo.push_back(i);
    }

    // Unpacks layer i into local.staging; "parents" are its committed
    // parent folders, nearest first (the Windows writer's ImportLayer).
    std::atomic<bool> cancel{false};
    auto unpack_one = [&](int i, Slot& local,
                          std::vector<std::string> parents) -> Status {
      const LayerPlan& l = plan.layers[i];
      if (cancel.load()) return CancelledError("import cancelled");
      WINSNAP_ASSIGN_OR_RETURN(local.staging, sn_->BeginStaging());
      WINSNAP_ASSIGN_OR_RETURN(auto blob, src.OpenFile(l.blob));
      UnpackLayerOptions uo;
      uo.writer = options.writer;
      uo.writer.parents = std::move(parents);
      // One syncfs for all layers, before the commits (below).
      uo.writer.sync = false;
      uo.compression = l.compression;
      uo.cancel = &cancel;
      uo.progress = [&](const LayerProgress& p) {
        ImportEvent ev;
        ev.type = p.done ? ImportEvent::Type::kLayerDone
                         : ImportEvent::Type::kLayerProgress;
        ev.image = label;
        ev.layer = i;
        ev.layers = n;
        ev.digest = l.digest;
        ev.chain_id = l.chain_id;
        ev.size = l.size >= 0 ? l.size : blob->size();
        ev.compressed_bytes = p.compressed_bytes;
        ev.uncompressed_bytes = p.uncompressed_bytes;
        ev.files = p.files;
        ev.entries = p.entries;
        emit(ev);
      };
      auto r = UnpackLayer(blob.get(), local.staging.path(), uo);
      if (!r.ok())
        return r.status().WithContext("layer " + std::to_string(i) + " (" +
                                      (l.digest.empty() ? l.blob : l.digest) +
                                      ")");
      local.result = std::move(*r);
      const UnpackedLayer& u = local.result;
      if (!l.digest.empty() && u.blob_digest != l.digest)
        return DataLossError("layer " + std::to_string(i) + ": blob digest " +
                             u.blob_digest + " does not match the manifest's " +
                             l.digest);
      if (l.size >= 0 && u.compressed_size != l.size)
        return DataLossError("layer " + std::to_string(i) + " (" + l.digest +
                             "): blob is " + std::to_string(u.compressed_size) +
                             " bytes, the manifest says " +
                             std::to_string(l.size));
      if (u.diff_id != l.diff_id)
        return DataLossError("layer " + std::to_string(i) + ": diffID " +
                             u.diff_id + " does not match the config's " +
                             l.diff_id);
      return OkStatus();
    };

    std::vector<Slot> slots(plan.layers.size());
    std::vector<std::string> committed;
    auto rollback = [&] {
      for (auto it = committed.rbegin(); it != committed.rend(); ++it)
        sn_->Remove(*it).IgnoreError();
    };
    auto commit_one = [&](int i) -> Status {
      const LayerPlan& l = plan.layers[i];
      Slot& slot = slots[i];
      metadata::Labels labels{
          {std::string(kLabelUncompressed), l.diff_id},
          {std::string(kLabelLayerDigest), slot.result.blob_digest}};
      Status s = sn_->CommitStaged(std::move(slot.staging), l.chain_id,
                                   l.parent, labels);
      if (s.code() == StatusCode::kAlreadyExists) {
        s = OkStatus();  // a concurrent import committed the same layer
      } else if (s.ok()) {
        committed.push_back(l.chain_id);
      }
      if (!s.ok()) return s.WithContext("commit layer " + std::to_string(i));
      ImportedLayer& il = img.layers[i];
      il.digest = slot.result.blob_digest;
      il.size = slot.result.compressed_size;
      il.stats = slot.result.stats;
      if (plan.layers[i].media_type.empty())
        plan.layers[i].compression = slot.result.compression;
      return OkStatus();
    };

    if (LayerWritesNeedCommittedParents()) {
      // Windows: a layer is imported over its committed parents, so one
      // layer at a time, each committed before the next. A failure removes
      // the failed layer's staging folder (~Slot) and rolls back the layers
      // this import committed.
      for (int i : todo) {
        std::vector<std::string> parents;
        Status s;
        for (int j = i - 1; j >= 0 && s.ok(); --j) {
          auto info = sn_->Stat(plan.layers[j].chain_id);
          if (info.ok()) {
            parents.push_back(info->path);
          } else {
            s = info.status().WithContext("parent of layer " +
                                          std::to_string(i));
          }
        }
        if (s.ok()) s = unpack_one(i, slots[i], std::move(parents));
        if (s.ok() && options.writer.sync)
          s = base::Env::Default()->SyncFilesystem(slots[i].staging.path());
        if (s.ok()) s = commit_one(i);
        if (!s.ok()) {
          slots[i] = Slot();  // the staging folder goes now
          rollback();
          return s;
        }
      }
    } else {
      // Unpack the missing layers on up to parallel_layers workers.
      std::mutex mu;
      std::atomic<size_t> next{0};
      auto work = [&] {
        for (;;) {
          size_t k = next.fetch_add(1);
          if (k >= todo.size()) return;
          const int i = todo[k];
          Slot local;
          Status s = unpack_one(i, local, {});
          if (!s.ok()) cancel.store(true);
          std::lock_guard lock(mu);
          slots[i] = std::move(local);
          slots[i].status = s;
          slots[i].done = true;
        }
      };
      std::vector<std::thread> workers;
      const int nworkers =
          std::max(1, std::min<int>(options.parallel_layers,
                                    static_cast<int>(todo.size())));
      if (!todo.empty()) {
        for (int w = 0; w < nworkers; ++w) workers.emplace_back(work);
      }
      for (auto& t : workers) t.join();

      // First error in layer order wins (a Cancelled sibling is not the
      // cause).
      Status failed;
      for (int i : todo) {
        const Status& s = slots[i].status;
        if (s.ok()) continue;
        if (failed.ok() || (failed.code() == StatusCode::kCancelled &&
                            s.code() != StatusCode::kCancelled))
          failed = s;
      }
      if (!failed.ok()) return failed;  // ~Slot discards every staging folder

      // Everything verified. Make the folders durable with one syncfs (they
      // share the staging filesystem), then commit in order, then the
      // record.
      if (options.writer.sync && !todo.empty()) {
        const std::string& any = slots[todo[0]].staging.path();
        WINSNAP_RETURN_IF_ERROR(base::Env::Default()->SyncFilesystem(any));
      }
      for (int i : todo) {
        Status s = commit_one(i);
        if (!s.ok()) {
          rollback();
          return s;
        }
      }
    }

    // docker-save has no manifest: synthesize the OCI one ctr would.
    if (plan.manifest_digest.empty()) {
      json man;
      man["schemaVersion"] = 2;
      man["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
      man["config"] = {
          {"mediaType", "application/vnd.oci.image.config.v1+json"},
          {"digest", plan.config_digest},
          {"size", plan.config_json.size()}};
      man["layers"] = json::array();
      for (int i = 0; i < n; ++i) {
        ImportedLayer& il = img.layers[i];
        int64_t size = il.size;
        if (il.skipped || il.digest.empty()) {
          auto h = HashFile(src, plan.layers[i].blob);
          if (!h.ok()) {
            rollback();
            return h.status();
          }
          il.digest = h->first;
          size = h->second;
        }
        man["layers"].push_back(
            {{"mediaType", OciLayerMediaType(plan.layers[i].compression)},
             {"digest", il.digest},
             {"size", size}});
      }
      plan.manifest_digest = Sha256Of(man.dump());
    }
    if (plan.names.empty()) plan.names.push_back(plan.manifest_digest);

    metadata::ImageRecord rec;
    rec.manifest_digest = plan.manifest_digest;
    rec.config_digest = plan.config_digest;
    rec.top_chain_id = plan.layers.empty() ? "" : plan.layers.back().chain_id;
    rec.platform = plan.platform;
    rec.config_json = plan.config_json;
    rec.created_ns = base::Env::Default()->NowNanos();
    std::vector<metadata::ImageRecord> recs;
    for (const auto& name : plan.names) {
      recs.push_back(rec);
      recs.back().name = name;
    }
    Status s = sn_->PutImages(recs);
    if (!s.ok()) {
      rollback();
      return s.WithContext("store image record");
    }
    img.names = plan.names;
    img.record = rec;
    img.record.name = plan.names[0];
    ImportEvent ev;
    ev.type = ImportEvent::Type::kCommitted;
    ev.image = plan.names[0];
    ev.layers = n;
    ev.chain_id = rec.top_chain_id;
    emit(ev);
    out.push_back(std::move(img));
  }
  return out;
}

}  // namespace winsnap::unpack
