// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/windows_layer_writer.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "base/thread_annotations.h"
#include "base/thread_pool.h"

#include "unpack/backup_stream.h"
#include "unpack/layer_path.h"
#include "unpack/win_metadata.h"

namespace winsnap::unpack {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr size_t kBufferBytes = 64 << 10;
// Parallel mode: a file whose streams fit in this many bytes is buffered and
// written by a worker; a larger one is written on the caller's thread.
constexpr size_t kMaxBufferedFile = 1 << 20;
// Bytes of buffered files waiting for a worker before Add blocks.
constexpr size_t kMaxInFlightBytes = 64 << 20;

// The UtilityVM boot files ociwclayer keeps pristine copies of.
const std::map<std::string, std::string>& BcdBackups() {
  static const auto* m = new std::map<std::string, std::string>{
      {"UtilityVM/Files/EFI/Microsoft/Boot/BCD", "bcd.bak"},
      {"UtilityVM/Files/EFI/Microsoft/Boot/BCD.LOG", "bcd.log.bak"},
      {"UtilityVM/Files/EFI/Microsoft/Boot/BCD.LOG1", "bcd.log1.bak"},
      {"UtilityVM/Files/EFI/Microsoft/Boot/BCD.LOG2", "bcd.log2.bak"}};
  return *m;
}

// Files the UtilityVM clone copies instead of linking (they are mutated by
// ProcessUtilityImage), relative to UtilityVM\Files.
bool IsMutatedUtilityVmFile(const std::string& rel) {
  return rel == "EFI\\Microsoft\\Boot\\BCD" ||
         rel == "EFI\\Microsoft\\Boot\\BCD.LOG" ||
         rel == "EFI\\Microsoft\\Boot\\BCD.LOG1" ||
         rel == "EFI\\Microsoft\\Boot\\BCD.LOG2";
}

std::string Backslashes(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '/', '\\');
  return out;
}

std::string Join(const std::string& root, std::string_view rel) {
  if (rel.empty()) return root;
  return root + "\\" + Backslashes(rel);
}

// "p" is strictly below "prefix" ('/'-separated normalized paths).
bool Below(std::string_view p, std::string_view prefix) {
  return p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
         p[prefix.size()] == '/';
}

Status Bad(std::string_view name, std::string_view why) {
  return InvalidArgumentError("layer entry \"" + std::string(name) +
                              "\": " + std::string(why));
}

Status Ctx(const Status& s, std::string_view name) {
  if (s.ok()) return s;
  return s.WithContext("layer entry \"" + std::string(name) + "\"");
}

Status IgnoreNotFound(const Status& s) {
  return s.code() == StatusCode::kNotFound ? OkStatus() : s;
}

struct DirInfo {
  std::string path;  // Windows path of the directory
  FileBasicInfo info;
};

// A file written by a worker: everything its CreateFile .. Close needs.
struct FileJob {
  std::string name;  // normalized tar path, for errors
  std::string path;
  CreateOptions options;
  FileBasicInfo info;
  std::string bcd_path;  // "" or the <layer>\bcd*.bak tee
  std::string bytes;
};

struct PendingLink {
  std::string link;    // Windows path in the layer
  std::string target;  // Windows path in the layer or a parent
};

class WindowsLayerWriter final : public LayerWriter {
 public:
  WindowsLayerWriter(WinLayerApi* api, std::string layer,
                     std::vector<std::string> parents, std::string temp,
                     int threads)
      : api_(api),
        layer_(std::move(layer)),
        parents_(std::move(parents)),
        temp_(std::move(temp)) {
    if (threads > 1) pool_ = std::make_unique<base::ThreadPool>(threads);
  }

  ~WindowsLayerWriter() override {
    pool_.reset();  // runs and joins what was submitted
    if (current_) current_->Close().IgnoreError();
    if (bcd_) bcd_->Close().IgnoreError();
    if (!temp_.empty()) api_->RemoveAll(temp_).IgnoreError();
    if (!succeeded_) RemoveLayerContents();
  }

  Status Add(const TarHeader& h, EntryData* data) override;
  StatusOr<LayerStats> Finish() override;
  const LayerStats& stats() const override { return stats_; }

 private:
  bool base() const { return parents_.empty(); }

