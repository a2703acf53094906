// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Streaming SHA-256 over OpenSSL's EVP interface, used while a layer streams
// through the importer: once over the compressed blob bytes (the manifest's
// layer digest) and once over the uncompressed tar stream (the config's
// diffID). Also the OCI chain-ID rule that names committed layer snapshots:
//   ChainID(L0) = DiffID(L0)
//   ChainID(Ln) = "sha256:" + hex(SHA-256(ChainID(Ln-1) + " " + DiffID(Ln)))
// (OCI image-spec config.md, "Layer ChainID"; containerd identity.ChainID).
//
// Thread-safety: a Sha256 is used by one thread at a time; the free functions
// are pure.

#ifndef WINSNAP_UNPACK_DIGEST_H_
#define WINSNAP_UNPACK_DIGEST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct evp_md_ctx_st;

namespace winsnap::unpack {

// Owns one EVP_MD_CTX. Move-only; a moved-from or released Sha256 is empty
// (valid() == false) and must not be updated.
class Sha256 {
 public:
  // A ready hasher. Internal if OpenSSL cannot create a context.
  static StatusOr<Sha256> Create();

  Sha256() = default;  // empty
  Sha256(Sha256&&) noexcept = default;
  Sha256& operator=(Sha256&&) noexcept = default;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  bool valid() const { return ctx_ != nullptr; }
  // REQUIRES: valid().
  void Update(const void* data, size_t n);
  // Bytes hashed so far.
  uint64_t bytes() const { return bytes_; }
  // "sha256:<64 lowercase hex>" of everything hashed so far; the hasher is
  // then reset to empty. REQUIRES: valid().
  std::string Finish();
  // Frees the context; the hasher becomes empty. Safe to call twice.
  void Reset();

 private:
  struct CtxFree {
    void operator()(evp_md_ctx_st* c) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
  uint64_t bytes_ = 0;
};

// "sha256:<hex>" of "data".
std::string Sha256Of(std::string_view data);

// True for "sha256:" followed by 64 lowercase hex digits.
bool IsSha256Digest(std::string_view digest);

// The chain ID of the layer whose diffID is "diff_id" over a parent chain
// "parent_chain_id" (empty for the base layer).
std::string ChainId(std::string_view parent_chain_id, std::string_view diff_id);

// Chain IDs of every prefix of "diff_ids" (base first).
std::vector<std::string> ChainIds(const std::vector<std::string>& diff_ids);

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_DIGEST_H_
