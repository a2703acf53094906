// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "hcs/runc_linux.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/unique_fd.h"
#include "hcs/command_line.h"

namespace winsnap::hcs::linux_backend {
namespace {

using nlohmann::json;

constexpr char kDefaultPath[] =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Docker's default capability set: enough for ordinary images, nothing that
// administers the host.
const char* const kCapabilities[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

bool ParseUint32(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > 0xFFFFFFFFu) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// Looks "name" (or numeric uid "name") up in <rootfs>/etc/passwd.
bool LookupPasswd(const std::string& rootfs, std::string_view name,
                  uint32_t* uid, uint32_t* gid) {
  std::ifstream in(rootfs + "/etc/passwd");
  std::string line;
  while (std::getline(in, line)) {
    // name:password:uid:gid:gecos:home:shell
    std::vector<std::string_view> f;
    std::string_view rest(line);
    for (int i = 0; i < 4; ++i) {
      size_t colon = rest.find(':');
      f.push_back(rest.substr(0, colon));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
    if (f.size() < 4) continue;
    uint32_t u, g;
    if (!ParseUint32(f[2], &u) || !ParseUint32(f[3], &g)) continue;
    uint32_t numeric;
    if (f[0] == name || (ParseUint32(name, &numeric) && numeric == u)) {
      *uid = u;
      *gid = g;
      return true;
    }
  }
  return false;
}

StatusOr<json> UserFromHcs(const std::string& user, const std::string& rootfs) {
  uint32_t uid = 0, gid = 0;
  // The Windows account every image has, and the one run as by default,
  // is the container's administrator.
  if (user.empty() || user == "ContainerAdministrator" || user == "root") {
    return json{{"uid", 0}, {"gid", 0}};
  }
  size_t colon = user.find(':');
  std::string_view name = std::string_view(user).substr(0, colon);
  if (colon != std::string::npos) {
    if (!ParseUint32(name, &uid) ||
        !ParseUint32(std::string_view(user).substr(colon + 1), &gid)) {
      return InvalidArgumentError("process user \"" + user +
                                  "\" is not <uid>:<gid>");
    }
    return json{{"uid", uid}, {"gid", gid}};
  }
  if (LookupPasswd(rootfs, name, &uid, &gid)) {
    return json{{"uid", uid}, {"gid", gid}};
  }
  if (ParseUint32(name, &uid)) return json{{"uid", uid}, {"gid", 0}};
  return InvalidArgumentError(
      "process user \"" + user +
      "\" is neither numeric nor in the image's /etc/passwd (the Linux "
      "backend maps only ContainerAdministrator to root)");
}

void AppendFile(const std::string& path, std::string* out) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  *out += ss.str();
}

// The "msg" of every error-level JSON line of a runc log.
std::string RuncLogErrors(const std::string& log_file) {
  std::string text;
  AppendFile(log_file, &text);
  std::string out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    auto level = j.find("level");
    auto msg = j.find("msg");
    if (level == j.end() || msg == j.end() || !msg->is_string()) continue;
    if (*level == "error" || *level == "fatal") {
      if (!out.empty()) out += "; ";
      out += msg->get<std::string>();
    }
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string LinuxPathFromWindows(std::string_view path) {
  std::string p(path);
  if (p.size() >= 2 && p[1] == ':' &&
      ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z'))) {
    p.erase(0, 2);
    if (p.empty()) p = "/";
  }
  for (char& c : p) {
    if (c == '\\') c = '/';
  }
  return p;
}

StatusOr<json> OciProcessFromHcs(const schema::ProcessParameters& params,
                                 const std::string& rootfs) {
  std::vector<std::string> args = params.command_args.empty()
                                      ? SplitCommandLine(params.command_line)
                                      : params.command_args;
  if (args.empty()) {
    return InvalidArgumentError("process has an empty command line");
  }
  json env = json::array();
  bool has_path = false;
  for (const auto& [k, v] : params.environment) {
    if (k == "PATH") has_path = true;
    env.push_back(k + "=" + v);
  }
  if (!has_path) env.push_back(kDefaultPath);
  std::string cwd = LinuxPathFromWindows(params.working_directory);
  if (cwd.empty()) cwd = "/";
  if (cwd.front() != '/') {
    return InvalidArgumentError("working directory \"" +
                                params.working_directory +
                                "\" is not absolute");
  }
  WINSNAP_ASSIGN_OR_RETURN(json user, UserFromHcs(params.user, rootfs));
  json caps = json::array();
  for (const char* c : kCapabilities) caps.push_back(c);
  json p = {
      {"terminal", params.emulate_console},
      {"user", user},
      {"args", args},
      {"env", env},
      {"cwd", cwd},
      {"capabilities",
       {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
      {"rlimits",
       json::array(
           {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
      {"noNewPrivileges", true},
  };
  if (params.emulate_console && params.console_size.size() == 2) {
    p["consoleSize"] = {{"height", params.console_size[0]},
                        {"width", params.console_size[1]}};
  }
  return p;
}

StatusOr<json> RuncConfigFromHcs(const schema::ComputeSystem& doc,
                                 std::string_view id, const json& process,
                                 const BundleOptions& options) {
  if (!doc.container.has_value()) {
    return InvalidArgumentError("HCS document has no Container");
  }
  const schema::Container& c = *doc.container;
  if (!c.mapped_pipes.empty()) {
    return InvalidArgumentError(
        "MappedPipes (Windows named pipes) cannot be mapped on Linux");
  }
  std::string hostname = c.guest_os && !c.guest_os->host_name.empty()
                             ? c.guest_os->host_name
                             : std::string(id);
  if (hostname.size() > 63) hostname.resize(63);

  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options",
        {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
         "gid=5"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
  });
  for (const schema::MappedDirectory& md : c.mapped_directories) {
    std::string dest = LinuxPathFromWindows(md.container_path);
    if (dest.empty() || dest.front() != '/' || md.host_path.empty() ||
        md.host_path.front() != '/') {
      return InvalidArgumentError("mapped directory \"" + md.host_path +
                                  "\" -> \"" + md.container_path +
                                  "\": both paths must be absolute");
    }
    mounts.push_back({{"destination", dest},
                      {"type", "bind"},
                      {"source", md.host_path},
                      {"options", {"rbind", md.read_only ? "ro" : "rw"}}});
  }

  json namespaces = json::array({{{"type", "pid"}},
                                 {{"type", "ipc"}},
                                 {{"type", "uts"}},
                                 {{"type", "mount"}}});
  if (c.networking && !c.networking->name_space.empty() &&
      c.networking->name_space.front() == '/') {
    namespaces.push_back(
        {{"type", "network"}, {"path", c.networking->name_space}});
  } else if (options.isolate_network) {
    namespaces.push_back({{"type", "network"}});
  }

  json resources = {
      {"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  if (c.memory && c.memory->size_in_mb > 0) {
    resources["memory"] = {
        {"limit", static_cast<int64_t>(c.memory->size_in_mb) * 1024 * 1024}};
  }
  if (c.processor) {
    const unsigned cpus = options.host_cpus > 0 ? options.host_cpus : 1;
    json cpu = json::object();
    if (c.processor->count > 0) {
      unsigned n =
          std::min<unsigned>(static_cast<unsigned>(c.processor->count), cpus);
      cpu["cpus"] = n == 1 ? std::string("0") : "0-" + std::to_string(n - 1);
    }
    if (c.processor->maximum > 0) {
      // HCS: cycles per 10000 of the whole host.
      constexpr int64_t kPeriod = 100000;
      cpu["period"] = kPeriod;
      cpu["quota"] = std::max<int64_t>(
          1000, kPeriod * c.processor->maximum * cpus / 10000);
    }
    if (c.processor->weight > 0) {
      // HCS weight 1..10000 (default 100) onto cgroup v1 shares (default 1024).
      cpu["shares"] = std::clamp<int64_t>(
          int64_t{c.processor->weight} * 1024 / 100, 2, 262144);
    }
    if (!cpu.empty()) resources["cpu"] = cpu;
  }

  return json{
      {"ociVersion", "1.0.2"},
      {"process", process},
      {"root", {{"path", options.rootfs}, {"readonly", false}}},
      {"hostname", hostname},
      {"mounts", mounts},
      {"linux",
       {{"namespaces", namespaces},
        {"resources", resources},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
          "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
          "/proc/sysrq-trigger"}}}},
  };
}

StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, int in, int out,
                      int err) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    return InvalidArgumentError("Spawn needs an absolute program path");
  }
  base::UniqueFd devnull;
  if (in < 0 || out < 0 || err < 0) {
    devnull.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull) return ErrnoError("open", errno, "/dev/null");
  }
  int src[3] = {in >= 0 ? in : devnull.get(), out >= 0 ? out : devnull.get(),
                err >= 0 ? err : devnull.get()};
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return ErrnoError("fork", errno, argv[0]);
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    int tmp[3];
    for (int i = 0; i < 3; ++i) {
      tmp[i] = ::fcntl(src[i], F_DUPFD, 10);
      if (tmp[i] < 0) ::_exit(126);
    }
    for (int i = 0; i < 3; ++i) {
      if (::dup2(tmp[i], i) < 0) ::_exit(126);
    }
    ::close_range(3, ~0u, 0);
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

StatusOr<int> WaitChild(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR)
      return ErrnoError("waitpid", errno, std::to_string(pid));
  }
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return InternalError("waitpid " + std::to_string(pid) + ": status " +
                       std::to_string(st));
}

StatusOr<RuncResult> RuncClient::Run(
    const std::vector<std::string>& args) const {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) < 0) return ErrnoError("pipe2", errno);
  base::UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) < 0) return ErrnoError("pipe2", errno);
  base::UniqueFd err_r(err[0]), err_w(err[1]);
  std::vector<std::string> argv = {runc_, "--root", state_dir_};
  argv.insert(argv.end(), args.begin(), args.end());
  StatusOr<pid_t> pid = Spawn(argv, -1, out_w.get(), err_w.get());
  // Only the child keeps the write ends, so EOF means it closed them.
  out_w.reset();
  err_w.reset();
  if (!pid.ok()) return pid.status();
  RuncResult r;
  base::UniqueFd* owners[2] = {&out_r, &err_r};
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        continue;
      }
      char buf[8192];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        owners[i]->reset();
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  // Closed before the wait, so a child still writing after a poll error gets
  // EPIPE instead of blocking on a full pipe.
  out_r.reset();
  err_r.reset();
  WINSNAP_ASSIGN_OR_RETURN(r.exit_code, WaitChild(*pid));
  return r;
}

