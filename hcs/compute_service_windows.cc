// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The Windows ComputeService: HCS v2 through computecore.dll (hcsshim-facts.md
// §4.1; MSDOC HCS reference). Every call follows hcsshim's computecore
// pattern (HS internal/hcs/v2/operation.go): create an operation without a
// callback, call the API, HcsWaitForOperationResult, cancel the operation if
// the wait timed out, close it. HRESULTs and the HCS result document become a
// Status right here (HresultError). Process stdio is relayed by one thread
// per stream between the pipes HCS returns and the caller's descriptors.
// Process exit is learnt from HcsWaitForProcessExit where it exists
// (Windows 10 2104 / Server 2022) and otherwise by polling
// HcsGetProcessProperties, so no HCS callback can outlive the objects here.
//
// computecore.dll is bound at run time (LoadLibraryExW + GetProcAddress, with
// the pointer types taken from mingw's/the SDK's <computecore.h>), not linked
// with -lcomputecore: snapctl must start on hosts without the Containers
// feature, where only the run commands fail (Unavailable).
//
// Thread-safety: see compute_service.h. Each object serializes its state
// with a mutex; HCS calls themselves are thread-safe.

#include <windows.h>

#include <computecore.h>
#include <io.h>

#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "hcs/compute_service.h"
#include "hcs/hresult_windows.h"

