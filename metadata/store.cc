// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// LMDB implementation of metadata::Store. Layout (docs/metadata-schema.md):
//   snapshots: key -> JSON record
//   ids:       8-byte big-endian id -> key
//   children:  8-byte BE parent id => 8-byte BE child ids (DUPSORT|DUPFIXED)
//   images:    name -> JSON image record
//   meta:      "schema_version" -> "1", "next_id" -> decimal
//   tombstones: 8-byte BE id -> key of a snapshot whose removal is under way
//
// Corruption: LMDB maps data.mdb and follows page numbers and node offsets
// it reads from the file. Before mapping, Open checks the file against its
// meta pages (magic, version, page size, last page inside the file), and
// every value handed out is checked to lie inside the file, so a damaged
// store gives DataLoss naming the file instead of a SIGBUS past its end.
//
// Thread-safety: txn_mu_ is held shared by every transaction of this process
// and exclusively while the map is resized, because mdb_env_set_mapsize
// requires that no transaction of the process is active.

#include "metadata/store.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>

#include "metadata/lmdb.h"
#include "metadata/mmap_guard.h"

namespace winsnap::metadata {

using lmdb::Guarded;
using lmdb::kMdbFaulted;
using lmdb::LmdbError;
using lmdb::Txn;
using lmdb::UniqueCursor;
using lmdb::UniqueEnv;
using lmdb::Val;
using lmdb::View;
using json = nlohmann::json;

namespace lmdb {
Status LmdbError(std::string_view function, int rc) {
  if (rc == kMdbFaulted) {
    return DataLossError(std::string(function) +
                         ": memory fault while reading the mapped data file "
                         "(it is damaged)");
  }
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

// LMDB calls that read the map, run under the fault guard (mmap_guard.h).
int GGet(MDB_txn* t, MDB_dbi d, MDB_val* k, MDB_val* v) {
  return Guarded([&] { return mdb_get(t, d, k, v); });
}
int GCursorGet(MDB_cursor* c, MDB_val* k, MDB_val* v, MDB_cursor_op op) {
  return Guarded([&] { return mdb_cursor_get(c, k, v, op); });
}
int GPut(MDB_txn* t, MDB_dbi d, MDB_val* k, MDB_val* v, unsigned flags) {
  return Guarded([&] { return mdb_put(t, d, k, v, flags); });
}
int GDel(MDB_txn* t, MDB_dbi d, MDB_val* k, MDB_val* v) {
  return Guarded([&] { return mdb_del(t, d, k, v); });
}
int GDbiOpen(MDB_txn* t, const char* name, unsigned flags, MDB_dbi* dbi) {
  return Guarded([&] { return mdb_dbi_open(t, name, flags, dbi); });
}
int GCursorOpen(MDB_txn* t, MDB_dbi d, MDB_cursor** c) {
  return Guarded([&] { return mdb_cursor_open(t, d, c); });
}
int GStat(MDB_txn* t, MDB_dbi d, MDB_stat* st) {
  return Guarded([&] { return mdb_stat(t, d, st); });
}

constexpr std::string_view kSchemaVersionKey = "schema_version";
constexpr std::string_view kNextIdKey = "next_id";
constexpr std::string_view kBackupKey = "backup_copy";

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

// Decodes a snapshot record (EncodeSnapshot's JSON) straight into a
// SnapshotRecord through nlohmann's SAX interface: no DOM of maps and
// values per record, which made decoding a third of `snapctl ls` and of
// gRPC List (issue 14). The rules are those of the DOM decoder it replaced:
// an object; "id" (not 0), "kind" (1-3) and "path" required; "parent" and
// "path" strings; "labels" an object of strings; numbers of any JSON kind
// for the numeric fields; unknown members ignored; a repeated member's last
// value wins.
class SnapshotRecordSax final : public nlohmann::json_sax<json> {
 public:
  explicit SnapshotRecordSax(SnapshotRecord* r) : r_(r) {}

  // Empty when the record is well-formed, else what is wrong with it.
  std::string Check() const {
    if (!error_.empty()) return error_;
    if (!seen_object_) return "not a JSON object";
    if (!has_id_) return "no id";
    if (!has_kind_) return "no kind";
    if (!has_path_) return "no path";
    if (r_->id == 0) return "id 0";
    return "";
  }

  bool null() override { return Scalar(ValueType::kOther); }
  bool boolean(bool) override { return Scalar(ValueType::kOther); }
  bool number_integer(number_integer_t v) override {
    num_ = static_cast<int64_t>(v);
    return Scalar(ValueType::kNumber);
  }
  bool number_unsigned(number_unsigned_t v) override {
    num_ = static_cast<int64_t>(v);
    return Scalar(ValueType::kNumber);
  }
  bool number_float(number_float_t v, const string_t&) override {
    num_ = static_cast<int64_t>(v);
    return Scalar(ValueType::kNumber);
  }
  bool string(string_t& v) override {
    str_ = &v;
    return Scalar(ValueType::kString);
  }
  bool binary(binary_t&) override { return Scalar(ValueType::kOther); }

  bool start_object(std::size_t) override {
    if (skip_ > 0 || (depth_ == 1 && field_ == Field::kOther)) {
      ++skip_;
      return true;
    }
    if (depth_ == 0) {
      seen_object_ = true;
    } else if (depth_ == 1 && field_ == Field::kLabels) {
      r_->labels.clear();
    } else {
      return Fail(Where() + ": not a " + Wanted());
    }
    ++depth_;
    return true;
  }
  bool end_object() override {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (skip_ > 0 || (depth_ == 1 && field_ == Field::kOther)) {
      ++skip_;
      return true;
    }
    return depth_ == 0 ? Fail("not a JSON object")
                       : Fail(Where() + ": not a " + Wanted());
  }
  bool end_array() override {
    --skip_;
    return true;
  }
  bool key(string_t& k) override {
    if (skip_ > 0) return true;
    if (depth_ == 2) {
      label_key_ = std::move(k);
      return true;
    }
    field_ = Field::kOther;
    for (const auto& [name, f] : kFields) {
      if (k == name) field_ = f;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception&) override {
    return Fail("not JSON");
  }

 private:
  enum class ValueType { kString, kNumber, kOther };
  enum class Field {
    kOther,
    kId,
    kKind,
    kParent,
    kLabels,
    kCreated,
    kUpdated,
    kSize,
    kInodes,
    kPath
  };
  // The record's members by name (EncodeSnapshot's keys).
  static constexpr std::pair<std::string_view, Field> kFields[] = {
      {"id", Field::kId},           {"kind", Field::kKind},
      {"parent", Field::kParent},   {"labels", Field::kLabels},
      {"created", Field::kCreated}, {"updated", Field::kUpdated},
      {"size", Field::kSize},       {"inodes", Field::kInodes},
      {"path", Field::kPath}};

  bool Fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
    return false;
  }

  // The value being read: a label or a member of the record.
  std::string Where() const {
    return depth_ == 2 ? "label \"" + label_key_ + "\""
                       : std::string(KeyOf(field_));
  }
  std::string Wanted() const {
    return depth_ == 2 || field_ == Field::kParent || field_ == Field::kPath
               ? "string"
           : field_ == Field::kLabels ? "object"
                                      : "number";
  }

  // One scalar value: a member of the record, a label, or skipped.
  bool Scalar(ValueType kind) {
    if (skip_ > 0) return true;
    if (depth_ == 0) return Fail("not a JSON object");
    if (depth_ == 2) {  // inside "labels"
      if (kind != ValueType::kString) return Fail(Where() + ": not a string");
      r_->labels[label_key_] = std::move(*str_);
      return true;
    }
    switch (field_) {
      case Field::kOther:
        return true;
      case Field::kParent:
      case Field::kPath:
        if (kind != ValueType::kString) break;
        (field_ == Field::kParent ? r_->parent : r_->path) = std::move(*str_);
        has_path_ = has_path_ || field_ == Field::kPath;
        return true;
      case Field::kLabels:
        break;
      default:
        if (kind != ValueType::kNumber) break;
        switch (field_) {
          case Field::kId:
            r_->id = static_cast<uint64_t>(num_);
            has_id_ = true;
            break;
          case Field::kKind:
            if (num_ < 1 || num_ > 3) {
              return Fail("kind " + std::to_string(num_) + " out of range");
            }
            r_->kind = static_cast<metadata::Kind>(num_);
            has_kind_ = true;
            break;
          case Field::kCreated:
            r_->created_ns = num_;
            break;
          case Field::kUpdated:
            r_->updated_ns = num_;
            break;
          case Field::kSize:
            r_->usage.size = num_;
            break;
          default:  // kInodes
            r_->usage.inodes = num_;
            break;
        }
        return true;
    }
    return Fail(Where() + ": not a " + Wanted());
  }

  static std::string_view KeyOf(Field f) {
    for (const auto& [name, field] : kFields) {
      if (field == f) return name;
    }
    return "member";
  }

  SnapshotRecord* r_;
  int depth_ = 0;  // 1: the record's members; 2: inside "labels"
  int skip_ = 0;   // nesting inside an unknown member's value
  Field field_ = Field::kOther;
  std::string label_key_;
  int64_t num_ = 0;
  string_t* str_ = nullptr;
  bool seen_object_ = false, has_id_ = false, has_kind_ = false,
       has_path_ = false;
  std::string error_;
};

StatusOr<SnapshotRecord> DecodeSnapshot(std::string_view key,
                                        std::string_view value) {
  SnapshotRecord r;
  SnapshotRecordSax sax(&r);
  json::sax_parse(value, &sax, nlohmann::detail::input_format_t::json,
                  /*strict=*/true);
  if (std::string problem = sax.Check(); !problem.empty()) {
    return DataLossError("corrupt snapshot record for \"" + std::string(key) +
                         "\": " + problem);
  }
  r.key = std::string(key);
  return r;
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
  MDB_dbi tombstones = 0;
  bool has_tombstones = false;  // false: a read-only open of an older store
};

// What a value returned by LMDB may point into: the map, up to the end of
// the file as it was when the transaction began. Values outside the map
// (a write transaction's dirty pages) are in our heap and always fine.
struct Bounds {
  const char* map = nullptr;
  uint64_t map_size = 0;
  uint64_t file_size = 0;
  const std::string* file = nullptr;
};

std::string RepairHint() {
  return "the store is damaged; run `snapctl check`, then restore <root>/meta "
         "from a `snapctl backup` copy";
}

class LmdbReadTxn : public virtual ReadTxn {
 public:
  LmdbReadTxn(MDB_txn* txn, const Dbis& dbis, const Bounds& bounds = {})
      : txn_(txn), dbis_(dbis), bounds_(bounds) {}

  StatusOr<std::optional<SnapshotRecord>> GetSnapshot(
      std::string_view key) override {
    if (key.empty() || key.size() > MaxKeySize())
      return std::optional<SnapshotRecord>();
    MDB_val k = Val(key), v;
    int rc = GGet(txn_, dbis_.snapshots, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<SnapshotRecord>();
    if (rc != MDB_SUCCESS) return LmdbError("mdb_get", rc);
    WINSNAP_RETURN_IF_ERROR(CheckVal(v));
    WINSNAP_ASSIGN_OR_RETURN(SnapshotRecord r, DecodeSnapshot(key, View(v)));
    return std::optional<SnapshotRecord>(std::move(r));
  }

  StatusOr<std::optional<std::string>> KeyForId(uint64_t id) override {
    std::string ek = EncodeId(id);
    MDB_val k = Val(ek), v;
    int rc = GGet(txn_, dbis_.ids, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<std::string>();
    if (rc != MDB_SUCCESS) return LmdbError("mdb_get", rc);
    WINSNAP_RETURN_IF_ERROR(CheckVal(v));
    return std::optional<std::string>(std::string(View(v)));
  }

  StatusOr<std::vector<uint64_t>> ChildIds(uint64_t id) override {
    std::vector<uint64_t> out;
    MDB_cursor* raw = nullptr;
    int rc = GCursorOpen(txn_, dbis_.children, &raw);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_cursor_open", rc);
    UniqueCursor cur(raw);
    std::string ek = EncodeId(id);
    MDB_val k = Val(ek), v;
    rc = GCursorGet(cur.get(), &k, &v, MDB_SET_KEY);
    while (rc == MDB_SUCCESS) {
      WINSNAP_RETURN_IF_ERROR(CheckVal(v));
      WINSNAP_ASSIGN_OR_RETURN(uint64_t child, DecodeId(View(v)));
      out.push_back(child);
      rc = GCursorGet(cur.get(), &k, &v, MDB_NEXT_DUP);
    }
    if (rc != MDB_NOTFOUND) return LmdbError("mdb_cursor_get", rc);
    return out;
  }

  StatusOr<uint64_t> SnapshotCount() override {
    MDB_stat st;
    int rc = GStat(txn_, dbis_.snapshots, &st);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_stat", rc);
    return static_cast<uint64_t>(st.ms_entries);
  }

  Status ForEachSnapshot(
      const std::function<Status(SnapshotRecord&)>& fn) override {
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
    int rc = GGet(txn_, dbis_.images, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<ImageRecord>();
    if (rc != MDB_SUCCESS) return LmdbError("mdb_get", rc);
    WINSNAP_RETURN_IF_ERROR(CheckVal(v));
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

  StatusOr<uint64_t> NextId() override {
    MDB_val k = Val(kNextIdKey), v;
    int rc = GGet(txn_, dbis_.meta, &k, &v);
    if (rc == MDB_NOTFOUND) return uint64_t{1};
    if (rc != MDB_SUCCESS) return LmdbError("mdb_get", rc);
    WINSNAP_RETURN_IF_ERROR(CheckVal(v));
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

  StatusOr<bool> IsBackupCopy() override {
    MDB_val k = Val(kBackupKey), v;
    int rc = GGet(txn_, dbis_.meta, &k, &v);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != MDB_SUCCESS) return LmdbError("mdb_get", rc);
    return true;
  }

  Status ForEachTombstone(
      const std::function<Status(uint64_t, std::string_view)>& fn) override {
    if (!dbis_.has_tombstones) return OkStatus();
    return ForEach(dbis_.tombstones,
                   [&](std::string_view k, std::string_view v) -> Status {
                     WINSNAP_ASSIGN_OR_RETURN(uint64_t id, DecodeId(k));
                     return fn(id, v);
                   });
  }

  Status ForEachSnapshotEntry(
      const std::function<Status(
          std::string_view, const StatusOr<SnapshotRecord>&)>& fn) override {
    return ForEach(dbis_.snapshots,
                   [&](std::string_view k, std::string_view v) -> Status {
                     return fn(k, DecodeSnapshot(k, v));
                   });
  }

  Status ForEachImageEntry(
      const std::function<Status(std::string_view,
                                 const StatusOr<ImageRecord>&)>& fn) override {
    return ForEach(dbis_.images,
                   [&](std::string_view k, std::string_view v) -> Status {
                     return fn(k, DecodeImage(k, v));
                   });
  }

  Status ForEachIdEntry(
      const std::function<Status(const StatusOr<uint64_t>&, std::string_view)>&
          fn) override {
    return ForEach(dbis_.ids,
                   [&](std::string_view k, std::string_view v) -> Status {
                     return fn(DecodeId(k), v);
                   });
  }

  Status ForEachChildEntry(
      const std::function<Status(const StatusOr<uint64_t>&,
                                 const StatusOr<uint64_t>&)>& fn) override {
    return ForEach(dbis_.children,
                   [&](std::string_view k, std::string_view v) -> Status {
                     return fn(DecodeId(k), DecodeId(v));
                   });
  }

 protected:
  Status ForEach(
      MDB_dbi dbi,
      const std::function<Status(std::string_view, std::string_view)>& fn) {
    MDB_cursor* raw = nullptr;
    int rc = GCursorOpen(txn_, dbi, &raw);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_cursor_open", rc);
    UniqueCursor cur(raw);
    MDB_val k, v;
    for (rc = GCursorGet(cur.get(), &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = GCursorGet(cur.get(), &k, &v, MDB_NEXT)) {
      WINSNAP_RETURN_IF_ERROR(CheckVal(k));
      WINSNAP_RETURN_IF_ERROR(CheckVal(v));
      WINSNAP_RETURN_IF_ERROR(fn(View(k), View(v)));
    }
    if (rc != MDB_NOTFOUND) return LmdbError("mdb_cursor_get", rc);
    return OkStatus();
  }

  // DataLoss unless "v" lies inside the file (see Bounds).
  Status CheckVal(const MDB_val& v) const {
    if (bounds_.map == nullptr || v.mv_size == 0) return OkStatus();
    const char* p = static_cast<const char*>(v.mv_data);
    if (p < bounds_.map || p >= bounds_.map + bounds_.map_size)
      return OkStatus();
    uint64_t off = static_cast<uint64_t>(p - bounds_.map);
    if (off + v.mv_size <= bounds_.file_size) return OkStatus();
    return DataLossError(
        "a record of " + std::to_string(v.mv_size) + " bytes at offset " +
        std::to_string(off) + " runs past the end of " +
        (bounds_.file ? *bounds_.file : std::string("data.mdb")) + " (" +
        std::to_string(bounds_.file_size) + " bytes)");
  }

  MDB_txn* txn_;
  Dbis dbis_;
  Bounds bounds_;
};

class LmdbWriteTxn final : public LmdbReadTxn, public WriteTxn {
 public:
  using LmdbReadTxn::LmdbReadTxn;
  using LmdbReadTxn::NextId;

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
        int rc = GDel(txn_, dbis_.children, &k, &v);
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
    int rc = GDel(txn_, dbis_.images, &k, nullptr);
    if (rc == MDB_NOTFOUND)
      return NotFoundError("image \"" + std::string(name) +
                           "\" does not exist");
    if (rc != MDB_SUCCESS) return Fail("mdb_del", rc);
    return OkStatus();
  }

  Status PutTombstone(uint64_t id, std::string_view key) override {
    return Put(dbis_.tombstones, EncodeId(id), key, 0);
  }

  Status DeleteTombstone(uint64_t id) override {
    return Del(dbis_.tombstones, EncodeId(id), "mdb_del");
  }

  Status ClearBackupMark() override {
    return Del(dbis_.meta, kBackupKey, "mdb_del");
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
    int rc = GPut(txn_, dbi, &k, &v, flags);
    if (rc == MDB_KEYEXIST) return AlreadyExistsError("key exists");
    if (rc != MDB_SUCCESS) return Fail("mdb_put", rc);
    return OkStatus();
  }

  Status Del(MDB_dbi dbi, std::string_view key, std::string_view fn) {
    MDB_val k = Val(key);
    int rc = GDel(txn_, dbi, &k, nullptr);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return Fail(fn, rc);
    return OkStatus();
  }

  Status SetNextId(uint64_t n) {
    return Put(dbis_.meta, kNextIdKey, std::to_string(n), 0);
  }

  bool map_full_ = false;
};

class LmdbStore final : public Store {
 public:
  LmdbStore(UniqueEnv env, Dbis dbis, bool read_only, std::string data_file)
      : env_(std::move(env)),
        dbis_(dbis),
        read_only_(read_only),
        data_file_(std::move(data_file)) {}

  Status View(const std::function<Status(ReadTxn&)>& fn) override {
    for (int attempt = 0;; ++attempt) {
      std::shared_lock lock(txn_mu_);
      MDB_txn* raw = nullptr;
      int rc = Guarded(
          [&] { return mdb_txn_begin(env_.get(), nullptr, MDB_RDONLY, &raw); });
      if (rc == MDB_MAP_RESIZED && attempt < 5) {
        lock.unlock();
        WINSNAP_RETURN_IF_ERROR(AdoptMapSize());
        continue;
      }
      if (rc != MDB_SUCCESS) return Annotate(LmdbError("mdb_txn_begin", rc));
      Txn txn(raw);
      LmdbReadTxn r(txn.handle(), dbis_, CurrentBounds());
      return Annotate(fn(r));
    }
  }

  Status Update(const std::function<Status(WriteTxn&)>& fn) override {
    if (read_only_) return PermissionDeniedError("the store is open read-only");
    if (broken_) {
      return DataLossError(data_file_ +
                           ": an earlier write faulted on damaged pages; " +
                           RepairHint());
    }
    for (int attempt = 0;; ++attempt) {
      bool grow = false;
      {
        std::shared_lock lock(txn_mu_);
        MDB_txn* raw = nullptr;
        int rc = Guarded(
            [&] { return mdb_txn_begin(env_.get(), nullptr, 0, &raw); });
        if (rc == MDB_MAP_RESIZED && attempt < 5) {
          lock.unlock();
          WINSNAP_RETURN_IF_ERROR(AdoptMapSize());
          continue;
        }
        if (rc != MDB_SUCCESS) return Annotate(LmdbError("mdb_txn_begin", rc));
        Txn txn(raw);
        LmdbWriteTxn w(txn.handle(), dbis_, CurrentBounds());
        const int64_t faults = lmdb::FaultCount();
        Status s = fn(w);
        if (s.ok() && lmdb::FaultCount() == faults) {
          int commit_rc = 0;
          s = txn.Commit(&commit_rc);
          if (commit_rc == MDB_MAP_FULL) grow = true;
          if (commit_rc == kMdbFaulted) broken_ = true;
        }
        if (lmdb::FaultCount() != faults) {
          // LMDB's state for this transaction is unknown after a fault
          // inside it: never abort or reuse it (that may touch the damage
          // again); leak it, and refuse further writes in this process.
          broken_ = true;
          txn.Release();
          if (s.ok()) s = LmdbError("mdb_put", kMdbFaulted);
          return Annotate(s);
        }
        if (w.map_full()) grow = true;
        if (!grow || attempt >= 30) return Annotate(s);
      }
      WINSNAP_RETURN_IF_ERROR(GrowMap());
    }
  }

  Status Backup(const std::string& dir) override {
    std::string dest = base::JoinPath(dir, "data.mdb");
    std::error_code ec;
    if (std::filesystem::exists(dest, ec))
      return AlreadyExistsError(dest + " already exists");
    std::shared_lock lock(txn_mu_);
    int rc = Guarded(
        [&] { return mdb_env_copy2(env_.get(), dir.c_str(), MDB_CP_COMPACT); });
    if (rc != MDB_SUCCESS)
      return Annotate(LmdbError("mdb_env_copy2", rc).WithContext(dir));
    return MarkBackup(dir);
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

  // Marks the copy in "dir" so its first read-write open knows its next_id
  // proves nothing about the folders it will find.
  static Status MarkBackup(const std::string& dir) {
    MDB_env* raw = nullptr;
    int rc = mdb_env_create(&raw);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_env_create", rc);
    UniqueEnv env(raw);
    rc = mdb_env_set_maxdbs(env.get(), 8);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_maxdbs", rc);
    rc = mdb_env_open(env.get(), dir.c_str(), MDB_NOTLS, 0600);
    if (rc != MDB_SUCCESS)
      return LmdbError("mdb_env_open", rc).WithContext(dir);
    WINSNAP_ASSIGN_OR_RETURN(Txn txn, Txn::Begin(env.get(), 0));
    MDB_dbi meta = 0;
    rc = mdb_dbi_open(txn.handle(), "meta", 0, &meta);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_dbi_open", rc);
    MDB_val k = Val(kBackupKey), v = Val("1");
    rc = mdb_put(txn.handle(), meta, &k, &v, 0);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_put", rc);
    WINSNAP_RETURN_IF_ERROR(txn.Commit());
    env.reset();
    std::error_code ec;
    std::filesystem::remove(base::JoinPath(dir, "lock.mdb"), ec);
    return OkStatus();
  }

  Bounds CurrentBounds() const {
    Bounds b;
    MDB_envinfo info;
    if (mdb_env_info(env_.get(), &info) != MDB_SUCCESS) return b;
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(data_file_, ec);
    if (ec) return b;
    b.map = static_cast<const char*>(info.me_mapaddr);
    b.map_size = info.me_mapsize;
    b.file_size = size;
    b.file = &data_file_;
    return b;
  }

  // DataLoss errors name the file and say what to do.
  Status Annotate(Status s) const {
    if (s.code() != StatusCode::kDataLoss) return s;
    if (s.message().find(data_file_) != std::string::npos) return s;
    return DataLossError(data_file_ + ": " + s.message() + "; " + RepairHint());
  }

  UniqueEnv env_;
  Dbis dbis_;
  bool read_only_;
  std::string data_file_;
  std::atomic<bool> broken_{false};
  std::shared_mutex txn_mu_;
};

// LMDB 0.9 file header, as mdb.c lays it out on a 64-bit build: each of
// the first two pages is a page header (pgno 8, pad 2, flags 2, lower 2,
// upper 2 = 16 bytes) followed by MDB_meta: magic u32, version u32,
// address 8, mapsize 8, two MDB_db of 48 bytes (the first's md_pad holds
// the page size), last_pg 8, txnid 8.
constexpr uint32_t kLmdbMagic = 0xBEEFC0DE;
constexpr size_t kMetaMagicOff = 16, kMetaVersionOff = 20, kMetaPsizeOff = 40,
                 kMetaLastPgOff = 136, kMetaTxnIdOff = 144, kMetaEnd = 152;

struct MetaPage {
  bool valid = false;
  uint32_t psize = 0;
  uint64_t last_pg = 0, txnid = 0;
};

// The meta page whose header starts at buf[0].
MetaPage ParseMeta(const std::string& buf) {
  MetaPage m;
  if (buf.size() < kMetaEnd) return m;
  uint32_t magic = 0, version = 0;
  std::memcpy(&magic, buf.data() + kMetaMagicOff, 4);
  std::memcpy(&version, buf.data() + kMetaVersionOff, 4);
  std::memcpy(&m.psize, buf.data() + kMetaPsizeOff, 4);
  std::memcpy(&m.last_pg, buf.data() + kMetaLastPgOff, 8);
  std::memcpy(&m.txnid, buf.data() + kMetaTxnIdOff, 8);
  m.valid = magic == kLmdbMagic && version == 1 && m.psize >= 512 &&
            m.psize <= (1u << 16) && (m.psize & (m.psize - 1)) == 0;
  return m;
}

// Checks data.mdb against its meta pages before LMDB maps it: a page past
// the end of the file would be a SIGBUS, not an error, once mapped.
Status CheckDataFile(const std::string& file, uint64_t size) {
  if (sizeof(void*) != 8) return OkStatus();  // layout above is 64-bit
  std::ifstream in(file, std::ios::binary);
  if (!in) return OkStatus();  // mdb_env_open reports it
  // The two headers only, at 0 and at the page size page 0 names: reading
  // (and zeroing) the first 128 KiB cost a short command 32 page faults.
  auto read_header = [&in](uint64_t at) {
    std::string buf(kMetaEnd, '\0');
    in.clear();
    in.seekg(static_cast<std::streamoff>(at));
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.resize(static_cast<size_t>(in.gcount()));
    return buf;
  };
  MetaPage m0 = ParseMeta(read_header(0));
  if (!m0.valid) {
    return DataLossError(file +
                         ": not an LMDB data file (bad header in page 0); " +
                         RepairHint());
  }
  MetaPage m1 = ParseMeta(read_header(m0.psize));
  const MetaPage& m = (m1.valid && m1.txnid > m0.txnid) ? m1 : m0;
  uint64_t need = (m.last_pg + 1) * static_cast<uint64_t>(m.psize);
  if (m.last_pg >= (uint64_t{1} << 40) || need > size) {
    return DataLossError(file + " is truncated or damaged: its header names " +
                         std::to_string(m.last_pg + 1) + " pages of " +
                         std::to_string(m.psize) + " bytes but the file has " +
                         std::to_string(size) + " bytes; " + RepairHint());
  }
  return OkStatus();
}

Status OpenDbi(MDB_txn* txn, const char* name, unsigned flags, MDB_dbi* dbi) {
  int rc = GDbiOpen(txn, name, flags, dbi);
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

namespace {
StatusOr<std::unique_ptr<Store>> OpenLmdb(const std::string& dir,
                                          const StoreOptions& options) {
  base::Env* env = options.env ? options.env : base::Env::Default();
  std::string data_file = base::JoinPath(dir, "data.mdb");
  std::error_code ec;
  bool exists = env->Exists(data_file);
  uint64_t size = exists ? std::filesystem::file_size(data_file, ec) : 0;
  if (ec) {
    return ErrnoError("stat", ec.value(), data_file);
  }
  if (options.read_only) {
    if (!exists) {
      return NotFoundError("no winsnap store at " + dir);
    }
    if (size == 0) {
      return DataLossError(data_file +
                           " is empty (0 bytes): the store was truncated; "
                           "restore <root>/meta from a `snapctl backup` copy");
    }
  } else if (!exists || size == 0) {
    if (!options.create_if_missing) {
      return FailedPreconditionError(
          "metadata " + data_file + (exists ? " is empty" : " is missing") +
          " and creating a new store was not allowed");
    }
    WINSNAP_RETURN_IF_ERROR(env->CreateDirs(dir));
  }
  if (size > 0) WINSNAP_RETURN_IF_ERROR(CheckDataFile(data_file, size));

  UniqueEnv menv;
  int rc = MDB_SUCCESS;
  unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0);
  auto open_env = [&]() -> Status {
    MDB_env* raw = nullptr;
    rc = mdb_env_create(&raw);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_env_create", rc);
    menv.reset(raw);
    rc = mdb_env_set_maxdbs(menv.get(), 8);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_maxdbs", rc);
    rc = mdb_env_set_maxreaders(menv.get(), 1022);
    if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_maxreaders", rc);
    if (!options.read_only) {
      rc = mdb_env_set_mapsize(menv.get(), options.initial_map_size);
      if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_mapsize", rc);
    }
    rc = Guarded(
        [&] { return mdb_env_open(menv.get(), dir.c_str(), flags, 0600); });
    return OkStatus();
  };
  WINSNAP_RETURN_IF_ERROR(open_env());
  // On Windows LMDB shares its reader/writer mutexes by name: a process
  // that finds the lock file in use opens them with OpenMutex, and if the
  // last process holding them is just exiting (it closes the mutexes before
  // it releases the lock file) the names are gone and mdb_env_open fails
  // with ERROR_FILE_NOT_FOUND although the store is there. That is
  // transient: once the exiting process has released the lock file, the
  // next open takes the first-opener path and creates the mutexes. A
  // missing data file is reported above, so ENOENT here with the data
  // file present is retried (never on a store being created).
  for (int attempt = 0; rc == ENOENT && size > 0 && attempt < 200; ++attempt) {
    menv.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    WINSNAP_RETURN_IF_ERROR(open_env());
  }
  if (rc != MDB_SUCCESS) {
    Status s = LmdbError("mdb_env_open", rc).WithContext(data_file);
    if (s.code() == StatusCode::kDataLoss)
      return DataLossError(s.message() + "; " + RepairHint());
    return s;
  }
  // The file may already be larger than our initial guess (another process
  // grew it); adopt the size in the file in that case.
  rc = mdb_env_set_mapsize(menv.get(), 0);
  if (rc != MDB_SUCCESS) return LmdbError("mdb_env_set_mapsize", rc);

  Dbis dbis;
  // An existing file that lost its databases is damaged, not new: create
  // them only in a fresh file, or when the caller allows a new store.
  const bool fresh = size == 0;
  const bool may_create =
      !options.read_only && (fresh || options.create_if_missing);
  unsigned create = may_create ? MDB_CREATE : 0;
  MDB_txn* open_txn = nullptr;
  auto open_dbi = [&](const char* name, unsigned flags,
                      MDB_dbi* dbi) -> Status {
    Status s = OpenDbi(open_txn, name, flags, dbi);
    if (s.code() == StatusCode::kNotFound && !fresh) {
      return DataLossError(data_file + ": database \"" + name +
                           "\" is missing from an existing store; " +
                           RepairHint());
    }
    return s;
  };
  WINSNAP_ASSIGN_OR_RETURN(
      Txn txn, Txn::Begin(menv.get(), options.read_only ? MDB_RDONLY : 0));
  open_txn = txn.handle();
  WINSNAP_RETURN_IF_ERROR(open_dbi("meta", create, &dbis.meta));
  WINSNAP_RETURN_IF_ERROR(open_dbi("snapshots", create, &dbis.snapshots));
  WINSNAP_RETURN_IF_ERROR(open_dbi("ids", create, &dbis.ids));
  WINSNAP_RETURN_IF_ERROR(open_dbi(
      "children", create | MDB_DUPSORT | MDB_DUPFIXED, &dbis.children));
  WINSNAP_RETURN_IF_ERROR(open_dbi("images", create, &dbis.images));
  if (!options.read_only) create = MDB_CREATE;
  // Added after schema version 1 shipped; older stores gain it on their
  // first read-write open, and a read-only open of one treats it as empty.
  Status ts = OpenDbi(txn.handle(), "tombstones", create, &dbis.tombstones);
  if (ts.ok()) {
    dbis.has_tombstones = true;
  } else if (!(options.read_only && ts.code() == StatusCode::kNotFound)) {
    return ts;
  }

  MDB_val k = Val(kSchemaVersionKey), v;
  rc = GGet(txn.handle(), dbis.meta, &k, &v);
  if (rc == MDB_NOTFOUND) {
    if (!fresh && !may_create) {
      return DataLossError(data_file +
                           ": the schema version is missing from an existing "
                           "store; " +
                           RepairHint());
    }
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
      new LmdbStore(std::move(menv), dbis, options.read_only, data_file));
}

}  // namespace

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                             const StoreOptions& options) {
  auto store = OpenLmdb(dir, options);
  if (store.ok() || store.status().code() != StatusCode::kDataLoss)
    return store;
  std::string data_file = base::JoinPath(dir, "data.mdb");
  if (store.status().message().find(data_file) != std::string::npos)
    return store;
  return DataLossError(data_file + ": " + store.status().message() + "; " +
                       RepairHint());
}

StatusOr<StoreEntries> ReadEntries(Store& store) {
  StoreEntries e;
  WINSNAP_RETURN_IF_ERROR(store.View([&](ReadTxn& txn) -> Status {
    e = StoreEntries();  // nothing of an earlier attempt
    WINSNAP_RETURN_IF_ERROR(txn.ForEachSnapshotEntry(
        [&](std::string_view key, const StatusOr<SnapshotRecord>& r) {
          e.snapshots.emplace_back(std::string(key), r);
          return OkStatus();
        }));
    WINSNAP_ASSIGN_OR_RETURN(e.next_id, txn.NextId());
    WINSNAP_RETURN_IF_ERROR(txn.ForEachIdEntry(
        [&](const StatusOr<uint64_t>& id, std::string_view key) {
          e.ids.emplace_back(id, std::string(key));
          return OkStatus();
        }));
    WINSNAP_RETURN_IF_ERROR(txn.ForEachChildEntry(
        [&](const StatusOr<uint64_t>& p, const StatusOr<uint64_t>& c) {
          e.children.emplace_back(p, c);
          return OkStatus();
        }));
    WINSNAP_RETURN_IF_ERROR(
        txn.ForEachTombstone([&](uint64_t id, std::string_view key) {
          e.tombstones.emplace_back(id, std::string(key));
          return OkStatus();
        }));
    return txn.ForEachImageEntry(
        [&](std::string_view name, const StatusOr<ImageRecord>& r) {
          e.images.emplace_back(std::string(name), r);
          return OkStatus();
        });
  }));
  return e;
}

}  // namespace winsnap::metadata
