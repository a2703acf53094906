// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "oci/manifest.h"

#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "oci/json_fields.h"

namespace winsnap::oci {
namespace {

using internal::ParseObject;
using internal::PlatformFrom;
using internal::StringField;
using nlohmann::json;

Status CheckSchemaVersion(const json& doc, std::string_view what) {
  auto it = doc.find("schemaVersion");
  if (it == doc.end() || !it->is_number_integer() || it->get<int64_t>() != 2) {
    if (it != doc.end() && it->is_number_integer() && it->get<int64_t>() == 1) {
      return InvalidArgumentError(
          std::string(what) + ": Docker schema 1 manifests are not supported");
    }
    return InvalidArgumentError(std::string(what) +
                                ": schemaVersion must be 2");
  }
  return OkStatus();
}

StatusOr<Descriptor> ParseDescriptor(const json& obj, std::string_view what) {
  if (!obj.is_object()) {
    return InvalidArgumentError(std::string(what) + " is not an object");
  }
  Descriptor d;
  d.media_type = StringField(obj, "mediaType");
  d.digest = StringField(obj, "digest");
  auto dg = ParseDigest(d.digest);
  if (!dg.ok()) return dg.status().WithContext(what);
  auto size = obj.find("size");
  if (size == obj.end() || !size->is_number_integer() ||
      size->get<int64_t>() < 0) {
    return InvalidArgumentError(std::string(what) +
                                ": size must be a non-negative integer");
  }
  d.size = size->get<int64_t>();
  if (auto it = obj.find("urls"); it != obj.end()) {
    if (!it->is_array()) {
      return InvalidArgumentError(std::string(what) + ": urls is not an array");
    }
    for (const auto& u : *it) {
      if (!u.is_string()) {
        return InvalidArgumentError(std::string(what) +
                                    ": url is not a string");
      }
      d.urls.push_back(u.get<std::string>());
    }
  }
  if (auto it = obj.find("platform"); it != obj.end() && !it->is_null()) {
    if (!it->is_object()) {
      return InvalidArgumentError(std::string(what) +
                                  ": platform is not an object");
    }
    WINSNAP_ASSIGN_OR_RETURN(d.platform, PlatformFrom(*it, what));
  }
  if (auto it = obj.find("annotations"); it != obj.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) d.annotations[k] = v.get<std::string>();
    }
  }
  return d;
}

}  // namespace

std::string DetectManifestMediaType(std::string_view content_type,
                                    std::string_view body) {
  // Drop parameters ("; charset=utf-8") and surrounding space.
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') {
    content_type.remove_suffix(1);
  }
  if (IsIndexMediaType(content_type) || IsManifestMediaType(content_type)) {
    return std::string(content_type);
  }
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return "";
  std::string field = StringField(doc, "mediaType");
  if (!field.empty()) return field;
  if (doc.contains("manifests")) return std::string(kMediaTypeOciIndex);
  if (doc.contains("layers") || doc.contains("config")) {
    return std::string(kMediaTypeOciManifest);
  }
  return "";
}

StatusOr<ImageIndex> ParseImageIndex(std::string_view text) {
  WINSNAP_ASSIGN_OR_RETURN(json doc, ParseObject(text, "image index"));
  WINSNAP_RETURN_IF_ERROR(CheckSchemaVersion(doc, "image index"));
  ImageIndex index;
  index.media_type = StringField(doc, "mediaType");
  auto it = doc.find("manifests");
  if (it == doc.end() || !it->is_array()) {
    return InvalidArgumentError("image index: \"manifests\" is not an array");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    WINSNAP_ASSIGN_OR_RETURN(
        Descriptor d, ParseDescriptor((*it)[i], "image index manifests[" +
                                                    std::to_string(i) + "]"));
    index.manifests.push_back(std::move(d));
  }
  return index;
}

StatusOr<ImageManifest> ParseImageManifest(std::string_view text) {
  WINSNAP_ASSIGN_OR_RETURN(json doc, ParseObject(text, "image manifest"));
  WINSNAP_RETURN_IF_ERROR(CheckSchemaVersion(doc, "image manifest"));
  if (doc.contains("manifests")) {
    return InvalidArgumentError("image manifest: document is an index");
  }
  ImageManifest m;
  m.media_type = StringField(doc, "mediaType");
  auto config = doc.find("config");
  if (config == doc.end()) {
    return InvalidArgumentError("image manifest: missing \"config\"");
  }
  WINSNAP_ASSIGN_OR_RETURN(m.config,
                           ParseDescriptor(*config, "image manifest config"));
  auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_array()) {
    return InvalidArgumentError("image manifest: \"layers\" is not an array");
  }
  for (size_t i = 0; i < layers->size(); ++i) {
    WINSNAP_ASSIGN_OR_RETURN(
        Descriptor d,
        ParseDescriptor((*layers)[i],
                        "image manifest layers[" + std::to_string(i) + "]"));
    m.layers.push_back(std::move(d));
  }
  return m;
}

StatusOr<Descriptor> SelectManifest(const ImageIndex& index,
                                    const Platform& want) {
  std::vector<std::optional<Platform>> platforms;
  platforms.reserve(index.manifests.size());
  for (const Descriptor& d : index.manifests) {
    // Entries that are neither manifests nor indexes (e.g. signatures stored
    // as artifacts) are never selected.
    bool usable = d.media_type.empty() || IsManifestMediaType(d.media_type) ||
                  IsIndexMediaType(d.media_type);
    platforms.push_back(usable ? d.platform : std::nullopt);
  }
  WINSNAP_ASSIGN_OR_RETURN(size_t i, SelectPlatform(platforms, want));
  return index.manifests[i];
}

}  // namespace winsnap::oci
