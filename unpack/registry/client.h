// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Client speaks the OCI distribution API v2 (pull side) to one or more
// registries: manifests (with manifest-list / image-index platform selection),
// and blobs streamed into a BlobSink with on-the-fly digest verification.
// Around every request it handles
//   - authentication: a 401's WWW-Authenticate challenge; Bearer tokens
//     fetched from the challenge's realm (anonymously, or with basic
//     credentials from a docker-style config.json), cached per host and
//     scope until they expire; Basic auth challenges;
//   - redirects (registries send blob GETs to storage on other hosts; the
//     Authorization header never follows a redirect to another origin, and
//     https -> http downgrades are refused);
//   - retries with exponential backoff for transient failures (connection
//     errors, timeouts, HTTP 408/429/5xx), bounded by max_attempts; a blob
//     download that drops mid-body resumes with "Range: bytes=<offset>-".
// TLS certificates are verified against the system store (plus an optional
// CA file) with SNI and hostname checks, unless the registry is listed as
// insecure; registries listed as plain-http are spoken to over HTTP.
//
// Thread-safety: all methods may be called concurrently from any number of
// threads (PullPlan does exactly that). Each call does its network I/O on the
// calling thread over connections it takes from a shared, mutex-guarded pool;
// the auth state (challenges seen, token cache) is guarded by a mutex; the
// options and the docker config are immutable after Create.

#ifndef WINSNAP_UNPACK_REGISTRY_CLIENT_H_
#define WINSNAP_UNPACK_REGISTRY_CLIENT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/thread_annotations.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/platform.h"
#include "unpack/registry/auth.h"
#include "unpack/registry/blob_sink.h"
#include "unpack/registry/http.h"
#include "unpack/registry/reference.h"

namespace winsnap::registry {

struct ClientOptions {
  // Registries ("host" or "host:port", as in the reference) whose TLS
  // certificates are not verified (--insecure-registry).
  std::vector<std::string> insecure_registries;
  // Registries spoken to over plain HTTP (--plain-http).
  std::vector<std::string> plain_http_registries;
  // Extra PEM CA bundle trusted in addition to the system store.
  std::string ca_file;
  // docker-style config.json with credentials. Empty: DockerConfig's default
  // path; ignored when use_docker_config is false.
  std::string docker_config_path;
  bool use_docker_config = true;
  // Explicit credentials per registry host; they win over config.json.
  std::map<std::string, Credentials> credentials;