  Status Emit(std::string_view bytes);
  Status Flush();
  Status WriteData(const TarHeader& h, EntryData* data);
  Status CloseCurrent();
  StatusOr<std::string> StreamPrefix(const TarHeader& h, const EntryPath& ep,
                                     const WinEntryMetadata& m);
  Status Open(const TarHeader& h, const EntryPath& ep,
              const WinEntryMetadata& m, const std::string& path,
              const CreateOptions& co, FileBasicInfo applied);
  Status AddEntry(const TarHeader& h, const EntryPath& ep, EntryData* data);
  Status AddLegacy(const TarHeader& h, const EntryPath& ep,
                   const WinEntryMetadata& m, EntryData* data);
  Status AddStream(const TarHeader& h, const EntryPath& ep, EntryData* data);
  Status AddWhiteout(const TarHeader& h, const EntryPath& ep);
  Status AddHardlink(const TarHeader& h, const EntryPath& ep);
  Status InitUtilityVm();
  Status CloneTree(const std::string& src_root, const std::string& dst_root,
                   const std::string& sub);
  StatusOr<FileBasicInfo> CopyWithMetadata(const std::string& src,
                                           const std::string& dst, bool dir);
  Status ReapplyDirectoryTimes(const std::vector<DirInfo>& dirs);
  Status ProcessUtilityVm();
  // A layer that did not finish leaves nothing: everything below the layer
  // folder is removed (a base layer is written straight into it, a delta
  // layer's UtilityVM clone and bcd*.bak too), with the API's deletion,
  // which does not follow reparse points. The folder itself is the caller's.
  void RemoveLayerContents();
  // Parallel mode.
  Status Materialize();
  Status RunJob(const FileJob& job);
  void Submit(FileJob job);
  Status Drain();
  Status JobError();

  WinLayerApi* api_;
  const std::string layer_;
  const std::vector<std::string> parents_;
  std::string temp_;  // transport folder (non-base); "" once removed
  LayerStats stats_;
  bool finished_ = false;
  bool succeeded_ = false;  // Finish() returned OK

  // The entry being written (its streams may continue with ADS entries).
  std::unique_ptr<WinFile> current_;
  std::unique_ptr<WinFile> bcd_;  // tee of the stream to <layer>\bcd*.bak
  std::string current_path_;      // normalized tar path
  FileBasicInfo current_info_;    // applied when the entry is complete
  std::string current_link_dir_;  // transport placeholder of a dir link
  std::string buf_;

  std::vector<DirInfo> dirs_;
  bool has_utility_vm_ = false;
  std::vector<std::string> tombstones_;  // Windows paths in the layer
  std::vector<PendingLink> pending_links_;
  std::vector<std::string> pending_dirs_;
  std::set<std::string> added_;  // normalized tar paths of this layer

  // Parallel mode (threads > 1): files go to workers; directories and
  // everything else stay on the caller's thread, so a file's folder always
  // exists before its job is submitted.
  std::unique_ptr<base::ThreadPool> pool_;
  bool in_entry_ = false;  // an entry is open (current_ or deferred_)
  std::unique_ptr<FileJob> deferred_;    // buffered, not yet created
  std::vector<PendingLink> base_links_;  // made after the workers drain
  base::Mutex mu_;
  base::CondVar cv_;
  size_t jobs_ GUARDED_BY(mu_) = 0;
  size_t in_flight_bytes_ GUARDED_BY(mu_) = 0;
  Status job_error_ GUARDED_BY(mu_);  // the first failure
};

Status WindowsLayerWriter::RunJob(const FileJob& job) {
  WINSNAP_ASSIGN_OR_RETURN(auto f, api_->CreateFile(job.path, job.options));
  std::unique_ptr<WinFile> bcd;
  Status s;
  if (!job.bcd_path.empty()) {
    CreateOptions bo;
    bo.disposition = CreateDisposition::kOverwrite;
    bo.mode = WriteMode::kBackupNoSecurity;
    auto b = api_->CreateFile(job.bcd_path, bo);
    if (b.ok()) {
      bcd = std::move(b).value();
    } else {
      s = b.status();
    }
  }
  std::span<const uint8_t> bytes(
      reinterpret_cast<const uint8_t*>(job.bytes.data()), job.bytes.size());
  if (s.ok() && !bytes.empty()) {
    s = f->Write(bytes);
    if (s.ok() && bcd) s = bcd->Write(bytes);
  }
  if (s.ok()) s = f->SetBasicInfo(job.info);
  Status c = f->Close();
  if (s.ok()) s = c;
  if (bcd) {
    c = bcd->Close();
    if (s.ok()) s = c;
  }
  return s;
}