namespace winsnap::hcs {
namespace {

using win::HresultError;
using win::UniqueHandle;
using win::UniqueLocalWstr;
using win::Utf8ToWide;
using win::WideToUtf8;

constexpr DWORD kPollIntervalMs = 100;

// ---- computecore.dll, bound at run time
// ---------------------------------------

#define WINSNAP_COMPUTECORE_FUNCTIONS(X)     \
  X(HcsCreateOperation)                      \
  X(HcsCloseOperation)                       \
  X(HcsWaitForOperationResult)               \
  X(HcsWaitForOperationResultAndProcessInfo) \
  X(HcsCancelOperation)                      \
  X(HcsCreateComputeSystem)                  \
  X(HcsOpenComputeSystem)                    \
  X(HcsCloseComputeSystem)                   \
  X(HcsStartComputeSystem)                   \
  X(HcsShutDownComputeSystem)                \
  X(HcsTerminateComputeSystem)               \
  X(HcsPauseComputeSystem)                   \
  X(HcsResumeComputeSystem)                  \
  X(HcsGetComputeSystemProperties)           \
  X(HcsEnumerateComputeSystems)              \
  X(HcsCreateProcess)                        \
  X(HcsCloseProcess)                         \
  X(HcsSignalProcess)                        \
  X(HcsTerminateProcess)                     \
  X(HcsModifyProcess)                        \
  X(HcsGetProcessProperties)

struct ComputeCore {
#define WINSNAP_DECLARE(name) decltype(&::name) name = nullptr;
  WINSNAP_COMPUTECORE_FUNCTIONS(WINSNAP_DECLARE)
#undef WINSNAP_DECLARE
  // Optional: Windows 10 2104 / Server 2022 and later (MSDOC).
  decltype(&::HcsWaitForProcessExit) HcsWaitForProcessExit = nullptr;
};

// Loads computecore.dll once per process; the module stays loaded for the
// life of the process (the owners below call into it from destructors).
const StatusOr<ComputeCore>& LoadComputeCore() {
  static const StatusOr<ComputeCore> api = []() -> StatusOr<ComputeCore> {
    HMODULE m = ::LoadLibraryExW(L"computecore.dll", nullptr,
                                 LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (m == nullptr) {
      Status s = win::LastError("LoadLibraryExW", "computecore.dll");
      return UnavailableError(
          "the Host Compute Service API is not available on this host "
          "(Windows 10 1809 / Server 2019 or later with the Containers "
          "feature is required): " +
          s.message());
    }
    ComputeCore c;
#define WINSNAP_BIND(name)                                           \
  if (!win::Bind(m, #name, c.name)) {                                \
    return UnavailableError("computecore.dll has no export " #name); \
  }
    WINSNAP_COMPUTECORE_FUNCTIONS(WINSNAP_BIND)
#undef WINSNAP_BIND
    win::Bind(m, "HcsWaitForProcessExit", c.HcsWaitForProcessExit);
    return c;
  }();
  return api;
}

// REQUIRES: LoadComputeCore().ok() (guaranteed once a ComputeService exists).
const ComputeCore& Api() { return *LoadComputeCore(); }

struct HcsOperationDeleter {
  void operator()(HCS_OPERATION op) const { Api().HcsCloseOperation(op); }
};
using UniqueHcsOperation =
    std::unique_ptr<std::remove_pointer_t<HCS_OPERATION>, HcsOperationDeleter>;

struct HcsSystemDeleter {
  void operator()(HCS_SYSTEM s) const { Api().HcsCloseComputeSystem(s); }
};
using UniqueHcsSystem =
    std::unique_ptr<std::remove_pointer_t<HCS_SYSTEM>, HcsSystemDeleter>;

struct HcsProcessDeleter {
  void operator()(HCS_PROCESS p) const { Api().HcsCloseProcess(p); }
};
using UniqueHcsProcess =
    std::unique_ptr<std::remove_pointer_t<HCS_PROCESS>, HcsProcessDeleter>;

// Runs one HCS API call that takes an operation and returns the operation's
// result document. "call" receives the operation handle and returns the
// HRESULT of the API call itself.
template <typename Call>
StatusOr<std::string> RunOperation(std::string_view function,
                                   std::string_view what, DWORD timeout_ms,
                                   Call&& call,
                                   HCS_PROCESS_INFORMATION* info = nullptr) {
  UniqueHcsOperation op(Api().HcsCreateOperation(nullptr, nullptr));
  if (!op) return win::LastError("HcsCreateOperation", what);
  HRESULT hr = call(op.get());
  if (FAILED(hr)) return HresultError(function, hr, what);
  PWSTR result = nullptr;
  if (info != nullptr) {
    hr = Api().HcsWaitForOperationResultAndProcessInfo(op.get(), timeout_ms,
                                                       info, &result);
  } else {
    hr = Api().HcsWaitForOperationResult(op.get(), timeout_ms, &result);
  }
  UniqueLocalWstr owned(result);
  if (win::HcsCode(hr) == win::kHcsOperationTimeout) {
    // Never abandon an HCS call mid-flight (hcsshim operation.go).
    Api().HcsCancelOperation(op.get());
  }
  if (FAILED(hr)) {
    return HresultError(function, hr, what, WideToUtf8(result));
  }
  return WideToUtf8(result);
}

// ---- stdio relays -----------------------------------------------------------

// The two ends one relay thread copies between. The thread owns both handles
// and closes them when it ends, so the reader downstream sees EOF as soon as
// the upstream side is finished (the process gets EOF on stdin when the
// caller's stdin ends; the caller gets EOF on its stdout when the process's
// pipe closes).
struct RelayArgs {
  HANDLE from;
  HANDLE to;
};

DWORD WINAPI RelayThread(void* p) {
  RelayArgs args = *static_cast<RelayArgs*>(p);
  delete static_cast<RelayArgs*>(p);
  UniqueHandle from(args.from), to(args.to);
  char buf[32 * 1024];
  for (;;) {
    DWORD n = 0;
    if (!::ReadFile(from.get(), buf, sizeof buf, &n, nullptr) || n == 0) break;
    DWORD off = 0;
    while (off < n) {
      DWORD w = 0;
      if (!::WriteFile(to.get(), buf + off, n - off, &w, nullptr)) return 0;
      off += w;
    }
  }
  return 0;
}

// One relay thread; see RelayArgs for handle ownership.
class Relay {
 public:
  Relay() = default;
  Relay(Relay&&) = default;
  // A running relay is stopped before it is replaced.
  Relay& operator=(Relay&& o) noexcept {
    if (this != &o) {
      Stop();
      thread_ = std::move(o.thread_);
    }
    return *this;
  }
  ~Relay() { Stop(); }

  static StatusOr<Relay> Start(UniqueHandle from, UniqueHandle to) {
    auto* args = new RelayArgs{from.get(), to.get()};
    Relay r;
    r.thread_.reset(::CreateThread(nullptr, 0, RelayThread, args, 0, nullptr));
    if (!r.thread_) {
      delete args;
      return win::LastError("CreateThread", "stdio relay");
    }
    // The thread owns the handles now.
    (void)from.release();
    (void)to.release();
    return r;
  }

  // Waits for the relay to reach EOF by itself.
  void Join() {
    if (thread_) ::WaitForSingleObject(thread_.get(), INFINITE);
  }

  // Interrupts a blocked read/write and waits for the thread to end.
  void Stop() {
    if (!thread_) return;
    // A cancel that lands before the thread blocks is lost; repeat it.
    while (::WaitForSingleObject(thread_.get(), 50) == WAIT_TIMEOUT) {
      ::CancelSynchronousIo(thread_.get());
    }
    thread_.reset();
  }

 private:
  UniqueHandle thread_;
};

// Duplicates the OS handle behind C runtime descriptor "fd" so the caller may
// close its descriptor. Null handle for fd < 0.
StatusOr<UniqueHandle> HandleFromFd(int fd, std::string_view what) {
  if (fd < 0) return UniqueHandle();
  auto h = reinterpret_cast<HANDLE>(::_get_osfhandle(fd));
  if (h == INVALID_HANDLE_VALUE) {
    return InvalidArgumentError(std::string(what) + ": descriptor " +
                                std::to_string(fd) + " is not open");
  }
  HANDLE dup = nullptr;
  if (!::DuplicateHandle(::GetCurrentProcess(), h, ::GetCurrentProcess(), &dup,
                         0, FALSE, DUPLICATE_SAME_ACCESS)) {
    return win::LastError("DuplicateHandle", what);
  }
  return UniqueHandle(dup);
}

// ---- Process
// ------------------------------------------------------------------

class WindowsProcess final : public Process {
 public:
  WindowsProcess(UniqueHcsProcess proc, uint32_t pid, bool console)
      : proc_(std::move(proc)), pid_(pid), console_(console) {}
  ~WindowsProcess() override { Close(); }

  Status StartRelays(const HCS_PROCESS_INFORMATION& info, const StdioFds& fds) {
    // HCS hands us its ends of the pipes; we own them from here on.
    UniqueHandle hcs_in(info.StdInput), hcs_out(info.StdOutput),
        hcs_err(info.StdError);
    WINSNAP_ASSIGN_OR_RETURN(UniqueHandle in,
                             HandleFromFd(fds.std_in, "stdin"));
    WINSNAP_ASSIGN_OR_RETURN(UniqueHandle out,
                             HandleFromFd(fds.std_out, "stdout"));
    WINSNAP_ASSIGN_OR_RETURN(UniqueHandle err,
                             HandleFromFd(fds.std_err, "stderr"));
    std::lock_guard<std::mutex> l(mu_);
    if (hcs_in && in) {
      WINSNAP_ASSIGN_OR_RETURN(stdin_relay_,
                               Relay::Start(std::move(in), std::move(hcs_in)));
    }
    if (hcs_out && out) {
      WINSNAP_ASSIGN_OR_RETURN(
          stdout_relay_, Relay::Start(std::move(hcs_out), std::move(out)));
    }
    if (hcs_err && err) {
      WINSNAP_ASSIGN_OR_RETURN(
          stderr_relay_, Relay::Start(std::move(hcs_err), std::move(err)));
    }
    return OkStatus();
  }

  uint32_t Pid() const override { return pid_; }

  StatusOr<uint32_t> Wait() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (exit_code_) return *exit_code_;
      if (!proc_) return FailedPreconditionError("process handle is closed");
    }
    std::optional<uint32_t> code;
    if (Api().HcsWaitForProcessExit != nullptr) {
      PWSTR result = nullptr;
      HRESULT hr = Api().HcsWaitForProcessExit(proc_.get(), INFINITE, &result);
      UniqueLocalWstr owned(result);
      if (FAILED(hr)) {
        return HresultError("HcsWaitForProcessExit", hr, std::to_string(pid_),
                            WideToUtf8(result));
      }
      WINSNAP_ASSIGN_OR_RETURN(schema::ProcessStatus st,
                               schema::ParseProcessStatus(WideToUtf8(result)));
      code = st.exit_code;
    } else {
      for (;;) {
        WINSNAP_ASSIGN_OR_RETURN(schema::ProcessStatus st, QueryStatus());
        if (st.exited) {
          code = st.exit_code;
          break;
        }
        ::Sleep(kPollIntervalMs);
      }
    }
    // The pipes close when the process and its children are gone; let the
    // output relays drain before reporting the exit.
    std::lock_guard<std::mutex> l(mu_);
    stdout_relay_.Join();
    stderr_relay_.Join();
    exit_code_ = code;
    return *code;
  }

  StatusOr<std::optional<uint32_t>> TryWait() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (exit_code_) return std::optional<uint32_t>(*exit_code_);
    }
    WINSNAP_ASSIGN_OR_RETURN(schema::ProcessStatus st, QueryStatus());
    if (!st.exited) return std::optional<uint32_t>();
    WINSNAP_ASSIGN_OR_RETURN(uint32_t code, Wait());
    return std::optional<uint32_t>(code);
  }

