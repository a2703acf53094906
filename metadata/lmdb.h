// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Move-only owners for LMDB handles (environment, transaction, cursor) and
// the one place LMDB return codes become Status. Internal to metadata/.
//
// Thread-safety: an Env may be shared; a Txn and its Cursors belong to the
// thread that began the transaction.

#ifndef WINSNAP_METADATA_LMDB_H_
#define WINSNAP_METADATA_LMDB_H_

#include <lmdb.h>

#include <memory>
#include <string_view>

#include "base/status.h"
#include "metadata/mmap_guard.h"

namespace winsnap::metadata::lmdb {

// Translates an LMDB return code from the named function into a Status.
Status LmdbError(std::string_view function, int rc);

struct EnvClose {
  void operator()(MDB_env* e) const { mdb_env_close(e); }
};
using UniqueEnv = std::unique_ptr<MDB_env, EnvClose>;

struct CursorClose {
  void operator()(MDB_cursor* c) const { mdb_cursor_close(c); }
};
// REQUIRES: destroyed before its transaction commits or aborts.
using UniqueCursor = std::unique_ptr<MDB_cursor, CursorClose>;

// Owns an open transaction; aborts it on destruction unless committed.
class Txn {
 public:
  Txn() = default;
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  Txn(Txn&& o) noexcept : txn_(o.txn_) { o.txn_ = nullptr; }
  Txn& operator=(Txn&& o) noexcept {
    if (this != &o) {
      Abort();
      txn_ = o.txn_;
      o.txn_ = nullptr;
    }
    return *this;
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { Abort(); }

  static StatusOr<Txn> Begin(MDB_env* env, unsigned flags) {
    MDB_txn* t = nullptr;
    int rc = Guarded([&] { return mdb_txn_begin(env, nullptr, flags, &t); });
    if (rc != MDB_SUCCESS) return LmdbError("mdb_txn_begin", rc);
    return Txn(t);
  }

  // Commits; the owner is emptied first because LMDB frees the transaction
  // even when the commit fails. Returns the raw rc through *rc_out if given.
  Status Commit(int* rc_out = nullptr) {
    MDB_txn* t = txn_;
    txn_ = nullptr;
    int rc = Guarded([&] { return mdb_txn_commit(t); });
    if (rc_out) *rc_out = rc;
    if (rc != MDB_SUCCESS) return LmdbError("mdb_txn_commit", rc);
    return OkStatus();
  }
  // Gives up the transaction without committing or aborting it (after a
  // fault inside LMDB, when touching it again is unsafe). It leaks.
  MDB_txn* Release() {
    MDB_txn* t = txn_;
    txn_ = nullptr;
    return t;
  }
  void Abort() {
    if (txn_) mdb_txn_abort(txn_);
    txn_ = nullptr;
  }
  MDB_txn* handle() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
};

inline MDB_val Val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
inline std::string_view View(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

}  // namespace winsnap::metadata::lmdb

#endif  // WINSNAP_METADATA_LMDB_H_