void WindowsLayerWriter::Submit(FileJob job) {
  const size_t n = job.bytes.size();
  {
    base::MutexLock lock(&mu_);
    while (in_flight_bytes_ != 0 && in_flight_bytes_ + n > kMaxInFlightBytes) {
      cv_.Wait(&mu_);
    }
    ++jobs_;
    in_flight_bytes_ += n;
  }
  auto shared = std::make_shared<FileJob>(std::move(job));
  pool_->Submit([this, shared, n] {
    Status s = Ctx(RunJob(*shared), shared->name);
    base::MutexLock lock(&mu_);
    if (!s.ok() && job_error_.ok()) job_error_ = s;
    --jobs_;
    in_flight_bytes_ -= n;
    cv_.SignalAll();
  });
}

Status WindowsLayerWriter::Drain() {
  if (!pool_) return OkStatus();
  base::MutexLock lock(&mu_);
  while (jobs_ != 0) cv_.Wait(&mu_);
  return job_error_;
}

Status WindowsLayerWriter::JobError() {
  if (!pool_) return OkStatus();
  base::MutexLock lock(&mu_);
  return job_error_;
}

// A deferred file grew too large to buffer: create it now and stream the
// rest on this thread.
Status WindowsLayerWriter::Materialize() {
  std::unique_ptr<FileJob> job = std::move(deferred_);
  WINSNAP_ASSIGN_OR_RETURN(current_, api_->CreateFile(job->path, job->options));
  if (!job->bcd_path.empty()) {
    CreateOptions bo;
    bo.disposition = CreateDisposition::kOverwrite;
    bo.mode = WriteMode::kBackupNoSecurity;
    WINSNAP_ASSIGN_OR_RETURN(bcd_, api_->CreateFile(job->bcd_path, bo));
  }
  buf_ = std::move(job->bytes);
  return Flush();
}

Status WindowsLayerWriter::Emit(std::string_view bytes) {
  if (!current_ && !deferred_)
    return FailedPreconditionError("no open entry to write to");
  if (deferred_) {
    if (deferred_->bytes.size() + bytes.size() <= kMaxBufferedFile) {
      deferred_->bytes.append(bytes);
      return OkStatus();
    }
    WINSNAP_RETURN_IF_ERROR(Materialize());
  }
  if (buf_.size() + bytes.size() <= kBufferBytes) {
    buf_.append(bytes);
    return OkStatus();
  }
  WINSNAP_RETURN_IF_ERROR(Flush());
  if (bytes.size() < kBufferBytes) {
    buf_.append(bytes);
    return OkStatus();
  }
  std::span<const uint8_t> s(reinterpret_cast<const uint8_t*>(bytes.data()),
                             bytes.size());
  WINSNAP_RETURN_IF_ERROR(current_->Write(s));
  if (bcd_) WINSNAP_RETURN_IF_ERROR(bcd_->Write(s));
  return OkStatus();
}

Status WindowsLayerWriter::Flush() {
  if (buf_.empty()) return OkStatus();
  std::span<const uint8_t> s(reinterpret_cast<const uint8_t*>(buf_.data()),
                             buf_.size());
  WINSNAP_RETURN_IF_ERROR(current_->Write(s));
  if (bcd_) WINSNAP_RETURN_IF_ERROR(bcd_->Write(s));
  buf_.clear();
  return OkStatus();
}

Status WindowsLayerWriter::WriteData(const TarHeader& h, EntryData* data) {
  int64_t got = 0;
  for (;;) {
    WINSNAP_ASSIGN_OR_RETURN(std::span<const uint8_t> chunk, data->Next());
    if (chunk.empty()) break;
    got += static_cast<int64_t>(chunk.size());
    if (got > h.size) break;
    WINSNAP_RETURN_IF_ERROR(Emit(std::string_view(
        reinterpret_cast<const char*>(chunk.data()), chunk.size())));
  }
  if (got != h.size)
    return DataLossError("layer entry \"" + h.name + "\": got " +
                         std::to_string(got) + " of " + std::to_string(h.size) +
                         " data bytes");
  stats_.bytes += got;
  return OkStatus();
}

