// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/backup_tar.h"

#include <algorithm>

#include "base/base64.h"

namespace winsnap::unpack {
namespace {

constexpr int64_t kFiletimeUnixEpoch = 116444736000000000;
constexpr int64_t kMaxMetadataStream = 1 << 20;  // SD, EAs, reparse data
constexpr int64_t kModeDir = 040000, kModeReg = 0100000, kModeLink = 0120000;

void FiletimeToUnix(int64_t ft, int64_t* secs, int32_t* nsec) {
  int64_t t = ft - kFiletimeUnixEpoch;  // 100 ns units since 1970
  int64_t s = t / 10000000, r = t % 10000000;
  if (r < 0) {
    r += 10000000;
    s -= 1;
  }
  *secs = s;
  *nsec = static_cast<int32_t>(r * 100);
}

}  // namespace

std::string FiletimeToPaxTime(int64_t filetime) {
  int64_t secs;
  int32_t nsec;
  FiletimeToUnix(filetime, &secs, &nsec);
  if (nsec == 0) return std::to_string(secs);
  // Negative times with a fraction: "-1.5" is 1.5 s before the epoch (Go's
  // formatPAXTime, and ParsePaxTime's reading).
  std::string out;
  if (secs < 0) {
    out = "-" + std::to_string(-(secs + 1));
    nsec = 1000000000 - nsec;
  } else {
    out = std::to_string(secs);
  }
  {
    std::string frac = std::to_string(nsec);
    frac.insert(0, 9 - frac.size(), '0');
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out;
}

BackupTarEncoder::BackupTarEncoder(TarWriter* w, std::string name,
                                   const FileBasicInfo& info)
    : w_(w), decoder_(this) {
  h_.name = std::move(name);
  h_.typeflag = kTypeReg;
  h_.mode = 0;
  int32_t nsec;
  FiletimeToUnix(info.last_write_time, &h_.mtime, &nsec);
  auto add = [&](std::string k, std::string v) {
    h_.pax.emplace_back(std::move(k), std::move(v));
  };
  add(std::string(kPaxFileAttr), std::to_string(info.file_attributes));
  add(std::string(kPaxCreationTime), FiletimeToPaxTime(info.creation_time));
  if (nsec) add("mtime", FiletimeToPaxTime(info.last_write_time));
  if (info.last_access_time)
    add("atime", FiletimeToPaxTime(info.last_access_time));
  if (info.change_time) add("ctime", FiletimeToPaxTime(info.change_time));
  if (info.file_attributes & kFileAttributeDirectory) {
    h_.typeflag = kTypeDir;
    h_.mode = kModeDir;
  }
}

Status BackupTarEncoder::WriteMainHeader(int64_t size) {
  if (header_written_) return OkStatus();
  header_written_ = true;
  if (h_.typeflag == kTypeReg) {
    h_.size = size;
    h_.mode |= kModeReg;
  }
  std::sort(h_.pax.begin(), h_.pax.end());
  return w_->WriteHeader(h_);
}

Status BackupTarEncoder::EndCollected() {
  const std::string v = std::move(collected_);
  collected_.clear();
  switch (collecting_) {
    case BackupStreamId::kSecurityData:
      h_.pax.emplace_back(std::string(kPaxRawSd), base::Base64Encode(v));
      return OkStatus();
    case BackupStreamId::kEaData: {
      WINSNAP_ASSIGN_OR_RETURN(auto eas, DecodeExtendedAttributes(v));
      for (auto& [n, val] : eas)
        h_.pax.emplace_back(std::string(kPaxXattrPrefix) + n,
                            base::Base64Encode(val));
      return OkStatus();
    }
    case BackupStreamId::kReparseData: {
      WINSNAP_ASSIGN_OR_RETURN(ReparsePoint rp, DecodeReparsePoint(v));
      h_.typeflag = kTypeSymlink;
      h_.mode = kModeLink;
      h_.linkname = rp.target;
      if (rp.mount_point) h_.pax.emplace_back(std::string(kPaxMountPoint), "1");
      return OkStatus();
    }
    default:
      return OkStatus();
  }
}

Status BackupTarEncoder::OnHeader(const BackupStreamDecoder::Header& s) {
  if (sink_ == Sink::kCollect && collect_left_ > 0)
    return DataLossError(h_.name + ": stream header inside a stream");
  sink_ = Sink::kNone;
  switch (s.id) {
    case BackupStreamId::kSecurityData:
    case BackupStreamId::kEaData:
    case BackupStreamId::kReparseData:
      if (header_written_)
        return DataLossError(h_.name +
                             ": metadata stream after the data stream");
      if (s.size > kMaxMetadataStream)
        return DataLossError(h_.name + ": metadata stream of " +
                             std::to_string(s.size) + " bytes");
      sink_ = Sink::kCollect;
      collecting_ = s.id;
      collect_left_ = s.size;
      if (s.size == 0) return EndCollected();
      return OkStatus();
    case BackupStreamId::kData:
      if (s.attributes & kStreamSparseAttribute)
        return UnimplementedError(h_.name + ": sparse data stream");
      if (h_.typeflag != kTypeReg) {
        sink_ = Sink::kDrop;  // directories and links carry no data
        return OkStatus();
      }
      WINSNAP_RETURN_IF_ERROR(WriteMainHeader(s.size));
      sink_ = Sink::kData;
      return OkStatus();
    case BackupStreamId::kAlternateData: {
      if (s.attributes & kStreamSparseAttribute)
        return UnimplementedError(h_.name + ": sparse alternate data stream");
      WINSNAP_RETURN_IF_ERROR(WriteMainHeader(0));
      std::string stream = s.name;
      const std::string suffix = ":$DATA";
      if (stream.size() > suffix.size() &&
          stream.compare(stream.size() - suffix.size(), suffix.size(),
                         suffix) == 0)
        stream.resize(stream.size() - suffix.size());
      TarHeader a;
      a.name = h_.name + stream;
      a.typeflag = kTypeReg;
      a.mode = h_.mode;
      a.mtime = h_.mtime;
      a.size = s.size;
      WINSNAP_RETURN_IF_ERROR(w_->WriteHeader(a));
      sink_ = Sink::kData;
      return OkStatus();
    }
    case BackupStreamId::kSparseBlock:
      return UnimplementedError(h_.name + ": sparse file");
    default:
      sink_ = Sink::kDrop;  // link, property, object id, TxF: not exported
      return OkStatus();
  }
}

Status BackupTarEncoder::OnData(std::span<const uint8_t> d) {
  switch (sink_) {
    case Sink::kCollect:
      collected_.append(reinterpret_cast<const char*>(d.data()), d.size());
      collect_left_ -= static_cast<int64_t>(d.size());
      if (collect_left_ == 0) {
        sink_ = Sink::kNone;
        return EndCollected();
      }
      return OkStatus();
    case Sink::kData:
      return w_->WriteData(d.data(), d.size());
    default:
      return OkStatus();
  }
}

Status BackupTarEncoder::Finish() {
  WINSNAP_RETURN_IF_ERROR(decoder_.Finish());
  return WriteMainHeader(0);
}

}  // namespace winsnap::unpack
