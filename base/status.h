// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Status and StatusOr<T>: the error values every module API returns. Codes are
// the gRPC status code set, so the proxy service maps them 1:1 onto the wire
// and containerd's errdefs classes (NotFound, AlreadyExists,
// FailedPrecondition, InvalidArgument, ...). No exception crosses a module.
//
// Thread-safety: Status and StatusOr are values; distinct objects may be used
// from different threads, one object needs external synchronization.

#ifndef WINSNAP_BASE_STATUS_H_
#define WINSNAP_BASE_STATUS_H_

#include <cassert>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace winsnap {

// Same numbering as grpc::StatusCode / google.rpc.Code.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(std::string_view context) const;

  // "NotFound: snapshot \"x\" does not exist", or "OK".
  std::string ToString() const;

  // Explicitly discards the status (for best-effort cleanup paths).
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& s);

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFoundError(std::string m) {
  return Status(StatusCode::kNotFound, std::move(m));
}
inline Status AlreadyExistsError(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
inline Status FailedPreconditionError(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status InternalError(std::string m) {
  return Status(StatusCode::kInternal, std::move(m));
}
inline Status DataLossError(std::string m) {
  return Status(StatusCode::kDataLoss, std::move(m));
}
inline Status UnavailableError(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status UnimplementedError(std::string m) {
  return Status(StatusCode::kUnimplemented, std::move(m));
}
inline Status PermissionDeniedError(std::string m) {
  return Status(StatusCode::kPermissionDenied, std::move(m));
}
inline Status ResourceExhaustedError(std::string m) {
  return Status(StatusCode::kResourceExhausted, std::move(m));
}
inline Status OutOfRangeError(std::string m) {
  return Status(StatusCode::kOutOfRange, std::move(m));
}
inline Status CancelledError(std::string m) {
  return Status(StatusCode::kCancelled, std::move(m));
}
inline Status UnknownError(std::string m) {
  return Status(StatusCode::kUnknown, std::move(m));
}

// Translates an errno value from the named C function into a Status, e.g.
// ErrnoError("rename", errno, path) -> "rename /a/b: No such file or
// directory" with code NotFound (ENOENT), AlreadyExists (EEXIST),
// PermissionDenied (EACCES/EPERM), ResourceExhausted (ENOSPC), else Internal.
Status ErrnoError(std::string_view function, int err,
                  std::string_view what = {});

// The Status code for a Win32 error code (GetLastError(), and the codes LMDB
// returns on Windows). Portable, so the mapping is tested on Linux:
//   ERROR_FILE_NOT_FOUND 2, ERROR_PATH_NOT_FOUND 3          -> NotFound
//   ERROR_FILE_EXISTS 80, ERROR_ALREADY_EXISTS 183,
//   ERROR_DIR_NOT_EMPTY 145                                 -> AlreadyExists
//   ERROR_ACCESS_DENIED 5, ERROR_WRITE_PROTECT 19,
//   ERROR_NOT_ALL_ASSIGNED 1300, ERROR_PRIVILEGE_NOT_HELD 1314 ->
//   PermissionDenied ERROR_DISK_FULL 112, ERROR_HANDLE_DISK_FULL 39,
//   ERROR_NOT_ENOUGH_MEMORY 8, ERROR_OUTOFMEMORY 14,
//   ERROR_TOO_MANY_OPEN_FILES 4                             ->
//   ResourceExhausted ERROR_SHARING_VIOLATION 32, ERROR_LOCK_VIOLATION 33 ->
//   Unavailable ERROR_INVALID_PARAMETER 87, ERROR_INVALID_NAME 123,
//   ERROR_FILENAME_EXCED_RANGE 206                          -> InvalidArgument
//   ERROR_NOT_SUPPORTED 50, ERROR_CALL_NOT_IMPLEMENTED 120  -> Unimplemented
//   anything else                                           -> Internal
// Sharing and lock violations are Unavailable, like EBUSY/EAGAIN on POSIX:
// another process holds the file right now and a retry may succeed, which is
// what callers (RemoveAll's back-off, lock probes) act on.
StatusCode Win32StatusCode(uint32_t win32_error);
// The Status code for an errno value, as ErrnoError maps it.
StatusCode ErrnoStatusCode(int err);
// The Status code for an error number of the native OS: ErrnoStatusCode on
// POSIX, Win32StatusCode on Windows (defined in env_posix.cc /
// env_windows.cc). For libraries that pass the OS's numbers through, such as
// LMDB (errno values on Linux, GetLastError() codes on Windows).
StatusCode NativeErrorStatusCode(int err);
// Translates a Win32 error code from the named function into a Status:
// "MoveFileExW C:\a -> C:\b: sharing violation (Win32 error 32)".
// "description" overrides the built-in text (env_windows.cc passes
// FormatMessageW's); the built-in one names the common codes listed above.
Status Win32Error(std::string_view function, uint32_t win32_error,
                  std::string_view what = {},
                  std::string_view description = {});

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  // REQUIRES: !status.ok().
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT: implicit
    assert(!std::get<Status>(v_).ok());
    if (std::get<Status>(v_).ok()) {
      v_ = Status(StatusCode::kInternal, "StatusOr constructed from OK status");
    }
  }
  StatusOr(const T& value) : v_(value) {}        // NOLINT: implicit
  StatusOr(T&& value) : v_(std::move(value)) {}  // NOLINT: implicit
  template <typename U, typename = std::enable_if_t<
                            std::is_constructible_v<T, U&&> &&
                            !std::is_same_v<std::decay_t<U>, T> &&
                            !std::is_same_v<std::decay_t<U>, Status>>>
  StatusOr(U&& value) : v_(T(std::forward<U>(value))) {}  // NOLINT: implicit

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

namespace internal {
inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const StatusOr<T>& s) {
  return s.status();
}
}  // namespace internal

}  // namespace winsnap

#define WINSNAP_CONCAT_INNER_(a, b) a##b
#define WINSNAP_CONCAT_(a, b) WINSNAP_CONCAT_INNER_(a, b)

// Returns from the current function if expr (a Status or StatusOr) is not OK.
#define WINSNAP_RETURN_IF_ERROR(expr)                        \
  do {                                                       \
    auto&& winsnap_status_ = (expr);                         \
    if (!winsnap_status_.ok())                               \
      return ::winsnap::internal::AsStatus(winsnap_status_); \
  } while (0)

// WINSNAP_ASSIGN_OR_RETURN(auto x, Foo()); declares x from the StatusOr's
// value, or returns its status.
#define WINSNAP_ASSIGN_OR_RETURN(lhs, expr)                                   \
  WINSNAP_ASSIGN_OR_RETURN_IMPL_(WINSNAP_CONCAT_(winsnap_so_, __LINE__), lhs, \
                                 expr)
#define WINSNAP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

#endif  // WINSNAP_BASE_STATUS_H_
