// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// The portable part of `snapctl service`: the SCM command line.

#include "tools/service_command.h"

#include <cctype>
#include <string>

#include "hcs/command_line.h"

namespace winsnap::tools {
namespace {

bool IsAbsoluteWindowsPath(std::string_view p) {
  if (p.size() >= 3 && std::isalpha(static_cast<unsigned char>(p[0])) &&
      p[1] == ':' && (p[2] == '\\' || p[2] == '/')) {
    return true;
  }
  return p.rfind("\\\\", 0) == 0;  // UNC or \\?\ path
}

}  // namespace

Status ValidateServiceName(std::string_view name) {
  if (name.empty() || name.size() > 80) {
    return InvalidArgumentError("service name must be 1..80 characters");
  }
  for (char c : name) {
    if (c == '/' || c == '\\' || c == '"' ||
        static_cast<unsigned char>(c) < 0x20) {
      return InvalidArgumentError("service name \"" + std::string(name) +
                                  "\" may not contain / \\ \" or control "
                                  "characters");
    }
  }
  return Status();
}

StatusOr<std::string> ServiceCommandLine(const ServiceSpec& spec) {
  if (Status s = ValidateServiceName(spec.name); !s.ok()) return s;
  if (!IsAbsoluteWindowsPath(spec.exe)) {
    return InvalidArgumentError("snapctl.exe path \"" + spec.exe +
                                "\" is not an absolute Windows path");
  }
  if (spec.exe.find('"') != std::string::npos) {
    return InvalidArgumentError("snapctl.exe path \"" + spec.exe +
                                "\" contains a double quote");
  }
  if (!IsAbsoluteWindowsPath(spec.root)) {
    return InvalidArgumentError("--root \"" + spec.root +
                                "\" is not an absolute Windows path");
  }
  if (spec.address.empty()) {
    return InvalidArgumentError("--address must not be empty");
  }
  if (spec.shutdown_grace < 0) {
    return InvalidArgumentError("--shutdown-grace must not be negative");
  }
  // The exe's quotes are the SCM's (CreateProcess splits the program name
  // at the first unquoted space); a path cannot contain '"', so no escapes.
  std::string cmd = "\"" + spec.exe + "\" serve --run-service";
  cmd += " --root " + hcs::EscapeArg(spec.root);
  cmd += " --address " + hcs::EscapeArg(spec.address);
  if (!spec.log_level.empty()) {
    cmd += " --log-level " + hcs::EscapeArg(spec.log_level);
  }
  cmd += " --shutdown-grace " + std::to_string(spec.shutdown_grace);
  cmd += " --service-name " + hcs::EscapeArg(spec.name);
  return cmd;
}

}  // namespace winsnap::tools