Status WindowsLayerWriter::CloseCurrent() {
  if (!in_entry_) return OkStatus();
  in_entry_ = false;
  Status s;
  if (deferred_) {
    deferred_->info = current_info_;
    FileJob job = std::move(*deferred_);
    deferred_.reset();
    Submit(std::move(job));
  } else if (current_) {
    s = Flush();
    if (s.ok()) s = current_->SetBasicInfo(current_info_);
    Status c = current_->Close();
    if (s.ok()) s = c;
    current_.reset();
    if (bcd_) {
      c = bcd_->Close();
      if (s.ok()) s = c;
      bcd_.reset();
    }
  }
  if (s.ok() && !current_link_dir_.empty()) {
    // A directory link: its placeholder folder must not receive entries
    // during the import (hcsshim legacy writer); re-created before it.
    s = api_->Remove(current_link_dir_);
    if (s.ok()) pending_dirs_.push_back(current_link_dir_);
  }
  current_link_dir_.clear();
  const std::string name = current_path_;
  current_path_.clear();
  return Ctx(s, name);
}

StatusOr<std::string> WindowsLayerWriter::StreamPrefix(
    const TarHeader& h, const EntryPath& ep, const WinEntryMetadata& m) {
  std::string out;
  std::string sd;
  if (m.raw_sd) {
    sd = *m.raw_sd;
  } else if (m.sddl) {
    WINSNAP_ASSIGN_OR_RETURN(sd, api_->SddlToSecurityDescriptor(*m.sddl));
  }
  if (!sd.empty()) {
    WINSNAP_ASSIGN_OR_RETURN(
        std::string hdr, EncodeStreamHeader(BackupStreamId::kSecurityData,
                                            static_cast<int64_t>(sd.size())));
    out += hdr + sd;
  }
  if (!m.eas.empty()) {
    WINSNAP_ASSIGN_OR_RETURN(std::string ea, EncodeExtendedAttributes(m.eas));
    WINSNAP_ASSIGN_OR_RETURN(
        std::string hdr, EncodeStreamHeader(BackupStreamId::kEaData,
                                            static_cast<int64_t>(ea.size())));
    out += hdr + ea;
  }
  if (h.typeflag == kTypeSymlink) {
    // Same containment rule as on Linux: the target stays inside its root.
    WINSNAP_RETURN_IF_ERROR(ResolveSymlinkTarget(ep.path, h.linkname).status());
    WINSNAP_ASSIGN_OR_RETURN(
        std::string rp,
        EncodeReparsePoint(Backslashes(h.linkname), m.mountpoint));
    WINSNAP_ASSIGN_OR_RETURN(
        std::string hdr, EncodeStreamHeader(BackupStreamId::kReparseData,
                                            static_cast<int64_t>(rp.size())));
    out += hdr + rp;
  }
  if (h.IsRegular()) {
    WINSNAP_ASSIGN_OR_RETURN(std::string hdr,
                             EncodeStreamHeader(BackupStreamId::kData, h.size));
    out += hdr;
  }
  return out;
}

Status WindowsLayerWriter::Open(const TarHeader& h, const EntryPath& ep,
                                const WinEntryMetadata& m,
                                const std::string& path,
                                const CreateOptions& co,
                                FileBasicInfo applied) {
  current_path_ = ep.path;
  current_info_ = applied;
  in_entry_ = true;
  auto bcd_it = BcdBackups().find(ep.path);
  if (pool_ && !co.directory) {
    deferred_ = std::make_unique<FileJob>();
    deferred_->name = ep.path;
    deferred_->path = path;
    deferred_->options = co;
    if (bcd_it != BcdBackups().end())
      deferred_->bcd_path = Join(layer_, bcd_it->second);
  } else {
    WINSNAP_ASSIGN_OR_RETURN(current_, api_->CreateFile(path, co));
  }
  if (auto it = bcd_it; !deferred_ && it != BcdBackups().end()) {
    CreateOptions bo;
    bo.disposition = CreateDisposition::kOverwrite;
    bo.mode = WriteMode::kBackupNoSecurity;
    WINSNAP_ASSIGN_OR_RETURN(bcd_,
                             api_->CreateFile(Join(layer_, it->second), bo));
  }
  if (co.mode == WriteMode::kRaw) {
    // Transport files start with the 4-byte little-endian attributes.
    const uint32_t a = m.basic.file_attributes;
    const char le[4] = {static_cast<char>(a), static_cast<char>(a >> 8),
                        static_cast<char>(a >> 16), static_cast<char>(a >> 24)};
    WINSNAP_RETURN_IF_ERROR(Emit(std::string_view(le, 4)));
  }
  WINSNAP_ASSIGN_OR_RETURN(std::string prefix, StreamPrefix(h, ep, m));
  return Emit(prefix);
}

