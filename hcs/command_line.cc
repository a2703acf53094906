// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "hcs/command_line.h"

namespace winsnap::hcs {

std::string EscapeArg(std::string_view arg) {
  if (arg.empty()) return "\"\"";
  bool needs_backslash = false;
  bool has_space = false;
  for (char c : arg) {
    if (c == '"' || c == '\\') needs_backslash = true;
    if (c == ' ' || c == '\t') has_space = true;
  }
  if (!needs_backslash && !has_space) return std::string(arg);
  if (!needs_backslash) {
    // Built by append: GCC 12 -O3 misreports -Wrestrict on "\"" + s + "\"".
    std::string quoted;
    quoted.reserve(arg.size() + 2);
    quoted.push_back('"');
    quoted.append(arg);
    quoted.push_back('"');
    return quoted;
  }

  std::string out;
  out.reserve(arg.size() + 8);
  if (has_space) out.push_back('"');
  size_t slashes = 0;  // backslashes seen since the last other character
  for (char c : arg) {
    if (c == '\\') {
      ++slashes;
    } else if (c == '"') {
      // Double the pending backslashes and escape the quote itself.
      out.append(slashes + 1, '\\');
      slashes = 0;
    } else {
      slashes = 0;
    }
    out.push_back(c);
  }
  if (has_space) {
    out.append(slashes, '\\');  // keep the closing quote a quote
    out.push_back('"');
  }
  return out;
}

std::string JoinCommandLine(const std::vector<std::string>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out += EscapeArg(args[i]);
  }
  return out;
}

std::vector<std::string> SplitCommandLine(std::string_view s) {
  std::vector<std::string> args;
  size_t i = 0;
  const size_t n = s.size();
  while (true) {
    while (i < n && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= n) break;
    std::string arg;
    bool quoted = false;
    while (i < n) {
      char c = s[i];
      if (!quoted && (c == ' ' || c == '\t')) break;
      if (c == '\\') {
        size_t start = i;
        while (i < n && s[i] == '\\') ++i;
        size_t count = i - start;
        if (i < n && s[i] == '"') {
          arg.append(count / 2, '\\');
          if (count % 2 == 1) {
            arg.push_back('"');
            ++i;
          }
          // Even count: the quote is handled as a delimiter next round.
        } else {
          arg.append(count, '\\');
        }
        continue;
      }
      if (c == '"') {
        if (quoted && i + 1 < n && s[i + 1] == '"') {
          arg.push_back('"');
          i += 2;
          continue;
        }
        quoted = !quoted;
        ++i;
        continue;
      }
      arg.push_back(c);
      ++i;
    }
    args.push_back(std::move(arg));
  }
  return args;
}

}  // namespace winsnap::hcs
