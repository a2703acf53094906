// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Standard base64 (RFC 4648 §4) over OpenSSL's EVP encode/decode blocks, for
// every module that meets it: registry auth (Basic credentials, docker
// config.json "auth"), the Windows layer metadata (PAX MSWINDOWS.rawsd,
// xattrs) and the POSIX layer sidecar. Decoding accepts only the canonical
// encoding, so decode(encode(x)) == x and encode(decode(t)) == t.
//
// Thread-safety: pure functions.

#ifndef WINSNAP_BASE_BASE64_H_
#define WINSNAP_BASE_BASE64_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace winsnap::base {

// Standard base64 with padding.
std::string Base64Encode(std::string_view data);

// Decodes standard base64; padding optional, whitespace not allowed, padding
// bits must be zero. InvalidArgument "invalid base64: ..." on malformed input.
StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_BASE64_H_
