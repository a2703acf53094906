// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tests/registry/test_servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "base/base64.h"
#include "base/env.h"
#include "oci/digest.h"
#include "tests/testutil/temp_dir.h"

namespace winsnap::registry::testing {
namespace {

using nlohmann::json;

int ListenLoopback(int port, int* bound_port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 64) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *bound_port = ntohs(addr.sin_port);
  return fd;
}

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Accepts with a 100 ms poll so loops notice "stop".
int AcceptWithStop(int listen_fd, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    pollfd p{listen_fd, POLLIN, 0};
    int r = ::poll(&p, 1, 100);
    if (r > 0) return ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  }
  return -1;
}

json DescriptorJson(const oci::Descriptor& d) {
  json j = {
      {"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (d.platform) {
    json p = {{"os", d.platform->os},
              {"architecture", d.platform->architecture}};
    if (!d.platform->variant.empty()) p["variant"] = d.platform->variant;
    if (!d.platform->os_version.empty())
      p["os.version"] = d.platform->os_version;
    j["platform"] = p;
  }
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

std::string Base64Url(std::string_view data) {
  std::string s = base::Base64Encode(data);
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 307:
      return "Temporary Redirect";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  std::stringstream ss(p);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

int FreePort() {
  int port = 0;
  int fd = ListenLoopback(0, &port);
  if (fd >= 0) ::close(fd);
  return port;
}

Status Run(const std::vector<std::string>& argv) {
  winsnap::testing::CommandResult r = winsnap::testing::RunCommand(argv);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    return InternalError(cmd + "exited " + std::to_string(r.exit_code) + ": " +
                         r.err + r.out);
  }
  return OkStatus();
}

Status MakeSelfSignedCert(const std::string& dir, const std::string& name,
                          const std::string& cn, const std::string& san) {
  std::string openssl = FindInPath("openssl");
  if (openssl.empty()) return NotFoundError("openssl not found in PATH");
  return Run({openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
              "2", "-keyout", dir + "/" + name + ".key", "-out",
              dir + "/" + name + ".crt", "-subj", "/CN=" + cn, "-addext",
              "subjectAltName=" + san});
}

// ---- RegistryProcess ----

RegistryProcess::~RegistryProcess() { Stop(); }

Status RegistryProcess::Start(const std::string& dir,
                              const std::string& tls_cert,
                              const std::string& tls_key,
                              const std::optional<TokenAuthConfig>& token) {
  std::string bin = FindInPath("docker-registry");
  if (bin.empty()) return NotFoundError("docker-registry not found in PATH");
  port_ = FreePort();
  std::string yml =
      "version: 0.1\n"
      "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
      "storage:\n  filesystem:\n    rootdirectory: " +
      dir +
      "/storage\n"
      "  delete:\n    enabled: true\n"
      "http:\n  addr: 127.0.0.1:" +
      std::to_string(port_) +
      "\n"
      "  secret: winsnap-test\n";
  if (!tls_cert.empty()) {
    yml +=
        "  tls:\n    certificate: " + tls_cert + "\n    key: " + tls_key + "\n";
  }
  if (token) {
    yml += "auth:\n  token:\n    realm: " + token->realm +
           "\n    service: " + token->service +
           "\n    issuer: " + token->issuer +
           "\n    rootcertbundle: " + token->rootcertbundle + "\n";
  }
  const std::string config = dir + "/config.yml";
  WINSNAP_RETURN_IF_ERROR(base::Env::Default()->WriteFileAtomic(config, yml));
  log_path_ = dir + "/registry.log";

  std::vector<std::string> args = {bin, "serve", config};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) return ErrnoError("fork", errno);
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return InternalError("docker-registry exited during start-up: " + log());
    }
    int fd = ConnectLoopback(port_);
    if (fd >= 0) {
      ::close(fd);
      return OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return InternalError("docker-registry did not listen within 20 s: " + log());
}

void RegistryProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string RegistryProcess::log() const {
  auto text = base::Env::Default()->ReadFile(log_path_);
  return text.ok() ? *text : std::string("(no log)");
}

Status SkopeoPush(const std::string& layout_dir, const std::string& tag,
                  const std::string& dest,
                  const std::vector<std::string>& extra) {
  return SkopeoCopy("oci:" + layout_dir + ":" + tag, dest, extra);
}

Status SkopeoCopy(const std::string& source, const std::string& dest,
                  const std::vector<std::string>& extra) {
  std::string skopeo = FindInPath("skopeo");
  if (skopeo.empty()) return NotFoundError("skopeo not found in PATH");
  std::vector<std::string> argv = {
      skopeo,  "--insecure-policy",  "copy",
      "--all", "--preserve-digests", "--dest-tls-verify=false",
      "-q"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(source);
  argv.push_back(dest);
  return Run(argv);
}

// ---- OciLayout ----

StatusOr<OciLayout> OciLayout::Create(const std::string& dir) {
  WINSNAP_RETURN_IF_ERROR(
      base::Env::Default()->CreateDirs(dir + "/blobs/sha256"));
  WINSNAP_RETURN_IF_ERROR(base::Env::Default()->WriteFileAtomic(
      dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  return OciLayout(dir);
}

oci::Descriptor OciLayout::AddBlob(const std::string& data,
                                   const std::string& media_type) {
  oci::Descriptor d;
  d.media_type = media_type;
  d.digest = oci::Sha256Of(data);
  d.size = static_cast<int64_t>(data.size());
  base::Env::Default()
      ->WriteFileAtomic(dir_ + "/blobs/sha256/" + d.digest.substr(7), data)
      .IgnoreError();
  blobs_[d.digest] = data;
  return d;
}

OciLayout::Image OciLayout::AddImage(const oci::Platform& platform,
                                     const std::vector<std::string>& layers) {
  Image img;
  json diff_ids = json::array();
  for (const std::string& l : layers) {
    img.layers.push_back(AddBlob(l, "application/vnd.oci.image.layer.v1.tar"));
    diff_ids.push_back(oci::Sha256Of(l));
  }
  json config = {{"architecture", platform.architecture},
                 {"os", platform.os},
                 {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  if (!platform.os_version.empty()) config["os.version"] = platform.os_version;
  img.config_bytes = config.dump();
  img.config = AddBlob(img.config_bytes, std::string(oci::kMediaTypeOciConfig));
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", oci::kMediaTypeOciManifest},
                   {"config", DescriptorJson(img.config)},
                   {"layers", json::array()}};
  for (const oci::Descriptor& l : img.layers)
    manifest["layers"].push_back(DescriptorJson(l));
  img.manifest_bytes = manifest.dump();
  img.manifest =
      AddBlob(img.manifest_bytes, std::string(oci::kMediaTypeOciManifest));
  img.manifest.platform = platform;
  return img;
}

oci::Descriptor OciLayout::AddIndex(const std::vector<Image>& images,
                                    std::string* bytes) {
  json index = {{"schemaVersion", 2},
                {"mediaType", oci::kMediaTypeOciIndex},
                {"manifests", json::array()}};
  for (const Image& img : images)
    index["manifests"].push_back(DescriptorJson(img.manifest));
  std::string text = index.dump();
  if (bytes) *bytes = text;
  return AddBlob(text, std::string(oci::kMediaTypeOciIndex));
}

Status OciLayout::Tag(const oci::Descriptor& top, const std::string& tag) {
  oci::Descriptor d = top;
  d.platform.reset();
  d.annotations["org.opencontainers.image.ref.name"] = tag;
  tags_.emplace_back(d, tag);
  json index = {{"schemaVersion", 2}, {"manifests", json::array()}};
  for (const auto& [desc, t] : tags_)
    index["manifests"].push_back(DescriptorJson(desc));
  return base::Env::Default()->WriteFileAtomic(dir_ + "/index.json",
                                               index.dump());
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// ---- TcpProxy ----

TcpProxy::TcpProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = ListenLoopback(0, &port_);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stop_.store(true);
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    base::MutexLock lock(&mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string TcpProxy::client_bytes() const {
  base::MutexLock lock(&mu_);
  return client_bytes_;
}

void TcpProxy::AcceptLoop() {
  while (!stop_.load()) {
    int client = AcceptWithStop(listen_fd_, stop_);
    if (client < 0) continue;
    int upstream = ConnectLoopback(upstream_port_);
    if (upstream < 0) {
      ::close(client);
      continue;
    }
    ++connections_;
    base::MutexLock lock(&mu_);
    threads_.emplace_back([this, client, upstream] { Pump(client, upstream); });
  }
}

void TcpProxy::Pump(int client, int upstream) {
  uint64_t response_bytes = 0;
  bool in_body = false;
  uint32_t window = 0;  // last four response header bytes
  uint64_t body_pos = 0;
  char buf[16384];
  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  while (!stop_.load()) {
    int r = ::poll(fds, 2, 100);
    if (r <= 0) continue;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0) break;
      {
        base::MutexLock lock(&mu_);
        client_bytes_.append(buf, static_cast<size_t>(n));
      }
      if (!SendAll(upstream, buf, static_cast<size_t>(n))) break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(upstream, buf, sizeof buf, 0);
      if (n <= 0) break;
      size_t len = static_cast<size_t>(n);
      for (size_t i = 0; i < len; ++i) {
        if (!in_body) {
          window = (window << 8) | static_cast<uint8_t>(buf[i]);
          if (window == 0x0d0a0d0a) in_body = true;
          continue;
        }
        int64_t at = corrupt_at_.load();
        if (at >= 0 && body_pos == static_cast<uint64_t>(at) &&
            corrupt_at_.compare_exchange_strong(at, -1)) {
          buf[i] = static_cast<char>(buf[i] ^ 0x5a);
        }
        ++body_pos;
      }
      int64_t cut = cut_at_.load();
      if (cut >= 0 && response_bytes + len >= static_cast<uint64_t>(cut) &&
          cut_at_.compare_exchange_strong(cut, -1)) {
        SendAll(client, buf, static_cast<size_t>(cut) - response_bytes);
        break;  // drop the connection mid-body
      }
      if (!SendAll(client, buf, len)) break;
      response_bytes += len;
    }
  }
  ::close(client);
  ::close(upstream);
}

// ---- MiniHttpServer ----

MiniHttpServer::MiniHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ListenLoopback(0, &port_);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

MiniHttpServer::~MiniHttpServer() {
  stop_.store(true);
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    base::MutexLock lock(&mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::vector<MiniRequest> MiniHttpServer::requests() const {
  base::MutexLock lock(&mu_);
  return requests_;
}

void MiniHttpServer::AcceptLoop() {
  while (!stop_.load()) {
    int fd = AcceptWithStop(listen_fd_, stop_);
    if (fd < 0) continue;
    base::MutexLock lock(&mu_);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void MiniHttpServer::Serve(int fd) {
  std::string in;
  char buf[4096];
  while (!stop_.load()) {
    size_t end = in.find("\r\n\r\n");
    if (end == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      continue;
    }
    MiniRequest req;
    std::istringstream head(in.substr(0, end));
    in.erase(0, end + 4);
    std::string line;
    std::getline(head, line);
    std::istringstream rl(line);
    rl >> req.method >> req.target;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string k = line.substr(0, colon);
      for (char& c : k)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      req.headers[k] = v;
    }
    {
      base::MutexLock lock(&mu_);
      requests_.push_back(req);
    }
    MiniResponse res = handler_(req);
    std::string out =
        "HTTP/1.1 " + std::to_string(res.status) + " " + Reason(res.status) +
        "\r\nContent-Length: " + std::to_string(res.body.size()) + "\r\n";
    for (const auto& [k, v] : res.headers) out += k + ": " + v + "\r\n";
    out += "\r\n" + res.body;
    if (!SendAll(fd, out.data(), out.size())) break;
  }
  ::close(fd);
}

// ---- tokens ----

StatusOr<std::string> SignRegistryToken(
    const std::string& key_pem_path, const std::string& cert_pem_path,
    const std::string& issuer, const std::string& audience,
    const std::string& subject, const std::vector<std::string>& access) {
  WINSNAP_ASSIGN_OR_RETURN(std::string key_pem,
                           base::Env::Default()->ReadFile(key_pem_path));
  WINSNAP_ASSIGN_OR_RETURN(std::string cert_pem,
                           base::Env::Default()->ReadFile(cert_pem_path));
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())),
      &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr),
      &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())),
      &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!pkey || !cert)
    return InternalError("cannot read token signing key/cert");
  int der_len = i2d_X509(cert.get(), nullptr);
  std::string der(static_cast<size_t>(der_len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert.get(), &p);

  json header = {
      {"typ", "JWT"}, {"alg", "RS256"}, {"x5c", {base::Base64Encode(der)}}};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  json grants = json::array();
  for (const std::string& scope : access) {
    size_t first = scope.find(':');
    size_t last = scope.rfind(':');
    if (first == std::string::npos || first == last) continue;
    json actions = json::array();
    std::stringstream ss(scope.substr(last + 1));
    std::string a;
    while (std::getline(ss, a, ',')) actions.push_back(a);
    grants.push_back({{"type", scope.substr(0, first)},
                      {"name", scope.substr(first + 1, last - first - 1)},
                      {"actions", actions}});
  }
  json claims = {{"iss", issuer},
                 {"sub", subject},
                 {"aud", audience},
                 {"exp", now + 600},
                 {"nbf", now - 10},
                 {"iat", now},
                 {"jti", std::to_string(now) + subject},
                 {"access", grants}};
  std::string signing_input =
      Base64Url(header.dump()) + "." + Base64Url(claims.dump());

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free);
  size_t sig_len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                         pkey.get()) != 1 ||
      EVP_DigestSign(
          ctx.get(), nullptr, &sig_len,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    return InternalError("EVP_DigestSign failed");
  }
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(
          ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    return InternalError("EVP_DigestSign failed");
  }
  sig.resize(sig_len);
  return signing_input + "." + Base64Url(sig);
}

}  // namespace winsnap::registry::testing
