// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// LMDB implementation of metadata::Store. Layout (docs/metadata-schema.md):
//   snapshots: key -> JSON record
//   ids:       8-byte big-endian id -> key
//   children:  8-byte BE parent id => 8-byte BE child ids (DUPSORT|DUPFIXED)
//   images:    name -> JSON image record
//   meta:      "schema_version" -> "1", "next_id" -> decimal
//
// Thread-safety: txn_mu_ is held shared by every transaction of this process
// and exclusively while the map is resized, because mdb_env_set_mapsize
// requires that no transaction of the process is active.

#include "metadata/store.h"

#include <nlohmann/json.hpp>

#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>

#include "metadata/lmdb.h"

namespace winsnap::metadata {

using lmdb::LmdbError;
using lmdb::Txn;
using lmdb::UniqueCursor;
using lmdb::UniqueEnv;
using lmdb::Val;
using lmdb::View;
using json = nlohmann::json;

namespace lmdb {
Status LmdbError(std::string_view function, int rc) {
  std::string m(function);
  m += ": ";
  // On Windows mdb_strerror formats Win32 codes with FormatMessage and
  // returns NULL for a code the system has no text for.
  const char* text = mdb_strerror(rc);
  m += text != nullptr ? text : "error";
  m += " (code " + std::to_string(rc) + ")";
  StatusCode code = StatusCode::kInternal;
  switch (rc) {
    case MDB_NOTFOUND:
      code = StatusCode::kNotFound;
      break;
    case MDB_KEYEXIST:
      code = StatusCode::kAlreadyExists;
      break;
    case MDB_MAP_FULL:
    case MDB_READERS_FULL:
    case MDB_TXN_FULL:
    case MDB_DBS_FULL:
      code = StatusCode::kResourceExhausted;
      break;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      code = StatusCode::kDataLoss;
      break;
    case MDB_BAD_VALSIZE:
      code = StatusCode::kInvalidArgument;
      break;
    default:
      // LMDB passes OS error numbers through: errno values on Linux, Win32
      // codes on Windows (ERROR_DISK_FULL 112, ERROR_ACCESS_DENIED 5,
      // ERROR_SHARING_VIOLATION 32, ERROR_LOCK_VIOLATION 33; mdb.c).
      if (rc > 0) code = NativeErrorStatusCode(rc);
      if (code == StatusCode::kOk) code = StatusCode::kInternal;
      break;
  }
  return Status(code, std::move(m));
}
}  // namespace lmdb

namespace {

constexpr std::string_view kSchemaVersionKey = "schema_version";
constexpr std::string_view kNextIdKey = "next_id";

std::string EncodeId(uint64_t id) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(id & 0xff);
    id >>= 8;
  }
  return out;
}

StatusOr<uint64_t> DecodeId(std::string_view s) {
  if (s.size() != 8)
    return DataLossError("corrupt id index entry (size " +
                         std::to_string(s.size()) + ")");
  uint64_t id = 0;
  for (unsigned char c : s) id = (id << 8) | c;
  return id;
}

std::string EncodeSnapshot(const SnapshotRecord& r) {
  json j = {{"id", r.id},
            {"kind", static_cast<int>(r.kind)},
            {"parent", r.parent},
            {"labels", r.labels},
            {"created", r.created_ns},
            {"updated", r.updated_ns},
            {"size", r.usage.size},
            {"inodes", r.usage.inodes},
            {"path", r.path}};
  return j.dump();
}

StatusOr<SnapshotRecord> DecodeSnapshot(std::string_view key,
                                        std::string_view value) {
  json j = json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return DataLossError("corrupt snapshot record for \"" + std::string(key) +
                         "\": not JSON");
  }
  try {
    SnapshotRecord r;
    r.key = std::string(key);
    r.id = j.at("id").get<uint64_t>();
    int kind = j.at("kind").get<int>();
    if (kind < 1 || kind > 3) throw std::out_of_range("kind");
    r.kind = static_cast<Kind>(kind);
    r.parent = j.value("parent", "");
    r.labels = j.value("labels", Labels{});
    r.created_ns = j.value("created", int64_t{0});
    r.updated_ns = j.value("updated", int64_t{0});
    r.usage.size = j.value("size", int64_t{0});
    r.usage.inodes = j.value("inodes", int64_t{0});
    r.path = j.at("path").get<std::string>();
    if (r.id == 0) throw std::out_of_range("id");
    return r;
  } catch (const std::exception& e) {
    return DataLossError("corrupt snapshot record for \"" + std::string(key) +
                         "\": " + e.what());
  }
}

