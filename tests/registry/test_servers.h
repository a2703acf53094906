// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Real peers for the registry client's integration tests, all on loopback:
//   RegistryProcess - Debian's docker-registry (distribution 2.8) started
//                     from a generated config.yml (plain HTTP, TLS, or token
//                     auth), with its storage in a temp dir;
//   OciLayout       - writes an OCI image layout (blobs, manifests, image
//                     index) that `skopeo copy` pushes into the registry;
//   TcpProxy        - sits between client and registry and misbehaves on
//                     request: cuts a connection after N response bytes,
//                     flips one body byte; it records what clients sent;
//   MiniHttpServer  - a tiny HTTP/1.1 server with a handler function, for a
//                     token service and for redirecting/challenging fronts.
// Helpers find binaries in $PATH and run openssl/skopeo.
//
// Thread-safety: each object runs its own threads; the public accessors are
// safe to call from the test thread while they run. Destructors stop and
// join everything.

#ifndef WINSNAP_TESTS_REGISTRY_TEST_SERVERS_H_
#define WINSNAP_TESTS_REGISTRY_TEST_SERVERS_H_

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/thread_annotations.h"
#include "oci/manifest.h"
#include "oci/platform.h"

namespace winsnap::registry::testing {

// Absolute path of "name" found in $PATH, or "".
std::string FindInPath(const std::string& name);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// Runs argv; OK if it exits 0, else Internal with its stderr.
Status Run(const std::vector<std::string>& argv);

// Self-signed certificate + key (PEM) for "cn" with the given
// subjectAltName (e.g. "IP:127.0.0.1"), made with `openssl req`.
Status MakeSelfSignedCert(const std::string& dir, const std::string& name,
                          const std::string& cn, const std::string& san);

struct TokenAuthConfig {
  std::string realm;
  std::string service;
  std::string issuer;
  std::string rootcertbundle;
};

class RegistryProcess {
 public:
  RegistryProcess() = default;
  ~RegistryProcess();
  RegistryProcess(const RegistryProcess&) = delete;
  RegistryProcess& operator=(const RegistryProcess&) = delete;

  // Starts docker-registry listening on 127.0.0.1:<free port> with storage
  // under "dir"; TLS when cert/key are set; token auth when "token" is set.
  // Returns once the port accepts connections.
  Status Start(const std::string& dir, const std::string& tls_cert = "",
               const std::string& tls_key = "",
               const std::optional<TokenAuthConfig>& token = std::nullopt);
  void Stop();

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// Pushes an OCI layout's image "tag" to "dest" (docker://...) with skopeo
// (--all: indexes with all their manifests). extra: e.g. --dest-creds.
Status SkopeoPush(const std::string& layout_dir, const std::string& tag,
                  const std::string& dest,
                  const std::vector<std::string>& extra = {});

// `skopeo copy --all` from any skopeo source ("oci-archive:x.tar:latest").
Status SkopeoCopy(const std::string& source, const std::string& dest,
                  const std::vector<std::string>& extra = {});

// An OCI image layout on disk; blobs are also kept in memory for checks.
class OciLayout {
 public:
  struct Image {
    oci::Descriptor manifest;
    std::string manifest_bytes;
    oci::Descriptor config;
    std::string config_bytes;
    std::vector<oci::Descriptor> layers;
  };

  // Creates dir/oci-layout and dir/blobs/sha256.
  static StatusOr<OciLayout> Create(const std::string& dir);

  oci::Descriptor AddBlob(const std::string& data,
                          const std::string& media_type);
  // An image for "platform" with the given layer contents.
  Image AddImage(const oci::Platform& platform,
                 const std::vector<std::string>& layers);
  // An image index over "images" (each entry carries its platform).
  oci::Descriptor AddIndex(const std::vector<Image>& images,
                           std::string* bytes = nullptr);
  // Writes index.json naming "top" as "tag".
  Status Tag(const oci::Descriptor& top, const std::string& tag);

  const std::string& blob(const std::string& digest) const {
    return blobs_.at(digest);
  }
  const std::string& dir() const { return dir_; }

 private:
  explicit OciLayout(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  std::map<std::string, std::string> blobs_;
  std::vector<std::pair<oci::Descriptor, std::string>> tags_;
};

// Deterministic pseudo-random bytes.
std::string RandomBytes(size_t n, uint32_t seed);

class TcpProxy {
 public:
  // Forwards 127.0.0.1:port() to 127.0.0.1:upstream_port.
  explicit TcpProxy(int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  // The next connection whose response stream reaches "n" bytes is closed
  // right after byte n (both directions). One-shot.
  void CutAfterResponseBytesOnce(uint64_t n) {
    cut_at_.store(static_cast<int64_t>(n));
  }
  // Flips byte "offset" of the next response body (counted from the end of
  // the first response's headers on a connection). One-shot.
  void CorruptBodyByteOnce(uint64_t offset) {
    corrupt_at_.store(static_cast<int64_t>(offset));
  }

  int connections() const { return connections_.load(); }
  // Everything clients sent, concatenated.
  std::string client_bytes() const;

 private:
  void AcceptLoop();
  void Pump(int client, int upstream);

  int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> cut_at_{-1};
  std::atomic<int64_t> corrupt_at_{-1};
  std::atomic<int> connections_{0};
  mutable base::Mutex mu_;
  std::string client_bytes_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_ GUARDED_BY(mu_);
  std::thread acceptor_;
};

struct MiniRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // keys lower-cased

  std::string Header(const std::string& k) const {
    auto it = headers.find(k);
    return it == headers.end() ? "" : it->second;
  }
};

struct MiniResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class MiniHttpServer {
 public:
  using Handler = std::function<MiniResponse(const MiniRequest&)>;
  explicit MiniHttpServer(Handler handler);
  ~MiniHttpServer();
  MiniHttpServer(const MiniHttpServer&) = delete;
  MiniHttpServer& operator=(const MiniHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  std::vector<MiniRequest> requests() const;

 private:
  void AcceptLoop();
  void Serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable base::Mutex mu_;
  std::vector<MiniRequest> requests_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_ GUARDED_BY(mu_);
  std::thread acceptor_;
};

// Signs a registry bearer token (RS256 JWT with the certificate in x5c) the
// way distribution's token auth verifies it. "access" entries are
// "type:name:action1,action2" scopes.
StatusOr<std::string> SignRegistryToken(const std::string& key_pem_path,
                                        const std::string& cert_pem_path,
                                        const std::string& issuer,
                                        const std::string& audience,
                                        const std::string& subject,
                                        const std::vector<std::string>& access);

}  // namespace winsnap::registry::testing

#endif  // WINSNAP_TESTS_REGISTRY_TEST_SERVERS_H_
