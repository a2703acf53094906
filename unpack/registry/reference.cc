// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Grammar (distribution/reference regexp.go, reference.go, normalize.go):
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [domain "/"] path-component ("/" path-component)*
//   domain     := host [":" port]; host is dotted DNS labels or "[ipv6]"
//   path-comp  := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
//   tag        := [\w][\w.-]{0,127}

#include "unpack/registry/reference.h"

#include <algorithm>
#include <cctype>

#include "oci/digest.h"

namespace winsnap::registry {
namespace {

constexpr size_t kNameTotalLengthMax = 255;

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }

// [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool ValidPathComponent(std::string_view c) {
  size_t i = 0;
  auto alnum_run = [&]() {
    size_t start = i;
    while (i < c.size() && IsLowerAlnum(c[i])) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < c.size()) {
    if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      ++i;
      if (i < c.size() && c[i] == '_') ++i;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

// DNS label: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool ValidDomainLabel(std::string_view l) {
  if (l.empty() || !IsAlnum(l.front()) || !IsAlnum(l.back())) return false;
  for (char c : l) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

bool ValidDomain(std::string_view d) {
  std::string_view host = d;
  std::string_view port;
  if (!d.empty() && d.front() == '[') {
    size_t close = d.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : d.substr(1, close - 1)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':') {
        return false;
      }
    }
    std::string_view rest = d.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = rest.substr(1);
    if (port.empty()) return false;
  } else {
    size_t colon = d.find(':');
    if (colon != std::string_view::npos) {
      host = d.substr(0, colon);
      port = d.substr(colon + 1);
      if (port.empty()) return false;
    }
    size_t start = 0;
    while (true) {
      size_t dot = host.find('.', start);
      if (!ValidDomainLabel(host.substr(start, dot - start))) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool ValidTag(std::string_view t) {
  if (t.empty() || t.size() > 128 || !IsWordChar(t.front())) return false;
  for (char c : t) {
    if (!IsWordChar(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool Is64Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Status Invalid(std::string_view ref, std::string_view why) {
  return InvalidArgumentError("invalid reference \"" + std::string(ref) +
                              "\": " + std::string(why));
}

}  // namespace

std::string Reference::Name() const { return domain + "/" + path; }

std::string Reference::String() const {
  std::string s = Name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::Identifier() const {
  return digest.empty() ? tag : digest;
}

std::string Reference::ApiHost() const {
  return domain == kDockerHubDomain ? std::string(kDockerHubApiHost) : domain;
}

Reference Reference::WithDigest(std::string d) const {
  Reference r = *this;
  r.tag.clear();
  r.digest = std::move(d);
  return r;
}

StatusOr<Reference> ParseReference(std::string_view ref) {
  if (ref.empty()) return Invalid(ref, "empty reference");
  if (Is64Hex(ref)) {
    return Invalid(ref, "cannot specify 64-byte hexadecimal strings");
  }
  Reference r;
  std::string_view rest = ref;

  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    auto parsed = oci::ParseDigest(digest);
    if (!parsed.ok()) return Invalid(ref, parsed.status().message());
    r.digest = std::string(digest);
    rest = rest.substr(0, at);
  }

  // A tag is the part after the last ':' when no '/' follows it (a ':' before
  // a '/' is a port).
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      rest.find('/', colon) == std::string_view::npos) {
    std::string_view tag = rest.substr(colon + 1);
    if (!ValidTag(tag))
      return Invalid(ref, "invalid tag \"" + std::string(tag) + "\"");
    r.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Invalid(ref, "missing repository name");
  if (rest.size() > kNameTotalLengthMax) {
    return Invalid(ref, "repository name longer than 255 characters");
  }

  // splitDockerDomain: the first component is a domain when it contains '.'
  // or ':', is "localhost", or has upper-case letters.
  size_t slash = rest.find('/');
  std::string_view first = rest.substr(0, slash);
  bool has_domain = slash != std::string_view::npos && !first.empty() &&
                    (first.find_first_of(".:") != std::string_view::npos ||
                     first == "localhost" ||
                     std::any_of(first.begin(), first.end(),
                                 [](char c) { return c >= 'A' && c <= 'Z'; }) ||
                     first.front() == '[');
  std::string_view path;
  if (has_domain) {
    r.domain = std::string(first);
    path = rest.substr(slash + 1);
  } else {
    r.domain = std::string(kDockerHubDomain);
    path = rest;
  }
  if (r.domain == "index.docker.io") r.domain = std::string(kDockerHubDomain);
  if (!ValidDomain(r.domain)) {
    return Invalid(ref, "invalid domain \"" + r.domain + "\"");
  }
  if (path.empty()) return Invalid(ref, "missing repository path");
  size_t start = 0;
  while (true) {
    size_t s = path.find('/', start);
    std::string_view comp = path.substr(start, s - start);
    if (!ValidPathComponent(comp)) {
      bool upper = std::any_of(comp.begin(), comp.end(),
                               [](char c) { return c >= 'A' && c <= 'Z'; });
      return Invalid(
          ref, upper ? "repository name must be lowercase"
                     : "invalid path component \"" + std::string(comp) + "\"");
    }
    if (s == std::string_view::npos) break;
    start = s + 1;
  }
  r.path = std::string(path);
  if (r.domain == kDockerHubDomain && r.path.find('/') == std::string::npos) {
    r.path = "library/" + r.path;
  }
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

}  // namespace winsnap::registry
