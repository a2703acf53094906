// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "hcs/layer_id.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

namespace winsnap::hcs {
namespace internal {

std::array<uint8_t, 20> Sha1(std::string_view data) {
  std::array<uint8_t, 20> out{};
  unsigned int len = 0;
  // With the built-in provider EVP_Digest fails only when OpenSSL cannot
  // allocate its context: treat that as operator new treats exhaustion.
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha1(),
                 nullptr) != 1 ||
      len != out.size()) {
    std::abort();
  }
  return out;
}

}  // namespace internal

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

StatusOr<Guid> Guid::Parse(std::string_view text) {
  std::string_view t = text;
  if (t.size() == 38 && t.front() == '{' && t.back() == '}') {
    t = t.substr(1, 36);
  }
  if (t.size() != 36) {
    return InvalidArgumentError("not a GUID: \"" + std::string(text) + "\"");
  }
  std::array<uint8_t, 16> b{};
  size_t out = 0;
  for (size_t i = 0; i < t.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') {
        return InvalidArgumentError("not a GUID: \"" + std::string(text) +
                                    "\"");
      }
      ++i;
      continue;
    }
    int hi = HexValue(t[i]);
    int lo = i + 1 < t.size() ? HexValue(t[i + 1]) : -1;
    if (hi < 0 || lo < 0 || out >= b.size()) {
      return InvalidArgumentError("not a GUID: \"" + std::string(text) + "\"");
    }
    b[out++] = static_cast<uint8_t>(hi * 16 + lo);
    i += 2;
  }
  if (out != b.size()) {
    return InvalidArgumentError("not a GUID: \"" + std::string(text) + "\"");
  }
  return Guid(b);
}

std::string Guid::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[bytes_[i] >> 4]);
    s.push_back(kHex[bytes_[i] & 0xf]);
  }
  return s;
}

Guid NewV5Guid(const Guid& name_space, std::string_view name) {
  std::string input(reinterpret_cast<const char*>(name_space.bytes().data()),
                    name_space.bytes().size());
  input.append(name);
  std::array<uint8_t, 20> digest = internal::Sha1(input);
  std::array<uint8_t, 16> b;
  std::memcpy(b.data(), digest.data(), b.size());
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x50);  // version 5
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return Guid(b);
}

std::string_view LayerNameFromPath(std::string_view layer_path) {
  size_t cut = layer_path.find_last_of("\\/");
  if (cut != std::string_view::npos) return layer_path.substr(cut + 1);
  // Go's filepath.Split on Windows also splits off the volume name "X:".
  if (layer_path.size() >= 2 && layer_path[1] == ':') {
    return layer_path.substr(2);
  }
  return layer_path;
}

const Guid kStandInLayerNamespace(std::array<uint8_t, 16>{
    0x0a, 0x4f, 0x47, 0x15, 0x3d, 0xc1, 0x49, 0x30, 0xbf, 0x04, 0x08, 0xcb,
    0x4f, 0x5b, 0x6d, 0xfe});

Guid StandInNameToGuid(std::string_view name) {
  return NewV5Guid(kStandInLayerNamespace, name);
}

}  // namespace winsnap::hcs
