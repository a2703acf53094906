// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/tar_writer.h"

#include <cstring>

#include "unpack/fd_write.h"

namespace winsnap::unpack {
namespace {

constexpr size_t kBlock = 512;

bool FitsOctal(int64_t v, size_t field_len) {
  if (v < 0) return false;
  // field_len - 1 octal digits plus NUL.
  const int bits = static_cast<int>(3 * (field_len - 1));
  return bits >= 63 || v < (int64_t{1} << bits);
}

void PutOctal(char* dst, size_t len, int64_t v) {
  std::memset(dst, '0', len - 1);
  dst[len - 1] = '\0';
  for (size_t i = len - 1; i-- > 0 && v > 0; v >>= 3)
    dst[i] = static_cast<char>('0' + (v & 7));
}

void PutString(char* dst, size_t len, const std::string& s) {
  std::memcpy(dst, s.data(), std::min(len, s.size()));
}

bool IsPlainAscii(const std::string& s) {
  for (unsigned char c : s)
    if (c == 0 || c >= 0x80) return false;
  return true;
}

void FinishHeader(char* b) {
  std::memset(b + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += static_cast<unsigned char>(b[i]);
  PutOctal(b + 148, 7, sum);
  b[155] = ' ';
}

}  // namespace

Status FdSink::Write(const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  if (buf_.size() + n > buf_.capacity()) WINSNAP_RETURN_IF_ERROR(Flush());
  if (n >= buf_.capacity()) {
    WINSNAP_RETURN_IF_ERROR(WriteAllToFd(fd_, p, n));
    bytes_ += static_cast<int64_t>(n);
    return OkStatus();
  }
  buf_.insert(buf_.end(), p, p + n);
  return OkStatus();
}

Status FdSink::Flush() {
  WINSNAP_RETURN_IF_ERROR(WriteAllToFd(fd_, buf_.data(), buf_.size()));
  bytes_ += static_cast<int64_t>(buf_.size());
  buf_.clear();
  return OkStatus();
}

std::string PaxRecord(const std::string& key, const std::string& value) {
  // The length counts its own digits: grow until stable.
  size_t body = 1 + key.size() + 1 + value.size() + 1;  // " k=v\n"
  size_t len = body + 1;
  for (;;) {
    size_t next = body + std::to_string(len).size();
    if (next == len) break;
    len = next;
  }
  return std::to_string(len) + " " + key + "=" + value + "\n";
}

Status TarWriter::Pad() {
  static const char kZeros[kBlock] = {};
  size_t pad = (kBlock - written_in_entry_ % kBlock) % kBlock;
  if (pad) WINSNAP_RETURN_IF_ERROR(sink_->Write(kZeros, pad));
  written_in_entry_ = 0;
  return OkStatus();
}

Status TarWriter::WriteHeader(const TarHeader& h) {
  if (closed_) return FailedPreconditionError("tar writer is closed");
  if (remaining_ != 0)
    return FailedPreconditionError("previous tar entry is missing " +
                                   std::to_string(remaining_) + " data bytes");
  WINSNAP_RETURN_IF_ERROR(Pad());
  const int64_t size = h.IsRegular() ? h.size : 0;

  std::string pax;
  auto has = [&](const char* k) { return h.FindPax(k) != nullptr; };
  const bool name_in_pax = h.name.size() > 100 || !IsPlainAscii(h.name);
  const bool link_in_pax = h.linkname.size() > 100 || !IsPlainAscii(h.linkname);
  if (name_in_pax) pax += PaxRecord("path", h.name);
  if (link_in_pax) pax += PaxRecord("linkpath", h.linkname);
  if (!FitsOctal(size, 12)) pax += PaxRecord("size", std::to_string(size));
  if (!FitsOctal(h.uid, 8) && !has("uid"))
    pax += PaxRecord("uid", std::to_string(h.uid));
  if (!FitsOctal(h.gid, 8) && !has("gid"))
    pax += PaxRecord("gid", std::to_string(h.gid));
  if (!FitsOctal(h.mtime, 12) && !has("mtime"))
    pax += PaxRecord("mtime", std::to_string(h.mtime));
  for (const auto& [k, v] : h.pax) pax += PaxRecord(k, v);

  char b[kBlock];
  if (!pax.empty()) {
    std::memset(b, 0, sizeof b);
    std::string base = h.name.substr(
        h.name.rfind('/') == std::string::npos ? 0 : h.name.rfind('/') + 1);
    std::string xname = "PaxHeaders.0/" + base;
    if (xname.size() > 100 || !IsPlainAscii(xname)) xname = "PaxHeaders.0/x";
    PutString(b, 100, xname);
    PutOctal(b + 100, 8, 0644);
    PutOctal(b + 108, 8, 0);
    PutOctal(b + 116, 8, 0);
    PutOctal(b + 124, 12, static_cast<int64_t>(pax.size()));
    PutOctal(b + 136, 12, 0);
    b[156] = 'x';
    std::memcpy(b + 257,
                "ustar\0"
                "00",
                8);
    FinishHeader(b);
    WINSNAP_RETURN_IF_ERROR(sink_->Write(b, kBlock));
    WINSNAP_RETURN_IF_ERROR(sink_->Write(pax.data(), pax.size()));
    written_in_entry_ = static_cast<int64_t>(pax.size());
    WINSNAP_RETURN_IF_ERROR(Pad());
  }

  std::memset(b, 0, sizeof b);
  PutString(b, 100, name_in_pax ? h.name.substr(0, 100) : h.name);
  if (name_in_pax) {
    // Keep the ustar field ASCII so naive readers see something sane.
    for (size_t i = 0; i < 100; ++i)
      if (static_cast<unsigned char>(b[i]) >= 0x80) b[i] = '_';
  }
  PutOctal(b + 100, 8, h.mode & 07777777);
  PutOctal(b + 108, 8, FitsOctal(h.uid, 8) ? h.uid : 0);
  PutOctal(b + 116, 8, FitsOctal(h.gid, 8) ? h.gid : 0);
  PutOctal(b + 124, 12, FitsOctal(size, 12) ? size : 0);
  PutOctal(b + 136, 12, FitsOctal(h.mtime, 12) ? h.mtime : 0);
  b[156] = h.typeflag == kTypeRegA ? kTypeReg : h.typeflag;
  // With the target in PAX, the ustar field still gets its first bytes:
  // libarchive only applies a PAX linkpath to an entry whose ustar linkname
  // is non-empty (else it reads it as a hard link target).
  PutString(b + 157, 100, h.linkname.substr(0, 100));
  if (link_in_pax) {
    for (size_t i = 157; i < 257; ++i)
      if (static_cast<unsigned char>(b[i]) >= 0x80) b[i] = '_';
  }
  std::memcpy(b + 257,
              "ustar\0"
              "00",
              8);
  if (IsPlainAscii(h.uname)) PutString(b + 265, 32, h.uname);
  if (IsPlainAscii(h.gname)) PutString(b + 297, 32, h.gname);
  PutOctal(b + 329, 8, FitsOctal(h.devmajor, 8) ? h.devmajor : 0);
  PutOctal(b + 337, 8, FitsOctal(h.devminor, 8) ? h.devminor : 0);
  FinishHeader(b);
  WINSNAP_RETURN_IF_ERROR(sink_->Write(b, kBlock));
  remaining_ = size;
  written_in_entry_ = 0;
  return OkStatus();
}

Status TarWriter::WriteData(const void* data, size_t n) {
  if (static_cast<int64_t>(n) > remaining_)
    return FailedPreconditionError("tar entry data exceeds its declared size");
  WINSNAP_RETURN_IF_ERROR(sink_->Write(data, n));
  remaining_ -= static_cast<int64_t>(n);
  written_in_entry_ += static_cast<int64_t>(n);
  return OkStatus();
}

Status TarWriter::Close() {
  if (closed_) return OkStatus();
  if (remaining_ != 0)
    return FailedPreconditionError("last tar entry is missing data bytes");
  WINSNAP_RETURN_IF_ERROR(Pad());
  static const char kZeros[2 * kBlock] = {};
  WINSNAP_RETURN_IF_ERROR(sink_->Write(kZeros, sizeof kZeros));
  closed_ = true;
  return OkStatus();
}

}  // namespace winsnap::unpack