std::string EncodeImage(const ImageRecord& r) {
  json j = {{"manifest_digest", r.manifest_digest},
            {"config_digest", r.config_digest},
            {"top_chain_id", r.top_chain_id},
            {"platform", r.platform},
            {"created", r.created_ns},
            {"labels", r.labels},
            {"config", r.config_json}};
  return j.dump();
}

StatusOr<ImageRecord> DecodeImage(std::string_view name,
                                  std::string_view value) {
  json j = json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return DataLossError("corrupt image record for \"" + std::string(name) +
                         "\"");
  }
  try {
    ImageRecord r;
    r.name = std::string(name);
    r.manifest_digest = j.at("manifest_digest").get<std::string>();
    r.config_digest = j.value("config_digest", "");
    r.top_chain_id = j.value("top_chain_id", "");
    r.platform = j.value("platform", "");
    r.created_ns = j.value("created", int64_t{0});
    r.labels = j.value("labels", Labels{});
    r.config_json = j.value("config", "");
    return r;
  } catch (const std::exception& e) {
    return DataLossError("corrupt image record for \"" + std::string(name) +
                         "\": " + e.what());
  }
}

struct Dbis {
  MDB_dbi snapshots = 0, ids = 0, children = 0, images = 0, meta = 0;
};

class LmdbReadTxn : public virtual ReadTxn {
 public:
  LmdbReadTxn(MDB_txn* txn, const Dbis& dbis) : txn_(txn), dbis_(dbis) {}

  StatusOr<std::optional<SnapshotRecord>> GetSnapshot(
      std::string_view key) override {
    if (key.empty() || key.size() > MaxKeySize())
      return std::optional<SnapshotRecord>();
    MDB_val k = Val(key), v;
    int rc = mdb_get(txn_, dbis_.snapshots, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<SnapshotRecord>();
    if (rc != MDB_SUCCESS) return LmdbError("mdb_get", rc);
    WINSNAP_ASSIGN_OR_RETURN(SnapshotRecord r, DecodeSnapshot(key, View(v)));
    return std::optional<SnapshotRecord>(std::move(r));
  }

  StatusOr<std::optional<std::string>> KeyForId(uint64_t id) override {
    std::string ek = EncodeId(id);
    MDB_val k = Val(ek), v;
    int rc = mdb_get(txn_, dbis_.ids, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<std::string>();
    if (rc != MDB_SUCCESS) return LmdbError("mdb_get", rc);
    return std::optional<std::string>(std::string(View(v)));
  }

  StatusOr<std::vector<uint64_t>> ChildIds(uint64_t id) override {
    std::vector<uint64_t> out;
    MDB_cursor* raw = nullptr;
    int rc = mdb_cursor_open(txn_, dbis_.children, &raw);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_cursor_open", rc);
    UniqueCursor cur(raw);
    std::string ek = EncodeId(id);
    MDB_val k = Val(ek), v;
    rc = mdb_cursor_get(cur.get(), &k, &v, MDB_SET_KEY);
    while (rc == MDB_SUCCESS) {
      WINSNAP_ASSIGN_OR_RETURN(uint64_t child, DecodeId(View(v)));
      out.push_back(child);
      rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT_DUP);
    }
    if (rc != MDB_NOTFOUND) return LmdbError("mdb_cursor_get", rc);
    return out;
  }

  Status ForEachSnapshot(
      const std::function<Status(const SnapshotRecord&)>& fn) override {
    return ForEach(
        dbis_.snapshots, [&](std::string_view k, std::string_view v) -> Status {
          WINSNAP_ASSIGN_OR_RETURN(SnapshotRecord r, DecodeSnapshot(k, v));
          return fn(r);
        });
  }

  StatusOr<std::optional<ImageRecord>> GetImage(
      std::string_view name) override {
    if (name.empty() || name.size() > MaxKeySize())
      return std::optional<ImageRecord>();
    MDB_val k = Val(name), v;
    int rc = mdb_get(txn_, dbis_.images, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<ImageRecord>();
    if (rc != MDB_SUCCESS) return LmdbError("mdb_get", rc);
    WINSNAP_ASSIGN_OR_RETURN(ImageRecord r, DecodeImage(name, View(v)));
    return std::optional<ImageRecord>(std::move(r));
  }

  Status ForEachImage(
      const std::function<Status(const ImageRecord&)>& fn) override {
    return ForEach(dbis_.images,
                   [&](std::string_view k, std::string_view v) -> Status {
                     WINSNAP_ASSIGN_OR_RETURN(ImageRecord r, DecodeImage(k, v));
                     return fn(r);
                   });
  }

 protected:
  Status ForEach(
      MDB_dbi dbi,
      const std::function<Status(std::string_view, std::string_view)>& fn) {
    MDB_cursor* raw = nullptr;
    int rc = mdb_cursor_open(txn_, dbi, &raw);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_cursor_open", rc);
    UniqueCursor cur(raw);
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur.get(), &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT)) {
      WINSNAP_RETURN_IF_ERROR(fn(View(k), View(v)));
    }
    if (rc != MDB_NOTFOUND) return LmdbError("mdb_cursor_get", rc);
    return OkStatus();
  }

