// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/import.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <utility>

#include "base/env.h"
#include "base/thread_annotations.h"
#include "base/thread_pool.h"
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

// One layer being unpacked: its staging folder and what the unpack found.
struct Slot {
  Status status;
  snapshotter::StagingDir staging;
  UnpackedLayer result;
};

// Serializes the caller's progress callback: layers report from the pool's
// workers at the same time.
class Progress {
 public:
  explicit Progress(const std::function<void(const ImportEvent&)>& fn)
      : fn_(fn) {}
  void Emit(const ImportEvent& ev) EXCLUDES(mu_) {
    if (!fn_) return;
    base::MutexLock lock(&mu_);
    fn_(ev);
  }

 private:
  const std::function<void(const ImportEvent&)>& fn_;
  base::Mutex mu_;
};

// The import of one planned image, one method a step: PlanLayers (which
// layers exist, which are missing), UnpackMissing (on a base::ThreadPool,
// each layer verified against manifest and config), CommitAll (in order;
// Rollback removes what this import committed), then the docker-save
// manifest and WriteRecord. Used by one thread; during UnpackMissing the
// pool's workers share only cancel_ and write only their own layer's slot.
class ImageImport {
 public:
  ImageImport(snapshotter::Snapshotter* sn, const ImageSource& src,
              const ImportOptions& options, Progress* progress, ImagePlan* plan)
      : sn_(sn),
        src_(src),
        options_(options),
        progress_(progress),
        plan_(*plan),
        n_(static_cast<int>(plan->layers.size())),
        slots_(plan->layers.size()) {
    label_ = plan_.names.empty()
                 ? (plan_.manifest_digest.empty() ? plan_.config_digest
                                                  : plan_.manifest_digest)
                 : plan_.names[0];
    img_.layers.resize(plan_.layers.size());
  }

  // Every step. On error nothing of this image that this import made is
  // visible.
  StatusOr<ImportedImage> Run() {
    progress_->Emit(Event(ImportEvent::Type::kImage, -1));
    WINSNAP_RETURN_IF_ERROR(PlanLayers());
    if (LayerWritesNeedCommittedParents()) {
      WINSNAP_RETURN_IF_ERROR(UnpackAndCommitInOrder());
    } else {
      WINSNAP_RETURN_IF_ERROR(UnpackMissing());
      WINSNAP_RETURN_IF_ERROR(CommitAll());
    }
    Status s = SynthesizeManifest();
    if (!s.ok()) {
      Rollback();
      return s;
    }
    if (plan_.names.empty()) plan_.names.push_back(plan_.manifest_digest);
    s = WriteRecord();
    if (!s.ok()) {
      Rollback();
      return s.WithContext("store image record");
    }
    ImportEvent ev = Event(ImportEvent::Type::kCommitted, -1);
    ev.image = plan_.names[0];
    ev.chain_id = img_.record.top_chain_id;
    progress_->Emit(ev);
    return std::move(img_);
  }

 private:
  ImportEvent Event(ImportEvent::Type type, int layer) const {
    ImportEvent ev;
    ev.type = type;
    ev.image = label_;
    ev.layer = layer;
    ev.layers = n_;
    return ev;
  }

  // Which layers exist (committed snapshots named by their chain ID: skipped)
  // and which are missing (todo_).
  Status PlanLayers() {
    for (int i = 0; i < n_; ++i) {
      const LayerPlan& l = plan_.layers[i];
      ImportedLayer& il = img_.layers[i];
      il.diff_id = l.diff_id;
      il.chain_id = l.chain_id;
      il.digest = l.digest;
      auto info = sn_->Stat(l.chain_id);
      if (!info.ok()) {
        if (info.status().code() != StatusCode::kNotFound) return info.status();
        todo_.push_back(i);
        continue;
      }
      if (info->kind != metadata::Kind::kCommitted)
        return FailedPreconditionError("snapshot " + l.chain_id +
                                       " exists but is not committed");
      il.skipped = true;
      if (il.digest.empty()) {
        auto it = info->labels.find(std::string(kLabelLayerDigest));
        if (it != info->labels.end()) il.digest = it->second;
      }
      ImportEvent ev = Event(ImportEvent::Type::kLayerSkipped, i);
      ev.digest = il.digest;
      ev.chain_id = l.chain_id;
      ev.size = l.size;
      progress_->Emit(ev);
    }
    return OkStatus();
  }

