// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/base64.h"

#include <openssl/evp.h>

namespace winsnap::base {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

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

}  // namespace winsnap::base
