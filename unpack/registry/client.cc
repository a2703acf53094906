// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/registry/client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "base/base64.h"
#include "oci/config.h"
#include "oci/digest.h"

namespace winsnap::registry {
namespace {

constexpr size_t kErrorBodyLimit = 64 * 1024;
constexpr size_t kTokenBodyLimit = 1 << 20;
constexpr size_t kBlobChunk = 128 * 1024;
// A cached token is not used in its last seconds, so it cannot expire in
// flight.
constexpr auto kTokenSlack = std::chrono::seconds(10);

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool IsRedirect(int code) {
  return code == 301 || code == 302 || code == 303 || code == 307 ||
         code == 308;
}

bool Retryable(const Status& s) {
  return s.code() == StatusCode::kUnavailable ||
         s.code() == StatusCode::kDeadlineExceeded;
}

// URL for messages: no query string (pre-signed storage URLs carry
// credentials there).
std::string Redacted(const Url& url) {
  return url.scheme + "://" + url.Authority() +
         url.target.substr(0, url.target.find('?'));
}

// Maps a non-success response to a Status, with the registry's error codes
// ({"errors":[{"code","message"}]}) in the message.
Status ErrorFromResponse(HttpResponse& resp, const Url& url) {
  const int code = resp.status();
  std::string detail;
  auto body = resp.ReadAll(kErrorBodyLimit);
  if (body.ok()) {
    nlohmann::json doc = nlohmann::json::parse(*body, nullptr, false);
    if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array()) {
      for (const auto& e : doc["errors"]) {
        if (!e.is_object()) continue;
        if (!detail.empty()) detail += "; ";
        detail += e.value("code", std::string("?")) + ": " +
                  e.value("message", std::string());
      }
    }
  }
  std::string msg = "GET " + Redacted(url) + ": HTTP " + std::to_string(code);
  if (!detail.empty()) msg += " (" + detail + ")";
  if (code == 400) return InvalidArgumentError(msg);
  if (code == 401) return Status(StatusCode::kUnauthenticated, msg);
  if (code == 403) return PermissionDeniedError(msg);
  if (code == 404) return NotFoundError(msg);
  if (code == 408 || code == 429) return UnavailableError(msg);
  if (code == 501) return UnimplementedError(msg);
  if (code >= 500) return UnavailableError(msg);
  return UnknownError(msg);
}

// Parses "bytes <first>-<last>/<total|*>" or "bytes */<total>". Returns
// first (or -1 for "*") and total (-1 for "*").
bool ParseContentRange(std::string_view v, int64_t* first, int64_t* total) {
  if (v.substr(0, 6) != "bytes ") return false;
  v.remove_prefix(6);
  size_t slash = v.find('/');
  if (slash == std::string_view::npos) return false;
  auto num = [](std::string_view s, int64_t* out) {
    if (s == "*") {
      *out = -1;
      return true;
    }
    if (s.empty() || s.size() > 18) return false;
    int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + (c - '0');
    }
    *out = n;
    return true;
  };
  std::string_view range = v.substr(0, slash);
  if (!num(v.substr(slash + 1), total)) return false;
  if (range == "*") {
    *first = -1;
    return true;
  }
  size_t dash = range.find('-');
  int64_t last = 0;
  return dash != std::string_view::npos && num(range.substr(0, dash), first) &&
         num(range.substr(dash + 1), &last) && *first >= 0;
}

}  // namespace

StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  TransportOptions t;
  t.ca_file = options.ca_file;
  t.insecure_hosts = options.insecure_registries;
  t.connect_timeout = options.connect_timeout;
  t.io_timeout = options.io_timeout;
  t.user_agent = options.user_agent;
  WINSNAP_ASSIGN_OR_RETURN(auto transport, HttpTransport::Create(std::move(t)));
  return CreateWithTransport(std::move(options), std::move(transport));
}