Status WindowsLayerWriter::Add(const TarHeader& h, EntryData* data) {
  if (finished_) return FailedPreconditionError("layer writer is finished");
  WINSNAP_RETURN_IF_ERROR(JobError());
  ++stats_.entries;
  WINSNAP_ASSIGN_OR_RETURN(EntryPath ep, ValidateEntryName(h.name, true));
  if (!ep.stream.empty()) return AddStream(h, ep, data);
  WINSNAP_RETURN_IF_ERROR(CloseCurrent());
  if (ep.base().compare(0, kWhiteoutPrefix.size(), kWhiteoutPrefix) == 0)
    return AddWhiteout(h, ep);
  switch (h.typeflag) {
    case kTypeLink:
      return AddHardlink(h, ep);
    case kTypeDir:
    case kTypeReg:
    case kTypeRegA:
    case kTypeCont:
    case kTypeSymlink:
      return Ctx(AddEntry(h, ep, data), h.name);
    case kTypeChar:
    case kTypeBlock:
      return Bad(h.name, "device nodes are not allowed in a layer");
    case kTypeFifo:
      return Bad(h.name, "FIFOs are not allowed in a layer");
    default:
      return Bad(h.name, "unsupported entry type");
  }
}

Status WindowsLayerWriter::AddEntry(const TarHeader& h, const EntryPath& ep,
                                    EntryData* data) {
  WINSNAP_ASSIGN_OR_RETURN(WinEntryMetadata m, ParseWinMetadata(h));
  const bool dir = (m.basic.file_attributes & kFileAttributeDirectory) != 0 ||
                   h.typeflag == kTypeDir;
  if (h.typeflag == kTypeSymlink) {
    ++stats_.symlinks;
  } else if (dir) {
    ++stats_.dirs;
  } else {
    ++stats_.files;
  }
  if (!base()) return AddLegacy(h, ep, m, data);

  if (ep.path == "UtilityVM/Files") has_utility_vm_ = true;
  const std::string path = Join(layer_, ep.path);
  if (dir) dirs_.push_back({path, m.basic});
  CreateOptions co;
  co.disposition = CreateDisposition::kCreateNew;
  co.directory = dir;
  co.mode = WriteMode::kBackup;
  WINSNAP_RETURN_IF_ERROR(Open(h, ep, m, path, co, m.basic));
  if (h.IsRegular()) WINSNAP_RETURN_IF_ERROR(WriteData(h, data));
  added_.insert(ep.path);
  return OkStatus();
}

Status WindowsLayerWriter::AddLegacy(const TarHeader& h, const EntryPath& ep,
                                     const WinEntryMetadata& m,
                                     EntryData* data) {
  if (ep.path == "UtilityVM") return InitUtilityVm();
  const bool dir = (m.basic.file_attributes & kFileAttributeDirectory) != 0 ||
                   h.typeflag == kTypeDir;
  if (Below(ep.path, "UtilityVM")) {
    if (!has_utility_vm_) return Bad(h.name, "missing UtilityVM directory");
    const std::string path = Join(layer_, ep.path);
    if (dir) dirs_.push_back({path, m.basic});
    CreateOptions co;
    co.mode = WriteMode::kBackup;
    co.directory = dir;
    if (dir) {
      WINSNAP_ASSIGN_OR_RETURN(auto existing, api_->GetFileAttributes(path));
      if (existing &&
          ((*existing ^ m.basic.file_attributes) &
           (kFileAttributeDirectory | kFileAttributeReparsePoint)) != 0) {
        WINSNAP_RETURN_IF_ERROR(api_->RemoveAll(path));
        existing.reset();
      }
      if (!existing) WINSNAP_RETURN_IF_ERROR(api_->CreateDirectory(path));
      co.disposition = CreateDisposition::kOpenExisting;
    } else {
      // Replaces the hard link the clone made.
      WINSNAP_RETURN_IF_ERROR(IgnoreNotFound(api_->Remove(path)));
      co.disposition = CreateDisposition::kCreateNew;
    }
    WINSNAP_RETURN_IF_ERROR(Open(h, ep, m, path, co, m.basic));
  } else {
    // Files/ and Hives/: the transport folder ImportLayer reads.
    const std::string path = Join(temp_, ep.path);
    if (dir) dirs_.push_back({Join(layer_, ep.path), m.basic});
    std::string file = path;
    if (dir) {
      WINSNAP_RETURN_IF_ERROR(api_->CreateDirectory(path));
      file += ".$wcidirs$";
    }
    CreateOptions co;
    co.disposition = CreateDisposition::kCreateNew;
    co.mode = Below(ep.path, "Hives") ? WriteMode::kBackupNoSecurity
                                      : WriteMode::kRaw;
    FileBasicInfo stripped = m.basic;
    stripped.file_attributes = 0;
    WINSNAP_RETURN_IF_ERROR(Open(h, ep, m, file, co, stripped));
    if (dir && h.typeflag == kTypeSymlink) current_link_dir_ = path;
  }
  if (h.IsRegular()) WINSNAP_RETURN_IF_ERROR(WriteData(h, data));
  added_.insert(ep.path);
  return OkStatus();
}