  std::chrono::milliseconds connect_timeout{30'000};
  // Longest wait for any single read or write to make progress.
  std::chrono::milliseconds io_timeout{60'000};
  // Attempts per request (and consecutive attempts without progress per
  // blob); >= 1.
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{8'000};
  int max_redirects = 10;
  size_t max_manifest_bytes = 4 << 20;  // as containerd's limit
  size_t max_config_bytes = 16 << 20;
  std::string user_agent = "winsnap/0.1";
};

// A manifest or index exactly as served, with its verified digest.
struct FetchedManifest {
  std::string bytes;
  std::string media_type;
  std::string digest;  // computed over bytes
};

// What a pull needs to know about one platform's image.
struct ResolvedImage {
  Reference reference;        // as requested
  std::string index_digest;   // digest of the index/list, "" if none
  FetchedManifest manifest;   // the selected platform's image manifest
  oci::ImageManifest parsed;  // its config descriptor and layers
  std::string config;         // the config blob (digest-verified)
  oci::Platform platform;     // from the config
};

struct FetchOptions {
  // Checked between reads; once true the fetch stops with Cancelled.
  const std::atomic<bool>* cancel = nullptr;
  // Called on the fetching thread after every chunk: bytes the sink holds
  // and the blob's size (-1 if unknown).
  std::function<void(uint64_t done, int64_t total)> progress;
};

// Counters for tests, logs and metrics.
struct ClientStats {
  uint64_t requests = 0;       // HTTP requests sent (incl. redirects, auth)
  uint64_t token_fetches = 0;  // token server round trips
  uint64_t retries = 0;        // attempts after a transient failure
  uint64_t resumed = 0;        // blob attempts that started at offset > 0
};

class Client {
 public:
  // InvalidArgument for bad options (unreadable CA file, malformed
  // config.json, max_attempts < 1).
  static StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);
  // Same, over a caller-provided transport (fakes in tests).
  static StatusOr<std::unique_ptr<Client>> CreateWithTransport(
      ClientOptions options, std::unique_ptr<HttpTransport> transport);

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // GET /v2/ on ref's registry without credentials: OK if it answers as a
  // v2 registry (200, or 401 asking for authentication).
  Status Ping(const Reference& ref);

  // Fetches the manifest or index "ref" names (by digest when it has one,
  // else by tag), offering "accept" media types. The sha256 of the bytes is
  // always computed; DataLoss if it differs from ref.digest or from the
  // registry's Docker-Content-Digest header. NotFound, Unauthenticated,
  // PermissionDenied from the registry's answer; ResourceExhausted above
  // max_manifest_bytes.
  StatusOr<FetchedManifest> GetManifest(const Reference& ref,
                                        const std::vector<std::string>& accept =
                                            oci::DefaultManifestMediaTypes());

  // Resolves "ref" to the image manifest for "platform" (following an index
  // through oci::SelectManifest's rule, oci/platform.h) and fetches its config.
  // NotFound when no entry matches or a single-manifest image's config is
  // for another os/architecture; InvalidArgument for schema 1 or unknown
  // media types; DataLoss when a descriptor's size or digest does not match
  // the bytes served.
  StatusOr<ResolvedImage> Resolve(const Reference& ref,
                                  const oci::Platform& platform);

  // Streams blob "blob" of repository "repo" into "sink", starting at
  // sink.offset() (prefix re-hashed via ReadPrefix). The bytes are hashed as
  // they pass; a dropped connection or timeout is retried with backoff,
  // resuming at the byte after the last one the sink accepted (Range
  // request; a server that ignores Range has the prefix skipped). If the
  // registry answers 404 and the descriptor lists urls (foreign layers),
  // those are tried in order.
  // On success the sink holds exactly blob.size bytes whose digest is
  // blob.digest, and Commit(digest) was called. Errors: DataLoss (digest or
  // size mismatch - never retried, never accepted), NotFound,
  // Unauthenticated, PermissionDenied, Cancelled, Unavailable /
  // DeadlineExceeded after the attempts ran out, or the sink's own error;
  // on any error sink.Abort(error) was called.
  Status FetchBlob(const Reference& repo, const oci::Descriptor& blob,
                   BlobSink& sink, const FetchOptions& options = {});

  // Small blobs (configs): the verified bytes. ResourceExhausted if
  // blob.size exceeds "limit".
  StatusOr<std::string> FetchBlobToString(const Reference& repo,
                                          const oci::Descriptor& blob,
                                          size_t limit);

  ClientStats stats() const;

 private:
  struct HostAuth {
    std::string scheme;  // "bearer" or "basic"
    std::string realm;
    std::string service;
  };
  struct CachedToken {
    std::string token;
    std::chrono::steady_clock::time_point expiry;
  };
  using Headers = std::vector<std::pair<std::string, std::string>>;

  Client(ClientOptions options, std::unique_ptr<HttpTransport> transport,
         DockerConfig docker_config);

  StatusOr<Url> RegistryUrl(const Reference& ref,
                            const std::string& path) const;
  std::optional<Credentials> CredentialsFor(const std::string& authority) const;

  // Sends GET "url" with auth and redirects handled; the final response may
  // have any status.
  StatusOr<std::unique_ptr<HttpResponse>> Execute(
      Url url, const std::string& scope, const Headers& headers,
      const std::atomic<bool>* cancel);
  Status AddAuthorization(const Url& url, const std::string& scope,
                          HttpRequest* request);
  Status HandleChallenge(const Url& url, HttpResponse& response,
                         const std::string& scope);
  StatusOr<CachedToken> FetchToken(const HostAuth& auth,
                                   const std::string& scopes,
                                   const std::string& authority);

  template <typename T, typename F>
  StatusOr<T> WithRetries(std::string_view what, F attempt);
  void Backoff(int failures, const std::atomic<bool>* cancel) const;

  Status FetchBlobImpl(const Reference& repo, const oci::Descriptor& blob,
                       BlobSink& sink, const FetchOptions& options);

  const ClientOptions options_;
  const std::unique_ptr<HttpTransport> transport_;
  const DockerConfig docker_config_;

  mutable base::Mutex mu_;
  // By authority.
  std::map<std::string, HostAuth> host_auth_ GUARDED_BY(mu_);
  // Key: authority + "\n" + scope.
  std::map<std::string, CachedToken> tokens_ GUARDED_BY(mu_);

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> token_fetches_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> resumed_{0};
};

}  // namespace winsnap::registry

#endif  // WINSNAP_UNPACK_REGISTRY_CLIENT_H_
