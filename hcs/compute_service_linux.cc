// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Linux ComputeService: runs the HCS document of a Windows-layer
// container on a Linux host. CreateComputeSystem mounts an overlay at
// <scratch>/rootfs whose lower dirs are the layers' Files/ folders in
// Storage.Layers order (first = top-most) and whose upper dir is
// <scratch>/Files (work dir <scratch>/work), and prepares a runc bundle at
// <bundle_dir>/<id>/. The first CreateProcess writes the bundle's config.json
// (runc_linux.h) and runs `runc create` + `runc start`; later ones
// `runc exec --detach`. Console-less processes get the caller's descriptors
// directly (runc's detached pass-through mode); console processes get a pty
// whose master runc sends over a --console-socket and which this file relays.
// Exit codes: the service makes its process a child subreaper
// (PR_SET_CHILD_SUBREAPER), so container processes are re-parented to it
// when runc exits, and a watcher thread per process reaps them.
// See compute_service.h for the contract and docs/hcs.md for the mapping.
//
// Thread-safety: a mutex per compute system serializes its lifecycle calls;
// a process's exit state has its own mutex, so Wait() does not block the
// system. Each watcher thread owns a shared reference to the state it fills.

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>
#include "base/env.h"

#include "base/logging.h"
#include "base/thread_annotations.h"
#include "base/unique_fd.h"
#include "hcs/compute_service.h"
#include "hcs/runc_linux.h"

namespace winsnap::hcs {
namespace {

using base::UniqueFd;
using linux_backend::BundleOptions;
using linux_backend::RuncClient;
using linux_backend::RuncResult;
using nlohmann::json;

constexpr char kDocumentFile[] = "hcs.json";
constexpr char kStateFile[] = "state.json";
constexpr char kConfigFile[] = "config.json";
constexpr char kLogFile[] = "runc.log";
constexpr auto kPoll = std::chrono::milliseconds(50);
constexpr auto kTerminateWait = std::chrono::seconds(10);

// ---- small POSIX helpers
// ------------------------------------------------------

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) {
    return ErrnoError("mkdir", errno, path);
  }
  return OkStatus();
}

StatusOr<UniqueFd> DupFd(int fd, std::string_view what) {
  if (fd < 0) return UniqueFd();
  int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (d < 0) return ErrnoError("fcntl(F_DUPFD_CLOEXEC)", errno, what);
  return UniqueFd(d);
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ValidId(std::string_view id) {
  // runc's container id rule: ^[\w+-\.]+$
  if (id.empty() || id.size() > 1024) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '+' &&
        c != '-' && c != '.') {
      return false;
    }
  }
  return id != "." && id != "..";
}

// ---- exit tracking
// ---------------------------------------------------------------

// Filled once by the watcher thread of one process.
struct ExitState {
  base::Mutex mu;
  base::CondVar cv;
  bool exited GUARDED_BY(mu) = false;
  uint32_t code GUARDED_BY(mu) = 0;
  Status error GUARDED_BY(mu);  // set if the code cannot be known
};

// Starts a detached thread that waits for "pid" to exit and records its exit
// code. The child is observed with WNOWAIT and reaped under st->mu, so a
// Signal() that checks "exited" under the same mutex can never hit a
// recycled pid.
void WatchChild(pid_t pid, std::shared_ptr<ExitState> st) {
  std::thread([pid, st] {
    siginfo_t si;
    std::memset(&si, 0, sizeof si);
    int r;
    do {
      r = ::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOWAIT);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      // Not our child (re-parenting to the subreaper failed): we can only
      // see it go away.
      while (::kill(pid, 0) == 0 || errno == EPERM) {
        std::this_thread::sleep_for(kPoll);
      }
    }
    base::MutexLock l(&st->mu);
    if (r == 0) {
      st->code = si.si_code == CLD_EXITED
                     ? static_cast<uint32_t>(si.si_status)
                     : 128u + static_cast<uint32_t>(si.si_status);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    } else {
      st->error = FailedPreconditionError(
          "process " + std::to_string(pid) +
          " is not a child of this process; its exit code is unknown");
    }
    st->exited = true;
    st->cv.SignalAll();
  }).detach();
}

// ---- console (pty) relay
// ----------------------------------------------------------

// Relays between the caller's descriptors and a pty master: stdin -> master,
// master -> stdout. Owns the master and dups of the caller's descriptors.
class ConsoleRelay {
 public:
  ConsoleRelay(UniqueFd master, UniqueFd in, UniqueFd out)
      : master_(std::move(master)), in_(std::move(in)), out_(std::move(out)) {}
  ~ConsoleRelay() { Stop(); }

