// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/backup_stream.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "unpack/layer_path.h"

namespace winsnap::unpack {
namespace {

void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v & 0xff));
  s->push_back(static_cast<char>(v >> 8));
}
void Put32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}
void Put64(std::string* s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t Get32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t Get64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

bool IsDriveLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

StatusOr<std::string> Utf8ToUtf16Le(std::string_view s) {
  if (!IsValidUtf8(s)) return InvalidArgumentError("name is not valid UTF-8");
  std::string out;
  out.reserve(s.size() * 2);
  for (size_t i = 0; i < s.size();) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if (c < 0xE0) {
      cp = c & 0x1F;
      n = 2;
    } else if (c < 0xF0) {
      cp = c & 0x0F;
      n = 3;
    } else {
      cp = c & 0x07;
      n = 4;
    }
    for (size_t k = 1; k < n; ++k)
      cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      Put16(&out, static_cast<uint16_t>(0xD800 + (cp >> 10)));
      Put16(&out, static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      Put16(&out, static_cast<uint16_t>(cp));
    }
  }
  return out;
}

StatusOr<std::string> Utf16LeToUtf8(std::string_view s) {
  if (s.size() % 2) return InvalidArgumentError("UTF-16 text of odd length");
  std::string out;
  auto unit = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(s[i])) |
           (static_cast<uint32_t>(static_cast<uint8_t>(s[i + 1])) << 8);
  };
  for (size_t i = 0; i < s.size(); i += 2) {
    uint32_t cp = unit(i);
    if (cp >= 0xD800 && cp < 0xDC00) {
      if (i + 2 >= s.size() || unit(i + 2) < 0xDC00 || unit(i + 2) >= 0xE000)
        return InvalidArgumentError("unpaired UTF-16 surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (unit(i + 2) - 0xDC00);
      i += 2;
    } else if (cp >= 0xDC00 && cp < 0xE000) {
      return InvalidArgumentError("unpaired UTF-16 surrogate");
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

StatusOr<std::string> EncodeStreamHeader(BackupStreamId id, int64_t size,
                                         std::string_view name,
                                         uint32_t attributes) {
  if (size < 0) return InvalidArgumentError("negative backup stream size");
  WINSNAP_ASSIGN_OR_RETURN(std::string name16, Utf8ToUtf16Le(name));
  std::string out;
  out.reserve(kStreamHeaderBytes + name16.size());
  Put32(&out, static_cast<uint32_t>(id));
  Put32(&out, attributes);
  Put64(&out, static_cast<uint64_t>(size));
  Put32(&out, static_cast<uint32_t>(name16.size()));
  out += name16;
  return out;
}

StatusOr<std::string> EncodeExtendedAttributes(
    const std::vector<std::pair<std::string, std::string>>& eas) {
  std::string out;
  for (size_t i = 0; i < eas.size(); ++i) {
    const auto& [name, value] = eas[i];
    if (name.empty() || name.size() > 255 ||
        name.find('\0') != std::string::npos)
      return InvalidArgumentError("extended attribute name \"" + name +
                                  "\" is empty, too long or has NUL");
    if (value.size() > 65535)
      return InvalidArgumentError("extended attribute \"" + name +
                                  "\" is longer than 65535 bytes");
    const size_t entry = 8 + name.size() + 1 + value.size();
    const bool last = i + 1 == eas.size();
    const size_t padded = last ? entry : (entry + 3) & ~size_t{3};
    Put32(&out, last ? 0 : static_cast<uint32_t>(padded));
    out.push_back('\0');  // Flags: not preserved by tar (hcsshim-facts §1.2)
    out.push_back(static_cast<char>(name.size()));
    Put16(&out, static_cast<uint16_t>(value.size()));
    out += name;
    out.push_back('\0');
    out += value;
    out.append(padded - entry, '\0');
  }
  return out;
}

StatusOr<std::string> EncodeReparsePoint(std::string_view target,
                                         bool mount_point) {
  std::string nt;
  bool relative = false;
  if (target.substr(0, 4) == "\\\\?\\") {
    nt = "\\??\\" + std::string(target.substr(4));
  } else if (target.substr(0, 2) == "\\\\") {
    nt = "\\??\\UNC\\" + std::string(target.substr(2));
  } else if (target.size() >= 2 && IsDriveLetter(target[0]) &&
             target[1] == ':') {
    nt = "\\??\\" + std::string(target);
  } else {
    nt = std::string(target);
    relative = true;
  }
  WINSNAP_ASSIGN_OR_RETURN(std::string print16, Utf8ToUtf16Le(target));
  WINSNAP_ASSIGN_OR_RETURN(std::string nt16, Utf8ToUtf16Le(nt));
  // Both names are NUL-terminated although their lengths exclude the NUL.
  const size_t names = nt16.size() + 2 + print16.size() + 2;
  const size_t data_len = 8 + names + (mount_point ? 0 : 4);
  if (data_len > 0xFFFF)
    return InvalidArgumentError("link target is too long for a reparse point");
  std::string out;
  Put32(&out, mount_point ? kReparseTagMountPoint : kReparseTagSymlink);
  Put16(&out, static_cast<uint16_t>(data_len));
  Put16(&out, 0);  // Reserved
  Put16(&out, 0);  // SubstituteNameOffset
  Put16(&out, static_cast<uint16_t>(nt16.size()));
  Put16(&out, static_cast<uint16_t>(nt16.size() + 2));  // PrintNameOffset
  Put16(&out, static_cast<uint16_t>(print16.size()));
  if (!mount_point) Put32(&out, relative ? 1 : 0);  // SYMLINK_FLAG_RELATIVE
  out += nt16;
  out.append(2, '\0');
  out += print16;
  out.append(2, '\0');
  return out;
}

StatusOr<std::vector<std::pair<std::string, std::string>>>
DecodeExtendedAttributes(std::string_view data) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 8) return DataLossError("truncated EA entry");
    const char* p = data.data() + pos;
    const uint32_t next = Get32(p);
    const size_t name_len = static_cast<uint8_t>(p[5]);
    const size_t value_len =
        static_cast<uint8_t>(p[6]) |
        (static_cast<size_t>(static_cast<uint8_t>(p[7])) << 8);
    if (8 + name_len + 1 + value_len > data.size() - pos)
      return DataLossError("EA entry overruns its buffer");
    out.emplace_back(std::string(p + 8, name_len),
                     std::string(p + 8 + name_len + 1, value_len));
    if (next == 0) break;
    if (next < 8 + name_len + 1 + value_len || next > data.size() - pos)
      return DataLossError("bad EA NextEntryOffset");
    pos += next;
  }
  return out;
}