StatusOr<std::unique_ptr<Client>> Client::CreateWithTransport(
    ClientOptions options, std::unique_ptr<HttpTransport> transport) {
  if (options.max_attempts < 1) {
    return InvalidArgumentError("max_attempts must be at least 1");
  }
  DockerConfig config;
  if (options.use_docker_config) {
    std::string path = options.docker_config_path.empty()
                           ? DockerConfig::DefaultPath()
                           : options.docker_config_path;
    WINSNAP_ASSIGN_OR_RETURN(config, DockerConfig::Load(path));
  }
  return std::unique_ptr<Client>(
      new Client(std::move(options), std::move(transport), std::move(config)));
}

Client::Client(ClientOptions options, std::unique_ptr<HttpTransport> transport,
               DockerConfig docker_config)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      docker_config_(std::move(docker_config)) {}

Client::~Client() = default;

ClientStats Client::stats() const {
  return ClientStats{requests_.load(), token_fetches_.load(), retries_.load(),
                     resumed_.load()};
}

StatusOr<Url> Client::RegistryUrl(const Reference& ref,
                                  const std::string& path) const {
  const std::string host = ref.ApiHost();
  const bool plain = Contains(options_.plain_http_registries, host) ||
                     Contains(options_.plain_http_registries, ref.domain);
  return Url::Parse((plain ? "http://" : "https://") + host + path);
}

std::optional<Credentials> Client::CredentialsFor(
    const std::string& authority) const {
  if (auto it = options_.credentials.find(authority);
      it != options_.credentials.end()) {
    return it->second;
  }
  // Docker Hub credentials are keyed by docker.io spellings.
  if (authority == kDockerHubApiHost) {
    if (auto it = options_.credentials.find(std::string(kDockerHubDomain));
        it != options_.credentials.end()) {
      return it->second;
    }
  }
  return docker_config_.Lookup(authority);
}

// ---- auth ----

Status Client::AddAuthorization(const Url& url, const std::string& scope,
                                HttpRequest* request) {
  const std::string authority = url.Authority();
  const std::string key = authority + "\n" + scope;
  HostAuth auth;
  {
    base::MutexLock lock(&mu_);
    auto it = host_auth_.find(authority);
    if (it == host_auth_.end()) return OkStatus();  // no challenge seen yet
    auth = it->second;
    if (auth.scheme == "bearer") {
      auto t = tokens_.find(key);
      if (t != tokens_.end() &&
          std::chrono::steady_clock::now() + kTokenSlack < t->second.expiry) {
        request->headers.emplace_back("Authorization",
                                      "Bearer " + t->second.token);
        return OkStatus();
      }
    }
  }
  if (auth.scheme == "basic") {
    if (auto cred = CredentialsFor(authority)) {
      request->headers.emplace_back(
          "Authorization",
          "Basic " + base::Base64Encode(cred->username + ":" + cred->password));
    }
    return OkStatus();
  }
  // Bearer host without a valid token for this scope: fetch one up front
  // instead of collecting another 401. Concurrent callers may both fetch;
  // the later token simply replaces the earlier one.
  WINSNAP_ASSIGN_OR_RETURN(CachedToken token,
                           FetchToken(auth, scope, authority));
  request->headers.emplace_back("Authorization", "Bearer " + token.token);
  base::MutexLock lock(&mu_);
  tokens_[key] = std::move(token);
  return OkStatus();
}

