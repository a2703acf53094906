// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ComputeService: the seam between the run engine (runtime/) and the thing
// that really runs containers. It mirrors the HCS v2 object model
// (hcsshim-facts.md §4.1): a compute system is created from a
// schema::ComputeSystem document, started, and runs processes created from
// schema::ProcessParameters; handles are closed explicitly. Two backends:
//   - Windows (compute_service_windows.cc): computecore.dll, one HCS
//     operation per call, HRESULTs translated once into Status;
//   - Linux (compute_service_linux.cc): overlayfs over the layers' Files/
//     folders plus the runc binary, so the same document and lifecycle run
//     on a Linux host (tests, CI, containerd conformance).
// LayerService covers the vmcompute layer calls that turn a scratch folder
// plus its parents into the volume named by Storage.Path.
//
// Typical use by the runtime (see docs/hcs.md):
//   auto layers = NewLayerService();                  // once per process
//   auto volume = MountScratch(**layers, scratch, parents);
//   ContainerDocumentOptions o{.scratch_volume_path = *volume,
//                              .layer_id = [&](auto p) { return
//                              (*layers)->LayerId(p); }};
//   auto doc = ContainerDocumentFromOci(spec, id, o);
//   auto svc = NewComputeService(options);
//   auto cs = (*svc)->CreateComputeSystem(id, *doc);
//   (*cs)->Start();
//   auto init = (*cs)->CreateProcess(*ProcessDocumentFromOci(*spec.process),
//   stdio); uint32_t code = *(*init)->Wait();
//   (*cs)->Terminate(); (*cs)->Close(); UnmountScratch(**layers, scratch);
//
// Semantics shared by both backends (the runtime may rely on them):
//   - The first process created in a system is its init process. When it
//     exits the container is over: on Linux the system is Stopped (runc);
//     on Windows the runtime must Shutdown/Terminate it, as runhcs does.
//   - ShouldTerminateOnLastHandleClosed in the document decides what
//     ComputeSystem::Close() does: true -> the system is terminated and its
//     resources released; false -> it keeps running and can be reopened
//     later with OpenComputeSystem (e.g. `snapctl run -d`, then `exec`).
//   - On Linux only the ComputeService instance that created a process can
//     report its exit code (it reaps it as a child subreaper); processes of
//     a reopened system can be listed, signalled and killed, not awaited.
//
// Thread-safety: ComputeService, ComputeSystem and Process objects are safe
// to use from several threads at once (e.g. Wait() in one thread while
// another calls Signal()), except Close(), which must not race with other
// calls on the same object. A Process must not outlive the ComputeSystem that
// created it, and a ComputeSystem must not outlive its ComputeService.

#ifndef WINSNAP_HCS_COMPUTE_SERVICE_H_
#define WINSNAP_HCS_COMPUTE_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "hcs/schema.h"

namespace winsnap::hcs {

// The standard streams of a new process; -1 means "not connected" (the
// process gets an empty stdin / discarded output). Linux: file descriptors,
// passed through to the process (no copy) unless it has a console.
// Windows: C runtime descriptors; the backend relays between them and the
// pipes HCS creates. The callee dups what it keeps: the caller still owns
// and must close its descriptors.
struct StdioFds {
  int std_in = -1;
  int std_out = -1;
  int std_err = -1;
};

// A process inside a compute system (HCS_PROCESS).
class Process {
 public:
  virtual ~Process() = default;  // implies Close()

  // The process id as HCS / the host kernel reports it.
  virtual uint32_t Pid() const = 0;

  // Blocks until the process has exited and its console output (if any) has
  // been relayed, then returns its exit code; repeated calls return the same
  // code. Linux: a process killed by signal N reports 128+N, as shells do.
  // FailedPrecondition if this handle cannot learn the exit code (see the
  // file comment); other errors are the backend's.
  virtual StatusOr<uint32_t> Wait() = 0;

  // The exit code if the process has exited, nullopt while it runs.
  virtual StatusOr<std::optional<uint32_t>> TryWait() = 0;

