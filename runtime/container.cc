// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "runtime/container.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/env.h"
#include "base/logging.h"
#include "hcs/document.h"
#include "hcs/oci.h"
#include "runtime/detached_stdio.h"

namespace winsnap::runtime {
namespace {

using json = nlohmann::json;

constexpr char kConfigFile[] = "config.json";
constexpr char kStateFile[] = "state.json";
constexpr char kInitLog[] = "init.log";
constexpr auto kShutdownGrace = std::chrono::seconds(10);

std::string Rfc3339(int64_t ns) {
  std::string date = base::UtcDateTime(ns / 1000000000);
  char frac[24];
  std::snprintf(frac, sizeof frac, ".%09lldZ",
                static_cast<long long>(ns % 1000000000));
  return date + frac;
}

// HCS Properties.State ("Created", "Running", "Paused", "Stopped") -> OCI.
std::string OciStatus(const std::string& hcs_state) {
  std::string s = hcs_state;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return s.empty() ? "unknown" : s;
}

}  // namespace

Status ValidateId(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 64 &&
            std::isalnum(static_cast<unsigned char>(id[0]));
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
        c != '.') {
      ok = false;
    }
  }
  if (!ok) {
    return InvalidArgumentError(
        "container id \"" + id +
        "\" must be 1-64 characters of [A-Za-z0-9_.-] starting with a letter "
        "or digit");
  }
  return OkStatus();
}

