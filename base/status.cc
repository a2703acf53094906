// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace winsnap {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "Cancelled";
    case StatusCode::kUnknown:
      return "Unknown";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kDeadlineExceeded:
      return "DeadlineExceeded";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case StatusCode::kResourceExhausted:
      return "ResourceExhausted";
    case StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case StatusCode::kAborted:
      return "Aborted";
    case StatusCode::kOutOfRange:
      return "OutOfRange";
    case StatusCode::kUnimplemented:
      return "Unimplemented";
    case StatusCode::kInternal:
      return "Internal";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kDataLoss:
      return "DataLoss";
    case StatusCode::kUnauthenticated:
      return "Unauthenticated";
  }
  return "Unknown";
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(StatusCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

std::ostream& operator<<(std::ostream& os, const Status& s) {
  return os << s.ToString();
}

StatusCode ErrnoStatusCode(int err) {
  StatusCode code = StatusCode::kInternal;
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      code = StatusCode::kNotFound;
      break;
    case EEXIST:
    case ENOTEMPTY:
      code = StatusCode::kAlreadyExists;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      code = StatusCode::kPermissionDenied;
      break;
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
    case ENOMEM:
    case EMFILE:
      code = StatusCode::kResourceExhausted;
      break;
    case EINVAL:
    case ENAMETOOLONG:
      code = StatusCode::kInvalidArgument;
      break;
    case EBUSY:
    case EAGAIN:
      code = StatusCode::kUnavailable;
      break;
    default:
      break;
  }
  return code;
}

Status ErrnoError(std::string_view function, int err, std::string_view what) {
  std::string m(function);
  if (!what.empty()) {
    m += ' ';
    m += what;
  }
  m += ": ";
  m += std::strerror(err);
  return Status(ErrnoStatusCode(err), std::move(m));
}

StatusCode Win32StatusCode(uint32_t e) {
  switch (e) {
    case 0:
      return StatusCode::kOk;
    case 2:
    case 3:
      return StatusCode::kNotFound;
    case 80:
    case 145:
    case 183:
      return StatusCode::kAlreadyExists;
    case 5:
    case 19:
    case 1300:  // ERROR_NOT_ALL_ASSIGNED (a privilege the token lacks)
    case 1314:  // ERROR_PRIVILEGE_NOT_HELD
      return StatusCode::kPermissionDenied;
    case 4:
    case 8:
    case 14:
    case 39:
    case 112:
      return StatusCode::kResourceExhausted;
    case 32:
    case 33:
      return StatusCode::kUnavailable;
    case 87:
    case 123:
    case 206:
      return StatusCode::kInvalidArgument;
    case 50:
    case 120:
      return StatusCode::kUnimplemented;
    default:
      return StatusCode::kInternal;
  }
}

namespace {
std::string_view Win32Text(uint32_t e) {
  switch (e) {
    case 2:
      return "file not found";
    case 3:
      return "path not found";
    case 4:
      return "too many open files";
    case 5:
      return "access denied";
    case 8:
    case 14:
      return "not enough memory";
    case 19:
      return "write protected";
    case 1300:
    case 1314:
      return "a required privilege is not held";
    case 32:
      return "sharing violation (another process is using the file)";
    case 33:
      return "lock violation (another process has locked the file)";
    case 39:
    case 112:
      return "disk full";
    case 50:
      return "not supported";
    case 80:
    case 183:
      return "already exists";
    case 87:
      return "invalid parameter";
    case 120:
      return "not implemented";
    case 123:
      return "invalid name";
    case 145:
      return "directory not empty";
    case 206:
      return "file name too long";
    default:
      return "error";
  }
}
}  // namespace

Status Win32Error(std::string_view function, uint32_t win32_error,
                  std::string_view what, std::string_view description) {
  std::string m(function);
  if (!what.empty()) {
    m += ' ';
    m += what;
  }
  m += ": ";
  m += description.empty() ? Win32Text(win32_error) : description;
  m += " (Win32 error ";
  m += std::to_string(win32_error);
  m += ')';
  StatusCode code = Win32StatusCode(win32_error);
  if (code == StatusCode::kOk) code = StatusCode::kInternal;
  return Status(code, std::move(m));
}

}  // namespace winsnap
