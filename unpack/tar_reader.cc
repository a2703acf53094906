// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/tar_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace winsnap::unpack {
namespace {

constexpr size_t kBlock = 512;

// ustar header field offsets and sizes.
struct Field {
  size_t off, len;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8},
    kSize{124, 12}, kMtime{136, 12}, kChksum{148, 8}, kLinkname{157, 100},
    kMagic{257, 6}, kVersion{263, 2}, kUname{265, 32}, kGname{297, 32},
    kDevmajor{329, 8}, kDevminor{337, 8}, kPrefix{345, 155};
constexpr size_t kTypeflagOff = 156;

std::string_view Raw(const uint8_t* b, Field f) {
  return std::string_view(reinterpret_cast<const char*>(b) + f.off, f.len);
}

// A NUL-terminated string inside a fixed-size field.
std::string CString(const uint8_t* b, Field f) {
  std::string_view s = Raw(b, f);
  return std::string(s.substr(0, std::min(s.find('\0'), s.size())));
}

Status Corrupt(int64_t offset, std::string what) {
  return DataLossError("corrupt tar header at offset " +
                       std::to_string(offset) + ": " + what);
}

// Octal (NUL/space padded) or base-256 (first byte 0x80 or 0xff).
StatusOr<int64_t> ParseNumeric(std::string_view f, int64_t offset,
                               const char* field) {
  if (!f.empty() && (static_cast<uint8_t>(f[0]) & 0x80)) {
    const bool neg = static_cast<uint8_t>(f[0]) == 0xff;
    if (!neg && static_cast<uint8_t>(f[0]) != 0x80)
      return Corrupt(offset, std::string("bad base-256 ") + field);
    // Two's complement over all bytes; the value must fit in int64.
    uint64_t v = 0;
    for (size_t i = 1; i < f.size(); ++i) {
      uint8_t byte = static_cast<uint8_t>(f[i]);
      if (neg) byte = static_cast<uint8_t>(~byte);
      if (v >> 56) return Corrupt(offset, std::string(field) + " overflows");
      v = (v << 8) | byte;
    }
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return Corrupt(offset, std::string(field) + " overflows");
    int64_t r = static_cast<int64_t>(v);
    return neg ? -r - 1 : r;
  }
  size_t i = 0;
  while (i < f.size() && (f[i] == ' ' || f[i] == '\0')) ++i;
  uint64_t v = 0;
  bool any = false;
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i) {
    if (v >> 60) return Corrupt(offset, std::string(field) + " overflows");
    v = v * 8 + static_cast<uint64_t>(f[i] - '0');
    any = true;
  }
  for (; i < f.size(); ++i) {
    if (f[i] != ' ' && f[i] != '\0')
      return Corrupt(offset, std::string("bad octal ") + field);
  }
  (void)any;
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return Corrupt(offset, std::string(field) + " overflows");
  return static_cast<int64_t>(v);
}

StatusOr<int64_t> ParseDecimal(std::string_view s, bool allow_negative) {
  bool neg = false;
  if (allow_negative && !s.empty() && s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 19)
    return InvalidArgumentError("bad decimal number");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return InvalidArgumentError("bad decimal number");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return InvalidArgumentError("decimal number overflows");
  return neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

bool AllZero(const uint8_t* b) {
  for (size_t i = 0; i < kBlock; ++i)
    if (b[i]) return false;
  return true;
}

bool ChecksumOk(const uint8_t* b, int64_t stored) {
  int64_t unsigned_sum = 0, signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    uint8_t c =
        (i >= kChksum.off && i < kChksum.off + kChksum.len) ? ' ' : b[i];
    unsigned_sum += c;
    signed_sum += static_cast<int8_t>(c);
  }
  return stored == unsigned_sum || stored == signed_sum;
}

}  // namespace

const std::string* TarHeader::FindPax(std::string_view key) const {
  for (const auto& [k, v] : pax)
    if (k == key) return &v;
  return nullptr;
}