  Status Start() {
    int a[2], b[2];
    if (::pipe2(a, O_CLOEXEC) < 0) return ErrnoError("pipe2", errno);
    wake_in_r_.reset(a[0]);
    wake_in_w_.reset(a[1]);
    if (::pipe2(b, O_CLOEXEC) < 0) return ErrnoError("pipe2", errno);
    wake_out_r_.reset(b[0]);
    wake_out_w_.reset(b[1]);
    if (in_) in_thread_ = std::thread([this] { InputLoop(); });
    out_thread_ = std::thread([this] { OutputLoop(); });
    return OkStatus();
  }

  Status Resize(uint16_t height, uint16_t width) {
    winsize ws{};
    ws.ws_row = height;
    ws.ws_col = width;
    if (::ioctl(master_.get(), TIOCSWINSZ, &ws) < 0) {
      return ErrnoError("ioctl(TIOCSWINSZ)", errno);
    }
    return OkStatus();
  }

  // After the process exited: copy what is still buffered, stopping at EOF
  // or after 100 ms without data (a background child may keep the pty open).
  void Drain() {
    draining_ = true;
    WriteAll(wake_out_w_.get(), "d", 1);
    if (out_thread_.joinable()) out_thread_.join();
  }

  void Stop() {
    stop_ = true;
    if (wake_in_w_) WriteAll(wake_in_w_.get(), "s", 1);
    if (wake_out_w_) WriteAll(wake_out_w_.get(), "s", 1);
    if (in_thread_.joinable()) in_thread_.join();
    if (out_thread_.joinable()) out_thread_.join();
  }

 private:
  void InputLoop() {
    char buf[4096];
    for (;;) {
      pollfd p[2] = {{in_.get(), POLLIN, 0}, {wake_in_r_.get(), POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (stop_ || (p[1].revents & POLLIN)) return;
      if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(in_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      if (!WriteAll(master_.get(), buf, static_cast<size_t>(n))) return;
    }
  }

  void OutputLoop() {
    OutputLoopBody();
    // The caller sees EOF on its stdout once the console output ends.
    out_.reset();
  }

  void OutputLoopBody() {
    char buf[8192];
    for (;;) {
      pollfd p[2] = {{master_.get(), POLLIN, 0},
                     {wake_out_r_.get(), POLLIN, 0}};
      int r = ::poll(p, 2, draining_ ? 100 : -1);
      if (r < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (stop_) return;
      if (r == 0) return;  // draining and quiet
      if (p[1].revents & POLLIN) {
        char c;
        (void)!::read(wake_out_r_.get(), &c, 1);
        continue;
      }
      if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(master_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // EIO: every slave descriptor is closed
      if (out_ && !WriteAll(out_.get(), buf, static_cast<size_t>(n))) return;
    }
  }

  UniqueFd master_, in_, out_;
  UniqueFd wake_in_r_, wake_in_w_, wake_out_r_, wake_out_w_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stop_{false};
  std::thread in_thread_, out_thread_;
};

// A unix socket runc connects to (--console-socket) to send the pty master.
class ConsoleSocket {
 public:
  ~ConsoleSocket() {
    listener_.reset();
    if (!path_.empty()) ::unlink(path_.c_str());
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }

  Status Listen() {
    // sun_path holds 108 bytes; a fresh directory in /tmp always fits.
    char tmpl[] = "/tmp/winsnap-console-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return ErrnoError("mkdtemp", errno, tmpl);
    dir_ = tmpl;
    path_ = dir_ + "/s";
    listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener_) return ErrnoError("socket", errno);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr),
               sizeof addr) < 0) {
      return ErrnoError("bind", errno, path_);
    }
    if (::listen(listener_.get(), 1) < 0) return ErrnoError("listen", errno);
    return OkStatus();
  }

  const std::string& path() const { return path_; }

  // REQUIRES: runc exited successfully after being given path(); its
  // connection and message are then already queued.
  StatusOr<UniqueFd> ReceiveMaster() {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) {
      return InternalError("runc did not send the console master");
    }
    UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return ErrnoError("accept4", errno, path_);
    char name[256];
    iovec iov{name, sizeof name};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
      n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return ErrnoError("recvmsg", errno, path_);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (c == nullptr || c->cmsg_level != SOL_SOCKET ||
        c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
      return InternalError("runc's console message carried no descriptor");
    }
    int fd;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return UniqueFd(fd);
  }

 private:
  std::string dir_;
  std::string path_;
  UniqueFd listener_;
};

