// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Windows command lines. A Windows process receives one string, not an argv;
// the C runtime (and CommandLineToArgvW) split it back with the backslash and
// quote rules of Microsoft's "Parsing C command-line arguments". hcsshim builds
// ProcessParameters.CommandLine from OCI process.args by escaping each argument
// with Go's windows.EscapeArg and joining with spaces (hcsshim-facts.md §3.4,
// HS internal/cmd/cmd.go); EscapeArg/JoinCommandLine below follow the same
// rules, and SplitCommandLine is their inverse (used by the Linux backend to
// recover argv from an HCS document, and by tests to prove round trips).
//
// Thread-safety: pure functions; safe to call concurrently.

#ifndef WINSNAP_HCS_COMMAND_LINE_H_
#define WINSNAP_HCS_COMMAND_LINE_H_

#include <string>
#include <string_view>
#include <vector>

namespace winsnap::hcs {

// Escapes one argument so SplitCommandLine returns it unchanged:
//   ""            -> "\"\""            (an empty argument must be quoted)
//   no space, tab, quote or backslash -> unchanged
//   otherwise quotes are escaped as \" and the backslashes right before a
//   quote are doubled; the argument is wrapped in quotes iff it contains a
//   space or tab, and then its trailing backslashes are doubled too so the
//   closing quote stays a quote.
std::string EscapeArg(std::string_view arg);

// EscapeArg of each argument, joined with single spaces.
std::string JoinCommandLine(const std::vector<std::string>& args);

// Splits a command line with the documented C runtime rules: arguments are
// separated by unquoted spaces/tabs; 2n backslashes before a quote give n
// backslashes and the quote opens/closes a quoted region; 2n+1 backslashes
// before a quote give n backslashes and a literal quote; backslashes not
// followed by a quote are literal; inside a quoted region "" is a literal
// quote. Unlike CommandLineToArgvW, argv[0] gets the same rules as the rest
// (they only differ for program names containing quotes, which Windows does
// not allow).
std::vector<std::string> SplitCommandLine(std::string_view command_line);

}  // namespace winsnap::hcs

#endif  // WINSNAP_HCS_COMMAND_LINE_H_