StatusOr<PaxRecords> ParsePaxRecords(std::string_view body,
                                     size_t max_records) {
  PaxRecords out;
  while (!body.empty()) {
    size_t sp = body.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp > 20)
      return DataLossError("malformed PAX record length");
    auto len = ParseDecimal(body.substr(0, sp), false);
    if (!len.ok() || *len <= static_cast<int64_t>(sp) + 3 ||
        static_cast<uint64_t>(*len) > body.size())
      return DataLossError("malformed PAX record length");
    std::string_view rec = body.substr(sp + 1, *len - sp - 1);
    body.remove_prefix(*len);
    if (rec.back() != '\n') return DataLossError("PAX record without newline");
    rec.remove_suffix(1);
    size_t eq = rec.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return DataLossError("malformed PAX record");
    if (out.size() >= max_records)
      return InvalidArgumentError("too many PAX records (limit " +
                                  std::to_string(max_records) + ")");
    std::string key(rec.substr(0, eq));
    if (key.find('\0') != std::string::npos)
      return DataLossError("PAX key contains NUL");
    std::string value(rec.substr(eq + 1));
    // A later record for the same key replaces the earlier one (in place).
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const auto& kv) { return kv.first == key; });
    if (it != out.end()) {
      it->second = std::move(value);
    } else {
      out.emplace_back(std::move(key), std::move(value));
    }
  }
  return out;
}

Status ParsePaxTime(std::string_view s, int64_t* secs, int32_t* nsec) {
  std::string_view whole = s, frac;
  if (size_t dot = s.find('.'); dot != std::string_view::npos) {
    whole = s.substr(0, dot);
    frac = s.substr(dot + 1);
  }
  bool neg = !whole.empty() && whole[0] == '-';
  auto v = ParseDecimal(whole, true);
  if (!v.ok())
    return InvalidArgumentError("bad PAX time \"" + std::string(s) + "\"");
  int64_t ns = 0;
  for (size_t i = 0; i < frac.size(); ++i) {
    if (frac[i] < '0' || frac[i] > '9')
      return InvalidArgumentError("bad PAX time \"" + std::string(s) + "\"");
    if (i < 9) ns = ns * 10 + (frac[i] - '0');
  }
  for (size_t i = frac.size(); i < 9; ++i) ns *= 10;
  int64_t sec = *v;
  if (neg && ns > 0) {
    if (sec == std::numeric_limits<int64_t>::min())
      return InvalidArgumentError("PAX time overflows");
    sec -= 1;
    ns = 1000000000 - ns;
  }
  *secs = sec;
  *nsec = static_cast<int32_t>(ns);
  return OkStatus();
}

TarReader::TarReader(ChunkSource* source, TarLimits limits)
    : source_(source), limits_(limits) {}

bool TarReader::EnsureChunk(Status* s) {
  while (pos_ >= chunk_.size()) {
    if (source_eof_) return false;
    auto next = source_->Next();
    if (!next.ok()) {
      *s = next.status();
      return false;
    }
    chunk_ = *next;
    pos_ = 0;
    if (chunk_.empty()) {
      source_eof_ = true;
      return false;
    }
  }
  return true;
}

Status TarReader::ReadExact(uint8_t* dst, size_t n) {
  while (n > 0) {
    Status s;
    if (!EnsureChunk(&s)) {
      if (!s.ok()) return s;
      return DataLossError("layer stream ends inside an entry at offset " +
                           std::to_string(offset_));
    }
    size_t take = std::min(n, chunk_.size() - pos_);
    std::memcpy(dst, chunk_.data() + pos_, take);
    pos_ += take;
    offset_ += static_cast<int64_t>(take);
    dst += take;
    n -= take;
  }
  return OkStatus();
}

Status TarReader::Skip(int64_t n) {
  while (n > 0) {
    Status s;
    if (!EnsureChunk(&s)) {
      if (!s.ok()) return s;
      return DataLossError("layer stream ends inside an entry at offset " +
                           std::to_string(offset_));
    }
    size_t take = static_cast<size_t>(
        std::min<int64_t>(n, static_cast<int64_t>(chunk_.size() - pos_)));
    pos_ += take;
    offset_ += static_cast<int64_t>(take);
    n -= static_cast<int64_t>(take);
  }
  return OkStatus();
}

// Reads one 512-byte block; *eof is set (and OK returned) on a clean end of
// stream before the block's first byte.
Status TarReader::ReadBlock(uint8_t* block, bool* eof) {
  *eof = false;
  Status s;
  if (!EnsureChunk(&s)) {
    if (!s.ok()) return s;
    *eof = true;
    return OkStatus();
  }
  return ReadExact(block, kBlock);
}

Status TarReader::FinishEntry() {
  WINSNAP_RETURN_IF_ERROR(Skip(remaining_ + padding_));
  remaining_ = padding_ = 0;
  return OkStatus();
}