// ---- Process
// ---------------------------------------------------------------------

class LinuxProcess final : public Process {
 public:
  LinuxProcess(pid_t pid, std::shared_ptr<ExitState> exit,
               std::unique_ptr<ConsoleRelay> console)
      : pid_(pid), exit_(std::move(exit)), console_(std::move(console)) {}
  ~LinuxProcess() override { Close(); }

  uint32_t Pid() const override { return static_cast<uint32_t>(pid_); }

  StatusOr<uint32_t> Wait() override {
    uint32_t code;
    {
      base::MutexLock l(&exit_->mu);
      while (!exit_->exited) exit_->cv.Wait(&exit_->mu);
      if (!exit_->error.ok()) return exit_->error;
      code = exit_->code;
    }
    base::MutexLock l(&console_mu_);
    if (console_) console_->Drain();
    return code;
  }

  StatusOr<std::optional<uint32_t>> TryWait() override {
    {
      base::MutexLock l(&exit_->mu);
      if (!exit_->exited) return std::optional<uint32_t>();
    }
    WINSNAP_ASSIGN_OR_RETURN(uint32_t code, Wait());
    return std::optional<uint32_t>(code);
  }

  Status Signal(int signal) override {
    base::MutexLock l(&exit_->mu);
    if (exit_->exited) return OkStatus();
    if (::kill(pid_, signal) < 0 && errno != ESRCH) {
      return ErrnoError("kill", errno, std::to_string(pid_));
    }
    return OkStatus();
  }

  Status Terminate() override { return Signal(SIGKILL); }

  Status ResizeConsole(uint16_t height, uint16_t width) override {
    base::MutexLock l(&console_mu_);
    if (!console_) {
      return FailedPreconditionError("process " + std::to_string(pid_) +
                                     " has no console");
    }
    return console_->Resize(height, width);
  }

  void Close() override {
    base::MutexLock l(&console_mu_);
    if (console_) console_->Stop();
  }

 private:
  const pid_t pid_;
  const std::shared_ptr<ExitState> exit_;
  base::Mutex console_mu_;
  std::unique_ptr<ConsoleRelay> console_ GUARDED_BY(console_mu_);
};

// ---- ComputeSystem
// ----------------------------------------------------------------

struct ServiceContext {
  ComputeServiceOptions options;
  RuncClient runc;
  unsigned host_cpus;
};

std::string ReadText(const std::string& path, Status* error) {
  StatusOr<std::string> s = base::Env::Default()->ReadFile(path);
  if (!s.ok()) {
    *error = s.status();
    return std::string();
  }
  return *s;
}

class LinuxComputeSystem final : public ComputeSystem {
 public:
  LinuxComputeSystem(const ServiceContext& ctx, std::string id,
                     schema::ComputeSystem doc, bool opened)
      : ctx_(ctx),
        id_(std::move(id)),
        bundle_(ctx.options.bundle_dir + "/" + id_),
        doc_(std::move(doc)),
        opened_(opened) {
    scratch_ = doc_.container->storage->path;
    rootfs_ = scratch_ + "/rootfs";
  }
  ~LinuxComputeSystem() override { Close(); }

  // Validates "doc", mounts the overlay and writes the bundle directory.
  static StatusOr<std::unique_ptr<LinuxComputeSystem>> Create(
      const ServiceContext& ctx, std::string_view id,
      const schema::ComputeSystem& doc) {
    if (!ValidId(id)) {
      return InvalidArgumentError("compute system id \"" + std::string(id) +
                                  "\" must match [A-Za-z0-9_+.-]+");
    }
    WINSNAP_RETURN_IF_ERROR(Validate(doc));
    std::string bundle = ctx.options.bundle_dir + "/" + std::string(id);
    if (::mkdir(bundle.c_str(), 0700) < 0) {
      if (errno == EEXIST) {
        return AlreadyExistsError("compute system \"" + std::string(id) +
                                  "\" already exists");
      }
      return ErrnoError("mkdir", errno, bundle);
    }
    auto cs = std::make_unique<LinuxComputeSystem>(ctx, std::string(id), doc,
                                                   /*opened=*/false);
    // Not shared yet: the lock only satisfies Prepare's REQUIRES(mu_).
    base::MutexLock l(&cs->mu_);
    Status s = cs->Prepare();
    if (!s.ok()) {
      // Nothing is deleted while the overlay may still be mounted.
      Status u = cs->Unmount();
      if (u.ok()) {
        base::Env::Default()->RemoveAll(bundle).IgnoreError();
      } else {
        spdlog::warn("compute system {}: {}; bundle {} left in place", id,
                     u.ToString(), bundle);
      }
      cs->closed_ = true;
      return s;
    }
    return cs;
  }

