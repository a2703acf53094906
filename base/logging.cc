// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "base/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
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
    auto t = std::chrono::system_clock::to_time_t(msg.time);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  msg.time.time_since_epoch())
                  .count() %
              1000000;
    struct tm tm;
    gmtime_r(&t, &tm);
    char ts[40];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string line = "{\"time\":\"";
    line += ts;
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(us));
    line += frac;
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