  Status Signal(int signal) override {
    const char* name = nullptr;
    switch (signal) {
      case 9:
        return Terminate();
      case 15:
        name = "CtrlShutdown";
        break;
      case 2:
        name = "CtrlC";
        break;
      default:
        return InvalidArgumentError(
            "signal " + std::to_string(signal) +
            " has no Windows equivalent; use 2 (CtrlC), 15 (CtrlShutdown) or "
            "9 (terminate)");
    }
    std::wstring options =
        Utf8ToWide(std::string("{\"Signal\":\"") + name + "\"}");
    return Ignoring(RunOperation("HcsSignalProcess", std::to_string(pid_),
                                 INFINITE, [&](HCS_OPERATION op) {
                                   return Api().HcsSignalProcess(
                                       proc_.get(), op, options.c_str());
                                 }));
  }

  Status Terminate() override {
    return Ignoring(RunOperation("HcsTerminateProcess", std::to_string(pid_),
                                 INFINITE, [&](HCS_OPERATION op) {
                                   return Api().HcsTerminateProcess(
                                       proc_.get(), op, nullptr);
                                 }));
  }

  Status ResizeConsole(uint16_t height, uint16_t width) override {
    if (!console_) {
      return FailedPreconditionError("process " + std::to_string(pid_) +
                                     " has no console");
    }
    std::wstring settings = Utf8ToWide(
        "{\"Operation\":\"ConsoleSize\",\"ConsoleSize\":{\"Height\":" +
        std::to_string(height) + ",\"Width\":" + std::to_string(width) + "}}");
    return RunOperation("HcsModifyProcess", std::to_string(pid_), INFINITE,
                        [&](HCS_OPERATION op) {
                          return Api().HcsModifyProcess(proc_.get(), op,
                                                        settings.c_str());
                        })
        .status();
  }