  // Unpacks layer i into slot.staging and verifies it; "parents" are its
  // committed parent folders, nearest first (the Windows writer's
  // ImportLayer).
  Status UnpackOne(int i, Slot& slot, std::vector<std::string> parents) {
    const LayerPlan& l = plan_.layers[i];
    if (cancel_.load()) return CancelledError("import cancelled");
    WINSNAP_ASSIGN_OR_RETURN(slot.staging, sn_->BeginStaging());
    WINSNAP_ASSIGN_OR_RETURN(auto blob, src_.OpenFile(l.blob));
    UnpackLayerOptions uo;
    uo.writer = options_.writer;
    uo.writer.parents = std::move(parents);
    // One filesystem sync for all layers, before the commits (SyncStaging).
    uo.writer.sync = false;
    uo.compression = l.compression;
    uo.cancel = &cancel_;
    uo.progress = [&](const LayerProgress& p) {
      ImportEvent ev = Event(p.done ? ImportEvent::Type::kLayerDone
                                    : ImportEvent::Type::kLayerProgress,
                             i);
      ev.digest = l.digest;
      ev.chain_id = l.chain_id;
      ev.size = l.size >= 0 ? l.size : blob->size();
      ev.compressed_bytes = p.compressed_bytes;
      ev.uncompressed_bytes = p.uncompressed_bytes;
      ev.files = p.files;
      ev.entries = p.entries;
      progress_->Emit(ev);
    };
    auto r = UnpackLayer(blob.get(), slot.staging.path(), uo);
    if (!r.ok())
      return r.status().WithContext("layer " + std::to_string(i) + " (" +
                                    (l.digest.empty() ? l.blob : l.digest) +
                                    ")");
    slot.result = std::move(*r);
    return Verify(i, slot.result);
  }

  // The unpacked blob and tar stream against the manifest and the config.
  Status Verify(int i, const UnpackedLayer& u) const {
    const LayerPlan& l = plan_.layers[i];
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
  }

  // Unpacks the missing layers on up to parallel_layers pool workers. On
  // error every staging folder is discarded (~Slot) and the first error in
  // layer order is returned (a Cancelled sibling is not the cause).
  Status UnpackMissing() {
    if (todo_.empty()) return OkStatus();
    const int workers =
        std::max(1, std::min<int>(options_.parallel_layers,
                                  static_cast<int>(todo_.size())));
    {
      // Each task writes only slots_[i] of its layer; the pool's destructor
      // runs every task and joins, and only then does this thread read them.
      base::ThreadPool pool(workers);
      for (int i : todo_) {
        pool.Submit([this, i] {
          Slot local;
          Status s = UnpackOne(i, local, {});
          if (!s.ok()) cancel_.store(true);
          local.status = s;
          slots_[i] = std::move(local);
        });
      }
    }
    Status failed;
    for (int i : todo_) {
      const Status& s = slots_[i].status;
      if (s.ok()) continue;
      if (failed.ok() || (failed.code() == StatusCode::kCancelled &&
                          s.code() != StatusCode::kCancelled))
        failed = s;
    }
    if (!failed.ok()) slots_ = std::vector<Slot>(slots_.size());
    return failed;
  }

  // Makes the staging folders durable with one filesystem sync (they share
  // the staging filesystem), unless the writer options turn syncing off.
  Status SyncStaging(const std::string& staging) {
    if (!options_.writer.sync) return OkStatus();
    return sn_->env()->SyncFilesystem(staging);
  }