  // Sends a signal, using POSIX numbers on both backends. Windows maps them
  // as hcsshim does (facts §3.4): 15 (SIGTERM) -> CtrlShutdown,
  // 2 (SIGINT) -> CtrlC, 9 (SIGKILL) -> Terminate(); any other number is
  // InvalidArgument there. OK if the process has already exited.
  virtual Status Signal(int signal) = 0;

  // Kills the process (HcsTerminateProcess / SIGKILL). OK if it has already
  // exited.
  virtual Status Terminate() = 0;

  // Resizes the console of a process created with EmulateConsole.
  // FailedPrecondition for a process without a console.
  virtual Status ResizeConsole(uint16_t height, uint16_t width) = 0;

  // Stops the stdio relays and releases the handle; the process itself keeps
  // running. Idempotent. After Close() only Pid() may be called.
  virtual void Close() = 0;
};

// A compute system (HCS_SYSTEM): one container.
class ComputeSystem {
 public:
  virtual ~ComputeSystem() = default;  // implies Close()

  virtual const std::string& id() const = 0;

  // Starts the system (HcsStartComputeSystem). FailedPrecondition if it is
  // not in the Created state.
  virtual Status Start() = 0;

  // Asks the system to stop gracefully (HcsShutDownComputeSystem; Linux:
  // SIGTERM to init) and waits up to "timeout" for it to stop.
  // DeadlineExceeded if it is still running then; OK if already stopped.
  virtual Status Shutdown(std::chrono::milliseconds timeout) = 0;

  // Stops the system at once (HcsTerminateComputeSystem; Linux: SIGKILL to
  // every process, `runc delete`, unmount the root file system). OK if it is
  // already stopped. The handle stays usable for Properties() and Close().
  virtual Status Terminate() = 0;

  // Freezes / thaws every process of the system. FailedPrecondition unless
  // Running / Paused respectively.
  virtual Status Pause() = 0;
  virtual Status Resume() = 0;

  // HcsGetComputeSystemProperties. Always fills Id, SystemType, Owner and
  // State ("Created", "Running", "Paused", "Stopped"); ProcessList when the
  // query asks for "ProcessList".
  virtual StatusOr<schema::Properties> Properties(
      const schema::PropertyQuery& query) = 0;

  // Creates and starts a process (HcsCreateProcess). The first one is the
  // system's init process (see the file comment). FailedPrecondition unless
  // the system is Running. InvalidArgument for parameters the backend cannot
  // honour (e.g. an empty command line).
  virtual StatusOr<std::unique_ptr<Process>> CreateProcess(
      const schema::ProcessParameters& params, const StdioFds& stdio) = 0;

  // Releases the handle; terminates the system first if its document asked
  // for ShouldTerminateOnLastHandleClosed. Idempotent; errors of that
  // implicit Terminate are logged, not returned.
  virtual void Close() = 0;
};

// Calls system.CreateProcess. <windows.h> #defines CreateProcess as
// CreateProcessW, so a file that includes it after this header (spdlog does,
// in header-only mode) cannot name the method; it calls this instead, whose
// body was compiled before the macro existed.
inline StatusOr<std::unique_ptr<Process>> CreateProcessIn(
    ComputeSystem& system, const schema::ProcessParameters& params,
    const StdioFds& stdio) {
  return system.CreateProcess(params, stdio);
}

// Creates and opens compute systems.
class ComputeService {
 public:
  virtual ~ComputeService() = default;

  // Creates system "id" from "document" (HcsCreateComputeSystem); it is
  // Created, not yet Running. AlreadyExists if "id" is taken,
  // InvalidArgument for a document the backend cannot run (the Linux
  // backend needs Container.Storage with at least one layer, each layer
  // folder and the scratch with a Files/ folder).
  virtual StatusOr<std::unique_ptr<ComputeSystem>> CreateComputeSystem(
      std::string_view id, const schema::ComputeSystem& document) = 0;

  // Opens an existing system (HcsOpenComputeSystem), e.g. one created by an
  // earlier process. NotFound if there is none.
  virtual StatusOr<std::unique_ptr<ComputeSystem>> OpenComputeSystem(
      std::string_view id) = 0;

