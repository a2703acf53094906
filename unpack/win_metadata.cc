// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/win_metadata.h"

#include <charconv>
#include <limits>

#include "base/base64.h"

namespace winsnap::unpack {
namespace {

// 100 ns intervals between 1601-01-01 and 1970-01-01.
constexpr int64_t kFiletimeUnixEpoch = 116444736000000000;

Status Bad(const TarHeader& h, std::string_view key, std::string why) {
  return InvalidArgumentError("layer entry \"" + h.name +
                              "\": " + std::string(key) + " " + why);
}

std::string Quote(std::string_view v) {
  std::string s(v.substr(0, 40));
  return "\"" + s + (v.size() > 40 ? "...\"" : "\"");
}

StatusOr<int64_t> PaxFiletime(const TarHeader& h, std::string_view key,
                              const std::string& v) {
  int64_t secs;
  int32_t nsec;
  if (!ParsePaxTime(v, &secs, &nsec).ok())
    return Bad(h, key, Quote(v) + " is not a PAX time");
  return UnixToFiletime(secs, nsec);
}

}  // namespace

int64_t UnixToFiletime(int64_t secs, int32_t nsec) {
  // Saturate rather than overflow for absurd archived times.
  constexpr int64_t kMaxSecs =
      (std::numeric_limits<int64_t>::max() - kFiletimeUnixEpoch) / 10000000 - 1;
  constexpr int64_t kMinSecs = -kFiletimeUnixEpoch / 10000000;
  if (secs > kMaxSecs) secs = kMaxSecs;
  if (secs < kMinSecs) return 0;
  return kFiletimeUnixEpoch + secs * 10000000 + nsec / 100;
}

StatusOr<WinEntryMetadata> ParseWinMetadata(const TarHeader& h) {
  WinEntryMetadata m;
  bool have_attr = false, have_creation = false, have_mtime = false;
  for (const auto& [k, v] : h.pax) {
    if (k == kPaxFileAttr) {
      uint32_t attr = 0;
      auto r = std::from_chars(v.data(), v.data() + v.size(), attr, 10);
      if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size())
        return Bad(h, k, Quote(v) + " is not a decimal 32-bit number");
      m.basic.file_attributes = attr;
      have_attr = true;
    } else if (k == kPaxRawSd) {
      auto sd = base::Base64Decode(v);
      if (!sd.ok()) return Bad(h, k, "is not base64");
      if (sd->empty()) return Bad(h, k, "is empty");
      m.raw_sd = std::move(*sd);
    } else if (k == kPaxSddl) {
      m.sddl = v;
    } else if (k == kPaxMountPoint) {
      m.mountpoint = true;
    } else if (k.size() > kPaxXattrPrefix.size() &&
               k.compare(0, kPaxXattrPrefix.size(), kPaxXattrPrefix) == 0) {
      auto val = base::Base64Decode(v);
      if (!val.ok()) return Bad(h, k, "is not base64");
      m.eas.emplace_back(k.substr(kPaxXattrPrefix.size()), std::move(*val));
    } else if (k == kPaxCreationTime) {
      WINSNAP_ASSIGN_OR_RETURN(m.basic.creation_time, PaxFiletime(h, k, v));
      have_creation = true;
    } else if (k == "mtime") {
      WINSNAP_ASSIGN_OR_RETURN(m.basic.last_write_time, PaxFiletime(h, k, v));
      have_mtime = true;
    } else if (k == "atime") {
      WINSNAP_ASSIGN_OR_RETURN(m.basic.last_access_time, PaxFiletime(h, k, v));
    } else if (k == "ctime") {
      WINSNAP_ASSIGN_OR_RETURN(m.basic.change_time, PaxFiletime(h, k, v));
    }
  }
  if (m.raw_sd) m.sddl.reset();  // rawsd wins (go-winio backuptar)
  if (!have_mtime) m.basic.last_write_time = UnixToFiletime(h.mtime, 0);
  if (!have_creation) m.basic.creation_time = m.basic.last_write_time;
  if (!have_attr && h.typeflag == kTypeDir)
    m.basic.file_attributes = kFileAttributeDirectory;
  return m;
}

Status ValidateWindowsPax(const TarHeader& h) {
  return ParseWinMetadata(h).status();
}

}  // namespace winsnap::unpack