  MDB_txn* txn_;
  Dbis dbis_;
};

class LmdbWriteTxn final : public LmdbReadTxn, public WriteTxn {
 public:
  using LmdbReadTxn::LmdbReadTxn;

  // Set when an LMDB call failed with MDB_MAP_FULL, so Update() grows the
  // map and retries even if the callback turned the error into another one.
  bool map_full() const { return map_full_; }

  StatusOr<uint64_t> AllocateId() override {
    WINSNAP_ASSIGN_OR_RETURN(uint64_t next, NextId());
    WINSNAP_RETURN_IF_ERROR(SetNextId(next + 1));
    return next;
  }

  Status PutSnapshot(const SnapshotRecord& r) override {
    if (r.key.empty())
      return InvalidArgumentError("snapshot key must not be empty");
    if (r.key.size() > MaxKeySize()) {
      return InvalidArgumentError(
          "snapshot key is " + std::to_string(r.key.size()) +
          " bytes; the limit is " + std::to_string(MaxKeySize()));
    }
    if (r.id == 0) return InvalidArgumentError("snapshot id must not be 0");
    if (r.kind == Kind::kUnknown)
      return InvalidArgumentError("snapshot kind must be set");

    // The record previously stored under this id (a commit renames the key
    // but keeps the id) and under this key.
    WINSNAP_ASSIGN_OR_RETURN(auto old_key, KeyForId(r.id));
    if (old_key && *old_key != r.key) {
      WINSNAP_ASSIGN_OR_RETURN(auto old, GetSnapshot(*old_key));
      if (old)
        WINSNAP_RETURN_IF_ERROR(Del(dbis_.snapshots, *old_key, "mdb_del"));
    }
    WINSNAP_ASSIGN_OR_RETURN(auto same_key, GetSnapshot(r.key));
    if (same_key && same_key->id != r.id) {
      return AlreadyExistsError("snapshot \"" + r.key +
                                "\" already exists with id " +
                                std::to_string(same_key->id));
    }
    uint64_t parent_id = 0;
    if (!r.parent.empty()) {
      WINSNAP_ASSIGN_OR_RETURN(auto parent, GetSnapshot(r.parent));
      if (!parent)
        return NotFoundError("parent snapshot \"" + r.parent +
                             "\" does not exist");
      parent_id = parent->id;
    }
    std::string id_key = EncodeId(r.id);
    WINSNAP_RETURN_IF_ERROR(Put(dbis_.snapshots, r.key, EncodeSnapshot(r), 0));
    WINSNAP_RETURN_IF_ERROR(Put(dbis_.ids, id_key, r.key, 0));
    if (parent_id != 0) {
      std::string pk = EncodeId(parent_id);
      Status s = Put(dbis_.children, pk, id_key, MDB_NODUPDATA);
      if (!s.ok() && s.code() != StatusCode::kAlreadyExists) return s;
    }
    WINSNAP_ASSIGN_OR_RETURN(uint64_t next, NextId());
    if (r.id >= next) WINSNAP_RETURN_IF_ERROR(SetNextId(r.id + 1));
    return OkStatus();
  }

