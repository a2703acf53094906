// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Snapshotter: containerd snapshotter semantics (Prepare, View, Mounts,
// Commit, Remove, Stat, Update, Usage, Walk, Cleanup) over windows-layer
// folders under <root>/snapshots/<id>, with metadata in a metadata::Store at
// <root>/meta. Errors use containerd's classes: NotFound, AlreadyExists,
// FailedPrecondition, InvalidArgument.
//
// Crash safety: creations make the folder inside the write transaction that
// inserts the record; removals delete the record (leaving a tombstone) and
// then rename the folder into <root>/trash/. Opening read-write recovers:
// record-less folders the protocol proves are its own leftovers (a tombstone,
// or the uncommitted next id) and unlocked staging entries move to trash/,
// which is emptied; any other record-less folder moves to <root>/orphans/
// and is never deleted without `snapctl gc --orphans`. A read-write open
// refuses to create a new store while snapshots/, trash/ or staging/ hold
// anything. A folder that cannot be moved or deleted never fails Open.
//
// Every entry point that stores a key or labels validates them
// (snapshotter/validate.h): InvalidArgument for invalid UTF-8 or a label
// over containerd's 4096-byte key+value limit.
//
// Thread-safety: all methods may be called concurrently from many threads and
// from other processes on the same root.

#ifndef WINSNAP_SNAPSHOTTER_SNAPSHOTTER_H_
#define WINSNAP_SNAPSHOTTER_SNAPSHOTTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/env.h"
#include "base/status.h"
#include "metadata/store.h"
#include "metadata/types.h"

