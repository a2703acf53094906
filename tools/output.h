// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Output helpers shared by snapctl commands: JSON emitted the way Go's
// encoding/json emits it (so `--mounts` is byte-identical to `ctr snapshots
// prepare --mounts` and `info` to `ctr snapshots info`), a tab-aligned table
// like Go's tabwriter as ctr uses it, human sizes like ctr's, RFC 3339 times.
// Pure functions; thread-safe (PrintJson writes to std::cout).

#ifndef WINSNAP_TOOLS_OUTPUT_H_
#define WINSNAP_TOOLS_OUTPUT_H_

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/gojson.h"
#include "snapshotter/snapshotter.h"

namespace winsnap::tools {

// Writes base::GoMarshalIndent(j) and a newline to stdout, as ctr's
// commands.PrintAsJSON does.
void PrintJson(const nlohmann::ordered_json& j);

// json.MarshalIndent([]mount.Mount, "", "    ") of containerd >= 1.7 (keys
// Type, Source, Target, Options), without a trailing newline.
std::string GoIndentMounts(const std::vector<snapshotter::Mount>& mounts);

// Rows padded into columns the way text/tabwriter (minwidth 1, padding 1,
// padchar ' ') pads them: each cell but the last gets width max+1.
std::string Table(const std::vector<std::vector<std::string>>& rows);

// Go time.Time RFC3339Nano in UTC: 2026-11-22T23:12:57.123456789Z with
// trailing zeros of the fraction trimmed.
std::string Rfc3339Nano(int64_t unix_ns);

// A key or path made safe to print on a terminal, as GNU ls -b escapes
// names: backslash as \\, \a \b \t \n \v \f \r, other control bytes
// (C0, DEL, the UTF-8 forms of C1 such as U+009B CSI) and bytes that are not
// valid UTF-8 as three-digit octal (\033). Printable UTF-8 is kept. For text
// output only; --json prints the exact bytes.
std::string EscapeForTerminal(std::string_view s);

// As EscapeForTerminal, but a backslash stays one backslash: it is the
// folder separator of a Windows path (C:\ProgramData\winsnap\snapshots\2),
// which the user copies from `ls` as it is.
std::string EscapePathForTerminal(std::string_view s);

// go-units CustomSize("%02.1f %s", size, 1024, B..YiB), as `ctr snapshots
// usage` prints sizes.
std::string HumanSize(int64_t bytes);

// True when stderr is a terminal (progress bars) rather than a file or pipe
// (JSON-lines progress). terminal_posix.cc / terminal_windows.cc.
bool StderrIsTerminal();

}  // namespace winsnap::tools

#endif  // WINSNAP_TOOLS_OUTPUT_H_
