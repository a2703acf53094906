// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "hcs/layer_id.h"

#include <cstring>

namespace winsnap::hcs {
namespace internal {
namespace {

uint32_t Rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

void Sha1Block(uint32_t h[5], const uint8_t block[64]) {
  uint32_t w[80];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t{block[4 * i]} << 24) | (uint32_t{block[4 * i + 1]} << 16) |
           (uint32_t{block[4 * i + 2]} << 8) | uint32_t{block[4 * i + 3]};
  }
  for (int i = 16; i < 80; ++i) {
    w[i] = Rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 80; ++i) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    uint32_t t = Rotl(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = Rotl(b, 30);
    b = a;
    a = t;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

}  // namespace

std::array<uint8_t, 20> Sha1(std::string_view data) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  size_t full = n / 64;
  for (size_t i = 0; i < full; ++i) Sha1Block(h, p + 64 * i);
  // Padding: 0x80, zeros, then the 64-bit big-endian bit length.
  uint8_t tail[128] = {};
  size_t rest = n - 64 * full;
  std::memcpy(tail, p + 64 * full, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bits = static_cast<uint64_t>(n) * 8;
  for (int i = 0; i < 8; ++i) {
    tail[tail_len - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  }
  Sha1Block(h, tail);
  if (tail_len == 128) Sha1Block(h, tail + 64);
  std::array<uint8_t, 20> out;
  for (int i = 0; i < 5; ++i) {
    out[4 * i] = static_cast<uint8_t>(h[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(h[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(h[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(h[i]);
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