namespace winsnap::snapshotter {

using metadata::Kind;
using metadata::Labels;
using metadata::Usage;

// containerd's snapshots.Info plus what winsnap adds (id and folder).
struct Info {
  std::string name;
  std::string parent;
  Kind kind = Kind::kUnknown;
  Labels labels;
  int64_t created_ns = 0;
  int64_t updated_ns = 0;
  uint64_t id = 0;
  std::string path;
  friend bool operator==(const Info&, const Info&) = default;
};

// containerd's mount.Mount.
struct Mount {
  std::string type;
  std::string source;
  std::string target;
  std::vector<std::string> options;
  friend bool operator==(const Mount&, const Mount&) = default;
};

enum class MountType {
  kWindowsLayer,  // containerd's windows snapshotter >= 1.7.2 (default)
  kOverlay,       // Linux: overlay over the layers' Files/ (bind for one layer)
};

// Points at which tests can stop the process (see TEST_SetCrashPoint).
enum class CrashPoint {
  kNone,
  kPrepareAfterMkdir,   // folder made, record not committed
  kPrepareAfterCommit,  // record committed, before returning
  kCommitBeforeTxn,     // usage computed, commit not started
  kRemoveAfterTxn,      // record deleted, folder not yet in trash
  kRemoveAfterRename,   // folder in trash, not deleted
  kCleanupMidDelete,    // part of a trash entry deleted
};

// The Windows layer calls behind containerd's windows-snapshotter scratch
// semantics (reference/containerd-facts.md §1, containerd >= 1.7.2). The
// snapshotter never includes hcs/ or unpack/: tools sets an implementation
// over hcs::LayerService (and unpack's export/import for
// ConvertScratchToReadOnlyLayer). With none set (the Linux default) Prepare,
// Commit and Remove do only their folder work.
//
// The calls are made for Windows container layers only, so layers built by
// hand with prepare/commit (no Windows files, as in the CLI's own flows)
// behave as on Linux:
//   Prepare (active, non-"extract", with parents): the base's blank.vhdx is
//     copied to sandbox.vhdx; without one, CreateSandboxLayer if the base is
//     a Windows base layer (Files\Windows), else no sandbox (the mount makes
//     one when it is run, as hcsshim's ensureScratchVHD does); then
//     ExpandSandboxSize for a requested size, when a sandbox was made.
//   Commit (non-"extract"): ConvertToBaseLayer for a parentless snapshot
//     holding Files\Windows; ConvertScratchToReadOnlyLayer for one with
//     parents that has sandbox.vhdx; otherwise no call.
// containerd >= 1.7.2 makes the calls without these checks (and fails the
// Prepare when blank.vhdx is missing); the checks only leave out snapshots
// containerd never sees (it makes image layers under "extract" keys).
//
// Thread-safety: implementations must allow concurrent calls on different
// layers.
class ScratchLayers {
 public:
  virtual ~ScratchLayers() = default;
  // Copies the base layer's template (blank.vhdx) to <scratch>/sandbox.vhdx.
  virtual Status CopyDiskFile(const std::string& from,
                              const std::string& to) = 0;
  // vmcompute CreateSandboxLayer(scratch, parents nearest first), for a base
  // layer that has no blank.vhdx.
  virtual Status CreateSandboxLayer(
      const std::string& scratch, const std::vector<std::string>& parents) = 0;
  // vmcompute ExpandSandboxSize(scratch, bytes).
  virtual Status ExpandSandboxSize(const std::string& scratch,
                                   uint64_t bytes) = 0;
  // Commit of a parentless container scratch: hcsshim ConvertToBaseLayer
  // (hives, ProcessBaseImage, ProcessUtilityImage).
  virtual Status ConvertToBaseLayer(const std::string& layer) = 0;
  // Commit of a container scratch over parents: export the layer and import
  // it over itself (containerd convertScratchToReadOnlyLayer).
  virtual Status ConvertScratchToReadOnlyLayer(
      const std::string& layer, const std::vector<std::string>& parents) = 0;
  // vmcompute DeactivateLayer(layer); NotFound means "was not activated".
  virtual Status DeactivateLayer(const std::string& layer) = 0;
};

// Scratch labels (containerd-facts.md §1 "Prepare / View").
inline constexpr std::string_view kRootfsSizeBytesLabel =
    "containerd.io/snapshot/windows/rootfs.sizebytes";
inline constexpr std::string_view kRootfsSizeGbLabel =
    "containerd.io/snapshot/io.microsoft.container.storage.rootfs.size-gb";
inline constexpr std::string_view kScratchTemplate = "blank.vhdx";
// Files\Windows in a layer folder marks a Windows base layer (every Windows
// base image has it), which is what the scratch calls need.
inline constexpr std::string_view kWindowsDir = "Windows";
inline constexpr std::string_view kSandboxVhdx = "sandbox.vhdx";

// The scratch size Prepare asks for: the sizebytes label (uint64 bytes), else
// the deprecated size-gb label (uint32 GB * 1024^3), else 0 (the template's
// own size). InvalidArgument naming the label for a malformed value.
StatusOr<uint64_t> RequestedScratchSize(const Labels& labels);

struct Options {
  std::string root;  // required, absolute
  MountType mount_type = MountType::kWindowsLayer;
  // Open without write access (ls/info/path while another process writes).
  bool read_only = false;
  uint64_t initial_map_size = 64ull << 20;
  base::Env* env = nullptr;  // defaults to Env::Default()
  // A read-write open deletes trash/ after recovery. Off for callers that
  // collect it themselves and report it (snapctl gc).
  bool cleanup_on_open = true;
  // Windows scratch semantics; not owned, must outlive the Snapshotter.
  // Null: none (Linux default).
  ScratchLayers* scratch = nullptr;
  // Test only: armed before recovery runs (see TEST_SetCrashPoint).
  CrashPoint TEST_crash_point = CrashPoint::kNone;
};

// What the store holds, counted from one read snapshot (metrics).
struct StoreSummary {
  std::map<Kind, int64_t> snapshots;  // by kind; kinds with none are absent
  int64_t committed_bytes = 0;        // usage recorded at commit
  int64_t images = 0;
};

struct CleanupReport {
  int64_t removed = 0;  // trash entries deleted
  int64_t reclaimed_bytes = 0;
  int64_t remaining = 0;  // entries that could not be deleted yet
};

// An exclusively locked folder under <root>/staging/. Move-only; the
// destructor deletes the folder unless CommitStaged consumed it.
class StagingDir {
 public:
  StagingDir() = default;
  // Owns folder "path" and its held lock (path + ".lock").
  StagingDir(std::string path, std::unique_ptr<base::FileLock> lock,
             base::Env* env)
      : path_(std::move(path)), lock_(std::move(lock)), env_(env) {}
  StagingDir(StagingDir&& o) noexcept { *this = std::move(o); }
  StagingDir& operator=(StagingDir&& o) noexcept;
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  ~StagingDir();

  // The folder to write the layer into (absolute); empty once released.
  const std::string& path() const { return path_; }
  // Gives up ownership without deleting: the caller moved the folder away.
  void Release();

 private:
  void Reset();
  std::string path_;
  std::unique_ptr<base::FileLock> lock_;
  base::Env* env_ = nullptr;
};

class Snapshotter {
 public:
  // Opens or creates the root. InvalidArgument for a relative root.
  static StatusOr<std::unique_ptr<Snapshotter>> Open(const Options& options);
  ~Snapshotter();