StatusOr<ReparsePoint> DecodeReparsePoint(std::string_view d) {
  if (d.size() < 16) return DataLossError("truncated reparse data");
  const uint32_t tag = Get32(d.data());
  auto u16 = [&](size_t off) {
    return static_cast<size_t>(static_cast<uint8_t>(d[off])) |
           (static_cast<size_t>(static_cast<uint8_t>(d[off + 1])) << 8);
  };
  ReparsePoint rp;
  size_t base;
  if (tag == kReparseTagSymlink) {
    base = 20;
  } else if (tag == kReparseTagMountPoint) {
    base = 16;
    rp.mount_point = true;
  } else {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", tag);
    return UnimplementedError(std::string("reparse tag ") + buf +
                              " is neither a symlink nor a junction");
  }
  if (d.size() < base) return DataLossError("truncated reparse data");
  const size_t sub_off = u16(8), sub_len = u16(10);
  const size_t print_off = u16(12), print_len = u16(14);
  auto name = [&](size_t off, size_t len) -> StatusOr<std::string> {
    if (base + off + len > d.size())
      return DataLossError("reparse name overruns its buffer");
    return Utf16LeToUtf8(d.substr(base + off, len));
  };
  if (print_len > 0) {
    WINSNAP_ASSIGN_OR_RETURN(rp.target, name(print_off, print_len));
  } else {
    WINSNAP_ASSIGN_OR_RETURN(rp.target, name(sub_off, sub_len));
    if (rp.target.rfind("\\??\\", 0) == 0) rp.target = rp.target.substr(4);
  }
  return rp;
}

Status BackupStreamDecoder::Feed(std::span<const uint8_t> bytes) {
  const char* p = reinterpret_cast<const char*>(bytes.data());
  size_t n = bytes.size();
  while (n > 0) {
    if (in_data_) {
      size_t take =
          static_cast<size_t>(std::min<int64_t>(data_left_, int64_t(n)));
      WINSNAP_RETURN_IF_ERROR(v_->OnData(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(p), take)));
      p += take;
      n -= take;
      data_left_ -= static_cast<int64_t>(take);
      if (data_left_ == 0) in_data_ = false;
      continue;
    }
    size_t want = head_.size() < kStreamHeaderBytes
                      ? kStreamHeaderBytes - head_.size()
                      : kStreamHeaderBytes + name_bytes_ - head_.size();
    size_t take = std::min(want, n);
    head_.append(p, take);
    p += take;
    n -= take;
    if (head_.size() == kStreamHeaderBytes) {
      name_bytes_ = Get32(head_.data() + 16);
      if (name_bytes_ > 65536)
        return DataLossError("backup stream name of " +
                             std::to_string(name_bytes_) + " bytes");
      if (static_cast<int64_t>(Get64(head_.data() + 8)) < 0)
        return DataLossError("backup stream with a negative size");
    }
    if (head_.size() >= kStreamHeaderBytes &&
        head_.size() == kStreamHeaderBytes + name_bytes_) {
      Header h;
      h.id = static_cast<BackupStreamId>(Get32(head_.data()));
      h.attributes = Get32(head_.data() + 4);
      h.size = static_cast<int64_t>(Get64(head_.data() + 8));
      auto name = Utf16LeToUtf8(head_.substr(kStreamHeaderBytes));
      if (!name.ok())
        return DataLossError("backup stream name: " + name.status().message());
      h.name = std::move(*name);
      head_.clear();
      name_bytes_ = 0;
      WINSNAP_RETURN_IF_ERROR(v_->OnHeader(h));
      data_left_ = h.size;
      in_data_ = h.size > 0;
    }
  }
  return OkStatus();
}

Status BackupStreamDecoder::Finish() {
  if (in_data_ || !head_.empty())
    return DataLossError("backup stream ends inside a stream");
  return OkStatus();
}

}  // namespace winsnap::unpack
