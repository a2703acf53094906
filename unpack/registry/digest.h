// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Content digests ("sha256:<hex>") for registry content: validation,
// incremental hashing with OpenSSL's EVP interface, and the base64 codec the
// registry auth schemes need. A Digester owns its EVP_MD_CTX (move-only).
//
// Thread-safety: a Digester is used by one thread at a time; the free
// functions are pure.

#ifndef WINSNAP_UNPACK_REGISTRY_DIGEST_H_
#define WINSNAP_UNPACK_REGISTRY_DIGEST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

struct evp_md_ctx_st;

namespace winsnap::registry {

struct Digest {
  std::string algorithm;  // "sha256" or "sha512"
  std::string hex;        // lowercase

  std::string ToString() const { return algorithm + ":" + hex; }
};

// Parses "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>".
// InvalidArgument for anything else (other algorithms are unsupported).
StatusOr<Digest> ParseDigest(std::string_view digest);

// Incremental hash over one of the supported digest algorithms.
class Digester {
 public:
  // InvalidArgument for an unsupported algorithm name.
  static StatusOr<Digester> Create(std::string_view algorithm);

  Digester(Digester&&) noexcept;
  Digester& operator=(Digester&&) noexcept;
  ~Digester();

  void Update(const void* data, size_t n);
  // Bytes hashed so far.
  uint64_t bytes() const { return bytes_; }
  // "<algorithm>:<hex>" of everything hashed so far. The digester must not be
  // updated after Finish().
  std::string Finish();

 private:
  struct CtxFree {
    void operator()(evp_md_ctx_st* c) const;
  };
  Digester(std::string algorithm, std::unique_ptr<evp_md_ctx_st, CtxFree> ctx)
      : algorithm_(std::move(algorithm)), ctx_(std::move(ctx)) {}

  std::string algorithm_;
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
  uint64_t bytes_ = 0;
};

// "sha256:<hex>" of "data".
std::string Sha256Digest(std::string_view data);

// Standard base64 with padding (RFC 4648 §4).
std::string Base64Encode(std::string_view data);
// Decodes standard base64; padding optional, whitespace not allowed.
// InvalidArgument on malformed input.
StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace winsnap::registry

#endif  // WINSNAP_UNPACK_REGISTRY_DIGEST_H_