  static StatusOr<std::unique_ptr<LinuxComputeSystem>> Open(
      const ServiceContext& ctx, std::string_view id) {
    if (!ValidId(id)) {
      return InvalidArgumentError("compute system id \"" + std::string(id) +
                                  "\" is not valid");
    }
    std::string bundle = ctx.options.bundle_dir + "/" + std::string(id);
    Status err;
    std::string text = ReadText(bundle + "/" + kDocumentFile, &err);
    if (!err.ok()) {
      if (err.code() == StatusCode::kNotFound) {
        return NotFoundError("compute system \"" + std::string(id) +
                             "\" does not exist");
      }
      return err;
    }
    WINSNAP_ASSIGN_OR_RETURN(schema::ComputeSystem doc,
                             schema::ParseComputeSystem(text));
    WINSNAP_RETURN_IF_ERROR(Validate(doc));
    auto cs = std::make_unique<LinuxComputeSystem>(ctx, std::string(id),
                                                   std::move(doc),
                                                   /*opened=*/true);
    {
      base::MutexLock l(&cs->mu_);  // not shared yet; for the analysis
      WINSNAP_RETURN_IF_ERROR(cs->LoadState());
    }
    return cs;
  }

  const std::string& id() const override { return id_; }

  Status Start() override {
    base::MutexLock l(&mu_);
    if (terminated_) return Stopped("start");
    if (started_) {
      return FailedPreconditionError("compute system \"" + id_ +
                                     "\" is already started");
    }
    started_ = true;
    return SaveState();
  }

