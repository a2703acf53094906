// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/registry_source.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <thread>
#include <utility>

#include "unpack/registry/blob_sink.h"

namespace winsnap::unpack {
namespace {

using json = nlohmann::ordered_json;

// A document held in memory.
class MemoryFile final : public BlobFile {
 public:
  explicit MemoryFile(const std::string* data) : data_(data) {}
  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    size_t k = std::min(n, data_->size() - pos_);
    std::memcpy(buf, data_->data() + pos_, k);
    pos_ += k;
    return k;
  }
  int64_t size() const override { return static_cast<int64_t>(data_->size()); }

 private:
  const std::string* data_;
  size_t pos_ = 0;
};

// A layer being downloaded: FetchBlob runs on its own thread into a bounded
// pipe that Read drains. Closing early (an unpack error) cancels the fetch.
class StreamingLayer final : public BlobFile {
 public:
  StreamingLayer(registry::Client* client, registry::Reference repo,
                 oci::Descriptor blob, const RegistrySourceOptions& o)
      : pipe_(o.pipe_bytes), size_(blob.size) {
    registry::FetchOptions fo;
    fo.cancel = &cancel_;
    thread_ = std::thread([this, client, repo = std::move(repo),
                           blob = std::move(blob), fo = std::move(fo)] {
      // Errors reach the reader through the pipe (Abort).
      (void)client->FetchBlob(repo, blob, pipe_, fo);
    });
  }
  ~StreamingLayer() override {
    cancel_.store(true);
    pipe_.CloseReader(CancelledError("layer reader closed"));
    if (thread_.joinable()) thread_.join();
  }
  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    return pipe_.Read(buf, n);
  }
  int64_t size() const override { return size_; }

 private:
  registry::BlobPipe pipe_;
  int64_t size_;
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

class RegistrySource final : public ImageSource {
 public:
  RegistrySource(registry::Client* client, registry::Reference ref,
                 RegistrySourceOptions options)
      : client_(client), ref_(std::move(ref)), options_(std::move(options)) {}

  Status Init(const oci::Platform& platform) {
    WINSNAP_ASSIGN_OR_RETURN(registry::ResolvedImage img,
                             client_->Resolve(ref_, platform));
    json desc = {
        {"mediaType", img.manifest.media_type},
        {"digest", img.manifest.digest},
        {"size", img.manifest.bytes.size()},
        {"annotations", {{"io.containerd.image.name", ref_.String()}}}};
    json index = {{"schemaVersion", 2},
                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                  {"manifests", json::array({desc})}};
    files_["oci-layout"] = R"({"imageLayoutVersion":"1.0.0"})";
    files_["index.json"] = index.dump();
    files_[OciBlobPath(img.manifest.digest)] = img.manifest.bytes;
    files_[OciBlobPath(img.parsed.config.digest)] = img.config;
    for (const auto& l : img.parsed.layers) layers_[OciBlobPath(l.digest)] = l;
    return OkStatus();
  }

  bool Has(const std::string& name) const override {
    return files_.count(name) || layers_.count(name);
  }

  StatusOr<std::string> ReadFile(const std::string& name,
                                 size_t limit) const override {
    if (auto it = files_.find(name); it != files_.end()) {
      if (it->second.size() > limit)
        return ResourceExhaustedError(name + " is larger than " +
                                      std::to_string(limit) + " bytes");
      return it->second;
    }
    if (auto it = layers_.find(name); it != layers_.end())
      return client_->FetchBlobToString(ref_, it->second, limit);
    return NotFoundError(name + " is not part of " + ref_.String());
  }

  StatusOr<std::unique_ptr<BlobFile>> OpenFile(
      const std::string& name) const override {
    if (auto it = files_.find(name); it != files_.end())
      return std::unique_ptr<BlobFile>(new MemoryFile(&it->second));
    if (auto it = layers_.find(name); it != layers_.end()) {
      return std::unique_ptr<BlobFile>(
          new StreamingLayer(client_, ref_, it->second, options_));
    }
    return NotFoundError(name + " is not part of " + ref_.String());
  }

 private:
  registry::Client* client_;
  registry::Reference ref_;
  RegistrySourceOptions options_;
  std::map<std::string, std::string> files_;
  std::map<std::string, oci::Descriptor> layers_;
};

}  // namespace

StatusOr<std::unique_ptr<ImageSource>> OpenRegistrySource(
    registry::Client* client, const registry::Reference& ref,
    const oci::Platform& platform, const RegistrySourceOptions& options) {
  auto src = std::make_unique<RegistrySource>(client, ref, options);
  WINSNAP_RETURN_IF_ERROR(src->Init(platform));
  return std::unique_ptr<ImageSource>(std::move(src));
}

}  // namespace winsnap::unpack
