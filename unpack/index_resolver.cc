// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/index_resolver.h"

#include "oci/digest.h"

namespace winsnap::unpack {
namespace {

constexpr size_t kMaxIndexDocument = 4 << 20;

}  // namespace

StatusOr<std::string> IndexResolver::ReadVerified(const oci::Descriptor& d,
                                                  size_t limit,
                                                  std::string_view what) {
  if (!oci::IsSha256Digest(d.digest))
    return UnimplementedError(std::string(what) + " digest " + d.digest +
                              " is not sha256");
  auto it = blobs_.find(d.digest);
  if (it == blobs_.end()) {
    ++reads_;
    auto data = src_.ReadFile(OciBlobPath(d.digest), limit);
    StatusOr<std::string> verdict = std::move(data);
    if (verdict.ok() && oci::Sha256Of(*verdict) != d.digest)
      verdict =
          DataLossError("blob " + d.digest + " does not match its digest");
    it = blobs_.emplace(d.digest, std::move(verdict)).first;
  }
  const StatusOr<std::string>& got = it->second;
  if (!got.ok())
    return got.status().WithContext(std::string(what) + " " + d.digest);
  if (got->size() > limit)
    return ResourceExhaustedError(std::string(what) + " " + d.digest +
                                  " is larger than " + std::to_string(limit) +
                                  " bytes");
  if (d.size >= 0 && static_cast<int64_t>(got->size()) != d.size)
    return DataLossError(std::string(what) + " blob " + d.digest + " is " +
                         std::to_string(got->size()) +
                         " bytes, descriptor says " + std::to_string(d.size));
  return *got;
}

StatusOr<oci::Descriptor> IndexResolver::ResolveNested(
    const oci::Descriptor& d, const oci::Platform& want, int depth) {
  const std::string context = "image index " + d.digest;
  if (depth > kMaxIndexDepth)
    return InvalidArgumentError(context + ": image indexes nest deeper than " +
                                std::to_string(kMaxIndexDepth) + " levels");
  auto key = std::make_pair(d.digest, depth);
  if (auto it = resolved_.find(key); it != resolved_.end()) return it->second;

  auto idx = indexes_.find(d.digest);
  if (idx == indexes_.end()) {
    auto body = ReadVerified(d, kMaxIndexDocument, "image index");
    StatusOr<oci::ImageIndex> parsed =
        body.ok() ? oci::ParseImageIndex(*body)
                  : StatusOr<oci::ImageIndex>(body.status());
    if (!parsed.ok() && body.ok())
      parsed = parsed.status().WithContext(context);
    idx = indexes_.emplace(d.digest, std::move(parsed)).first;
  }
  if (!idx->second.ok()) {
    resolved_.emplace(key, idx->second.status());
    return idx->second.status();
  }
  StatusOr<oci::Descriptor> r =
      ResolveManifest(idx->second->manifests, want, depth);
  // Errors below name the innermost index they happened in.
  if (!r.ok() && r.status().code() != StatusCode::kFailedPrecondition &&
      r.status().message().rfind("image index ", 0) != 0)
    r = r.status().WithContext(context);
  resolved_.emplace(key, r);
  return r;
}

StatusOr<oci::Descriptor> IndexResolver::ResolveManifest(
    const std::vector<oci::Descriptor>& candidates, const oci::Platform& want,
    int depth) {
  std::vector<oci::Descriptor> manifests;
  for (const auto& d : candidates) {
    if (++visited_ > kMaxIndexDescriptors)
      return InvalidArgumentError(
          "image index fan-out: more than " +
          std::to_string(kMaxIndexDescriptors) +
          " descriptors visited, the bound for one import, at " +
          (d.digest.empty() ? std::string("index.json") : d.digest));
    if (oci::IsIndexMediaType(d.media_type)) {
      auto m = ResolveNested(d, want, depth + 1);
      if (!m.ok()) {
        if (m.status().code() == StatusCode::kFailedPrecondition) continue;
        return m.status();
      }
      oci::Descriptor found = *m;
      if (!found.platform && d.platform) found.platform = d.platform;
      manifests.push_back(std::move(found));
    } else if (d.media_type.empty() || oci::IsManifestMediaType(d.media_type)) {
      manifests.push_back(d);
    }
  }
  if (manifests.empty())
    return FailedPreconditionError("no image manifest for " + want.ToString());
  if (manifests.size() == 1 && !manifests[0].platform)
    return manifests[0];  // checked against the config later
  oci::ImageIndex idx;
  idx.manifests = std::move(manifests);
  auto pick = oci::SelectManifest(idx, want);
  if (!pick.ok()) return FailedPreconditionError(pick.status().message());
  return *pick;
}

}  // namespace winsnap::unpack