  Status DeleteSnapshot(std::string_view key) override {
    WINSNAP_ASSIGN_OR_RETURN(auto rec, GetSnapshot(key));
    if (!rec)
      return NotFoundError("snapshot \"" + std::string(key) +
                           "\" does not exist");
    WINSNAP_ASSIGN_OR_RETURN(auto children, ChildIds(rec->id));
    if (!children.empty()) {
      return FailedPreconditionError(
          "cannot remove snapshot \"" + std::string(key) + "\": it has " +
          std::to_string(children.size()) + " child snapshot(s)");
    }
    std::string id_key = EncodeId(rec->id);
    WINSNAP_RETURN_IF_ERROR(Del(dbis_.snapshots, key, "mdb_del"));
    WINSNAP_RETURN_IF_ERROR(Del(dbis_.ids, id_key, "mdb_del"));
    if (!rec->parent.empty()) {
      WINSNAP_ASSIGN_OR_RETURN(auto parent, GetSnapshot(rec->parent));
      if (parent) {
        std::string pk = EncodeId(parent->id);
        MDB_val k = Val(pk), v = Val(id_key);
        int rc = mdb_del(txn_, dbis_.children, &k, &v);
        if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return Fail("mdb_del", rc);
      }
    }
    return OkStatus();
  }

  Status PutImage(const ImageRecord& image) override {
    if (image.name.empty())
      return InvalidArgumentError("image name must not be empty");
    if (image.name.size() > MaxKeySize())
      return InvalidArgumentError("image name too long");
    return Put(dbis_.images, image.name, EncodeImage(image), 0);
  }

  Status DeleteImage(std::string_view name) override {
    if (name.empty() || name.size() > MaxKeySize()) {
      return NotFoundError("image \"" + std::string(name) +
                           "\" does not exist");
    }
    MDB_val k = Val(name);
    int rc = mdb_del(txn_, dbis_.images, &k, nullptr);
    if (rc == MDB_NOTFOUND)
      return NotFoundError("image \"" + std::string(name) +
                           "\" does not exist");
    if (rc != MDB_SUCCESS) return Fail("mdb_del", rc);
    return OkStatus();
  }

  Status SetSchemaVersion() {
    return Put(dbis_.meta, kSchemaVersionKey, std::to_string(kSchemaVersion),
               0);
  }

 private:
  Status Fail(std::string_view fn, int rc) {
    if (rc == MDB_MAP_FULL) map_full_ = true;
    return LmdbError(fn, rc);
  }

  Status Put(MDB_dbi dbi, std::string_view key, std::string_view value,
             unsigned flags) {
    MDB_val k = Val(key), v = Val(value);
    int rc = mdb_put(txn_, dbi, &k, &v, flags);
    if (rc == MDB_KEYEXIST) return AlreadyExistsError("key exists");
    if (rc != MDB_SUCCESS) return Fail("mdb_put", rc);
    return OkStatus();
  }

  Status Del(MDB_dbi dbi, std::string_view key, std::string_view fn) {
    MDB_val k = Val(key);
    int rc = mdb_del(txn_, dbi, &k, nullptr);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return Fail(fn, rc);
    return OkStatus();
  }