Status Client::HandleChallenge(const Url& url, HttpResponse& response,
                               const std::string& scope) {
  const std::string authority = url.Authority();
  std::optional<Challenge> bearer, basic;
  for (const std::string& h : response.Headers("WWW-Authenticate")) {
    auto parsed = ParseChallenges(h);
    if (!parsed.ok()) {
      spdlog::warn("registry {}: {}", authority, parsed.status().ToString());
      continue;
    }
    for (Challenge& c : *parsed) {
      if (c.scheme == "bearer" && !bearer) bearer = std::move(c);
      if (c.scheme == "basic" && !basic) basic = std::move(c);
    }
  }
  const std::string key = authority + "\n" + scope;
  if (bearer) {
    HostAuth auth{"bearer", bearer->Param("realm"), bearer->Param("service")};
    if (auth.realm.empty()) {
      return Status(
          StatusCode::kUnauthenticated,
          "registry " + authority + ": Bearer challenge without realm");
    }
    // The challenge's scope (possibly several, space-separated) is what the
    // registry wants for this request; fall back to ours.
    std::string scopes = bearer->Param("scope");
    if (scopes.empty()) scopes = scope;
    WINSNAP_ASSIGN_OR_RETURN(CachedToken token,
                             FetchToken(auth, scopes, authority));
    base::MutexLock lock(&mu_);
    host_auth_[authority] = auth;
    tokens_[key] = std::move(token);
    return OkStatus();
  }
  if (basic) {
    if (!CredentialsFor(authority)) {
      return Status(StatusCode::kUnauthenticated,
                    "registry " + authority +
                        " requires basic authentication and no credentials "
                        "were found (docker config.json \"auths\")");
    }
    base::MutexLock lock(&mu_);
    host_auth_[authority] = HostAuth{"basic", "", ""};
    return OkStatus();
  }
  return Status(
      StatusCode::kUnauthenticated,
      "GET " + Redacted(url) +
          ": HTTP 401 without a supported WWW-Authenticate challenge");
}

StatusOr<Client::CachedToken> Client::FetchToken(const HostAuth& auth,
                                                 const std::string& scopes,
                                                 const std::string& authority) {
  WINSNAP_ASSIGN_OR_RETURN(Url url, Url::Parse(auth.realm));
  std::string query;
  auto add = [&](std::string_view k, std::string_view v) {
    query +=
        query.empty() && url.target.find('?') == std::string::npos ? "?" : "&";
    query += std::string(k) + "=" + PercentEncode(v);
  };
  if (!auth.service.empty()) add("service", auth.service);
  size_t start = 0;
  while (start < scopes.size()) {
    size_t sp = scopes.find(' ', start);
    std::string_view s = std::string_view(scopes).substr(start, sp - start);
    if (!s.empty()) add("scope", s);
    if (sp == std::string::npos) break;
    start = sp + 1;
  }
  std::optional<Credentials> cred = CredentialsFor(authority);
  if (cred) add("account", cred->username);
  url.target += query;

  const Url realm = url;
  for (int redirects = 0;; ++redirects) {
    HttpRequest req{"GET", url, {}};
    // Credentials go to the realm the registry named, never to a host a
    // redirect points at.
    if (cred && url.SameOrigin(realm)) {
      req.headers.emplace_back(
          "Authorization",
          "Basic " + base::Base64Encode(cred->username + ":" + cred->password));
    }
    ++requests_;
    ++token_fetches_;
    WINSNAP_ASSIGN_OR_RETURN(auto resp, transport_->Send(req));
    const int code = resp->status();
    if (IsRedirect(code) && redirects < options_.max_redirects) {
      auto loc = resp->Header("Location");
      if (!loc) return ErrorFromResponse(*resp, url);
      WINSNAP_ASSIGN_OR_RETURN(url, url.Resolve(*loc));
      continue;
    }
    if (code == 401 || code == 403) {
      Status st = ErrorFromResponse(*resp, url);
      return Status(StatusCode::kUnauthenticated,
                    "token server " + realm.Authority() + " refused " +
                        (cred ? "the credentials of \"" + cred->username + "\""
                              : std::string("anonymous access")) +
                        " for scope \"" + scopes + "\": " + st.message());
    }
    if (code != 200) return ErrorFromResponse(*resp, url);
    WINSNAP_ASSIGN_OR_RETURN(std::string body, resp->ReadAll(kTokenBodyLimit));
    auto parsed = ParseTokenResponse(body);
    if (!parsed.ok()) {
      return parsed.status().WithContext("token server " + realm.Authority());
    }
    return CachedToken{std::move(parsed->token),
                       std::chrono::steady_clock::now() + parsed->expires_in};
  }
}