Status WindowsLayerWriter::AddStream(const TarHeader& h, const EntryPath& ep,
                                     EntryData* data) {
  if (!h.IsRegular())
    return Bad(h.name, "an alternate data stream must be a regular entry");
  if (!in_entry_ || current_path_ != ep.path)
    return Bad(h.name,
               "alternate data stream does not follow its file's entry");
  WINSNAP_ASSIGN_OR_RETURN(
      std::string hdr, EncodeStreamHeader(BackupStreamId::kAlternateData,
                                          h.size, ":" + ep.stream + ":$DATA"));
  WINSNAP_RETURN_IF_ERROR(Ctx(Emit(hdr), h.name));
  ++stats_.streams;
  return Ctx(WriteData(h, data), h.name);
}

Status WindowsLayerWriter::AddWhiteout(const TarHeader& h,
                                       const EntryPath& ep) {
  if (base()) return Bad(h.name, "base layer cannot have tombstones");
  const std::string hidden_base = ep.base().substr(kWhiteoutPrefix.size());
  if (hidden_base.empty() || hidden_base == "." || hidden_base == "..")
    return Bad(h.name, "malformed whiteout");
  const std::string dir = ep.dir();
  const std::string hidden =
      dir.empty() ? hidden_base : dir + "/" + hidden_base;
  ++stats_.whiteouts;
  if (Below(hidden, "Files")) {
    tombstones_.push_back(Join(layer_, hidden));
    return OkStatus();
  }
  if (Below(hidden, "UtilityVM/Files")) {
    WINSNAP_RETURN_IF_ERROR(Ctx(InitUtilityVm(), h.name));
    WINSNAP_RETURN_IF_ERROR(Drain());  // a worker may be writing below it
    const std::string path = Join(layer_, hidden);
    WINSNAP_ASSIGN_OR_RETURN(auto attrs, api_->GetFileAttributes(path));
    if (!attrs)
      return Bad(h.name, "whiteout of \"" + hidden +
                             "\", which the parent's UtilityVM does not have");
    return Ctx(api_->RemoveAll(path), h.name);
  }
  return Bad(h.name,
             "invalid tombstone (only under Files/ and "
             "UtilityVM/Files/)");
}

Status WindowsLayerWriter::AddHardlink(const TarHeader& h,
                                       const EntryPath& ep) {
  auto tp = ValidateEntryName(h.linkname, true);
  if (!tp.ok())
    return Bad(h.name, "hard link target: " + tp.status().message());
  if (!tp->stream.empty())
    return Bad(h.name, "hard link to an alternate data stream");
  if (tp->path == ep.path) return Bad(h.name, "hard link to itself");
  ++stats_.hardlinks;
  if (base() && pool_) {
    // The target may still be with a worker: linked after they drain.
    added_.insert(ep.path);
    base_links_.push_back({Join(layer_, ep.path), Join(layer_, tp->path)});
    return OkStatus();
  }
  if (base()) {
    added_.insert(ep.path);
    return Ctx(
        api_->CreateHardLink(Join(layer_, ep.path), Join(layer_, tp->path)),
        h.name);
  }
  std::vector<std::string> roots;
  if (Below(tp->path, "Files")) {
    roots = parents_;  // nothing of this layer is in the folder yet
  } else if (Below(tp->path, "UtilityVM/Files")) {
    roots = {layer_};  // the UtilityVM is cloned into the layer already
  }
  if (roots.empty() ||
      (!Below(ep.path, "Files") && !Below(ep.path, "UtilityVM/Files")))
    return Bad(h.name, "invalid hard link in layer");
  std::string root;
  if (added_.count(tp->path)) {
    root = layer_;
  } else {
    for (const auto& r : roots) {
      WINSNAP_ASSIGN_OR_RETURN(auto attrs,
                               api_->GetFileAttributes(Join(r, tp->path)));
      if (attrs) {
        root = r;
        break;
      }
    }
    if (root.empty())
      return Bad(h.name, "hard link target \"" + h.linkname +
                             "\" is neither in this layer nor in a parent");
  }
  pending_links_.push_back({Join(layer_, ep.path), Join(root, tp->path)});
  added_.insert(ep.path);
  return OkStatus();
}

