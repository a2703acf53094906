// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// OCI content digests ("<algorithm>:<hex>", image-spec descriptor.md
// "Digests"): validation, streaming hashing over OpenSSL's EVP interface, and
// the chain-ID rule that names committed layer snapshots:
//   ChainID(L0) = DiffID(L0)
//   ChainID(Ln) = "sha256:" + hex(SHA-256(ChainID(Ln-1) + " " + DiffID(Ln)))
// (image-spec config.md, "Layer ChainID"; containerd identity.ChainID).
// The one owner of an EVP_MD_CTX in the tree is Digester: the importer hashes
// layer blobs and diffIDs with it, the registry client manifests and blobs.
//
// Thread-safety: a Digester is used by one thread at a time; the free
// functions are pure.

#ifndef WINSNAP_OCI_DIGEST_H_
#define WINSNAP_OCI_DIGEST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct evp_md_ctx_st;

namespace winsnap::oci {

struct Digest {
  std::string algorithm;  // "sha256" or "sha512"
  std::string hex;        // lowercase

  std::string ToString() const { return algorithm + ":" + hex; }
};

// Parses "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>".
// InvalidArgument for anything else (other algorithms are unsupported).
StatusOr<Digest> ParseDigest(std::string_view digest);

// True for "sha256:" followed by 64 lowercase hex digits.
bool IsSha256Digest(std::string_view digest);

// Incremental hash over "sha256" or "sha512". Owns one EVP_MD_CTX; move-only.
// A default-constructed, moved-from, finished or reset Digester is empty
// (valid() == false) and must not be updated.
class Digester {
 public:
  // A ready hasher. InvalidArgument for an unsupported algorithm name,
  // Internal if OpenSSL cannot create a context.
  static StatusOr<Digester> Create(std::string_view algorithm);

  Digester() = default;  // empty
  // The moved-from Digester is empty. A self-move keeps the state (a
  // defaulted one would not: std::string's self-move empties it).
  Digester(Digester&& other) noexcept;
  Digester& operator=(Digester&& other) noexcept;
  Digester(const Digester&) = delete;
  Digester& operator=(const Digester&) = delete;

  bool valid() const { return ctx_ != nullptr; }
  // "sha256" / "sha512"; empty once the hasher is empty.
  const std::string& algorithm() const { return algorithm_; }
  // REQUIRES: valid().
  void Update(const void* data, size_t n);
  // Bytes hashed so far.
  uint64_t bytes() const { return bytes_; }
  // "<algorithm>:<lowercase hex>" of everything hashed so far; the hasher is
  // then empty. REQUIRES: valid().
  std::string Finish();
  // Frees the context; the hasher becomes empty. Safe to call twice.
  void Reset();

 private:
  struct CtxFree {
    void operator()(evp_md_ctx_st* c) const;
  };
  std::string algorithm_;
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
  uint64_t bytes_ = 0;
};

// "sha256:<hex>" of "data".
std::string Sha256Of(std::string_view data);

// The chain ID of the layer whose diffID is "diff_id" over a parent chain
// "parent_chain_id" (empty for the base layer).
std::string ChainId(std::string_view parent_chain_id, std::string_view diff_id);

// Chain IDs of every prefix of "diff_ids" (base first).
std::vector<std::string> ChainIds(const std::vector<std::string>& diff_ids);

}  // namespace winsnap::oci

#endif  // WINSNAP_OCI_DIGEST_H_