  // Commits the verified layers in order, then nothing is left to unpack.
  // On error rolls back what this import committed.
  Status CommitAll() {
    if (todo_.empty()) return OkStatus();
    WINSNAP_RETURN_IF_ERROR(SyncStaging(slots_[todo_[0]].staging.path()));
    for (int i : todo_) {
      Status s = CommitOne(i);
      if (!s.ok()) {
        Rollback();
        return s;
      }
    }
    return OkStatus();
  }

  // Windows: a layer is imported over its committed parents, so one layer at
  // a time, each committed before the next. A failure removes the failed
  // layer's staging folder and rolls back the layers this import committed.
  Status UnpackAndCommitInOrder() {
    for (int i : todo_) {
      std::vector<std::string> parents;
      Status s;
      for (int j = i - 1; j >= 0 && s.ok(); --j) {
        auto info = sn_->Stat(plan_.layers[j].chain_id);
        if (info.ok()) {
          parents.push_back(info->path);
        } else {
          s = info.status().WithContext("parent of layer " + std::to_string(i));
        }
      }
      if (s.ok()) s = UnpackOne(i, slots_[i], std::move(parents));
      if (s.ok()) s = SyncStaging(slots_[i].staging.path());
      if (s.ok()) s = CommitOne(i);
      if (!s.ok()) {
        slots_[i] = Slot();  // the staging folder goes now
        Rollback();
        return s;
      }
    }
    return OkStatus();
  }

  Status CommitOne(int i) {
    LayerPlan& l = plan_.layers[i];
    Slot& slot = slots_[i];
    metadata::Labels labels{
        {std::string(kLabelUncompressed), l.diff_id},
        {std::string(kLabelLayerDigest), slot.result.blob_digest}};
    Status s = sn_->CommitStaged(std::move(slot.staging), l.chain_id, l.parent,
                                 labels);
    if (s.code() == StatusCode::kAlreadyExists) {
      s = OkStatus();  // a concurrent import committed the same layer
    } else if (s.ok()) {
      committed_.push_back(l.chain_id);
    }
    if (!s.ok()) return s.WithContext("commit layer " + std::to_string(i));
    ImportedLayer& il = img_.layers[i];
    il.digest = slot.result.blob_digest;
    il.size = slot.result.compressed_size;
    il.stats = slot.result.stats;
    if (l.media_type.empty()) l.compression = slot.result.compression;
    return OkStatus();
  }

  // Removes the layers this import committed, newest first.
  void Rollback() {
    for (auto it = committed_.rbegin(); it != committed_.rend(); ++it)
      sn_->Remove(*it).IgnoreError();
  }

  struct BlobFacts {
    std::string digest;
    int64_t size = 0;
    Compression compression = Compression::kUnknown;
  };

  // Digest, size and compression of the archive's blob of layer i, which
  // was not unpacked. The archive's own digest if it gives one; an
  // uncompressed blob is the layer's tar stream, so its digest is the
  // diffID the plan (and the skip) rests on and its size the file's. Only
  // the first bytes, which tell the compression, are read, and not even
  // those when the archive gives digest and media type; only a compressed
  // blob of unknown digest is read and hashed.
  StatusOr<BlobFacts> SkippedBlob(int i) const {
    const LayerPlan& l = plan_.layers[i];
    WINSNAP_ASSIGN_OR_RETURN(auto f, src_.OpenFile(l.blob));
    BlobFacts facts{l.digest, f->size(), l.compression};
    if (!l.digest.empty() && l.compression != Compression::kUnknown)
      return facts;
    uint8_t head[4];
    size_t got = 0;
    while (got < sizeof head) {
      WINSNAP_ASSIGN_OR_RETURN(size_t r,
                               f->Read(head + got, sizeof head - got));
      if (r == 0) break;
      got += r;
    }
    const Compression detected =
        DetectCompression(std::span<const uint8_t>(head, got));
    // As an unpacked layer's: the bytes tell what the media type does not.
    if (facts.compression == Compression::kUnknown)
      facts.compression = detected;
    if (!facts.digest.empty()) return facts;
    if (detected == Compression::kNone) {
      facts.digest = l.diff_id;
      return facts;
    }
    WINSNAP_ASSIGN_OR_RETURN(auto hashed, HashFile(src_, l.blob));
    facts.digest = hashed.first;
    facts.size = hashed.second;
    return facts;
  }

