// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/sidecar.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/env.h"
#include "base/unique_fd.h"
#include "unpack/layer_path.h"

namespace winsnap::unpack {
namespace {

using json = nlohmann::json;

constexpr std::pair<RecordType, std::string_view> kTypeNames[] = {
    {RecordType::kDir, "dir"},
    {RecordType::kFile, "file"},
    {RecordType::kSymlink, "symlink"},
    {RecordType::kHardlink, "hardlink"},
    {RecordType::kWhiteout, "whiteout"},
    {RecordType::kOpaque, "opaque"},
    {RecordType::kStream, "stream"},
    {RecordType::kImplicitDir, "implicit-dir"},
};

std::string Utf8OrEmpty(const std::string& s) {
  return IsValidUtf8(s) ? s : std::string();
}

template <typename T>
bool GetTo(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end()) return true;  // optional
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
    *out = it->template get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return false;
    *out = it->template get<bool>();
  } else {
    if (!it->is_number_integer()) return false;
    *out = it->template get<T>();
  }
  return true;
}

Status SyncPath(const std::string& path) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY));
  if (!fd) return ErrnoError("open", errno, path);
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync", errno, path);
  return OkStatus();
}

}  // namespace

std::string_view RecordTypeName(RecordType t) {
  for (const auto& [k, v] : kTypeNames)
    if (k == t) return v;
  return "?";
}

std::string EncodeRecord(const SidecarRecord& r) {
  json j = json::object();
  j["type"] = std::string(RecordTypeName(r.type));
  j["name"] = r.name;
  if (!r.path.empty()) j["path"] = r.path;
  if (!r.stream.empty()) j["stream"] = r.stream;
  if (!r.data.empty()) j["data"] = r.data;
  if (!r.target.empty()) j["target"] = r.target;
  j["typeflag"] = static_cast<int>(static_cast<unsigned char>(r.typeflag));
  if (r.size) j["size"] = r.size;
  j["mode"] = r.mode;
  if (r.uid) j["uid"] = r.uid;
  if (r.gid) j["gid"] = r.gid;
  if (!r.uname.empty()) j["uname"] = Utf8OrEmpty(r.uname);
  if (!r.gname.empty()) j["gname"] = Utf8OrEmpty(r.gname);
  j["mtime"] = r.mtime;
  if (!r.pax.empty()) {
    json pax = json::array();
    for (const auto& [k, v] : r.pax) {
      if (IsValidUtf8(k) && IsValidUtf8(v)) {
        pax.push_back(json::array({k, v}));
      } else {
        pax.push_back(json::array(
            {base::Base64Encode(k), base::Base64Encode(v), "base64"}));
      }
    }
    j["pax"] = std::move(pax);
  }
  if (!r.materialized) j["materialized"] = false;
  return j.dump();
}

StatusOr<SidecarRecord> DecodeRecord(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  auto bad = [&] {
    return DataLossError("malformed sidecar record: " +
                         std::string(line.substr(0, 200)));
  };
  if (!j.is_object()) return bad();
  SidecarRecord r;
  std::string type;
  int typeflag = kTypeReg;
  if (!GetTo(j, "type", &type) || !GetTo(j, "name", &r.name) ||
      !GetTo(j, "path", &r.path) || !GetTo(j, "stream", &r.stream) ||
      !GetTo(j, "data", &r.data) || !GetTo(j, "target", &r.target) ||
      !GetTo(j, "typeflag", &typeflag) || !GetTo(j, "size", &r.size) ||
      !GetTo(j, "mode", &r.mode) || !GetTo(j, "uid", &r.uid) ||
      !GetTo(j, "gid", &r.gid) || !GetTo(j, "uname", &r.uname) ||
      !GetTo(j, "gname", &r.gname) || !GetTo(j, "mtime", &r.mtime) ||
      !GetTo(j, "materialized", &r.materialized))
    return bad();
  r.typeflag = static_cast<char>(typeflag);
  bool known = false;
  for (const auto& [k, v] : kTypeNames) {
    if (v == type) {
      r.type = k;
      known = true;
    }
  }
  if (!known) return bad();
  if (auto it = j.find("pax"); it != j.end()) {
    if (!it->is_array()) return bad();
    for (const auto& rec : *it) {
      if (!rec.is_array() || rec.size() < 2 || !rec[0].is_string() ||
          !rec[1].is_string())
        return bad();
      std::string k = rec[0].get<std::string>(), v = rec[1].get<std::string>();
      if (rec.size() == 3) {
        auto dk = base::Base64Decode(k), dv = base::Base64Decode(v);
        if (!dk.ok() || !dv.ok()) return bad();
        k = *dk;
        v = *dv;
      }
      r.pax.emplace_back(std::move(k), std::move(v));
    }
  }
  return r;
}