  // Properties (Id, SystemType, Owner, State) of every system the backend
  // knows (HcsEnumerateComputeSystems; Linux: this service's runc root).
  virtual StatusOr<std::vector<schema::Properties>>
  EnumerateComputeSystems() = 0;
};

// The vmcompute layer calls (facts §4.2) for one scratch layer. The scratch
// is identified by its folder path, as hcsshim passes it.
class LayerService {
 public:
  virtual ~LayerService() = default;

  // Layer.Id for a read-only layer folder: NameToGuid(LayerNameFromPath())
  // (vmcompute on Windows, the documented stand-in elsewhere).
  virtual StatusOr<std::string> LayerId(std::string_view layer_path) = 0;

  // Makes sure the scratch has its writable disk. Windows: CreateSandboxLayer
  // when <scratch>\sandbox.vhdx is missing (hcsshim ensureScratchVHD; the
  // snapshotter normally copies it from the base layer's blank.vhdx).
  // Linux: creates <scratch>/Files.
  virtual Status EnsureScratchDisk(const std::string& scratch,
                                   const std::vector<std::string>& parents) = 0;

  // ActivateLayer(scratch). No-op on Linux.
  virtual Status ActivateLayer(const std::string& scratch) = 0;

  // PrepareLayer(scratch, parents) with parents nearest first, base last.
  // Windows retries as hcsshim does on ERROR_NOT_READY and
  // ERROR_DEVICE_NOT_CONNECTED. Linux: checks every parent has Files/
  // (InvalidArgument naming the folder otherwise).
  virtual Status PrepareLayer(const std::string& scratch,
                              const std::vector<std::string>& parents) = 0;

  // GetLayerMountPath(scratch): the volume path "\\?\Volume{...}\" of an
  // activated, prepared scratch on Windows; on Linux the scratch folder,
  // which is what the Linux ComputeService expects in Storage.Path.
  virtual StatusOr<std::string> GetLayerMountPath(
      const std::string& scratch) = 0;

  // UnprepareLayer / DeactivateLayer(scratch). No-ops on Linux.
  virtual Status UnprepareLayer(const std::string& scratch) = 0;
  virtual Status DeactivateLayer(const std::string& scratch) = 0;

  // DestroyLayer(folder): vmcompute deletes a layer folder it may hold
  // (hcsshim wclayer.DestroyLayer; containerd's Remove calls it on rm-<id>).
  // Linux has no layer API: Unimplemented, so a caller keeps its own error.
  virtual Status DestroyLayer(const std::string& folder) = 0;
};

// EnsureScratchDisk + Activate + Prepare + GetLayerMountPath, as hcsshim
// mounts a process-isolated container's scratch (facts §3.3). On failure, what
// was done is undone and the first error is returned. Returns the Storage.Path
// value.
StatusOr<std::string> MountScratch(LayerService& layers,
                                   const std::string& scratch,
                                   const std::vector<std::string>& parents);

// Unprepare then Deactivate; both are attempted, the first error returned.
Status UnmountScratch(LayerService& layers, const std::string& scratch);

struct ComputeServiceOptions {
  // Linux backend: the runc binary (a name is searched in $PATH).
  std::string runc_path = "runc";
  // Linux backend: runc's state directory (runc --root).
  std::string state_dir = "/run/winsnap/runc";
  // Linux backend: bundles go to <bundle_dir>/<id>/ (config.json, the
  // persisted HCS document, runc's log).
  std::string bundle_dir = "/run/winsnap/bundles";
  // Linux backend: give each container a new, empty network namespace
  // instead of the host's (a Networking.Namespace that is an absolute path
  // always means "join that namespace").
  bool isolate_network = false;
};

// The backend for this platform. Unavailable if the platform pieces are
// missing (computecore.dll; runc binary, overlay file system, root).
StatusOr<std::unique_ptr<ComputeService>> NewComputeService(
    const ComputeServiceOptions& options = {});
StatusOr<std::unique_ptr<LayerService>> NewLayerService();

}  // namespace winsnap::hcs

#endif  // WINSNAP_HCS_COMPUTE_SERVICE_H_
