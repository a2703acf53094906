// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/registry/auth.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/env.h"

namespace winsnap::registry {
namespace {

bool IsTchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken68Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '+' || c == '/';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Cursor over a header value.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  size_t pos() const { return i_; }
  void set_pos(size_t p) { i_ = p; }
  void Advance() { ++i_; }
  void SkipSpace() {
    while (!done() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  std::string_view Token() {
    size_t start = i_;
    while (!done() && IsTchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // REQUIRES: peek() == '"'.
  StatusOr<std::string> Quoted() {
    ++i_;
    std::string out;
    while (!done()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (done()) break;
        c = s_[i_++];
      }
      out.push_back(c);
    }
    return InvalidArgumentError("WWW-Authenticate: unterminated quoted string");
  }
  // True if a token68 (followed by optional '=' padding, then ',' or end)
  // starts here; consumes it into *out.
  bool Token68(std::string* out) {
    size_t j = i_;
    while (j < s_.size() && IsToken68Char(s_[j])) ++j;
    if (j == i_) return false;
    size_t k = j;
    while (k < s_.size() && s_[k] == '=') ++k;
    size_t m = k;
    while (m < s_.size() && (s_[m] == ' ' || s_[m] == '\t')) ++m;
    if (m != s_.size() && s_[m] != ',') return false;
    *out = std::string(s_.substr(i_, k - i_));
    i_ = m;
    return true;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::string Challenge::Param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

StatusOr<std::vector<Challenge>> ParseChallenges(std::string_view header) {
  std::vector<Challenge> out;
  Scanner sc(header);
  auto skip_separators = [&] {
    while (true) {
      sc.SkipSpace();
      if (sc.peek() != ',') break;
      sc.Advance();
    }
  };
  skip_separators();
  while (!sc.done()) {
    std::string_view scheme = sc.Token();
    if (scheme.empty()) {
      return InvalidArgumentError(
          "WWW-Authenticate: expected auth scheme at \"" +
          std::string(header.substr(sc.pos())) + "\"");
    }
    Challenge c;
    c.scheme = Lower(scheme);
    sc.SkipSpace();
    if (sc.Token68(&c.token68)) {
      out.push_back(std::move(c));
      skip_separators();
      continue;
    }
    // auth-params until a token not followed by '=' (the next scheme).
    while (true) {
      skip_separators();
      if (sc.done()) break;
      size_t start = sc.pos();
      std::string_view name = sc.Token();
      if (name.empty()) {
        return InvalidArgumentError(
            "WWW-Authenticate: unexpected character at \"" +
            std::string(header.substr(sc.pos())) + "\"");
      }
      sc.SkipSpace();
      if (sc.peek() != '=') {
        sc.set_pos(start);  // next challenge's scheme
        break;
      }
      sc.Advance();
      sc.SkipSpace();
      std::string value;
      if (sc.peek() == '"') {
        WINSNAP_ASSIGN_OR_RETURN(value, sc.Quoted());
      } else {
        value = std::string(sc.Token());
        if (value.empty()) {
          return InvalidArgumentError("WWW-Authenticate: parameter \"" +
                                      std::string(name) + "\" has no value");
        }
      }
      c.params[Lower(name)] = std::move(value);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string NormalizeRegistryHost(std::string_view key) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (key.substr(0, scheme.size()) == scheme) {
      key.remove_prefix(scheme.size());
      break;
    }
  }
  key = key.substr(0, key.find('/'));
  std::string host = Lower(key);
  if (host == "index.docker.io" || host == "registry-1.docker.io" ||
      host == "registry.hub.docker.com") {
    return "docker.io";
  }
  return host;
}

std::string DockerConfig::DefaultPath() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir && *dir) {
    return base::JoinPath(dir, "config.json");
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') home = std::getenv("USERPROFILE");
  if (home == nullptr || *home == '\0') return "";
  return base::JoinPath(base::JoinPath(home, ".docker"), "config.json");
}

StatusOr<DockerConfig> DockerConfig::Load(const std::string& path) {
  if (path.empty() || !base::Env::Default()->Exists(path)) {
    return DockerConfig();
  }
  WINSNAP_ASSIGN_OR_RETURN(std::string text,
                           base::Env::Default()->ReadFile(path));
  auto cfg = Parse(text);
  if (!cfg.ok()) return cfg.status().WithContext(path);
  return cfg;
}

StatusOr<DockerConfig> DockerConfig::Parse(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgumentError("docker config: not a JSON object");
  }
  DockerConfig cfg;
  if (doc.contains("credsStore") || doc.contains("credHelpers")) {
    spdlog::warn(
        "docker config: credential helpers are not supported; only "
        "\"auths\" entries are used");
  }
  auto auths = doc.find("auths");
  if (auths == doc.end()) return cfg;
  if (!auths->is_object()) {
    return InvalidArgumentError("docker config: \"auths\" is not an object");
  }
  for (auto item = auths->begin(); item != auths->end(); ++item) {
    // Named references rather than a structured binding: lambdas below
    // capture them, which clang 14 rejects for bindings.
    const std::string& key = item.key();
    const nlohmann::json& entry = item.value();
    if (!entry.is_object()) {
      return InvalidArgumentError("docker config: auths[\"" + key +
                                  "\"] is not an object");
    }
    Credentials cred;
    auto str = [&](const char* field) -> std::string {
      auto it = entry.find(field);
      return it != entry.end() && it->is_string() ? it->get<std::string>()
                                                  : std::string();
    };
    std::string auth = str("auth");
    if (!auth.empty()) {
      auto decoded = base::Base64Decode(auth);
      if (!decoded.ok()) {
        return InvalidArgumentError("docker config: auths[\"" + key +
                                    "\"].auth: " + decoded.status().message());
      }
      size_t colon = decoded->find(':');
      if (colon == std::string::npos) {
        return InvalidArgumentError("docker config: auths[\"" + key +
                                    "\"].auth is not base64(user:password)");
      }
      cred.username = decoded->substr(0, colon);
      cred.password = decoded->substr(colon + 1);
    } else {
      cred.username = str("username");
      cred.password = str("password");
    }
    if (cred.username.empty() && cred.password.empty()) {
      if (!str("identitytoken").empty()) {
        spdlog::warn(
            "docker config: identity token for {} is not supported; "
            "pulling anonymously",
            key);
      }
      continue;
    }
    cfg.auths_[key] = std::move(cred);
  }
  return cfg;
}

std::optional<Credentials> DockerConfig::Lookup(std::string_view host) const {
  if (auto it = auths_.find(std::string(host)); it != auths_.end()) {
    return it->second;
  }
  std::string want = NormalizeRegistryHost(host);
  for (const auto& [key, cred] : auths_) {
    if (NormalizeRegistryHost(key) == want) return cred;
  }
  return std::nullopt;
}

StatusOr<TokenResponse> ParseTokenResponse(std::string_view body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgumentError("token response is not a JSON object");
  }
  TokenResponse r;
  for (const char* field : {"token", "access_token"}) {
    auto it = doc.find(field);
    if (it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
      r.token = it->get<std::string>();
      break;
    }
  }
  if (r.token.empty()) {
    return InvalidArgumentError("token response has no token");
  }
  if (auto it = doc.find("expires_in");
      it != doc.end() && it->is_number_integer() && it->get<int64_t>() > 0) {
    r.expires_in = std::chrono::seconds(it->get<int64_t>());
  }
  return r;
}

}  // namespace winsnap::registry
