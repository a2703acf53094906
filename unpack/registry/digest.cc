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
  // EVP_EncodeBlock writes 4 bytes per started 3 and a NUL.
  std::string out((data.size() + 2) / 3 * 4 + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

StatusOr<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) {
    return InvalidArgumentError("invalid base64: bad length");
  }
  // EVP_DecodeBlock skips leading and trailing blanks, which this codec
  // refuses, and wants whole padded quads.
  if (text.find_first_not_of(kBase64Alphabet) != std::string_view::npos) {
    return InvalidArgumentError("invalid base64: unexpected character");
  }
  std::string padded(text);
  size_t pad = (4 - padded.size() % 4) % 4;
  padded.append(pad, '=');
  std::string out(padded.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(padded.data()),
                          static_cast<int>(padded.size()));
  if (n < 0) return InvalidArgumentError("invalid base64: EVP_DecodeBlock");
  // EVP_DecodeBlock counts the padding as zero bytes.
  out.resize(static_cast<size_t>(n) - pad);
  // Only the canonical encoding (zero padding bits) is accepted: it is the
  // one that encodes back to the same text.
  if (Base64Encode(out) != padded) {
    return InvalidArgumentError("invalid base64: non-zero padding bits");
  }
  return out;
}

}  // namespace winsnap::registry
