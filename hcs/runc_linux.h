// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Internal to the Linux backend (exposed for its tests): the translation of
// an HCS document + ProcessParameters into a runc bundle config (OCI Linux
// runtime spec), and a thin client for the runc command line
// (`runc --root <state> create|start|exec|kill|pause|resume|ps|state|delete`).
// Paths and users written Windows-style in HCS documents are mapped as
// documented in docs/hcs.md: "C:\a\b" -> "/a/b"; "" -> root; "uid[:gid]" or
// a name from the rootfs's /etc/passwd.
//
// Thread-safety: functions are stateless; a RuncClient is immutable after
// construction and may be shared by threads.

#ifndef WINSNAP_HCS_RUNC_LINUX_H_
#define WINSNAP_HCS_RUNC_LINUX_H_

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "hcs/schema.h"

namespace winsnap::hcs::linux_backend {

// "C:\dir\x" -> "/dir/x", "\a" -> "/a", "/a" stays, "" -> "".
std::string LinuxPathFromWindows(std::string_view path);

// The OCI "process" object runc runs for "params". "rootfs" is used to look
// user names up in its /etc/passwd. InvalidArgument for an empty command, a
// relative working directory after mapping, or an unknown user.
StatusOr<nlohmann::json> OciProcessFromHcs(
    const schema::ProcessParameters& params, const std::string& rootfs);

struct BundleOptions {
  std::string rootfs;            // mounted overlay
  bool isolate_network = false;  // new empty netns instead of the host's
  unsigned host_cpus = 1;        // to scale Processor.Count/Maximum
};

// The bundle config.json for container "id": namespaces (mount, pid, ipc,
// uts, network unless shared with the host), default /proc /dev /sys mounts,
// MappedDirectories as bind mounts, Processor/Memory as cgroup limits.
// InvalidArgument for what Linux cannot honour (MappedPipes, relative paths).
StatusOr<nlohmann::json> RuncConfigFromHcs(const schema::ComputeSystem& doc,
                                           std::string_view id,
                                           const nlohmann::json& process,
                                           const BundleOptions& options);

// Result of a runc invocation whose output we captured.
struct RuncResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The runc command line for one state directory.
class RuncClient {
 public:
  // "runc" must be an absolute path to an executable.
  RuncClient(std::string runc, std::string state_dir)
      : runc_(std::move(runc)), state_dir_(std::move(state_dir)) {}

  const std::string& state_dir() const { return state_dir_; }

  // Runs `runc --root <state> <args...>` with stdin from /dev/null and
  // captures stdout/stderr. Internal if it cannot be started.
  StatusOr<RuncResult> Run(const std::vector<std::string>& args) const;

  // Runs runc with the given descriptors as its stdin/stdout/stderr (-1 =
  // /dev/null) and `--log <log_file> --log-format json`; the container
  // process of a detached, console-less create/exec inherits them. On
  // failure the error lines of the log are in the Status.
  Status RunWithStdio(const std::vector<std::string>& args, int in, int out,
                      int err, const std::string& log_file) const;

  // Turns a failed RuncResult into a Status: NotFound for "does not exist",
  // FailedPrecondition for state errors, else Internal; prefixed with "what".
  static Status Error(std::string_view what, const RuncResult& r);

 private:
  std::string runc_;
  std::string state_dir_;
};

// Starts argv[0] (absolute path) with fds in/out/err as 0/1/2 (-1 =
// /dev/null), every other descriptor closed, in its own process group.
// Returns its pid; the caller must waitpid() it.
StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, int in, int out,
                      int err);

// Blocks until child "pid" exits; returns its exit code (128+N if killed by
// signal N).
StatusOr<int> WaitChild(pid_t pid);

}  // namespace winsnap::hcs::linux_backend

#endif  // WINSNAP_HCS_RUNC_LINUX_H_