Status WindowsLayerWriter::InitUtilityVm() {
  if (has_utility_vm_) return OkStatus();
  WINSNAP_RETURN_IF_ERROR(api_->CreateDirectory(Join(layer_, "UtilityVM")));
  // Server 2016 has no multi-layer UtilityVM: clone the parent's, by hard
  // links (hcsshim legacy writer).
  WINSNAP_RETURN_IF_ERROR(CloneTree(parents_[0], layer_, "UtilityVM/Files"));
  has_utility_vm_ = true;
  return OkStatus();
}

StatusOr<FileBasicInfo> WindowsLayerWriter::CopyWithMetadata(
    const std::string& src, const std::string& dst, bool dir) {
  WINSNAP_ASSIGN_OR_RETURN(auto r, api_->OpenForBackupRead(src));
  WINSNAP_ASSIGN_OR_RETURN(FileBasicInfo info, r->GetBasicInfo());
  CreateOptions co;
  co.directory = dir;
  WINSNAP_ASSIGN_OR_RETURN(auto w, api_->CreateFile(dst, co));
  Status s = w->SetBasicInfo(info);
  std::vector<uint8_t> buf(kBufferBytes);
  while (s.ok()) {
    auto n = r->Read(buf.data(), buf.size());
    if (!n.ok()) {
      s = n.status();
      break;
    }
    if (*n == 0) break;
    s = w->Write(std::span<const uint8_t>(buf.data(), *n));
  }
  Status c1 = w->Close();
  Status c2 = r->Close();
  if (s.ok()) s = c1;
  if (s.ok()) s = c2;
  if (!s.ok()) return s.WithContext("copy " + src);
  return info;
}

Status WindowsLayerWriter::CloneTree(const std::string& src_root,
                                     const std::string& dst_root,
                                     const std::string& sub) {
  const std::string src = Join(src_root, sub);
  WINSNAP_ASSIGN_OR_RETURN(auto attrs, api_->GetFileAttributes(src));
  if (!attrs)
    return FailedPreconditionError("parent layer " + src_root + " has no " +
                                   Backslashes(sub) + " to clone");
  if (*attrs & kFileAttributeReparsePoint)
    return InvalidArgumentError(src + " is a reparse point");
  std::vector<DirInfo> dirs;
  WINSNAP_ASSIGN_OR_RETURN(FileBasicInfo root_info,
                           CopyWithMetadata(src, Join(dst_root, sub), true));
  dirs.push_back({Join(dst_root, sub), root_info});
  WINSNAP_ASSIGN_OR_RETURN(auto entries, api_->ListTree(src));
  for (const auto& e : entries) {
    const std::string from = src + "\\" + e.rel;
    const std::string to = Join(dst_root, sub) + "\\" + e.rel;
    const bool dir = (e.attributes & kFileAttributeDirectory) != 0;
    const bool reparse = (e.attributes & kFileAttributeReparsePoint) != 0;
    if (dir || reparse || IsMutatedUtilityVmFile(e.rel)) {
      WINSNAP_ASSIGN_OR_RETURN(FileBasicInfo info,
                               CopyWithMetadata(from, to, dir));
      if (dir) dirs.push_back({to, info});
    } else {
      WINSNAP_RETURN_IF_ERROR(api_->CreateHardLink(to, from));
    }
  }
  return ReapplyDirectoryTimes(dirs);
}