StatusOr<int> ParseSignal(const std::string& signal) {
  static constexpr std::pair<const char*, int> kNames[] = {
      {"HUP", 1},   {"INT", 2},   {"QUIT", 3},  {"ABRT", 6},  {"KILL", 9},
      {"USR1", 10}, {"USR2", 12}, {"PIPE", 13}, {"ALRM", 14}, {"TERM", 15},
      {"CONT", 18}, {"STOP", 19}, {"WINCH", 28}};
  std::string up;
  for (char c : signal) {
    up.push_back(
        static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (!up.empty() &&
      std::all_of(up.begin(), up.end(),
                  [](unsigned char c) { return std::isdigit(c); }) &&
      up.size() <= 2) {
    int n = std::stoi(up);
    if (n >= 1 && n <= 64) return n;
  }
  if (up.rfind("SIG", 0) == 0) up = up.substr(3);
  for (const auto& [name, number] : kNames) {
    if (up == name) return number;
  }
  return InvalidArgumentError("unknown signal \"" + signal +
                              "\" (use a name such as KILL or TERM, or a "
                              "number)");
}

nlohmann::ordered_json StateJson(const ContainerState& s) {
  nlohmann::ordered_json j;
  j["ociVersion"] = "1.1.0";
  j["id"] = s.id;
  j["pid"] = s.pid;
  j["status"] = s.status;
  j["bundle"] = s.bundle;
  j["created"] = Rfc3339(s.created_ns);
  return j;
}

struct Runtime::Impl {
  RuntimeOptions options;
  base::Env* env = base::Env::Default();
  std::string dir;  // <root>/containers
  std::unique_ptr<hcs::ComputeService> service;
  std::unique_ptr<hcs::LayerService> layers;

  std::string Dir(const std::string& id) const {
    return base::JoinPath(dir, id);
  }
  std::string LockPath(const std::string& id) const {
    return base::JoinPath(base::JoinPath(dir, ".locks"), id);
  }

  // Takes the lock that serializes every read-modify-write of container
  // "id"'s state file across processes and threads (a `kill` forwarded by a
  // waiting `run`, `exec`, `state` and `ps` all reconcile and save it; two
  // of them interleaving lost the pid and read a running container as
  // stopped). Waits up to options.state_lock_timeout; Unavailable after.
  // REQUIRES: ValidateId(id).
  StatusOr<std::unique_ptr<base::FileLock>> LockState(const std::string& id) {
    WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<base::FileLock> lock,
                             env->OpenLockFile(LockPath(id), /*create=*/true));
    const auto deadline =
        std::chrono::steady_clock::now() + options.state_lock_timeout;
    for (;;) {
      Status s = lock->TryLock();
      if (s.ok()) return lock;
      if (s.code() != StatusCode::kUnavailable) return s;
      if (std::chrono::steady_clock::now() >= deadline) {
        return UnavailableError(
            "container \"" + id +
            "\" is busy: another snapctl has held its state lock (" +
            lock->path() + ") too long; try again");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  Status Save(const ContainerState& s) {
    nlohmann::ordered_json j = StateJson(s);
    j["createdNs"] = s.created_ns;
    j["scratch"] = s.scratch;
    j["scratchKey"] = s.scratch_key;
    return env->WriteFileAtomic(base::JoinPath(Dir(s.id), kStateFile),
                                j.dump(2) + "\n");
  }

  // OK when "id" is valid and its container folder exists; else
  // InvalidArgument or NotFound, in one line.
  Status CheckExists(const std::string& id) {
    WINSNAP_RETURN_IF_ERROR(ValidateId(id));
    if (!env->IsDirectory(Dir(id))) {
      return NotFoundError("container \"" + id + "\" does not exist");
    }
    return OkStatus();
  }

  // The saved state, not reconciled. NotFound for an unknown id; DataLoss for
  // an unreadable state file.
  StatusOr<ContainerState> Load(const std::string& id) {
    WINSNAP_RETURN_IF_ERROR(CheckExists(id));
    StatusOr<std::string> text =
        env->ReadFile(base::JoinPath(Dir(id), kStateFile));
    if (!text.ok()) {
      return DataLossError("container \"" + id + "\": cannot read " +
                           kStateFile + ": " + text.status().ToString());
    }
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return DataLossError("container \"" + id + "\": " + kStateFile +
                           " is not a JSON object");
    }
    ContainerState s;
    try {
      s.id = j.at("id").get<std::string>();
      s.pid = j.value("pid", 0u);
      s.status = j.value("status", "unknown");
      s.bundle = j.value("bundle", Dir(id));
      s.created_ns = j.value("createdNs", int64_t{0});
      s.scratch = j.value("scratch", "");
      s.scratch_key = j.value("scratchKey", "");
    } catch (const std::exception& e) {
      return DataLossError("container \"" + id + "\": " + kStateFile + ": " +
                           e.what());
    }
    if (s.id != id) {
      return DataLossError("container \"" + id + "\": " + kStateFile +
                           " names \"" + s.id + "\"");
    }
    return s;
  }

  StatusOr<hcs::oci::Spec> LoadSpec(const std::string& id) {
    WINSNAP_ASSIGN_OR_RETURN(
        std::string text, env->ReadFile(base::JoinPath(Dir(id), kConfigFile)));
    return hcs::oci::ParseSpec(text);
  }

  // Replaces s->status with the backend's view and saves it if it changed.
  Status Reconcile(ContainerState* s) {
    StatusOr<std::unique_ptr<hcs::ComputeSystem>> cs =
        service->OpenComputeSystem(s->id);
    std::string status;
    if (!cs.ok()) {
      if (cs.status().code() != StatusCode::kNotFound) return cs.status();
      status = "stopped";  // the system is gone: exited, deleted, rebooted
    } else {
      WINSNAP_ASSIGN_OR_RETURN(hcs::schema::Properties p,
                               (*cs)->Properties({}));
      (*cs)->Close();
      status = OciStatus(p.state);
      // A system started without an init process (start failed half way)
      // runs nothing.
      if (status == "running" && s->pid == 0 && s->status != "created") {
        status = "stopped";
      }
    }
    if (status != s->status) {
      s->status = status;
      Status saved = Save(*s);
      if (!saved.ok()) {
        spdlog::debug("container {}: saving reconciled state: {}", s->id,
                      saved.ToString());
      }
    }
    return OkStatus();
  }

  // The saved state brought up to date with the backend. "held" is the
  // caller's lock of "id" (LockState); without one the lock is taken for
  // the load and the save.
  StatusOr<ContainerState> Reconciled(const std::string& id,
                                      const base::FileLock* held = nullptr) {
    WINSNAP_RETURN_IF_ERROR(ValidateId(id));
    std::unique_ptr<base::FileLock> own;
    if (held == nullptr) {
      // Before the lock, so an unknown id gets no lock file.
      WINSNAP_RETURN_IF_ERROR(CheckExists(id));
      WINSNAP_ASSIGN_OR_RETURN(own, LockState(id));
    }
    WINSNAP_ASSIGN_OR_RETURN(ContainerState s, Load(id));
    WINSNAP_RETURN_IF_ERROR(Reconcile(&s));
    return s;
  }

  // The compute system of a container in one of "states".
  StatusOr<std::unique_ptr<hcs::ComputeSystem>> OpenIn(
      const std::string& id, std::initializer_list<const char*> states,
      const char* verb, ContainerState* state = nullptr,
      const base::FileLock* held = nullptr) {
    WINSNAP_ASSIGN_OR_RETURN(ContainerState s, Reconciled(id, held));
    bool ok = false;
    for (const char* want : states) ok = ok || s.status == want;
    if (!ok) {
      return FailedPreconditionError("cannot " + std::string(verb) +
                                     " container \"" + id + "\": it is " +
                                     s.status);
    }
    if (state) *state = s;
    return service->OpenComputeSystem(id);
  }

  // Terminates and forgets the compute system "id" if it exists.
  Status TerminateSystem(const std::string& id) {
    StatusOr<std::unique_ptr<hcs::ComputeSystem>> cs =
        service->OpenComputeSystem(id);
    if (!cs.ok()) {
      return cs.status().code() == StatusCode::kNotFound ? OkStatus()
                                                         : cs.status();
    }
    Status t = (*cs)->Terminate();
    (*cs)->Close();
    return t;
  }
};

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

const std::string& Runtime::dir() const { return impl_->dir; }

StatusOr<std::unique_ptr<Runtime>> Runtime::Open(
    const RuntimeOptions& options) {
  if (options.root.empty()) return InvalidArgumentError("runtime: empty root");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->dir = base::JoinPath(options.root, "containers");
  hcs::ComputeServiceOptions& o = impl->options.service;
  o.state_dir = base::JoinPath(impl->dir, ".runc");
  o.bundle_dir = base::JoinPath(impl->dir, ".bundles");
  // A host without the backend (computecore.dll missing, as under Wine; no
  // runc) leaves nothing behind: folders this call made are removed again.
  const bool had_dir = impl->env->Exists(impl->dir);
  WINSNAP_RETURN_IF_ERROR(impl->env->CreateDirs(impl->dir));
  WINSNAP_RETURN_IF_ERROR(impl->env->CreateDirs(o.state_dir));
  WINSNAP_RETURN_IF_ERROR(impl->env->CreateDirs(o.bundle_dir));
  WINSNAP_RETURN_IF_ERROR(
      impl->env->CreateDirs(base::JoinPath(impl->dir, ".locks")));
  auto undo = [&](Status s) {
    if (!had_dir) impl->env->RemoveAll(impl->dir).IgnoreError();
    return s;
  };
  auto service = hcs::NewComputeService(o);
  if (!service.ok()) return undo(service.status());
  impl->service = std::move(*service);
  auto layers = hcs::NewLayerService();
  if (!layers.ok()) return undo(layers.status());
  impl->layers = std::move(*layers);
  return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

Status Runtime::Create(const std::string& id, const std::string& config_json,
                       const std::string& scratch_key) {
  WINSNAP_RETURN_IF_ERROR(ValidateId(id));
  base::Env* env = impl_->env;
  // Everything that can be checked without side effects first.
  WINSNAP_ASSIGN_OR_RETURN(hcs::oci::Spec spec,
                           hcs::oci::ParseSpec(config_json));
  if (!spec.process) {
    return InvalidArgumentError(
        "config.json has no process (snapctl spec writes one; give a command "
        "after --)");
  }
  WINSNAP_RETURN_IF_ERROR(hcs::ProcessDocumentFromOci(*spec.process).status());
  if (!spec.windows || spec.windows->layer_folders.size() < 2) {
    return InvalidArgumentError(
        "config.json needs windows.layerFolders = [image layers nearest "
        "first ..., scratch] (snapctl spec writes it)");
  }
  WINSNAP_RETURN_IF_ERROR(hcs::ContainerDocumentFromOci(spec, id).status());

  // Claim the id.
  const std::string dir = impl_->Dir(id);
  // Held until the state reads "created": nobody reconciles a half-made
  // container (it has no compute system yet and would read "stopped").
  WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<base::FileLock> lock,
                           impl_->LockState(id));
  Status claimed = env->CreateDir(dir);
  if (claimed.code() == StatusCode::kAlreadyExists) {
    return AlreadyExistsError("container \"" + id + "\" already exists");
  }
  WINSNAP_RETURN_IF_ERROR(claimed);
  std::vector<std::string> parents = spec.windows->layer_folders;
  ContainerState s;
  s.id = id;
  s.status = "creating";
  s.bundle = dir;
  s.created_ns = env->NowNanos();
  s.scratch = parents.back();
  s.scratch_key = scratch_key;
  parents.pop_back();

  bool mounted = false;
  auto undo = [&](Status err) {
    impl_->TerminateSystem(id).IgnoreError();
    if (mounted) hcs::UnmountScratch(*impl_->layers, s.scratch).IgnoreError();
    env->RemoveAll(dir).IgnoreError();
    env->RemoveFile(lock->path()).IgnoreError();
    return err;
  };
  Status st =
      env->WriteFileAtomic(base::JoinPath(dir, kConfigFile), config_json);
  if (st.ok()) st = impl_->Save(s);
  if (!st.ok()) return undo(st);

  StatusOr<std::string> volume =
      hcs::MountScratch(*impl_->layers, s.scratch, parents);
  if (!volume.ok()) return undo(volume.status());
  mounted = true;
  hcs::ContainerDocumentOptions o;
  o.scratch_volume_path = *volume;
  o.layer_id = [this](std::string_view p) { return impl_->layers->LayerId(p); };
  // The system outlives this process (start, exec and delete are separate
  // snapctl runs); Delete terminates it.
  o.terminate_on_last_handle_closed = false;
  StatusOr<hcs::schema::ComputeSystem> doc =
      hcs::ContainerDocumentFromOci(spec, id, o);
  if (!doc.ok()) return undo(doc.status());
  StatusOr<std::unique_ptr<hcs::ComputeSystem>> cs =
      impl_->service->CreateComputeSystem(id, *doc);
  if (!cs.ok()) {
    if (cs.status().code() == StatusCode::kAlreadyExists) {
      // A system of that id that no container state knows: do not touch it.
      mounted = false;
      env->RemoveAll(dir).IgnoreError();
      env->RemoveFile(lock->path()).IgnoreError();
      return AlreadyExistsError("a compute system \"" + id +
                                "\" exists without container state (left by "
                                "a crashed snapctl?); remove it or pick "
                                "another id");
    }
    return undo(cs.status());
  }
  (*cs)->Close();
  s.status = "created";
  st = impl_->Save(s);
  if (!st.ok()) return undo(st);
  return OkStatus();
}

StatusOr<int> Runtime::Start(const std::string& id, bool wait,
                             const Stdio& stdio) {
  ContainerState s;
  WINSNAP_RETURN_IF_ERROR(ValidateId(id));
  // Held from "created" until the state names the init process: a
  // concurrent reconcile in between would save a running container without
  // its pid (and the next one would read it as stopped).
  WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<base::FileLock> lock,
                           impl_->LockState(id));
  WINSNAP_ASSIGN_OR_RETURN(
      auto cs, impl_->OpenIn(id, {"created"}, "start", &s, lock.get()));
  WINSNAP_ASSIGN_OR_RETURN(hcs::oci::Spec spec, impl_->LoadSpec(id));
  hcs::StdioFds fds{stdio.in, stdio.out, stdio.err};
  DetachedStdio detached;
  if (!wait) {
    WINSNAP_ASSIGN_OR_RETURN(
        detached, OpenDetachedStdio(base::JoinPath(s.bundle, kInitLog)));
    fds = {detached.null_in.get(), detached.log.get(), detached.log.get()};
  }
  hcs::ProcessStdio want{true, true, !spec.process->terminal};
  WINSNAP_ASSIGN_OR_RETURN(hcs::schema::ProcessParameters params,
                           hcs::ProcessDocumentFromOci(*spec.process, want));
  auto fail = [&](Status err) {
    // A system without its init process runs nothing: stop it so the
    // container reads "stopped" and can be deleted.
    cs->Terminate().IgnoreError();
    cs->Close();
    s.status = "stopped";
    impl_->Save(s).IgnoreError();
    return err;
  };
  Status started = cs->Start();
  if (!started.ok()) return fail(started);
  StatusOr<std::unique_ptr<hcs::Process>> proc =
      hcs::CreateProcessIn(*cs, params, fds);
  if (!proc.ok()) return fail(proc.status());
  s.pid = (*proc)->Pid();
  s.status = "running";
  Status saved = impl_->Save(s);
  if (!saved.ok()) {
    (*proc)->Terminate().IgnoreError();
    (*proc)->Close();
    return fail(saved);
  }
  lock.reset();
  if (!wait) {
    (*proc)->Close();
    cs->Close();
    return 0;
  }
  StatusOr<uint32_t> code = (*proc)->Wait();
  (*proc)->Close();
  // The init process ended: the container is over (runhcs semantics).
  Status t = cs->Terminate();
  cs->Close();
  WINSNAP_ASSIGN_OR_RETURN(lock, impl_->LockState(id));
  s.status = "stopped";
  WINSNAP_RETURN_IF_ERROR(impl_->Save(s));
  lock.reset();
  if (!code.ok()) return code.status();
  if (!t.ok()) spdlog::warn("container {}: terminate: {}", id, t.ToString());
  return static_cast<int>(*code);
}

StatusOr<int> Runtime::Exec(const std::string& id,
                            const std::vector<std::string>& args,
                            const Stdio& stdio) {
  if (args.empty()) return InvalidArgumentError("exec needs a command");
  WINSNAP_ASSIGN_OR_RETURN(auto cs, impl_->OpenIn(id, {"running"}, "exec in"));
  WINSNAP_ASSIGN_OR_RETURN(hcs::oci::Spec spec, impl_->LoadSpec(id));
  hcs::oci::Process p = *spec.process;
  p.args = args;
  p.command_line.clear();
  p.terminal = false;
  p.console_size.reset();
  WINSNAP_ASSIGN_OR_RETURN(hcs::schema::ProcessParameters params,
                           hcs::ProcessDocumentFromOci(p, {true, true, true}));
  WINSNAP_ASSIGN_OR_RETURN(
      std::unique_ptr<hcs::Process> proc,
      hcs::CreateProcessIn(*cs, params, {stdio.in, stdio.out, stdio.err}));
  StatusOr<uint32_t> code = proc->Wait();
  proc->Close();
  cs->Close();
  if (!code.ok()) return code.status();
  return static_cast<int>(*code);
}

StatusOr<ContainerState> Runtime::State(const std::string& id) {
  return impl_->Reconciled(id);
}

StatusOr<std::vector<ContainerState>> Runtime::List() {
  WINSNAP_ASSIGN_OR_RETURN(std::vector<std::string> names,
                           impl_->env->ListDir(impl_->dir));
  std::sort(names.begin(), names.end());
  std::vector<ContainerState> out;
  for (const std::string& n : names) {
    if (!ValidateId(n).ok() || !impl_->env->IsDirectory(impl_->Dir(n))) {
      continue;  // .runc, .bundles, temp files
    }
    StatusOr<ContainerState> s = impl_->Reconciled(n);
    if (s.ok()) {
      out.push_back(std::move(*s));
      continue;
    }
    spdlog::warn("container {}: {}", n, s.status().ToString());
    ContainerState unknown;
    unknown.id = n;
    unknown.status = "unknown";
    unknown.bundle = impl_->Dir(n);
    out.push_back(std::move(unknown));
  }
  return out;
}

StatusOr<std::vector<uint32_t>> Runtime::Ps(const std::string& id) {
  WINSNAP_ASSIGN_OR_RETURN(auto cs,
                           impl_->OpenIn(id, {"running", "paused"}, "ps"));
  StatusOr<hcs::schema::Properties> props = cs->Properties({{"ProcessList"}});
  cs->Close();
  if (!props.ok()) return props.status();
  std::vector<uint32_t> pids;
  for (const auto& p : props->process_list) pids.push_back(p.process_id);
  std::sort(pids.begin(), pids.end());
  return pids;
}

Status Runtime::Pause(const std::string& id) {
  WINSNAP_ASSIGN_OR_RETURN(auto cs, impl_->OpenIn(id, {"running"}, "pause"));
  Status s = cs->Pause();
  cs->Close();
  return s;
}

Status Runtime::Resume(const std::string& id) {
  WINSNAP_ASSIGN_OR_RETURN(auto cs, impl_->OpenIn(id, {"paused"}, "resume"));
  Status s = cs->Resume();
  cs->Close();
  return s;
}

Status Runtime::Kill(const std::string& id, const std::string& signal) {
  WINSNAP_ASSIGN_OR_RETURN(int sig,
                           ParseSignal(signal.empty() ? "TERM" : signal));
  if (sig != 9 && sig != 15 && sig != 2) {
    return InvalidArgumentError(
        "signal \"" + signal +
        "\" cannot be delivered to a container: use KILL (9), TERM (15) or "
        "INT (2), what HCS supports");
  }
  WINSNAP_ASSIGN_OR_RETURN(auto cs,
                           impl_->OpenIn(id, {"running", "paused"}, "kill"));
  Status s;
  if (sig == 9) {
    s = cs->Terminate();
  } else {
    s = cs->Shutdown(kShutdownGrace);
    if (s.code() == StatusCode::kDeadlineExceeded) {
      spdlog::info("container {} ignored {}; terminating it", id, signal);
      s = cs->Terminate();
    }
  }
  cs->Close();
  return s;
}

Status Runtime::Delete(const std::string& id, bool force) {
  WINSNAP_RETURN_IF_ERROR(impl_->CheckExists(id));
  WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<base::FileLock> lock,
                           impl_->LockState(id));
  ContainerState s;
  StatusOr<ContainerState> loaded = impl_->Reconciled(id, lock.get());
  if (!loaded.ok()) {
    // Unreadable state: only --force may clean up what is there.
    if (loaded.status().code() == StatusCode::kNotFound || !force) {
      return loaded.status();
    }
    s.id = id;
    s.status = "unknown";
    StatusOr<hcs::oci::Spec> spec = impl_->LoadSpec(id);
    if (spec.ok() && spec->windows && !spec->windows->layer_folders.empty()) {
      s.scratch = spec->windows->layer_folders.back();
    }
  } else {
    s = *loaded;
  }
  if ((s.status == "running" || s.status == "paused") && !force) {
    return FailedPreconditionError("container \"" + id + "\" is " + s.status +
                                   "; kill it first or use delete --force");
  }
  WINSNAP_RETURN_IF_ERROR(impl_->TerminateSystem(id));
  if (!s.scratch.empty()) {
    WINSNAP_RETURN_IF_ERROR(hcs::UnmountScratch(*impl_->layers, s.scratch));
  }
  WINSNAP_RETURN_IF_ERROR(impl_->env->RemoveAll(impl_->Dir(id)));
  // The lock file goes with the state (removable while held, base/env.h).
  impl_->env->RemoveFile(lock->path()).IgnoreError();
  lock.reset();
  if (!s.scratch_key.empty()) {
    if (impl_->options.snapshotter == nullptr) {
      spdlog::warn("container {}: scratch snapshot {} left in place", id,
                   s.scratch_key);
      return OkStatus();
    }
    Status r = impl_->options.snapshotter->Remove(s.scratch_key);
    if (!r.ok() && r.code() != StatusCode::kNotFound) {
      return Status(
          r.code(),
          "container \"" + id + "\" deleted, but its scratch snapshot " +
              s.scratch_key + " was not removed: " + std::string(r.message()));
    }
  }
  return OkStatus();
}

}  // namespace winsnap::runtime