  Status Shutdown(std::chrono::milliseconds timeout) override {
    base::MutexLock l(&mu_);
    if (terminated_) return OkStatus();
    WINSNAP_ASSIGN_OR_RETURN(std::string status, RuncStatus());
    if (status.empty() || status == "stopped") {
      if (status.empty() && !has_container_) stopped_without_init_ = true;
      return OkStatus();
    }
    // Thaw first: a frozen init cannot handle SIGTERM.
    if (status == "paused") Runc({"resume", id_}).IgnoreError();
    Status k = Runc({"kill", id_, "TERM"});
    if (!k.ok() && k.code() != StatusCode::kFailedPrecondition &&
        k.code() != StatusCode::kNotFound) {
      return k;
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      WINSNAP_ASSIGN_OR_RETURN(status, RuncStatus());
      if (status.empty() || status == "stopped") return OkStatus();
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status(StatusCode::kDeadlineExceeded,
                      "compute system \"" + id_ + "\" still " +
                          Capitalized(status) + " after " +
                          std::to_string(timeout.count()) + " ms");
      }
      std::this_thread::sleep_for(kPoll);
    }
  }

  Status Terminate() override {
    base::MutexLock l(&mu_);
    return TerminateLocked();
  }

  Status Pause() override { return FreezeOrThaw("pause", "running"); }
  Status Resume() override { return FreezeOrThaw("resume", "paused"); }

  StatusOr<schema::Properties> Properties(
      const schema::PropertyQuery& query) override {
    base::MutexLock l(&mu_);
    schema::Properties p;
    p.id = id_;
    p.system_type = "Container";
    p.owner = doc_.owner;
    WINSNAP_ASSIGN_OR_RETURN(p.state, StateLocked());
    p.stopped = p.state == "Stopped";
    bool want_processes = false;
    for (const std::string& t : query.property_types) {
      if (t == "ProcessList") want_processes = true;
    }
    if (want_processes && (p.state == "Running" || p.state == "Paused") &&
        has_container_) {
      WINSNAP_ASSIGN_OR_RETURN(RuncResult r,
                               ctx_.runc.Run({"ps", "--format", "json", id_}));
      if (r.exit_code != 0) return RuncClient::Error("runc ps " + id_, r);
      json pids = json::parse(r.out, nullptr, false);
      if (!pids.is_array()) {
        return InternalError("runc ps " + id_ + ": unexpected output " + r.out);
      }
      for (const json& pid : pids) {
        if (!pid.is_number_integer()) continue;
        schema::ProcessDetails d;
        d.process_id = pid.get<uint32_t>();
        Status ignored;
        d.image_name = ReadText(
            "/proc/" + std::to_string(d.process_id) + "/comm", &ignored);
        while (!d.image_name.empty() && d.image_name.back() == '\n') {
          d.image_name.pop_back();
        }
        p.process_list.push_back(std::move(d));
      }
    }
    return p;
  }

  StatusOr<std::unique_ptr<Process>> CreateProcess(
      const schema::ProcessParameters& params, const StdioFds& stdio) override {
    base::MutexLock l(&mu_);
    if (terminated_) return Stopped("create a process in");
    if (!started_) {
      return FailedPreconditionError("compute system \"" + id_ +
                                     "\" is not started; call Start() first");
    }
    WINSNAP_ASSIGN_OR_RETURN(json process,
                             linux_backend::OciProcessFromHcs(params, rootfs_));
    const bool tty = params.emulate_console;
    std::unique_ptr<ConsoleSocket> console;
    if (tty) {
      console = std::make_unique<ConsoleSocket>();
      WINSNAP_RETURN_IF_ERROR(console->Listen());
    }
    const int n = ++process_counter_;
    const std::string pid_file = bundle_ + "/pid-" + std::to_string(n);
    const bool init = !has_container_;
    if (!init) {
      WINSNAP_ASSIGN_OR_RETURN(std::string status, RuncStatus());
      if (status != "running") {
        return FailedPreconditionError("compute system \"" + id_ + "\" is " +
                                       Capitalized(status) +
                                       "; its init process has exited");
      }
    }
    // Console processes talk through the pty; runc's own stdio then only
    // carries its diagnostics, which go to the log.
    int in = tty ? -1 : stdio.std_in;
    int out = tty ? -1 : stdio.std_out;
    int err = tty ? -1 : stdio.std_err;
    std::vector<std::string> args;
    if (init) {
      BundleOptions bo{rootfs_, ctx_.options.isolate_network, ctx_.host_cpus};
      WINSNAP_ASSIGN_OR_RETURN(json config, linux_backend::RuncConfigFromHcs(
                                                doc_, id_, process, bo));
      WINSNAP_RETURN_IF_ERROR(base::Env::Default()->WriteFileAtomic(
          bundle_ + "/" + kConfigFile, config.dump(2)));
      args = {"create", "--bundle", bundle_, "--pid-file", pid_file};
    } else {
      std::string process_file =
          bundle_ + "/process-" + std::to_string(n) + ".json";
      WINSNAP_RETURN_IF_ERROR(
          base::Env::Default()->WriteFileAtomic(process_file, process.dump()));
      args = {"exec",   "--detach",  "--pid-file",
              pid_file, "--process", process_file};
    }
    if (tty) {
      args.push_back("--console-socket");
      args.push_back(console->path());
    }
    args.push_back(id_);
    Status ran = ctx_.runc.RunWithStdio(args, in, out, err, LogFile());
    if (!ran.ok()) {
      if (init) Runc({"delete", "--force", id_}).IgnoreError();
      return ran;
    }
    if (init) has_container_ = true;

    Status read_error;
    std::string pid_text = ReadText(pid_file, &read_error);
    ::unlink(pid_file.c_str());
    pid_t pid = static_cast<pid_t>(std::atol(pid_text.c_str()));
    if (!read_error.ok() || pid <= 0) {
      if (init) Runc({"delete", "--force", id_}).IgnoreError();
      return InternalError("runc wrote no pid for a process of \"" + id_ +
                           "\": " + read_error.ToString());
    }
    auto exit = std::make_shared<ExitState>();
    WatchChild(pid, exit);

    std::unique_ptr<ConsoleRelay> relay;
    if (tty) {
      StatusOr<UniqueFd> master = console->ReceiveMaster();
      Status relay_status = master.status();
      if (master.ok()) {
        StatusOr<UniqueFd> in_dup = DupFd(stdio.std_in, "stdin");
        StatusOr<UniqueFd> out_dup = DupFd(stdio.std_out, "stdout");
        relay_status = !in_dup.ok() ? in_dup.status() : out_dup.status();
        if (relay_status.ok()) {
          relay = std::make_unique<ConsoleRelay>(
              std::move(*master), std::move(*in_dup), std::move(*out_dup));
          relay_status = relay->Start();
        }
      }
      if (!relay_status.ok()) {
        ::kill(pid, SIGKILL);
        return relay_status;
      }
    }
    if (init) {
      Status started = Runc({"start", id_});
      if (!started.ok()) {
        ::kill(pid, SIGKILL);
        return started;
      }
    }
    return std::unique_ptr<Process>(
        std::make_unique<LinuxProcess>(pid, exit, std::move(relay)));
  }

  void Close() override {
    base::MutexLock l(&mu_);
    if (closed_) return;
    closed_ = true;
    if (!opened_ && doc_.should_terminate_on_last_handle_closed &&
        !terminated_) {
      Status s = TerminateLocked();
      if (!s.ok()) {
        spdlog::warn("terminating compute system {} on close: {}", id_,
                     s.ToString());
      }
    }
    if (terminated_) {
      base::Env::Default()->RemoveAll(bundle_).IgnoreError();
    }
  }

 private:
  // What the Linux backend needs from a document.
  static Status Validate(const schema::ComputeSystem& doc) {
    if (!doc.container || !doc.container->storage) {
      return InvalidArgumentError(
          "HCS document has no Container.Storage; the Linux backend needs the "
          "layers and the scratch folder");
    }
    const schema::Storage& st = *doc.container->storage;
    if (st.layers.empty()) {
      return InvalidArgumentError(
          "Container.Storage.Layers is empty; an overlay needs at least one "
          "image layer");
    }
    if (st.path.empty() || st.path.front() != '/') {
      return InvalidArgumentError(
          "Container.Storage.Path \"" + st.path +
          "\" must be the scratch folder's absolute path on Linux (what "
          "LayerService::GetLayerMountPath returns)");
    }
    if (!doc.container->mapped_pipes.empty()) {
      return InvalidArgumentError(
          "MappedPipes (Windows named pipes) cannot be mapped on Linux");
    }
    auto bad_char = [](const std::string& p) {
      return p.find_first_of(",:\\") != std::string::npos;
    };
    for (const schema::Layer& layer : st.layers) {
      if (layer.path.empty() || layer.path.front() != '/' ||
          bad_char(layer.path)) {
        return InvalidArgumentError(
            "layer folder \"" + layer.path +
            "\" must be an absolute path without ',', ':' or '\\' (overlay "
            "mount options cannot carry them)");
      }
      if (!IsDir(layer.path + "/Files")) {
        return InvalidArgumentError("layer folder \"" + layer.path +
                                    "\" has no Files/ folder; it is not a "
                                    "windows-layer folder");
      }
    }
    if (bad_char(st.path)) {
      return InvalidArgumentError("scratch folder \"" + st.path +
                                  "\" must not contain ',', ':' or '\\'");
    }
    if (!IsDir(st.path)) {
      return NotFoundError("scratch folder \"" + st.path + "\" does not exist");
    }
    return OkStatus();
  }

  // Creates upper/work/rootfs, mounts the overlay, persists the document.
  Status Prepare() REQUIRES(mu_) {
    const schema::Storage& st = *doc_.container->storage;
    WINSNAP_RETURN_IF_ERROR(MakeDir(scratch_ + "/Files", 0755));
    WINSNAP_RETURN_IF_ERROR(MakeDir(scratch_ + "/work", 0700));
    WINSNAP_RETURN_IF_ERROR(MakeDir(rootfs_, 0755));
    std::string data = "lowerdir=";
    for (size_t i = 0; i < st.layers.size(); ++i) {
      if (i > 0) data += ':';
      data += st.layers[i].path + "/Files";
    }
    data += ",upperdir=" + scratch_ + "/Files,workdir=" + scratch_ + "/work";
    if (data.size() >= 4096) {
      return ResourceExhaustedError(
          "overlay mount options for " + std::to_string(st.layers.size()) +
          " layers exceed the kernel's 4096-byte limit; use shorter folder "
          "paths or fewer layers");
    }
    if (::mount("overlay", rootfs_.c_str(), "overlay", 0, data.c_str()) < 0) {
      return ErrnoError("mount overlay", errno, rootfs_ + " (" + data + ")");
    }
    mounted_ = true;
    WINSNAP_RETURN_IF_ERROR(base::Env::Default()->WriteFileAtomic(
        bundle_ + "/" + kDocumentFile, schema::ToJsonString(doc_)));
    return SaveState();
  }

  Status Unmount() REQUIRES(mu_) {
    if (mounted_ || IsMountPoint(rootfs_)) {
      if (::umount2(rootfs_.c_str(), 0) < 0) {
        if (errno == EBUSY) {
          if (::umount2(rootfs_.c_str(), MNT_DETACH) < 0) {
            return ErrnoError("umount2(MNT_DETACH)", errno, rootfs_);
          }
        } else if (errno != EINVAL && errno != ENOENT) {
          return ErrnoError("umount2", errno, rootfs_);
        }
      }
      mounted_ = false;
    }
    // Verified, not assumed: callers delete the scratch and bundle next, and
    // must never reach the layers through a live overlay.
    if (IsMountPoint(rootfs_)) {
      return FailedPreconditionError(rootfs_ +
                                     " is still mounted after umount; not "
                                     "removing anything under it");
    }
    ::rmdir(rootfs_.c_str());
    base::Env::Default()->RemoveAll(scratch_ + "/work").IgnoreError();
    return OkStatus();
  }

  static bool IsMountPoint(const std::string& path) {
    // The kernel says so directly (Linux >= 5.8), which also catches a bind
    // mount of a directory of the same filesystem.
    struct statx stx;
    if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, 0, &stx) == 0 &&
        (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0) {
      return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
    }
    struct stat a, b;
    if (::stat(path.c_str(), &a) < 0) return false;
    if (::stat((path + "/..").c_str(), &b) < 0) return false;
    return a.st_dev != b.st_dev;
  }

  Status TerminateLocked() REQUIRES(mu_) {
    if (terminated_) return OkStatus();
    if (has_container_) {
      Runc({"kill", "--all", id_, "KILL"}).IgnoreError();
      auto deadline = std::chrono::steady_clock::now() + kTerminateWait;
      for (;;) {
        StatusOr<std::string> status = RuncStatus();
        if (!status.ok() || status->empty() || *status == "stopped") break;
        if (*status == "paused") Runc({"resume", id_}).IgnoreError();
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(kPoll);
      }
      Status d = Runc({"delete", "--force", id_});
      if (!d.ok() && d.code() != StatusCode::kNotFound) return d;
      has_container_ = false;
    }
    WINSNAP_RETURN_IF_ERROR(Unmount());
    terminated_ = true;
    return SaveState();
  }

  Status FreezeOrThaw(const char* verb, const char* from) {
    base::MutexLock l(&mu_);
    WINSNAP_ASSIGN_OR_RETURN(std::string status, RuncStatus());
    if (terminated_ || !has_container_ || status != from) {
      StatusOr<std::string> state = StateLocked();
      return FailedPreconditionError(
          std::string("cannot ") + verb + " compute system \"" + id_ +
          "\": it is " + (state.ok() ? *state : state.status().ToString()));
    }
    return Runc({verb, id_});
  }

  // "" if runc has no container by that id, else runc's status
  // ("created", "running", "paused", "stopped").
  StatusOr<std::string> RuncStatus() REQUIRES(mu_) {
    if (!has_container_ && !opened_) return std::string();
    WINSNAP_ASSIGN_OR_RETURN(RuncResult r, ctx_.runc.Run({"state", id_}));
    if (r.exit_code != 0) {
      Status s = RuncClient::Error("runc state " + id_, r);
      if (s.code() == StatusCode::kNotFound) return std::string();
      return s;
    }
    json j = json::parse(r.out, nullptr, false);
    if (!j.is_object() || !j.contains("status") || !j["status"].is_string()) {
      return InternalError("runc state " + id_ + ": unexpected output " +
                           r.out);
    }
    return j["status"].get<std::string>();
  }

  StatusOr<std::string> StateLocked() REQUIRES(mu_) {
    if (terminated_ || stopped_without_init_) return std::string("Stopped");
    WINSNAP_ASSIGN_OR_RETURN(std::string status, RuncStatus());
    if (status.empty()) return std::string(started_ ? "Running" : "Created");
    if (status == "created" || status == "running")
      return std::string("Running");
    return Capitalized(status);
  }

  static std::string Capitalized(std::string s) {
    if (s.empty()) return "Stopped";
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
  }

  Status Stopped(const char* what) {
    return FailedPreconditionError(std::string("cannot ") + what +
                                   " compute system \"" + id_ +
                                   "\": it is terminated");
  }

  Status Runc(const std::vector<std::string>& args) {
    WINSNAP_ASSIGN_OR_RETURN(RuncResult r, ctx_.runc.Run(args));
    if (r.exit_code == 0) return OkStatus();
    return RuncClient::Error("runc " + args[0] + " " + id_, r);
  }

  std::string LogFile() const { return bundle_ + "/" + kLogFile; }

  Status SaveState() REQUIRES(mu_) {
    json j = {{"started", started_},
              {"terminated", terminated_},
              {"hasContainer", has_container_}};
    return base::Env::Default()->WriteFileAtomic(bundle_ + "/" + kStateFile,
                                                 j.dump());
  }

  Status LoadState() REQUIRES(mu_) {
    Status err;
    std::string text = ReadText(bundle_ + "/" + kStateFile, &err);
    if (!err.ok()) return err;
    json j = json::parse(text, nullptr, false);
    if (!j.is_object()) {
      return DataLossError("compute system \"" + id_ + "\": corrupt " +
                           bundle_ + "/" + kStateFile);
    }
    started_ = j.value("started", false);
    terminated_ = j.value("terminated", false);
    mounted_ = !terminated_;
    WINSNAP_ASSIGN_OR_RETURN(std::string status, RuncStatus());
    has_container_ = !status.empty();
    return OkStatus();
  }

  const ServiceContext& ctx_;
  const std::string id_;
  const std::string bundle_;
  const schema::ComputeSystem doc_;
  const bool opened_;  // from OpenComputeSystem: Close() never terminates
  std::string scratch_;
  std::string rootfs_;

  base::Mutex mu_;
  bool started_ GUARDED_BY(mu_) = false;
  bool has_container_ GUARDED_BY(mu_) = false;  // runc knows the container
  bool mounted_ GUARDED_BY(mu_) = false;
  bool terminated_ GUARDED_BY(mu_) = false;
  bool stopped_without_init_ GUARDED_BY(mu_) = false;
  bool closed_ GUARDED_BY(mu_) = false;
  int process_counter_ GUARDED_BY(mu_) = 0;
};

