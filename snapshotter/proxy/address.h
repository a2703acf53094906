// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// ParseServeAddress: the listening address of `snapctl serve`, portable (no
// OS calls), so Linux tests cover the Windows spellings too:
//   unix socket   "/abs/path.sock" or "unix:///abs/path.sock"
//   named pipe    "\\.\pipe\<name>", "//./pipe/<name>" (slashes are read as
//                 backslashes) and either after "npipe://", as containerd
//                 1.7.12+ and docker write them ("npipe:////./pipe/name"),
//                 and the URL form "npipe://./pipe/<name>".
// A pipe name is 1..256 characters without '\' or '/'; the result is always
// the canonical "\\.\pipe\<name>" (containerd-facts.md §3 "Dialing";
// WINDOWS.md "containerd on Windows").
//
// Thread-safety: a pure function.

#ifndef WINSNAP_SNAPSHOTTER_PROXY_ADDRESS_H_
#define WINSNAP_SNAPSHOTTER_PROXY_ADDRESS_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace winsnap::proxy {

inline constexpr size_t kMaxPipeNameChars = 256;
// `snapctl serve`'s address on Windows (containerd's config names it as
// address = "\\\\.\\pipe\\winsnap").
inline constexpr char kDefaultPipeAddress[] = "\\\\.\\pipe\\winsnap";

struct ServeAddress {
  enum class Kind { kUnix, kPipe };
  Kind kind = Kind::kUnix;
  // kUnix: the absolute socket path; kPipe: "\\.\pipe\<name>".
  std::string path;
};

// InvalidArgument (one line naming the address and the accepted forms) for
// anything else, e.g. a relative path, "tcp://…" or an empty pipe name.
StatusOr<ServeAddress> ParseServeAddress(std::string_view address);

}  // namespace winsnap::proxy

#endif  // WINSNAP_SNAPSHOTTER_PROXY_ADDRESS_H_
