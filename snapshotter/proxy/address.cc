// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "snapshotter/proxy/address.h"

#include <string>

namespace winsnap::proxy {
namespace {

Status Bad(std::string_view address, std::string_view why) {
  return InvalidArgumentError(
      "address \"" + std::string(address) + "\" " + std::string(why) +
      "; use an absolute unix socket path, or a named pipe \\\\.\\pipe\\NAME "
      "(also //./pipe/NAME or npipe://...)");
}

bool StartsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

}  // namespace

StatusOr<ServeAddress> ParseServeAddress(std::string_view address) {
  std::string_view a = address;
  ServeAddress out;
  if (StartsWith(a, "unix://")) {
    a.remove_prefix(7);
    if (a.empty() || a[0] != '/') return Bad(address, "is not absolute");
    out.path = std::string(a);
    return out;
  }
  const bool npipe = StartsWith(a, "npipe://");
  if (npipe) a.remove_prefix(8);
  std::string s(a);
  // "npipe://./pipe/NAME": the URL form whose host is ".".
  if (npipe && (StartsWith(a, "./") || StartsWith(a, ".\\"))) s = "//" + s;
  if (s.size() >= 2 && (s[0] == '\\' || s[0] == '/') &&
      (s[1] == '\\' || s[1] == '/')) {
    for (char& c : s) {
      if (c == '/') c = '\\';
    }
  }
  constexpr std::string_view kPrefix = "\\\\.\\pipe\\";
  if (StartsWith(s, kPrefix)) {
    std::string name = s.substr(kPrefix.size());
    if (name.empty()) return Bad(address, "names no pipe");
    if (name.find('\\') != std::string::npos) {
      return Bad(address, "has a separator inside the pipe name");
    }
    if (name.size() > kMaxPipeNameChars) {
      return Bad(address, "has a pipe name longer than 256 characters");
    }
    out.kind = ServeAddress::Kind::kPipe;
    out.path = std::string(kPrefix) + name;
    return out;
  }
  if (npipe) return Bad(address, "is not a named pipe");
  if (a.empty() || a[0] != '/' || StartsWith(a, "//")) {
    return Bad(address, "is not an absolute path or a named pipe");
  }
  out.path = std::string(a);
  return out;
}

}  // namespace winsnap::proxy