StatusOr<std::unique_ptr<HttpResponse>> Client::Execute(
    Url url, const std::string& scope, const Headers& headers,
    const std::atomic<bool>* cancel) {
  bool challenged = false;
  int redirects = 0;
  while (true) {
    if (cancel != nullptr && cancel->load()) return CancelledError("cancelled");
    HttpRequest req{"GET", url, headers};
    WINSNAP_RETURN_IF_ERROR(AddAuthorization(url, scope, &req));
    ++requests_;
    WINSNAP_ASSIGN_OR_RETURN(auto resp, transport_->Send(req));
    const int code = resp->status();
    if (code == 401 && !challenged) {
      challenged = true;
      WINSNAP_RETURN_IF_ERROR(HandleChallenge(url, *resp, scope));
      continue;
    }
    if (IsRedirect(code)) {
      auto loc = resp->Header("Location");
      if (!loc) return resp;
      if (++redirects > options_.max_redirects) {
        return UnknownError("GET " + Redacted(url) + ": more than " +
                            std::to_string(options_.max_redirects) +
                            " redirects");
      }
      WINSNAP_ASSIGN_OR_RETURN(Url next, url.Resolve(*loc));
      if (url.scheme == "https" && next.scheme == "http") {
        return PermissionDeniedError("GET " + Redacted(url) +
                                     ": refusing redirect from https to " +
                                     Redacted(next));
      }
      spdlog::debug("registry: {} redirected to {}", Redacted(url),
                    Redacted(next));
      url = std::move(next);
      challenged = false;  // the new origin may challenge on its own
      continue;
    }
    return resp;
  }
}

// ---- retries ----

void Client::Backoff(int failures, const std::atomic<bool>* cancel) const {
  auto delay = options_.initial_backoff;
  for (int i = 1; i < failures && delay < options_.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, options_.max_backoff);
  // Up to +25% jitter so parallel downloads do not retry in lockstep.
  thread_local std::minstd_rand rng{std::random_device{}()};
  delay += std::chrono::milliseconds(
      std::uniform_int_distribution<int64_t>(0, delay.count() / 4)(rng));
  auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (cancel != nullptr && cancel->load()) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50),
        until - std::chrono::steady_clock::now()));
  }
}

template <typename T, typename F>
StatusOr<T> Client::WithRetries(std::string_view what, F attempt) {
  for (int n = 1;; ++n) {
    StatusOr<T> r = attempt();
    if (r.ok() || !Retryable(r.status())) return r;
    if (n >= options_.max_attempts) {
      return r.status().WithContext(std::string(what) + " (gave up after " +
                                    std::to_string(n) + " attempts)");
    }
    spdlog::warn("registry: {} failed (attempt {}/{}): {}; retrying", what, n,
                 options_.max_attempts, r.status().ToString());
    ++retries_;
    Backoff(n, nullptr);
  }
}

// ---- API ----

Status Client::Ping(const Reference& ref) {
  // No auth handling on purpose: a 401 already proves a v2 registry answers.
  auto r = WithRetries<bool>("ping " + ref.ApiHost(), [&]() -> StatusOr<bool> {
    WINSNAP_ASSIGN_OR_RETURN(Url url, RegistryUrl(ref, "/v2/"));
    ++requests_;
    WINSNAP_ASSIGN_OR_RETURN(auto resp,
                             transport_->Send(HttpRequest{"GET", url, {}}));
    if (resp->status() == 200 || resp->status() == 401) return true;
    return ErrorFromResponse(*resp, url);
  });
  return r.status();
}

