// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Registry authentication inputs: the WWW-Authenticate challenges a registry
// answers 401 with (RFC 7235 syntax; Docker's token protocol puts realm,
// service and scope in a Bearer challenge), the docker-style config.json
// credential file (`auths.<registry>.auth` = base64("user:password")), and the
// token server's JSON answer. The HTTP exchanges themselves are in client.cc.
//
// Thread-safety: values and pure functions; a DockerConfig is immutable after
// Load/Parse and may be read from several threads.

#ifndef WINSNAP_UNPACK_REGISTRY_AUTH_H_
#define WINSNAP_UNPACK_REGISTRY_AUTH_H_

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace winsnap::registry {

struct Challenge {
  std::string scheme;  // lower-cased: "bearer", "basic"
  std::map<std::string, std::string>
      params;           // keys lower-cased, values unquoted
  std::string token68;  // rare token68 form, else empty

  // params[key] or "" when absent.
  std::string Param(const std::string& key) const;
};

// Parses one WWW-Authenticate header value, which may carry several
// comma-separated challenges, e.g.
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
//     scope="repository:library/nanoserver:pull"
// Quoted strings may contain commas and backslash escapes. Returns
// InvalidArgument for a value that does not follow the grammar (unterminated
// quote, parameter without a name, empty scheme).
StatusOr<std::vector<Challenge>> ParseChallenges(std::string_view header);

struct Credentials {
  std::string username;
  std::string password;

  friend bool operator==(const Credentials&, const Credentials&) = default;
};

// Credentials from a docker CLI config.json ("auths" section only; credential
// helpers (credsStore/credHelpers) and OAuth identity tokens are not supported
// and such entries are ignored with a warning).
class DockerConfig {
 public:
  DockerConfig() = default;

  // $DOCKER_CONFIG/config.json if DOCKER_CONFIG is set, else
  // $HOME/.docker/config.json (%USERPROFILE% on Windows), else "".
  static std::string DefaultPath();

  // Reads and parses "path". A missing file is an empty config (OK), as in
  // the docker CLI. InvalidArgument for malformed JSON; other read errors
  // are returned as-is.
  static StatusOr<DockerConfig> Load(const std::string& path);
  // Parses config.json text. InvalidArgument for malformed JSON or an "auths"
  // entry whose "auth" is not base64 of "user:password".
  static StatusOr<DockerConfig> Parse(std::string_view json);

  // Credentials for the registry host "host" ("127.0.0.1:5000",
  // "registry-1.docker.io"), or nullopt. Keys are matched after the docker
  // CLI's normalization (scheme and path dropped: "https://host/v1/" ->
  // "host"); an exact key match wins. All Docker Hub spellings
  // (index.docker.io, docker.io, registry-1.docker.io,
  // https://index.docker.io/v1/) are one registry.
  std::optional<Credentials> Lookup(std::string_view host) const;

  bool empty() const { return auths_.empty(); }

 private:
  // Raw key as written in the file -> credentials.
  std::map<std::string, Credentials> auths_;
};

// The key part of a config.json "auths" key: "https://host:5000/v2/" ->
// "host:5000". Docker Hub spellings map to "docker.io".
std::string NormalizeRegistryHost(std::string_view key);

struct TokenResponse {
  std::string token;
  // Lifetime the server granted; 60 s when the server does not say (the
  // token spec's minimum).
  std::chrono::seconds expires_in{60};
};

// Parses a token server answer: {"token": ..., "access_token": ...,
// "expires_in": ...}. "token" wins over "access_token". InvalidArgument when
// neither is present or the JSON is malformed.
StatusOr<TokenResponse> ParseTokenResponse(std::string_view body);

}  // namespace winsnap::registry

#endif  // WINSNAP_UNPACK_REGISTRY_AUTH_H_