// ---- ComputeService
// -----------------------------------------------------------------

class LinuxComputeService final : public ComputeService {
 public:
  explicit LinuxComputeService(ServiceContext ctx) : ctx_(std::move(ctx)) {}

  StatusOr<std::unique_ptr<ComputeSystem>> CreateComputeSystem(
      std::string_view id, const schema::ComputeSystem& document) override {
    WINSNAP_ASSIGN_OR_RETURN(auto cs,
                             LinuxComputeSystem::Create(ctx_, id, document));
    return std::unique_ptr<ComputeSystem>(std::move(cs));
  }

  StatusOr<std::unique_ptr<ComputeSystem>> OpenComputeSystem(
      std::string_view id) override {
    WINSNAP_ASSIGN_OR_RETURN(auto cs, LinuxComputeSystem::Open(ctx_, id));
    return std::unique_ptr<ComputeSystem>(std::move(cs));
  }

  StatusOr<std::vector<schema::Properties>> EnumerateComputeSystems() override {
    WINSNAP_ASSIGN_OR_RETURN(
        std::vector<std::string> names,
        base::Env::Default()->ListDir(ctx_.options.bundle_dir));
    std::sort(names.begin(), names.end());
    std::vector<schema::Properties> out;
    for (const std::string& name : names) {
      StatusOr<std::unique_ptr<LinuxComputeSystem>> cs =
          LinuxComputeSystem::Open(ctx_, name);
      if (!cs.ok()) {
        if (cs.status().code() == StatusCode::kNotFound) continue;
        return cs.status();
      }
      WINSNAP_ASSIGN_OR_RETURN(schema::Properties p, (*cs)->Properties({}));
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  const ServiceContext ctx_;
};

StatusOr<std::string> FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return UnavailableError("runc binary \"" + name + "\" is not executable");
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path && *path ? path
                                   : "/usr/local/sbin:/usr/local/bin:"
                                     "/usr/sbin:/usr/bin:/sbin:/bin";
  std::stringstream ss(dirs);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return UnavailableError("runc binary \"" + name +
                          "\" not found in $PATH (apt-get install runc)");
}

bool KernelHasOverlay() {
  std::ifstream in("/proc/filesystems");
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() >= 7 && line.compare(line.size() - 7, 7, "overlay") == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

StatusOr<std::unique_ptr<ComputeService>> NewComputeService(
    const ComputeServiceOptions& options) {
  if (::geteuid() != 0) {
    return UnavailableError(
        "the Linux compute backend needs root (overlay mounts, runc)");
  }
  WINSNAP_ASSIGN_OR_RETURN(std::string runc, FindExecutable(options.runc_path));
  if (!KernelHasOverlay()) {
    return UnavailableError("the kernel has no overlay file system");
  }
  WINSNAP_RETURN_IF_ERROR(base::Env::Default()->CreateDirs(options.state_dir));
  WINSNAP_RETURN_IF_ERROR(base::Env::Default()->CreateDirs(options.bundle_dir));
  // Container processes are re-parented to us when runc exits, so we can
  // reap them and learn their exit codes (as containerd's shim does).
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
    return ErrnoError("prctl(PR_SET_CHILD_SUBREAPER)", errno);
  }
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  ServiceContext ctx{options, RuncClient(runc, options.state_dir),
                     static_cast<unsigned>(cpus > 0 ? cpus : 1)};
  return std::unique_ptr<ComputeService>(
      std::make_unique<LinuxComputeService>(std::move(ctx)));
}

}  // namespace winsnap::hcs