  void Close() override {
    std::lock_guard<std::mutex> l(mu_);
    stdin_relay_.Stop();
    stdout_relay_.Stop();
    stderr_relay_.Stop();
    proc_.reset();
  }

 private:
  // Already-stopped processes count as success for signal/terminate.
  static Status Ignoring(const StatusOr<std::string>& r) {
    if (r.ok() || r.status().code() == StatusCode::kFailedPrecondition) {
      return OkStatus();
    }
    return r.status();
  }

  StatusOr<schema::ProcessStatus> QueryStatus() {
    WINSNAP_ASSIGN_OR_RETURN(
        std::string doc,
        RunOperation("HcsGetProcessProperties", std::to_string(pid_), INFINITE,
                     [&](HCS_OPERATION op) {
                       return Api().HcsGetProcessProperties(proc_.get(), op,
                                                            nullptr);
                     }));
    return schema::ParseProcessStatus(doc);
  }

  std::mutex mu_;
  UniqueHcsProcess proc_;
  const uint32_t pid_;
  const bool console_;
  Relay stdin_relay_;
  Relay stdout_relay_;
  Relay stderr_relay_;
  std::optional<uint32_t> exit_code_;
};

// ---- ComputeSystem
// --------------------------------------------------------------

class WindowsComputeSystem final : public ComputeSystem {
 public:
  WindowsComputeSystem(std::string id, UniqueHcsSystem sys)
      : id_(std::move(id)), sys_(std::move(sys)) {}
  ~WindowsComputeSystem() override { Close(); }

