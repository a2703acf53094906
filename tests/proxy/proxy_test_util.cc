// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tests/proxy/proxy_test_util.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/testutil/temp_dir.h"

namespace winsnap::proxy::testing {

Client::Client(const std::string& socket_path)
    : channel_(grpc::CreateChannel("unix://" + socket_path,
                                   grpc::InsecureChannelCredentials())),
      stub_(api::Snapshots::NewStub(channel_)),
      health_(health::Health::NewStub(channel_)) {}

namespace {
// Every call gets a deadline so a hung server fails the test, not the
// ctest timeout.
void Deadline(grpc::ClientContext* c) {
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  c->AddMetadata("containerd-namespace", "testns");
}
}  // namespace

grpc::Status Client::Prepare(const std::string& key, const std::string& parent,
                             api::PrepareSnapshotResponse* resp,
                             const std::map<std::string, std::string>& labels,
                             const std::string& snapshotter) {
  grpc::ClientContext c;
  Deadline(&c);
  api::PrepareSnapshotRequest req;
  req.set_snapshotter(snapshotter);
  req.set_key(key);
  req.set_parent(parent);
  for (const auto& [k, v] : labels) (*req.mutable_labels())[k] = v;
  api::PrepareSnapshotResponse r;
  return stub_->Prepare(&c, req, resp ? resp : &r);
}

grpc::Status Client::View(const std::string& key, const std::string& parent,
                          api::ViewSnapshotResponse* resp) {
  grpc::ClientContext c;
  Deadline(&c);
  api::ViewSnapshotRequest req;
  req.set_snapshotter("winsnap");
  req.set_key(key);
  req.set_parent(parent);
  api::ViewSnapshotResponse r;
  return stub_->View(&c, req, resp ? resp : &r);
}

grpc::Status Client::Commit(const std::string& name, const std::string& key,
                            const std::string& parent,
                            const std::map<std::string, std::string>& labels) {
  grpc::ClientContext c;
  Deadline(&c);
  api::CommitSnapshotRequest req;
  req.set_snapshotter("winsnap");
  req.set_name(name);
  req.set_key(key);
  req.set_parent(parent);
  for (const auto& [k, v] : labels) (*req.mutable_labels())[k] = v;
  google::protobuf::Empty e;
  return stub_->Commit(&c, req, &e);
}

grpc::Status Client::Remove(const std::string& key) {
  grpc::ClientContext c;
  Deadline(&c);
  api::RemoveSnapshotRequest req;
  req.set_snapshotter("winsnap");
  req.set_key(key);
  google::protobuf::Empty e;
  return stub_->Remove(&c, req, &e);
}

grpc::Status Client::Stat(const std::string& key, api::Info* info) {
  grpc::ClientContext c;
  Deadline(&c);
  api::StatSnapshotRequest req;
  req.set_snapshotter("winsnap");
  req.set_key(key);
  api::StatSnapshotResponse resp;
  grpc::Status s = stub_->Stat(&c, req, &resp);
  if (info) *info = resp.info();
  return s;
}

grpc::Status Client::Mounts(const std::string& key, api::MountsResponse* resp) {
  grpc::ClientContext c;
  Deadline(&c);
  api::MountsRequest req;
  req.set_snapshotter("winsnap");
  req.set_key(key);
  return stub_->Mounts(&c, req, resp);
}

grpc::Status Client::Usage(const std::string& key, api::UsageResponse* resp) {
  grpc::ClientContext c;
  Deadline(&c);
  api::UsageRequest req;
  req.set_snapshotter("winsnap");
  req.set_key(key);
  return stub_->Usage(&c, req, resp);
}

grpc::Status Client::Cleanup() {
  grpc::ClientContext c;
  Deadline(&c);
  api::CleanupRequest req;
  req.set_snapshotter("winsnap");
  google::protobuf::Empty e;
  return stub_->Cleanup(&c, req, &e);
}

grpc::Status Client::Update(const api::Info& info,
                            const std::vector<std::string>& paths,
                            api::Info* out) {
  grpc::ClientContext c;
  Deadline(&c);
  api::UpdateSnapshotRequest req;
  req.set_snapshotter("winsnap");
  *req.mutable_info() = info;
  for (const auto& p : paths) req.mutable_update_mask()->add_paths(p);
  api::UpdateSnapshotResponse resp;
  grpc::Status s = stub_->Update(&c, req, &resp);
  if (out) *out = resp.info();
  return s;
}

std::vector<api::ListSnapshotsResponse> Client::List(
    const std::vector<std::string>& filters, grpc::Status* status) {
  grpc::ClientContext c;
  Deadline(&c);
  api::ListSnapshotsRequest req;
  req.set_snapshotter("winsnap");
  for (const auto& f : filters) req.add_filters(f);
  auto reader = stub_->List(&c, req);
  std::vector<api::ListSnapshotsResponse> out;
  api::ListSnapshotsResponse r;
  while (reader->Read(&r)) out.push_back(r);
  *status = reader->Finish();
  return out;
}

std::vector<std::string> Client::ListNames(
    const std::vector<std::string>& filters, grpc::Status* status) {
  std::vector<std::string> names;
  for (const auto& b : List(filters, status)) {
    for (const auto& i : b.info()) names.push_back(i.name());
  }
  return names;
}

grpc::Status Client::Health(health::HealthCheckResponse::ServingStatus* st) {
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  health::HealthCheckRequest req;
  health::HealthCheckResponse resp;
  grpc::Status s = health_->Check(&c, req, &resp);
  *st = resp.status();
  return s;
}

bool Client::WaitServing(std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    health::HealthCheckResponse::ServingStatus st;
    if (Health(&st).ok() && st == health::HealthCheckResponse::SERVING)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int64_t Nanos(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000000 + t.nanos();
}

namespace {

int ConnectTo(const std::string& address) {
  if (!address.empty() && address[0] == '/') {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, address.c_str(), sizeof sun.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), address.substr(colon + 1).c_str(), &hints,
                    &res) != 0) {
    return -1;
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  return fd;
}

}  // namespace

std::string HttpGet(const std::string& address, const std::string& target) {
  int fd = ConnectTo(address);
  if (fd < 0) return "";
  std::string req = "GET " + target + " HTTP/1.0\r\nHost: x\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return "";
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool SocketAccepts(const std::string& path) {
  int fd = ConnectTo(path);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

ServeProcess::ServeProcess(std::vector<std::string> args, std::string log_path)
    : log_path_(std::move(log_path)) {
  std::vector<std::string> argv = {winsnap::testing::ToolPath("snapctl")};
  argv.insert(argv.end(), args.begin(), args.end());
  int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                   0600);
  // Built before fork: the child of a multi-threaded process may only make
  // async-signal-safe calls until exec (no malloc).
  std::vector<char*> cargs;
  for (auto& a : argv) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(log, 1);
    ::dup2(log, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    // The test binary may block signals in some thread; start clean.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  ::close(log);
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st;
    ::waitpid(pid_, &st, 0);
  }
}

bool ServeProcess::WaitForSocket(const std::string& socket,
                                 std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (SocketAccepts(socket)) return true;
    int st;
    if (pid_ > 0 && ::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int ServeProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    int st;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      if (WIFEXITED(st)) return WEXITSTATUS(st);
      return 128 + WTERMSIG(st);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  int st;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  return -1;
}

int ServeProcess::Stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  return Wait(timeout);
}

std::string ServeProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace winsnap::proxy::testing