  StatusOr<uint64_t> NextId() {
    MDB_val k = Val(kNextIdKey), v;
    int rc = mdb_get(txn_, dbis_.meta, &k, &v);
    if (rc == MDB_NOTFOUND) return uint64_t{1};
    if (rc != MDB_SUCCESS) return LmdbError("mdb_get", rc);
    std::string s(View(v));
    try {
      size_t pos = 0;
      uint64_t n = std::stoull(s, &pos);
      if (pos != s.size() || n == 0) throw std::invalid_argument(s);
      return n;
    } catch (const std::exception&) {
      return DataLossError("corrupt next_id \"" + s + "\"");
    }
  }

  Status SetNextId(uint64_t n) {
    return Put(dbis_.meta, kNextIdKey, std::to_string(n), 0);
  }

  bool map_full_ = false;
};

class LmdbStore final : public Store {
 public:
  LmdbStore(UniqueEnv env, Dbis dbis, bool read_only)
      : env_(std::move(env)), dbis_(dbis), read_only_(read_only) {}

  Status View(const std::function<Status(ReadTxn&)>& fn) override {
    for (int attempt = 0;; ++attempt) {
      std::shared_lock lock(txn_mu_);
      MDB_txn* raw = nullptr;
      int rc = mdb_txn_begin(env_.get(), nullptr, MDB_RDONLY, &raw);
      if (rc == MDB_MAP_RESIZED && attempt < 5) {
        lock.unlock();
        WINSNAP_RETURN_IF_ERROR(AdoptMapSize());
        continue;
      }
      if (rc != MDB_SUCCESS) return LmdbError("mdb_txn_begin", rc);
      Txn txn(raw);
      LmdbReadTxn r(txn.handle(), dbis_);
      return fn(r);
    }
  }

  Status Update(const std::function<Status(WriteTxn&)>& fn) override {
    if (read_only_) return PermissionDeniedError("the store is open read-only");
    for (int attempt = 0;; ++attempt) {
      bool grow = false;
      {
        std::shared_lock lock(txn_mu_);
        MDB_txn* raw = nullptr;
        int rc = mdb_txn_begin(env_.get(), nullptr, 0, &raw);
        if (rc == MDB_MAP_RESIZED && attempt < 5) {
          lock.unlock();
          WINSNAP_RETURN_IF_ERROR(AdoptMapSize());
          continue;
        }
        if (rc != MDB_SUCCESS) return LmdbError("mdb_txn_begin", rc);
        Txn txn(raw);
        LmdbWriteTxn w(txn.handle(), dbis_);
        Status s = fn(w);
        if (s.ok()) {
          int commit_rc = 0;
          s = txn.Commit(&commit_rc);
          if (commit_rc == MDB_MAP_FULL) grow = true;
        }
        if (w.map_full()) grow = true;
        if (!grow || attempt >= 30) return s;
      }
      WINSNAP_RETURN_IF_ERROR(GrowMap());
    }
  }

  uint64_t map_size() const override {
    MDB_envinfo info;
    mdb_env_info(env_.get(), &info);
    return info.me_mapsize;
  }

 private:
  Status AdoptMapSize() {
    std::unique_lock lock(txn_mu_);
    int rc = mdb_env_set_mapsize(env_.get(), 0);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_mapsize", rc);
    return OkStatus();
  }

  Status GrowMap() {
    std::unique_lock lock(txn_mu_);
    uint64_t size = map_size() * 2;
    int rc = mdb_env_set_mapsize(env_.get(), size);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_mapsize", rc);
    return OkStatus();
  }

  UniqueEnv env_;
  Dbis dbis_;
  bool read_only_;
  std::shared_mutex txn_mu_;
};

Status OpenDbi(MDB_txn* txn, const char* name, unsigned flags, MDB_dbi* dbi) {
  int rc = mdb_dbi_open(txn, name, flags, dbi);
  if (rc == MDB_NOTFOUND) {
    return NotFoundError(std::string("database \"") + name +
                         "\" is missing: not a winsnap store");
  }
  if (rc == MDB_INCOMPATIBLE) {
    return DataLossError(std::string("database \"") + name +
                         "\" has unexpected flags");
  }
  if (rc != MDB_SUCCESS) return LmdbError("mdb_dbi_open", rc);
  return OkStatus();
}

}  // namespace