  const std::string& id() const override { return id_; }

  Status Start() override {
    return Run("HcsStartComputeSystem", [&](HCS_OPERATION op) {
      return Api().HcsStartComputeSystem(sys_.get(), op, nullptr);
    });
  }

  Status Shutdown(std::chrono::milliseconds timeout) override {
    const ULONGLONG deadline = ::GetTickCount64() + timeout.count();
    Status s = Run("HcsShutDownComputeSystem", [&](HCS_OPERATION op) {
      return Api().HcsShutDownComputeSystem(sys_.get(), op, nullptr);
    });
    if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) return s;
    // The shutdown request may complete before the system has stopped.
    for (;;) {
      WINSNAP_ASSIGN_OR_RETURN(schema::Properties p, Properties({}));
      if (p.state == "Stopped" || p.stopped) return OkStatus();
      if (::GetTickCount64() >= deadline) {
        return Status(StatusCode::kDeadlineExceeded,
                      "compute system " + id_ + " still " + p.state +
                          " after " + std::to_string(timeout.count()) + " ms");
      }
      ::Sleep(kPollIntervalMs);
    }
  }

  Status Terminate() override {
    Status s = Run("HcsTerminateComputeSystem", [&](HCS_OPERATION op) {
      return Api().HcsTerminateComputeSystem(sys_.get(), op, nullptr);
    });
    return s.code() == StatusCode::kFailedPrecondition ? OkStatus() : s;
  }

  Status Pause() override {
    return Run("HcsPauseComputeSystem", [&](HCS_OPERATION op) {
      return Api().HcsPauseComputeSystem(sys_.get(), op, nullptr);
    });
  }

  Status Resume() override {
    return Run("HcsResumeComputeSystem", [&](HCS_OPERATION op) {
      return Api().HcsResumeComputeSystem(sys_.get(), op, nullptr);
    });
  }

  StatusOr<schema::Properties> Properties(
      const schema::PropertyQuery& query) override {
    std::wstring q = Utf8ToWide(schema::ToJsonString(query));
    WINSNAP_ASSIGN_OR_RETURN(
        std::string doc,
        RunOperation("HcsGetComputeSystemProperties", id_, INFINITE,
                     [&](HCS_OPERATION op) {
                       return Api().HcsGetComputeSystemProperties(
                           sys_.get(), op, q.c_str());
                     }));
    return schema::ParseProperties(doc);
  }

