// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/digest.h"

#include <openssl/evp.h>

namespace winsnap::unpack {
namespace {

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

void Sha256::CtxFree::operator()(evp_md_ctx_st* c) const { EVP_MD_CTX_free(c); }

StatusOr<Sha256> Sha256::Create() {
  Sha256 h;
  h.ctx_.reset(EVP_MD_CTX_new());
  if (!h.ctx_) return InternalError("EVP_MD_CTX_new failed");
  if (EVP_DigestInit_ex(h.ctx_.get(), EVP_sha256(), nullptr) != 1)
    return InternalError("EVP_DigestInit_ex(sha256) failed");
  return h;
}

void Sha256::Update(const void* data, size_t n) {
  EVP_DigestUpdate(ctx_.get(), data, n);
  bytes_ += n;
}

std::string Sha256::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  Reset();
  return "sha256:" + Hex(md, len);
}

void Sha256::Reset() {
  ctx_.reset();
  bytes_ = 0;
}

std::string Sha256Of(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return "sha256:" + Hex(md, len);
}

bool IsSha256Digest(std::string_view d) {
  constexpr std::string_view kPrefix = "sha256:";
  if (d.size() != kPrefix.size() + 64 || d.substr(0, kPrefix.size()) != kPrefix)
    return false;
  for (char c : d.substr(kPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
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

}  // namespace winsnap::unpack
