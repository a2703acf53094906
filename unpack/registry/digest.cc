// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/registry/digest.h"

#include <openssl/evp.h>

#include <array>
#include <utility>

namespace winsnap::registry {
namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

const EVP_MD* MdFor(std::string_view algorithm) {
  if (algorithm == "sha256") return EVP_sha256();
  if (algorithm == "sha512") return EVP_sha512();
  return nullptr;
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

StatusOr<Digest> ParseDigest(std::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("invalid digest \"" + std::string(digest) +
                                "\": missing algorithm");
  }
  Digest d{std::string(digest.substr(0, colon)),
           std::string(digest.substr(colon + 1))};
  size_t want_len = 0;
  if (d.algorithm == "sha256") {
    want_len = 64;
  } else if (d.algorithm == "sha512") {
    want_len = 128;
  } else {
    return InvalidArgumentError("unsupported digest algorithm \"" +
                                d.algorithm + "\" in \"" + std::string(digest) +
                                "\"");
  }
  if (d.hex.size() != want_len || !IsLowerHex(d.hex)) {
    return InvalidArgumentError("invalid digest \"" + std::string(digest) +
                                "\": want " + std::to_string(want_len) +
                                " lowercase hex digits");
  }
  return d;
}

void Digester::CtxFree::operator()(evp_md_ctx_st* c) const {
  EVP_MD_CTX_free(c);
}

StatusOr<Digester> Digester::Create(std::string_view algorithm) {
  const EVP_MD* md = MdFor(algorithm);
  if (md == nullptr) {
    return InvalidArgumentError("unsupported digest algorithm \"" +
                                std::string(algorithm) + "\"");
  }
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    return InternalError("EVP_DigestInit_ex failed");
  }
  return Digester(std::string(algorithm), std::move(ctx));
}

Digester::Digester(Digester&&) noexcept = default;
Digester& Digester::operator=(Digester&&) noexcept = default;
Digester::~Digester() = default;

void Digester::Update(const void* data, size_t n) {
  // EVP_DigestUpdate only fails on a misconfigured context, which Create
  // rules out.
  EVP_DigestUpdate(ctx_.get(), data, n);
  bytes_ += n;
}

std::string Digester::Finish() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md.data(), &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = algorithm_ + ":";
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

std::string Sha256Digest(std::string_view data) {
  auto d = Digester::Create("sha256");
  d->Update(data.data(), data.size());
  return d->Finish();
}

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(data[k]));
  };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6)
      out.push_back(kBase64Alphabet[(v >> s) & 63]);
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = byte(i) << 16;
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out += "==";
  } else if (rest == 2) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
    out += "=";
  }
  return out;
}

StatusOr<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) {
    return InvalidArgumentError("invalid base64: bad length");
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    size_t v = kBase64Alphabet.find(c);
    if (v == std::string_view::npos) {
      return InvalidArgumentError("invalid base64: unexpected character");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero padding (canonical encoding).
  if ((acc & ((1u << bits) - 1)) != 0) {
    return InvalidArgumentError("invalid base64: non-zero padding bits");
  }
  return out;
}

}  // namespace winsnap::registry