Status WindowsLayerWriter::ReapplyDirectoryTimes(
    const std::vector<DirInfo>& dirs) {
  // Children first: setting a child's times touches its parent.
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it)
    WINSNAP_RETURN_IF_ERROR(api_->SetFileBasicInfo(it->path, it->info));
  return OkStatus();
}

void WindowsLayerWriter::RemoveLayerContents() {
  auto entries = api_->ListTree(layer_);
  if (!entries.ok()) return;
  for (const auto& e : *entries) {
    if (e.rel.find('\\') != std::string::npos) continue;  // under a top entry
    api_->RemoveAll(layer_ + "\\" + e.rel).IgnoreError();
  }
}

Status WindowsLayerWriter::ProcessUtilityVm() {
  const std::string uvm = Join(layer_, "UtilityVM");
  WINSNAP_ASSIGN_OR_RETURN(auto attrs, api_->GetFileAttributes(uvm));
  if (attrs && (*attrs & kFileAttributeReparsePoint))
    return InvalidArgumentError(uvm + " is a reparse point");
  return api_->ProcessUtilityImage(uvm);
}

StatusOr<LayerStats> WindowsLayerWriter::Finish() {
  if (finished_) return FailedPreconditionError("layer writer is finished");
  finished_ = true;
  Status closed = CloseCurrent();
  Status drained = Drain();
  WINSNAP_RETURN_IF_ERROR(closed);
  WINSNAP_RETURN_IF_ERROR(drained);
  if (base()) {
    for (const auto& l : base_links_) {
      WINSNAP_RETURN_IF_ERROR(api_->CreateHardLink(l.link, l.target));
    }
    WINSNAP_RETURN_IF_ERROR(ReapplyDirectoryTimes(dirs_));
    WINSNAP_RETURN_IF_ERROR(api_->ProcessBaseImage(layer_));
    if (has_utility_vm_) WINSNAP_RETURN_IF_ERROR(ProcessUtilityVm());
    succeeded_ = true;
    return stats_;
  }
  for (const auto& d : pending_dirs_)
    WINSNAP_RETURN_IF_ERROR(api_->CreateDirectory(d));
  WINSNAP_RETURN_IF_ERROR(api_->ImportLayer(layer_, temp_, parents_));
  for (const auto& t : tombstones_)
    WINSNAP_RETURN_IF_ERROR(IgnoreNotFound(api_->Remove(t)));
  for (const auto& l : pending_links_) {
    WINSNAP_RETURN_IF_ERROR(IgnoreNotFound(api_->Remove(l.link)));
    WINSNAP_RETURN_IF_ERROR(api_->CreateHardLink(l.link, l.target));
  }
  // After the deletions and links, which touch directory times.
  WINSNAP_RETURN_IF_ERROR(ReapplyDirectoryTimes(dirs_));
  if (has_utility_vm_) WINSNAP_RETURN_IF_ERROR(ProcessUtilityVm());
  Status s = api_->RemoveAll(temp_);
  temp_.clear();
  WINSNAP_RETURN_IF_ERROR(s);
  succeeded_ = true;
  return stats_;
}

}  // namespace

int DefaultWindowsWriterThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(n == 0 ? 4u : n, 2u, 8u));
}

StatusOr<std::unique_ptr<LayerWriter>> NewWindowsLayerWriter(
    WinLayerApi* api, const std::string& layer,
    const std::vector<std::string>& parents,
    const LayerWriterOptions& options) {
  return NewWindowsLayerWriter(api, layer, parents, options,
                               DefaultWindowsWriterThreads());
}

StatusOr<std::unique_ptr<LayerWriter>> NewWindowsLayerWriter(
    WinLayerApi* api, const std::string& layer,
    const std::vector<std::string>& parents, const LayerWriterOptions& options,
    int threads) {
  (void)options;  // Windows layers always have the three roots; durability
                  // is the platform's (ImportLayer / ProcessBaseImage).
  WINSNAP_RETURN_IF_ERROR(
      api->EnablePrivileges({"SeBackupPrivilege", "SeRestorePrivilege"}));
  std::string temp;
  if (!parents.empty()) {
    WINSNAP_ASSIGN_OR_RETURN(temp, api->CreateTempDirectory());
  }
  return std::unique_ptr<LayerWriter>(
      new WindowsLayerWriter(api, layer, parents, std::move(temp), threads));
}

}  // namespace winsnap::unpack
