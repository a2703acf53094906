// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

namespace winsnap::base {

Status InitLogging(std::string_view level, bool json) {
  std::string l(level);
  if (l == "warning") l = "warn";
  auto lvl = spdlog::level::from_str(l);
  if (lvl == spdlog::level::off && l != "off") {
    return InvalidArgumentError(
        "unknown log level \"" + std::string(level) +
        "\" (want trace, debug, info, warn, error or off)");
  }
  auto logger = spdlog::stderr_color_mt("winsnap");
  spdlog::set_default_logger(logger);
  spdlog::set_level(lvl);
  if (json) {
    spdlog::set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,"msg":"%v"})",
        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  return OkStatus();
}

}  // namespace winsnap::base