StatusOr<FetchedManifest> Client::GetManifest(
    const Reference& ref, const std::vector<std::string>& accept) {
  std::string accept_header;
  for (const std::string& a : accept) {
    if (!accept_header.empty()) accept_header += ", ";
    accept_header += a;
  }
  const std::string scope = "repository:" + ref.path + ":pull";
  const std::string what = "fetching manifest " + ref.String();
  return WithRetries<FetchedManifest>(what, [&]() -> StatusOr<FetchedManifest> {
    WINSNAP_ASSIGN_OR_RETURN(
        Url url,
        RegistryUrl(ref, "/v2/" + ref.path + "/manifests/" + ref.Identifier()));
    Headers headers;
    if (!accept_header.empty()) headers.emplace_back("Accept", accept_header);
    WINSNAP_ASSIGN_OR_RETURN(auto resp, Execute(url, scope, headers, nullptr));
    if (resp->status() != 200) return ErrorFromResponse(*resp, url);
    FetchedManifest m;
    auto body = resp->ReadAll(options_.max_manifest_bytes);
    if (!body.ok()) return body.status().WithContext(what);
    m.bytes = std::move(*body);

    // Verify against the pinned digest first, then against what the
    // registry claims; a mismatch is corruption, not a transient error.
    std::string algorithm = "sha256";
    if (!ref.digest.empty()) {
      WINSNAP_ASSIGN_OR_RETURN(oci::Digest want, oci::ParseDigest(ref.digest));
      algorithm = want.algorithm;
    }
    WINSNAP_ASSIGN_OR_RETURN(oci::Digester d, oci::Digester::Create(algorithm));
    d.Update(m.bytes.data(), m.bytes.size());
    m.digest = d.Finish();
    if (!ref.digest.empty() && m.digest != ref.digest) {
      return DataLossError(what + ": digest mismatch: content hashes to " +
                           m.digest);
    }
    if (auto claimed = resp->Header("Docker-Content-Digest")) {
      auto parsed = oci::ParseDigest(*claimed);
      if (parsed.ok()) {
        WINSNAP_ASSIGN_OR_RETURN(oci::Digester c,
                                 oci::Digester::Create(parsed->algorithm));
        c.Update(m.bytes.data(), m.bytes.size());
        if (c.Finish() != *claimed) {
          return DataLossError(what + ": registry says " + *claimed +
                               " but the content hashes to " + m.digest);
        }
      }
    }
    m.media_type = oci::DetectManifestMediaType(
        resp->Header("Content-Type").value_or(""), m.bytes);
    return m;
  });
}

StatusOr<ResolvedImage> Client::Resolve(const Reference& ref,
                                        const oci::Platform& platform) {
  ResolvedImage img;
  img.reference = ref;
  WINSNAP_ASSIGN_OR_RETURN(FetchedManifest m, GetManifest(ref));
  bool from_index = false;
  // Indexes may nest (an index entry pointing at another index); bound it.
  for (int depth = 0; oci::IsIndexMediaType(m.media_type); ++depth) {
    if (depth >= 4)
      return InvalidArgumentError(ref.String() + ": indexes nested too deep");
    auto index = oci::ParseImageIndex(m.bytes);
    if (!index.ok()) return index.status().WithContext(ref.String());
    auto desc = oci::SelectManifest(*index, platform);
    if (!desc.ok()) return desc.status().WithContext(ref.String());
    if (img.index_digest.empty()) img.index_digest = m.digest;
    WINSNAP_ASSIGN_OR_RETURN(m, GetManifest(ref.WithDigest(desc->digest)));
    if (static_cast<int64_t>(m.bytes.size()) != desc->size) {
      return DataLossError(ref.String() + ": manifest " + desc->digest +
                           " is " + std::to_string(m.bytes.size()) +
                           " bytes, the index says " +
                           std::to_string(desc->size));
    }
    from_index = true;
  }
  if (!oci::IsManifestMediaType(m.media_type)) {
    return InvalidArgumentError(ref.String() +
                                ": unsupported manifest media type \"" +
                                m.media_type + "\"");
  }
  auto parsed = oci::ParseImageManifest(m.bytes);
  if (!parsed.ok()) return parsed.status().WithContext(ref.String());
  img.parsed = std::move(*parsed);
  img.manifest = std::move(m);
  WINSNAP_ASSIGN_OR_RETURN(
      img.config,
      FetchBlobToString(ref, img.parsed.config, options_.max_config_bytes));
  auto config = oci::ParseImageConfig(img.config);
  if (!config.ok()) return config.status().WithContext(ref.String());
  img.platform = oci::NormalizePlatform(std::move(config->platform));
  const oci::Platform want = oci::NormalizePlatform(platform);
  if (!from_index && (img.platform.os != want.os ||
                      img.platform.architecture != want.architecture)) {
    return NotFoundError(ref.String() + " is " + img.platform.ToString() +
                         ", not " + want.ToString());
  }
  return img;
}

