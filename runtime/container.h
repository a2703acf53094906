// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Runtime: the embedded run engine's container lifecycle (runhcs's command
// set: create, start, exec, state, list, ps, pause, resume, kill, delete)
// over an hcs::ComputeService. A container is an OCI config.json whose
// windows.layerFolders are [parents nearest first ..., scratch]; the runtime
// mounts the scratch (hcs::MountScratch), turns the config into an HCS v2
// document (hcs::ContainerDocumentFromOci) and drives the compute system.
//
// State lives in <root>/containers/<id>/ (config.json as given, state.json:
// the OCI state plus the scratch it mounted and the snapshot it owns). The
// backend keeps its own bookkeeping beside it (Linux: <root>/containers/.runc
// for runc, <root>/containers/.bundles/<id> for the bundle). Every read
// reconciles the saved status with the backend: a container whose compute
// system is gone, or whose init process died while nobody watched (another
// snapctl, a reboot), reads "stopped".
//
// Thread-safety: a Runtime is used by one thread at a time. Several processes
// may use the same root: the id is claimed with an atomic mkdir and state
// files are replaced atomically, so readers see whole documents; two
// processes driving the same container at once (e.g. delete during start)
// are not serialized.

#ifndef WINSNAP_RUNTIME_CONTAINER_H_
#define WINSNAP_RUNTIME_CONTAINER_H_

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "hcs/compute_service.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::runtime {

struct ContainerState {
  std::string id;
  uint32_t pid = 0;  // init process; 0 before start
  // creating | created | running | paused | stopped. "creating" is only seen
  // for a container whose create was interrupted (delete removes it).
  std::string status;
  std::string bundle;  // <root>/containers/<id>
  int64_t created_ns = 0;
  std::string scratch;  // scratch folder (layerFolders.back())
  // Snapshot key of a scratch the runtime owns (run --image): removed by
  // Delete. Empty for a caller's snapshot (run --config / --snapshot).
  std::string scratch_key;
};

// The OCI state document (runc/runhcs `state`): ociVersion, id, pid,
// status, bundle, created (RFC 3339, UTC, nanoseconds).
nlohmann::ordered_json StateJson(const ContainerState& s);

// Container ids: 1-64 characters of [A-Za-z0-9_.-], starting alphanumeric.
// InvalidArgument naming the rule otherwise.
Status ValidateId(const std::string& id);

// Standard streams handed to a process (the callee dups what it keeps).
struct Stdio {
  int in = 0, out = 1, err = 2;
};

struct RuntimeOptions {
  // Data root; containers live in <root>/containers.
  std::string root;
  // Removes scratch snapshots the runtime owns; may be null (then Delete
  // leaves them and logs it).
  snapshotter::Snapshotter* snapshotter = nullptr;
  // Backend options (runc_path, isolate_network); state_dir and bundle_dir
  // are always <root>/containers/.runc and <root>/containers/.bundles.
  hcs::ComputeServiceOptions service;
  // How long a call waits for another process (or thread) that holds a
  // container's state lock (<root>/containers/.locks/<id>) before failing
  // with Unavailable.
  std::chrono::milliseconds state_lock_timeout = std::chrono::seconds(30);
};

class Runtime {
 public:
  // Opens (creating <root>/containers if needed) and connects to the
  // platform's ComputeService. Unavailable when the backend is missing
  // (Linux: not root, no runc or no overlayfs; Windows: no computecore.dll).
  static StatusOr<std::unique_ptr<Runtime>> Open(const RuntimeOptions& options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Validates config.json, mounts the scratch, creates the compute system
  // (not started) and persists the state as "created". "scratch_key", if not
  // empty, is a snapshot the container owns (removed by Delete).
  // AlreadyExists for a used id; InvalidArgument for a bad id or config
  // (no process, fewer than two layer folders, ...). On any error nothing is
  // left behind: no state folder, no compute system, the scratch unmounted
  // (the scratch snapshot itself is the caller's to remove).
  Status Create(const std::string& id, const std::string& config_json,
                const std::string& scratch_key = "");

  // Starts a "created" container: the compute system, then its init process
  // from config.json. With wait, the process uses "stdio"; Start returns its
  // exit code once it ends (128+N if killed by signal N) and the container is
  // then "stopped". Without wait, init's stdin is /dev/null and its output
  // goes to <bundle>/init.log; Start returns 0 once it runs.
  // FailedPrecondition unless the container is "created".
  StatusOr<int> Start(const std::string& id, bool wait,
                      const Stdio& stdio = {});

  // Runs "args" in the running container (cwd, env and user from its
  // config.json) with "stdio" and returns the exit code. FailedPrecondition
  // unless the container is running; InvalidArgument for empty args.
  StatusOr<int> Exec(const std::string& id,
                     const std::vector<std::string>& args,
                     const Stdio& stdio = {});

  // The reconciled state. NotFound for an unknown id.
  StatusOr<ContainerState> State(const std::string& id);
  // Every container, sorted by id; one whose state cannot be read is listed
  // with status "unknown".
  StatusOr<std::vector<ContainerState>> List();
  // Host pids of the container's processes. FailedPrecondition unless it is
  // running or paused.
  StatusOr<std::vector<uint32_t>> Ps(const std::string& id);
  // Freeze / thaw every process. FailedPrecondition unless running / paused.
  Status Pause(const std::string& id);
  Status Resume(const std::string& id);

  // Signals the container. "signal" is a name ("KILL", "SIGTERM") or a
  // number; default TERM. KILL (9) terminates the compute system; TERM (15)
  // and INT (2) shut it down gracefully (10 s, then terminate); others are
  // InvalidArgument (HCS can deliver no others). FailedPrecondition unless
  // running or paused.
  Status Kill(const std::string& id, const std::string& signal);

  // Removes a container: terminates its compute system, unmounts the
  // scratch, removes its state and, if it owns one, its scratch snapshot.
  // FailedPrecondition for a running or paused container unless "force".
  // NotFound for an unknown id.
  Status Delete(const std::string& id, bool force);

  // <root>/containers.
  const std::string& dir() const;

 private:
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses a signal name or number as `kill` takes it: "9", "KILL", "SIGKILL",
// "sigkill". InvalidArgument for anything else.
StatusOr<int> ParseSignal(const std::string& signal);

}  // namespace winsnap::runtime

#endif  // WINSNAP_RUNTIME_CONTAINER_H_
