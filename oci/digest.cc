// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "oci/digest.h"

#include <openssl/evp.h>

#include <utility>

namespace winsnap::oci {
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

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 15];
  }
  return out;
}

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

bool IsSha256Digest(std::string_view d) {
  constexpr std::string_view kPrefix = "sha256:";
  return d.size() == kPrefix.size() + 64 &&
         d.substr(0, kPrefix.size()) == kPrefix &&
         IsLowerHex(d.substr(kPrefix.size()));
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
  Digester h;
  h.ctx_.reset(EVP_MD_CTX_new());
  if (!h.ctx_) return InternalError("EVP_MD_CTX_new failed");
  if (EVP_DigestInit_ex(h.ctx_.get(), md, nullptr) != 1) {
    return InternalError("EVP_DigestInit_ex(" + std::string(algorithm) +
                         ") failed");
  }
  h.algorithm_ = std::string(algorithm);
  return h;
}

Digester::Digester(Digester&& other) noexcept
    : algorithm_(std::move(other.algorithm_)),
      ctx_(std::move(other.ctx_)),
      bytes_(other.bytes_) {
  other.Reset();
}

Digester& Digester::operator=(Digester&& other) noexcept {
  if (this != &other) {
    algorithm_ = std::move(other.algorithm_);
    ctx_ = std::move(other.ctx_);
    bytes_ = other.bytes_;
    other.Reset();
  }
  return *this;
}

void Digester::Update(const void* data, size_t n) {
  // EVP_DigestUpdate only fails on a misconfigured context, which Create
  // rules out.
  EVP_DigestUpdate(ctx_.get(), data, n);
  bytes_ += n;
}

std::string Digester::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  std::string out = algorithm_ + ":" + Hex(md, len);
  Reset();
  return out;
}

void Digester::Reset() {
  ctx_.reset();
  algorithm_.clear();
  bytes_ = 0;
}

std::string Sha256Of(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return "sha256:" + Hex(md, len);
}

std::string ChainId(std::string_view parent_chain_id,
                    std::string_view diff_id) {
  if (parent_chain_id.empty()) return std::string(diff_id);
  std::string s;
  s.reserve(parent_chain_id.size() + 1 + diff_id.size());
  s.append(parent_chain_id).append(" ").append(diff_id);
  return Sha256Of(s);
}

std::vector<std::string> ChainIds(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  out.reserve(diff_ids.size());
  for (const auto& d : diff_ids)
    out.push_back(ChainId(out.empty() ? std::string_view() : out.back(), d));
  return out;
}

}  // namespace winsnap::oci
