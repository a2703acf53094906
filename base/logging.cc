// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "base/gojson.h"

namespace winsnap::base {
namespace {

// One JSON object per line: {"time":..,"level":..,"msg":..}; the message is
// escaped, so log lines stay valid JSON whatever they contain.
class JsonStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    // UTC calendar time from std::chrono (no gmtime_r, which Windows lacks).
    namespace chr = std::chrono;
    auto day = chr::floor<chr::days>(msg.time);
    chr::year_month_day ymd{day};
    auto us = chr::duration_cast<chr::microseconds>(msg.time - day).count();
    char ts[48];
    std::snprintf(ts, sizeof ts, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                  static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()),
                  static_cast<long long>(us / 3600000000LL),
                  static_cast<long long>(us / 60000000LL % 60),
                  static_cast<long long>(us / 1000000LL % 60),
                  static_cast<long long>(us % 1000000LL));
    std::string line = "{\"time\":\"";
    line += ts;
    line += "\",\"level\":";
    auto lvl = spdlog::level::to_string_view(msg.level);
    line += GoJsonQuote(std::string_view(lvl.data(), lvl.size()));
    line += ",\"msg\":";
    line +=
        GoJsonQuote(std::string_view(msg.payload.data(), msg.payload.size()));
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

std::string UtcDateTime(int64_t unix_seconds) {
  namespace chr = std::chrono;
  chr::sys_seconds t{chr::seconds(unix_seconds)};
  auto day = chr::floor<chr::days>(t);
  chr::year_month_day ymd{day};
  chr::hh_mm_ss hms{t - day};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld",
                static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()),
                static_cast<long long>(hms.hours().count()),
                static_cast<long long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf;
}

Status InitLogging(std::string_view level, bool json) {
  std::string l(level);
  if (l == "warning") l = "warn";
  auto lvl = spdlog::level::from_str(l);
  if (lvl == spdlog::level::off && l != "off") {
    return InvalidArgumentError(
        "unknown log level \"" + std::string(level) +
        "\" (want trace, debug, info, warn, error or off)");
  }
  std::shared_ptr<spdlog::logger> logger;
  if (json) {
    logger = std::make_shared<spdlog::logger>(
        "winsnap", std::make_shared<JsonStderrSink>());
  } else {
    logger = std::make_shared<spdlog::logger>(
        "winsnap", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(lvl);
  return OkStatus();
}

}  // namespace winsnap::base