  // Creates an active snapshot "key" over committed "parent" (may be empty)
  // and returns its mounts. AlreadyExists if "key" exists; NotFound if the
  // parent does not exist; InvalidArgument if the parent is not committed
  // or key is empty.
  StatusOr<std::vector<Mount>> Prepare(std::string_view key,
                                       std::string_view parent,
                                       const Labels& labels = {});
  // As Prepare, but a read-only view.
  StatusOr<std::vector<Mount>> View(std::string_view key,
                                    std::string_view parent,
                                    const Labels& labels = {});
  // Mounts of an active or view snapshot; FailedPrecondition if committed.
  StatusOr<std::vector<Mount>> Mounts(std::string_view key);
  // Turns active "key" into committed "name" (same id and folder); its labels
  // are replaced by "labels". AlreadyExists if "name" exists;
  // FailedPrecondition if "key" is not active; NotFound if missing.
  Status Commit(std::string_view name, std::string_view key,
                const Labels& labels = {});
  // Removes "key". FailedPrecondition if it has children.
  Status Remove(std::string_view key);
  StatusOr<Info> Stat(std::string_view key);
  // Updates labels per containerd's UpdateInfo: fieldpaths "labels" or
  // "labels.<k>"; none means replace all labels. InvalidArgument for other
  // paths.
  StatusOr<Info> Update(const Info& info,
                        const std::vector<std::string>& fieldpaths = {});
  // Active: live disk usage of the folder; committed: stored at commit;
  // view: zero.
  StatusOr<Usage> GetUsage(std::string_view key);
  // Calls fn for each snapshot matching any of "filters" (containerd filter
  // syntax; none means all). Stops with fn's error.
  Status Walk(const std::function<Status(const Info&)>& fn,
              const std::vector<std::string>& filters = {});
  // As Walk, but calls "interrupt" before each record is read or matched
  // and before each fn call; a non-OK result (e.g. DeadlineExceeded for a
  // call whose deadline passed) stops the walk and is returned.
  Status Walk(const std::function<Status(const Info&)>& fn,
              const std::vector<std::string>& filters,
              const std::function<Status()>& interrupt);
  // The snapshots matching any of "filters" (none means all), in key order:
  // Walk's list without a copy per snapshot for callers that keep them all.
  StatusOr<std::vector<Info>> List(
      const std::vector<std::string>& filters = {});
  // Deletes what is in trash/.
  StatusOr<CleanupReport> Cleanup();

  // Creates a fresh, exclusively locked folder under <root>/staging/ for
  // building a layer outside the store (imports). Recovery never sweeps a
  // staging folder whose lock is held by a live process.
  StatusOr<StagingDir> BeginStaging();
  // Atomically turns a finished staging folder into committed snapshot
  // "name" over committed "parent" (may be empty): one write transaction
  // allocates the id, renames the folder to snapshots/<id> and inserts the
  // record, with usage computed from the folder. AlreadyExists if "name"
  // exists (the staging folder is then discarded); NotFound/InvalidArgument
  // for the parent as in Prepare. Consumes "staging" on every outcome.
  Status CommitStaged(StagingDir staging, std::string_view name,
                      std::string_view parent, const Labels& labels = {});

  // Image records: the snapshotter owns them with the snapshots they name
  // (ImageRecord::top_chain_id), so every reader and writer goes through
  // these. PutImages writes all of "images" in one write transaction
  // (all or none), replacing records of the same names.
  Status PutImages(const std::vector<metadata::ImageRecord>& images);
  // The record named "name", or nullopt if there is none.
  StatusOr<std::optional<metadata::ImageRecord>> GetImage(
      std::string_view name);
  // Every image record, in name order.
  StatusOr<std::vector<metadata::ImageRecord>> ListImages();
  // Deletes the record "name" (its layers stay until gc prunes them).
  // NotFound if there is none.
  Status RemoveImage(std::string_view name);

  // Counts of what the store holds, from one read snapshot.
  StatusOr<StoreSummary> Summary();
  // Every entry of the store as stored, from one read snapshot (snapctl
  // check; see metadata::ReadEntries).
  StatusOr<metadata::StoreEntries> ReadStoreEntries();
  // Writes a consistent copy of the store to <dir>/data.mdb
  // (metadata::Store::Backup; same errors). Safe while others write.
  Status BackupStore(const std::string& dir);

  const std::string& root() const;
  MountType mount_type() const;
  // The Env every folder operation goes through (Options::env or Default).
  base::Env* env() const;

  // Test only: the store, for tests that plant or inspect raw records.
  metadata::Store* TEST_store();

  // Test hook: the process raises SIGKILL on itself when it reaches
  // "point". Only for crash tests in forked children.
  void TEST_SetCrashPoint(CrashPoint point);

 private:
  struct Impl;
  explicit Snapshotter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Overlay mounts need the layer content dir; windows-layer folders keep file
// data under "Files/".
inline constexpr std::string_view kFilesDir = "Files";
// The containerd key marker for unpack snapshots ("extract-...").
inline constexpr std::string_view kUnpackKeyPrefix = "extract";

}  // namespace winsnap::snapshotter

#endif  // WINSNAP_SNAPSHOTTER_SNAPSHOTTER_H_