StatusOr<std::string> Client::FetchBlobToString(const Reference& repo,
                                                const oci::Descriptor& blob,
                                                size_t limit) {
  if (blob.size > 0 && static_cast<uint64_t>(blob.size) > limit) {
    return ResourceExhaustedError("blob " + blob.digest + " is " +
                                  std::to_string(blob.size) + " bytes, limit " +
                                  std::to_string(limit));
  }
  StringBlobSink sink(limit);
  WINSNAP_RETURN_IF_ERROR(FetchBlob(repo, blob, sink));
  return sink.data();
}

Status Client::FetchBlob(const Reference& repo, const oci::Descriptor& blob,
                         BlobSink& sink, const FetchOptions& options) {
  Status st = FetchBlobImpl(repo, blob, sink, options);
  if (!st.ok()) sink.Abort(st);
  return st;
}

Status Client::FetchBlobImpl(const Reference& repo, const oci::Descriptor& blob,
                             BlobSink& sink, const FetchOptions& options) {
  const std::string what = "blob " + blob.digest;
  WINSNAP_ASSIGN_OR_RETURN(oci::Digest want, oci::ParseDigest(blob.digest));
  WINSNAP_ASSIGN_OR_RETURN(oci::Digester hasher,
                           oci::Digester::Create(want.algorithm));
  const int64_t size = blob.size;

  // A sink that already holds a prefix (resume across runs) replays it into
  // the hash; the digest must cover every byte.
  if (const uint64_t prefix = sink.offset(); prefix > 0) {
    Status st = sink.ReadPrefix([&](const uint8_t* p, size_t n) {
      hasher.Update(p, n);
      return OkStatus();
    });
    if (st.code() == StatusCode::kUnimplemented) {
      return FailedPreconditionError(what + ": the sink already holds " +
                                     std::to_string(prefix) +
                                     " bytes it cannot replay for hashing");
    }
    WINSNAP_RETURN_IF_ERROR(st);
    if (hasher.bytes() != prefix) {
      return FailedPreconditionError(what + ": sink replayed " +
                                     std::to_string(hasher.bytes()) + " of " +
                                     std::to_string(prefix) + " bytes");
    }
    if (size >= 0 && prefix > static_cast<uint64_t>(size)) {
      return DataLossError(what + ": sink holds " + std::to_string(prefix) +
                           " bytes, more than the blob's " +
                           std::to_string(size));
    }
  }

  // Sources: the registry, then foreign-layer URLs when it has no copy.
  std::vector<std::pair<Url, std::string>> sources;  // url, auth scope
  {
    WINSNAP_ASSIGN_OR_RETURN(
        Url url,
        RegistryUrl(repo, "/v2/" + repo.path + "/blobs/" + blob.digest));
    sources.emplace_back(std::move(url), "repository:" + repo.path + ":pull");
  }
  for (const std::string& u : blob.urls) {
    auto url = Url::Parse(u);
    if (!url.ok()) {
      spdlog::warn("registry: {}: ignoring foreign URL: {}", what,
                   url.status().ToString());
      continue;
    }
    sources.emplace_back(std::move(*url), "");
  }

  std::vector<uint8_t> buf(kBlobChunk);
  Status result;
  for (size_t s = 0; s < sources.size(); ++s) {
    const Url& url = sources[s].first;
    const std::string& scope = sources[s].second;
    int failures = 0;  // consecutive attempts without progress
    int attempts = 0;
    while (true) {
      if (options.cancel != nullptr && options.cancel->load()) {
        return CancelledError(what + ": cancelled");
      }
      const uint64_t offset = sink.offset();
      if (size >= 0 && offset == static_cast<uint64_t>(size)) {
        result = OkStatus();
        break;
      }
      ++attempts;
      if (offset > 0) ++resumed_;
      bool fatal = false;  // errors the retry loop must not absorb
      Status st = [&]() -> Status {
        Headers headers;
        if (offset > 0) {
          headers.emplace_back("Range",
                               "bytes=" + std::to_string(offset) + "-");
        }
        WINSNAP_ASSIGN_OR_RETURN(auto resp,
                                 Execute(url, scope, headers, options.cancel));
        const int code = resp->status();
        uint64_t skip = 0;
        if (code == 200) {
          skip = offset;  // the server ignored Range: drop the prefix
        } else if (code == 206) {
          int64_t first = 0, total = 0;
          auto cr = resp->Header("Content-Range");
          if (offset == 0 || !cr || !ParseContentRange(*cr, &first, &total) ||
              first != static_cast<int64_t>(offset)) {
            fatal = true;
            return UnknownError(what + ": unexpected partial content (" +
                                cr.value_or("no Content-Range") +
                                ") for offset " + std::to_string(offset));
          }
        } else if (code == 416 && offset > 0 && size < 0) {
          // Nothing left to send: the prefix is the whole blob.
          int64_t first = 0, total = 0;
          auto cr = resp->Header("Content-Range");
          if (cr && ParseContentRange(*cr, &first, &total) &&
              total == static_cast<int64_t>(offset)) {
            return OkStatus();
          }
          fatal = true;
          return ErrorFromResponse(*resp, url);
        } else {
          Status e = ErrorFromResponse(*resp, url);
          fatal = !Retryable(e);
          return e;
        }
        while (true) {
          if (options.cancel != nullptr && options.cancel->load()) {
            fatal = true;
            return CancelledError(what + ": cancelled");
          }
          auto n = resp->Read(buf.data(), buf.size());
          if (!n.ok()) return n.status();
          if (*n == 0) break;
          const uint8_t* p = buf.data();
          size_t len = *n;
          if (skip > 0) {
            size_t k = static_cast<size_t>(std::min<uint64_t>(skip, len));
            p += k;
            len -= k;
            skip -= k;
            if (len == 0) continue;
          }
          const uint64_t before = sink.offset();
          if (size >= 0 && before + len > static_cast<uint64_t>(size)) {
            fatal = true;
            return DataLossError(what + ": server sent more than the " +
                                 std::to_string(size) +
                                 " bytes the descriptor declares");
          }
          hasher.Update(p, len);
          Status w = sink.Write(p, len);
          if (!w.ok()) {
            fatal = true;
            return w;
          }
          if (sink.offset() != before + len) {
            fatal = true;
            return InternalError(
                what + ": sink offset did not advance by the bytes written");
          }
          if (options.progress) options.progress(sink.offset(), size);
        }
        if (skip > 0 ||
            (size >= 0 && sink.offset() < static_cast<uint64_t>(size))) {
          return UnavailableError(what + ": body ended after " +
                                  std::to_string(sink.offset()) + " of " +
                                  std::to_string(size) + " bytes");
        }
        return OkStatus();
      }();
      if (st.ok()) {
        result = OkStatus();
        break;
      }
      if (fatal || !Retryable(st)) {
        result = st;
        break;
      }
      failures = sink.offset() > offset ? 1 : failures + 1;
      // Progress resets the count, but the total stays bounded too.
      if (failures >= options_.max_attempts ||
          attempts >= options_.max_attempts * 8) {
        return st.WithContext(what + " (gave up after " +
                              std::to_string(attempts) + " attempts)");
      }
      spdlog::warn("registry: {}: {} at byte {}; retrying with Range", what,
                   st.ToString(), sink.offset());
      ++retries_;
      Backoff(failures, options.cancel);
    }
    // A 404 from one source with nothing received moves on to the next.
    if (result.code() == StatusCode::kNotFound && s + 1 < sources.size()) {
      continue;
    }
    break;
  }
  WINSNAP_RETURN_IF_ERROR(result);

  if (size >= 0 && sink.offset() != static_cast<uint64_t>(size)) {
    return DataLossError(what + ": got " + std::to_string(sink.offset()) +
                         " bytes, the descriptor declares " +
                         std::to_string(size));
  }
  std::string got = hasher.Finish();
  if (got != blob.digest) {
    return DataLossError(what + ": digest mismatch: content hashes to " + got);
  }
  return sink.Commit(got);
}

}  // namespace winsnap::registry