Status RuncClient::RunWithStdio(const std::vector<std::string>& args, int in,
                                int out, int err,
                                const std::string& log_file) const {
  std::vector<std::string> argv = {
      runc_, "--root", state_dir_, "--log", log_file, "--log-format", "json"};
  argv.insert(argv.end(), args.begin(), args.end());
  WINSNAP_ASSIGN_OR_RETURN(pid_t pid, Spawn(argv, in, out, err));
  WINSNAP_ASSIGN_OR_RETURN(int code, WaitChild(pid));
  if (code == 0) return OkStatus();
  RuncResult r;
  r.exit_code = code;
  r.err = RuncLogErrors(log_file);
  return Error("runc " + (args.empty() ? std::string() : args[0]), r);
}

Status RuncClient::Error(std::string_view what, const RuncResult& r) {
  std::string text = Trim(r.err.empty() ? r.out : r.err);
  std::string m = std::string(what) + ": runc exited with " +
                  std::to_string(r.exit_code) + (text.empty() ? "" : ": ") +
                  text;
  if (text.find("does not exist") != std::string::npos ||
      text.find("not found") != std::string::npos) {
    return NotFoundError(std::move(m));
  }
  if (text.find("not running") != std::string::npos ||
      text.find("not paused") != std::string::npos ||
      text.find("is paused") != std::string::npos ||
      text.find("is stopped") != std::string::npos) {
    return FailedPreconditionError(std::move(m));
  }
  return InternalError(std::move(m));
}

}  // namespace winsnap::hcs::linux_backend