StatusOr<std::span<const uint8_t>> TarReader::ReadData() {
  if (remaining_ == 0) {
    WINSNAP_RETURN_IF_ERROR(FinishEntry());
    return std::span<const uint8_t>();
  }
  Status s;
  if (!EnsureChunk(&s)) {
    if (!s.ok()) return s;
    return DataLossError("layer stream ends inside an entry's data at offset " +
                         std::to_string(offset_));
  }
  size_t take = static_cast<size_t>(std::min<int64_t>(
      remaining_, static_cast<int64_t>(chunk_.size() - pos_)));
  std::span<const uint8_t> out = chunk_.subspan(pos_, take);
  pos_ += take;
  offset_ += static_cast<int64_t>(take);
  remaining_ -= static_cast<int64_t>(take);
  return out;
}

StatusOr<bool> TarReader::Next(TarHeader* h) {
  if (done_) return false;
  WINSNAP_RETURN_IF_ERROR(FinishEntry());

  PaxRecords local;
  std::string gnu_name, gnu_link;
  bool have_gnu_name = false, have_gnu_link = false;
  int meta = 0;
  uint8_t b[kBlock];
  const int64_t entry_start = offset_;
  for (;;) {
    const int64_t start = offset_;
    bool eof = false;
    WINSNAP_RETURN_IF_ERROR(ReadBlock(b, &eof));
    if (eof) {
      if (meta > 0)
        return DataLossError("layer stream ends after an extended header");
      done_ = true;
      return false;
    }
    if (AllZero(b)) {
      WINSNAP_RETURN_IF_ERROR(ReadBlock(b, &eof));
      if (!eof && !AllZero(b))
        return Corrupt(start, "a single zero block inside the archive");
      if (meta > 0)
        return DataLossError("archive ends after an extended header");
      done_ = true;
      return false;
    }
    WINSNAP_ASSIGN_OR_RETURN(int64_t chksum,
                             ParseNumeric(Raw(b, kChksum), start, "checksum"));
    if (!ChecksumOk(b, chksum)) return Corrupt(start, "checksum mismatch");

    const char type = static_cast<char>(b[kTypeflagOff]);
    WINSNAP_ASSIGN_OR_RETURN(int64_t size,
                             ParseNumeric(Raw(b, kSize), start, "size"));
    if (size < 0) return Corrupt(start, "negative size");

    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      if (++meta > limits_.max_meta_headers)
        return InvalidArgumentError(
            "too many extended headers before one entry at offset " +
            std::to_string(start));
      if (static_cast<uint64_t>(size) > limits_.max_pax_bytes) {
        return InvalidArgumentError(
            "extended header of " + std::to_string(size) + " bytes at offset " +
            std::to_string(start) + " exceeds the " +
            std::to_string(limits_.max_pax_bytes) + "-byte limit");
      }
      std::string body(static_cast<size_t>(size), '\0');
      WINSNAP_RETURN_IF_ERROR(
          ReadExact(reinterpret_cast<uint8_t*>(body.data()), body.size()));
      WINSNAP_RETURN_IF_ERROR(Skip((kBlock - size % kBlock) % kBlock));
      if (type == 'L' || type == 'K') {
        body.resize(std::min(body.find('\0'), body.size()));
        (type == 'L' ? gnu_name : gnu_link) = std::move(body);
        (type == 'L' ? have_gnu_name : have_gnu_link) = true;
        continue;
      }
      auto recs = ParsePaxRecords(body, limits_.max_pax_records);
      if (!recs.ok())
        return Status(
            recs.status().code(),
            recs.status().message() + " at offset " + std::to_string(start));
      PaxRecords& dst = type == 'g' ? global_ : local;
      for (auto& kv : *recs) {
        auto it = std::find_if(dst.begin(), dst.end(), [&](const auto& e) {
          return e.first == kv.first;
        });
        if (it != dst.end()) {
          it->second = std::move(kv.second);
        } else {
          dst.push_back(std::move(kv));
        }
      }
      continue;
    }
    if (type == 'S')
      return InvalidArgumentError("GNU sparse entry at offset " +
                                  std::to_string(start) + " is not supported");

    TarHeader out;
    out.typeflag = type;
    out.size = size;
    const bool posix = Raw(b, kMagic) == std::string_view("ustar\0", 6) &&
                       Raw(b, kVersion) == std::string_view("00", 2);
    out.name = CString(b, kName);
    if (posix) {
      std::string prefix = CString(b, kPrefix);
      if (!prefix.empty()) out.name = prefix + "/" + out.name;
    }
    out.linkname = CString(b, kLinkname);
    WINSNAP_ASSIGN_OR_RETURN(out.mode,
                             ParseNumeric(Raw(b, kMode), start, "mode"));
    WINSNAP_ASSIGN_OR_RETURN(out.uid, ParseNumeric(Raw(b, kUid), start, "uid"));
    WINSNAP_ASSIGN_OR_RETURN(out.gid, ParseNumeric(Raw(b, kGid), start, "gid"));
    WINSNAP_ASSIGN_OR_RETURN(out.mtime,
                             ParseNumeric(Raw(b, kMtime), start, "mtime"));
    out.uname = CString(b, kUname);
    out.gname = CString(b, kGname);
    if (type == kTypeChar || type == kTypeBlock) {
      WINSNAP_ASSIGN_OR_RETURN(
          out.devmajor, ParseNumeric(Raw(b, kDevmajor), start, "devmajor"));
      WINSNAP_ASSIGN_OR_RETURN(
          out.devminor, ParseNumeric(Raw(b, kDevminor), start, "devminor"));
    }
    if (have_gnu_name) out.name = std::move(gnu_name);
    if (have_gnu_link) out.linkname = std::move(gnu_link);

    // Global records first, then this entry's (which win).
    PaxRecords merged = global_;
    for (auto& kv : local) {
      auto it = std::find_if(merged.begin(), merged.end(), [&](const auto& e) {
        return e.first == kv.first;
      });
      if (it != merged.end()) {
        it->second = std::move(kv.second);
      } else {
        merged.push_back(std::move(kv));
      }
    }
    for (auto& [k, v] : merged) {
      if (k == "path") {
        out.name = v;
      } else if (k == "linkpath") {
        out.linkname = v;
      } else if (k == "size") {
        auto n = ParseDecimal(v, false);
        if (!n.ok()) return Corrupt(start, "bad PAX size");
        out.size = *n;
      } else {
        if (k.rfind("GNU.sparse.", 0) == 0)
          return InvalidArgumentError("sparse entry at offset " +
                                      std::to_string(start) +
                                      " is not supported");
        if (k == "uid" || k == "gid") {
          auto n = ParseDecimal(v, false);
          if (!n.ok()) return Corrupt(start, "bad PAX " + k);
          (k == "uid" ? out.uid : out.gid) = *n;
        } else if (k == "uname") {
          out.uname = v;
        } else if (k == "gname") {
          out.gname = v;
        } else if (k == "mtime") {
          int32_t ns;
          if (!ParsePaxTime(v, &out.mtime, &ns).ok())
            return Corrupt(start, "bad PAX mtime");
        }
        out.pax.emplace_back(k, std::move(v));
      }
    }
    out.offset = entry_start;
    if (out.name.size() > limits_.max_name_bytes ||
        out.linkname.size() > limits_.max_name_bytes) {
      return InvalidArgumentError(
          "layer entry \"" + out.name.substr(0, 100) + "...\" at offset " +
          std::to_string(entry_start) + ": name or link target longer than " +
          std::to_string(limits_.max_name_bytes) + " bytes");
    }
    if (out.name.find('\0') != std::string::npos ||
        out.linkname.find('\0') != std::string::npos)
      return InvalidArgumentError(
          "layer entry \"" + out.name.substr(0, out.name.find('\0')) +
          "\" at offset " + std::to_string(entry_start) + " contains NUL");
    // Old tars mark directories with a trailing slash on a regular type.
    if (type == kTypeRegA && !out.name.empty() && out.name.back() == '/')
      out.typeflag = kTypeDir;
    // Only regular files carry data; other types may still declare a size
    // that occupies the archive (skipped).
    remaining_ = out.size;
    padding_ = (kBlock - out.size % kBlock) % kBlock;
    *h = std::move(out);
    return true;
  }
}

Status TarReader::Drain() {
  for (;;) {
    Status s;
    if (!EnsureChunk(&s)) return s;
    offset_ += static_cast<int64_t>(chunk_.size() - pos_);
    pos_ = chunk_.size();
  }
}

}  // namespace winsnap::unpack