SidecarWriter& SidecarWriter::operator=(SidecarWriter&& o) noexcept {
  if (this != &o) {
    if (f_) std::fclose(f_);
    dir_ = std::move(o.dir_);
    f_ = o.f_;
    o.f_ = nullptr;
  }
  return *this;
}

SidecarWriter::~SidecarWriter() {
  if (f_) std::fclose(f_);
}

StatusOr<SidecarWriter> SidecarWriter::Create(const std::string& layer_dir) {
  SidecarWriter w;
  w.dir_ = base::JoinPath(layer_dir, kSidecarDir);
  if (::mkdir(w.dir_.c_str(), 0700) != 0 && errno != EEXIST)
    return ErrnoError("mkdir", errno, w.dir_);
  std::string tmp = base::JoinPath(layer_dir, kSidecarFile) + ".tmp";
  w.f_ = std::fopen(tmp.c_str(), "we");
  if (!w.f_) return ErrnoError("fopen", errno, tmp);
  std::setvbuf(w.f_, nullptr, _IOFBF, 1 << 20);
  std::string header =
      "{\"winsnap_layer_sidecar\":" + std::to_string(kSidecarVersion) + "}\n";
  if (std::fwrite(header.data(), 1, header.size(), w.f_) != header.size())
    return ErrnoError("fwrite", errno, tmp);
  return w;
}

Status SidecarWriter::Append(const SidecarRecord& r) {
  if (!f_) return FailedPreconditionError("sidecar already committed");
  std::string line = EncodeRecord(r);
  line += '\n';
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size())
    return ErrnoError("fwrite", errno, dir_);
  return OkStatus();
}

Status SidecarWriter::Commit() {
  if (!f_) return FailedPreconditionError("sidecar already committed");
  std::string tmp = base::JoinPath(dir_, "meta.jsonl.tmp");
  std::string dst = base::JoinPath(dir_, "meta.jsonl");
  std::FILE* f = f_;
  f_ = nullptr;
  if (std::fflush(f) != 0) {
    int err = errno;
    std::fclose(f);
    return ErrnoError("fflush", err, tmp);
  }
  if (::fsync(fileno(f)) != 0) {
    int err = errno;
    std::fclose(f);
    return ErrnoError("fsync", err, tmp);
  }
  if (std::fclose(f) != 0) return ErrnoError("fclose", errno, tmp);
  if (::rename(tmp.c_str(), dst.c_str()) != 0)
    return ErrnoError("rename", errno, dst);
  return SyncPath(dir_);
}

StatusOr<std::vector<SidecarRecord>> ReadSidecar(const std::string& layer_dir) {
  std::string path = base::JoinPath(layer_dir, kSidecarFile);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return NotFoundError("no sidecar in " + layer_dir);
    return ErrnoError("open", errno, path);
  }
  std::vector<SidecarRecord> out;
  std::string line;
  if (!std::getline(in, line)) return DataLossError("empty sidecar " + path);
  json head = json::parse(line, nullptr, false);
  if (!head.is_object() || !head.contains("winsnap_layer_sidecar") ||
      head["winsnap_layer_sidecar"] != kSidecarVersion)
    return DataLossError("sidecar " + path + " has an unknown version");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    WINSNAP_ASSIGN_OR_RETURN(SidecarRecord r, DecodeRecord(line));
    out.push_back(std::move(r));
  }
  if (in.bad()) return ErrnoError("read", errno, path);
  return out;
}

}  // namespace winsnap::unpack
