// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Process-wide logging setup on spdlog. Modules log through spdlog's default
// logger; tools call InitLogging once at start-up, before any thread starts.

#ifndef WINSNAP_BASE_LOGGING_H_
#define WINSNAP_BASE_LOGGING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace winsnap::base {

// Sends logs to stderr at "level" (trace, debug, info, warn, error, off).
// With json=true each line is one JSON object (structured logs for services).
// InvalidArgument for an unknown level.
Status InitLogging(std::string_view level, bool json = false);

// "YYYY-MM-DDTHH:MM:SS" in UTC for seconds since the Unix epoch (negative
// values are before 1970), from std::chrono: portable, no gmtime_r.
std::string UtcDateTime(int64_t unix_seconds);

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_LOGGING_H_