  // docker-save has no manifest: synthesize the OCI one ctr would.
  Status SynthesizeManifest() {
    if (!plan_.manifest_digest.empty()) return OkStatus();
    json man;
    man["schemaVersion"] = 2;
    man["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
    man["config"] = {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", plan_.config_digest},
                     {"size", plan_.config_json.size()}};
    man["layers"] = json::array();
    for (int i = 0; i < n_; ++i) {
      ImportedLayer& il = img_.layers[i];
      int64_t size = il.size;
      if (il.skipped || il.digest.empty()) {
        WINSNAP_ASSIGN_OR_RETURN(BlobFacts blob, SkippedBlob(i));
        il.digest = blob.digest;
        size = blob.size;
        plan_.layers[i].compression = blob.compression;
      }
      man["layers"].push_back(
          {{"mediaType", OciLayerMediaType(plan_.layers[i].compression)},
           {"digest", il.digest},
           {"size", size}});
    }
    plan_.manifest_digest = Sha256Of(man.dump());
    return OkStatus();
  }

  // One record per name, in one write transaction.
  Status WriteRecord() {
    metadata::ImageRecord rec;
    rec.manifest_digest = plan_.manifest_digest;
    rec.config_digest = plan_.config_digest;
    rec.top_chain_id = plan_.layers.empty() ? "" : plan_.layers.back().chain_id;
    rec.platform = plan_.platform;
    rec.config_json = plan_.config_json;
    rec.created_ns = sn_->env()->NowNanos();
    std::vector<metadata::ImageRecord> recs;
    for (const auto& name : plan_.names) {
      recs.push_back(rec);
      recs.back().name = name;
    }
    WINSNAP_RETURN_IF_ERROR(sn_->PutImages(recs));
    img_.names = plan_.names;
    img_.record = rec;
    img_.record.name = plan_.names[0];
    return OkStatus();
  }

  snapshotter::Snapshotter* const sn_;
  const ImageSource& src_;
  const ImportOptions& options_;
  Progress* const progress_;
  ImagePlan& plan_;
  const int n_;
  std::string label_;  // names the image in events before it has a name
  ImportedImage img_;
  std::vector<int> todo_;  // missing layers, base first
  std::vector<Slot> slots_;
  std::vector<std::string> committed_;  // chain IDs this import committed
  std::atomic<bool> cancel_{false};
};

// The images of the archive, planned (documents read and checked; no layer
// read yet).
StatusOr<std::vector<ImagePlan>> PlanArchive(const ImageSource& src,
                                             std::string_view what,
                                             const Platform& want) {
  if (src.Has("index.json")) return PlanOci(src, want);
  if (src.Has("manifest.json")) return PlanDockerSave(src, want);
  return InvalidArgumentError(std::string(what) +
                              " has neither index.json (OCI layout) nor "
                              "manifest.json (docker save)");
}

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
  WINSNAP_ASSIGN_OR_RETURN(std::vector<ImagePlan> plans,
                           PlanArchive(src, what, want));
  if (!options.name.empty()) {
    if (plans.size() != 1)
      return InvalidArgumentError("--name given but the archive holds " +
                                  std::to_string(plans.size()) + " images");
    plans[0].names = {options.name};
  }
  Progress progress(options.progress);
  std::vector<ImportedImage> out;
  for (ImagePlan& plan : plans) {
    ImageImport image(sn_, src, options, &progress, &plan);
    WINSNAP_ASSIGN_OR_RETURN(ImportedImage img, image.Run());
    out.push_back(std::move(img));
  }
  return out;
}

}  // namespace winsnap::unpack