size_t MaxKeySize() {
  // mdb_env_get_maxkeysize is constant for a build (511 by default).
  static const size_t size = [] {
    MDB_env* env = nullptr;
    if (mdb_env_create(&env) != MDB_SUCCESS) return size_t{511};
    size_t n = static_cast<size_t>(mdb_env_get_maxkeysize(env));
    mdb_env_close(env);
    return n;
  }();
  return size;
}

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                             const StoreOptions& options) {
  base::Env* env = options.env ? options.env : base::Env::Default();
  std::string data_file = base::JoinPath(dir, "data.mdb");
  if (options.read_only) {
    if (!env->Exists(data_file)) {
      return NotFoundError("no winsnap store at " + dir);
    }
  } else {
    WINSNAP_RETURN_IF_ERROR(env->CreateDirs(dir));
  }

  MDB_env* raw = nullptr;
  int rc = mdb_env_create(&raw);
  if (rc != MDB_SUCCESS) return LmdbError("mdb_env_create", rc);
  UniqueEnv menv(raw);
  rc = mdb_env_set_maxdbs(menv.get(), 8);
  if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_maxdbs", rc);
  rc = mdb_env_set_maxreaders(menv.get(), 1022);
  if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_maxreaders", rc);
  if (!options.read_only) {
    rc = mdb_env_set_mapsize(menv.get(), options.initial_map_size);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_mapsize", rc);
  }
  unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0);
  rc = mdb_env_open(menv.get(), dir.c_str(), flags, 0600);
  if (rc != MDB_SUCCESS) return LmdbError("mdb_env_open", rc).WithContext(dir);
  // The file may already be larger than our initial guess (another process
  // grew it); adopt the size in the file in that case.
  rc = mdb_env_set_mapsize(menv.get(), 0);
  if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_mapsize", rc);

  Dbis dbis;
  unsigned create = options.read_only ? 0 : MDB_CREATE;
  WINSNAP_ASSIGN_OR_RETURN(
      Txn txn, Txn::Begin(menv.get(), options.read_only ? MDB_RDONLY : 0));
  WINSNAP_RETURN_IF_ERROR(OpenDbi(txn.handle(), "meta", create, &dbis.meta));
  WINSNAP_RETURN_IF_ERROR(
      OpenDbi(txn.handle(), "snapshots", create, &dbis.snapshots));
  WINSNAP_RETURN_IF_ERROR(OpenDbi(txn.handle(), "ids", create, &dbis.ids));
  WINSNAP_RETURN_IF_ERROR(OpenDbi(txn.handle(), "children",
                                  create | MDB_DUPSORT | MDB_DUPFIXED,
                                  &dbis.children));
  WINSNAP_RETURN_IF_ERROR(
      OpenDbi(txn.handle(), "images", create, &dbis.images));

  MDB_val k = Val(kSchemaVersionKey), v;
  rc = mdb_get(txn.handle(), dbis.meta, &k, &v);
  if (rc == MDB_NOTFOUND) {
    if (options.read_only)
      return NotFoundError("store at " + dir + " has no schema version yet");
    LmdbWriteTxn w(txn.handle(), dbis);
    WINSNAP_RETURN_IF_ERROR(w.SetSchemaVersion());
  } else if (rc != MDB_SUCCESS) {
    return LmdbError("mdb_get", rc);
  } else if (lmdb::View(v) != std::to_string(kSchemaVersion)) {
    return FailedPreconditionError("store at " + dir + " has schema version " +
                                   std::string(lmdb::View(v)) +
                                   "; this winsnap reads version " +
                                   std::to_string(kSchemaVersion));
  }
  // Commit (read-only txns too) so the dbi handles stay valid for the env.
  WINSNAP_RETURN_IF_ERROR(txn.Commit());
  return std::unique_ptr<Store>(
      new LmdbStore(std::move(menv), dbis, options.read_only));
}

}  // namespace winsnap::metadata