  StatusOr<std::unique_ptr<Process>> CreateProcess(
      const schema::ProcessParameters& params, const StdioFds& stdio) override {
    if (params.command_line.empty()) {
      return InvalidArgumentError("HCS process needs a CommandLine");
    }
    std::wstring doc = Utf8ToWide(schema::ToJsonString(params));
    HCS_PROCESS raw = nullptr;
    HCS_PROCESS_INFORMATION info{};
    StatusOr<std::string> r = RunOperation(
        "HcsCreateProcess", id_, INFINITE,
        [&](HCS_OPERATION op) {
          return Api().HcsCreateProcess(sys_.get(), doc.c_str(), op, nullptr,
                                        &raw);
        },
        &info);
    UniqueHcsProcess proc(raw);
    if (!r.ok()) return r.status();
    auto p = std::make_unique<WindowsProcess>(std::move(proc), info.ProcessId,
                                              params.emulate_console);
    WINSNAP_RETURN_IF_ERROR(p->StartRelays(info, stdio));
    return std::unique_ptr<Process>(std::move(p));
  }

  void Close() override {
    std::lock_guard<std::mutex> l(mu_);
    // With ShouldTerminateOnLastHandleClosed, HCS itself terminates the
    // system when this (last) handle goes.
    sys_.reset();
  }

 private:
  template <typename Call>
  Status Run(std::string_view function, Call&& call) {
    return RunOperation(function, id_, INFINITE, std::forward<Call>(call))
        .status();
  }

  const std::string id_;
  std::mutex mu_;
  UniqueHcsSystem sys_;
};

// ---- ComputeService
// --------------------------------------------------------------

class WindowsComputeService final : public ComputeService {
 public:
  StatusOr<std::unique_ptr<ComputeSystem>> CreateComputeSystem(
      std::string_view id, const schema::ComputeSystem& document) override {
    std::wstring wid = Utf8ToWide(id);
    std::wstring doc = Utf8ToWide(schema::ToJsonString(document));
    HCS_SYSTEM raw = nullptr;
    StatusOr<std::string> r = RunOperation(
        "HcsCreateComputeSystem", id, INFINITE, [&](HCS_OPERATION op) {
          return Api().HcsCreateComputeSystem(wid.c_str(), doc.c_str(), op,
                                              nullptr, &raw);
        });
    UniqueHcsSystem sys(raw);
    if (!r.ok()) return r.status();
    return std::unique_ptr<ComputeSystem>(
        std::make_unique<WindowsComputeSystem>(std::string(id),
                                               std::move(sys)));
  }

  StatusOr<std::unique_ptr<ComputeSystem>> OpenComputeSystem(
      std::string_view id) override {
    std::wstring wid = Utf8ToWide(id);
    HCS_SYSTEM raw = nullptr;
    HRESULT hr = Api().HcsOpenComputeSystem(wid.c_str(), GENERIC_ALL, &raw);
    UniqueHcsSystem sys(raw);
    if (FAILED(hr)) return HresultError("HcsOpenComputeSystem", hr, id);
    return std::unique_ptr<ComputeSystem>(
        std::make_unique<WindowsComputeSystem>(std::string(id),
                                               std::move(sys)));
  }

  StatusOr<std::vector<schema::Properties>> EnumerateComputeSystems() override {
    WINSNAP_ASSIGN_OR_RETURN(
        std::string doc, RunOperation("HcsEnumerateComputeSystems", "",
                                      INFINITE, [&](HCS_OPERATION op) {
                                        return Api().HcsEnumerateComputeSystems(
                                            nullptr, op);
                                      }));
    std::vector<schema::Properties> out;
    nlohmann::json j = nlohmann::json::parse(doc, nullptr, false);
    if (!j.is_array()) {
      return InternalError("HcsEnumerateComputeSystems returned " + doc);
    }
    for (const nlohmann::json& e : j) {
      WINSNAP_ASSIGN_OR_RETURN(schema::Properties p,
                               schema::ParseProperties(e.dump()));
      out.push_back(std::move(p));
    }
    return out;
  }
};

}  // namespace

StatusOr<std::unique_ptr<ComputeService>> NewComputeService(
    const ComputeServiceOptions& /*options: Linux backend only*/) {
  WINSNAP_RETURN_IF_ERROR(LoadComputeCore().status());
  return std::unique_ptr<ComputeService>(
      std::make_unique<WindowsComputeService>());
}

}  // namespace winsnap::hcs
