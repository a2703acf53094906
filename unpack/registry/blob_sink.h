// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// BlobSink is the seam between the registry client and whatever consumes a
// blob: Client::FetchBlob pushes the blob's bytes into a sink in order, exactly
// once each (after a dropped connection it resumes with a Range request from
// offset(), so a sink never sees a byte twice), and only reports success
// through Commit() after the size and digest were verified.
//
// Three sinks ship here:
//   StringBlobSink - in memory, for manifests' config blobs and tests;
//   FileBlobSink   - appends to a file; resumable across runs (ReadPrefix);
//   BlobPipe       - a bounded in-memory pipe from FetchBlob's thread to a
//                    consumer thread that pulls bytes (e.g. a libarchive read
//                    callback in the unpack pipeline). Nothing touches disk.
//
// Thread-safety: FetchBlob calls a sink from the single thread that runs the
// fetch. StringBlobSink and FileBlobSink are not otherwise thread-safe.
// BlobPipe is built for exactly two threads: one writer (the fetch) and one
// reader.

#ifndef WINSNAP_UNPACK_REGISTRY_BLOB_SINK_H_
#define WINSNAP_UNPACK_REGISTRY_BLOB_SINK_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/thread_annotations.h"

namespace winsnap::registry {

class BlobSink {
 public:
  virtual ~BlobSink() = default;

  // Bytes of the blob this sink already holds; FetchBlob starts downloading
  // here. Invariant: equals the prefix length the sink started with plus
  // everything accepted by Write.
  virtual uint64_t offset() const = 0;

  // Appends blob bytes [offset(), offset() + n). A non-OK status aborts the
  // fetch without retry and is what FetchBlob returns.
  virtual Status Write(const uint8_t* data, size_t n) = 0;

  // Feeds bytes [0, offset()) to "fn" in order, so FetchBlob can include a
  // prefix stored by an earlier run in the digest. Called only when offset()
  // is non-zero when FetchBlob starts. The default returns Unimplemented:
  // streaming sinks cannot replay, so they must start at offset 0.
  virtual Status ReadPrefix(
      const std::function<Status(const uint8_t*, size_t)>& fn);

  // Called once, after the last byte, when the blob's size and digest
  // ("sha256:...") have been verified. Until then nothing the sink received
  // may be treated as valid. A non-OK status becomes FetchBlob's result.
  virtual Status Commit(std::string_view digest);

  // Called once when FetchBlob fails after starting on this sink (including
  // cancellation and digest mismatch): consumers must be woken and discard
  // what they have. "why" is the status FetchBlob returns.
  virtual void Abort(const Status& why);
};

// Collects the blob in a string. Write fails with ResourceExhausted past
// "limit" bytes.
class StringBlobSink final : public BlobSink {
 public:
  explicit StringBlobSink(size_t limit = std::numeric_limits<size_t>::max())
      : limit_(limit) {}

  uint64_t offset() const override { return data_.size(); }
  Status Write(const uint8_t* data, size_t n) override;
  Status ReadPrefix(
      const std::function<Status(const uint8_t*, size_t)>& fn) override;
  Status Commit(std::string_view digest) override;

  const std::string& data() const { return data_; }
  bool committed() const { return committed_; }

 private:
  size_t limit_;
  std::string data_;
  bool committed_ = false;
};

// Appends the blob to a file, so an interrupted download can continue in a
// later process: Open() an existing partial file and FetchBlob re-hashes its
// bytes (ReadPrefix) and requests only the rest. The file is left in place on
// Abort (for the next attempt); the caller renames or deletes it after
// Commit.
class FileBlobSink final : public BlobSink {
 public:
  // Opens "path" for appending, creating it if needed; offset() is its
  // current size.
  static StatusOr<std::unique_ptr<FileBlobSink>> Open(const std::string& path);
  ~FileBlobSink() override;
  FileBlobSink(const FileBlobSink&) = delete;
  FileBlobSink& operator=(const FileBlobSink&) = delete;

  uint64_t offset() const override { return offset_; }
  Status Write(const uint8_t* data, size_t n) override;
  Status ReadPrefix(
      const std::function<Status(const uint8_t*, size_t)>& fn) override;
  // Flushes and closes the file.
  Status Commit(std::string_view digest) override;
  void Abort(const Status& why) override;

  const std::string& path() const { return path_; }

 private:
  FileBlobSink(std::string path, std::FILE* f, uint64_t size)
      : path_(std::move(path)), file_(f), offset_(size) {}

  std::string path_;
  std::FILE* file_;  // owned; null once closed
  uint64_t offset_;
};

// A bounded pipe: FetchBlob writes on its thread, a consumer reads on
// another. Write blocks while "capacity" bytes are buffered, so memory stays
// bounded whatever the download and consume speeds are.
//
// End of stream carries the verdict: Read returns 0 only after Commit, i.e.
// after the digest was verified; after Abort it returns the fetch's error.
// A consumer must therefore read until 0 (even past the end of the tar
// archive it parses) before it treats the layer as good.
class BlobPipe final : public BlobSink {
 public:
  explicit BlobPipe(size_t capacity = 4 << 20);

  // Writer side (BlobSink), called by the fetch thread.
  uint64_t offset() const override;
  // Returns Cancelled (with the reader's reason) once CloseReader was called.
  Status Write(const uint8_t* data, size_t n) override;
  Status Commit(std::string_view digest) override;
  void Abort(const Status& why) override;

  // Reader side. Copies up to "n" buffered bytes into "buf", blocking until
  // at least one byte is available or the stream ended. Returns the number
  // copied; 0 at the verified end of the blob; the fetch's error after Abort.
  StatusOr<size_t> Read(uint8_t* buf, size_t n);
  // The reader gives up (e.g. the unpack failed): pending and future Writes
  // fail with Cancelled so the fetch stops promptly.
  void CloseReader(const Status& why);

  // The digest passed to Commit, once Read has returned 0.
  std::string committed_digest() const;

 private:
  enum class State { kOpen, kCommitted, kAborted };

  mutable base::Mutex mu_;
  base::CondVar cv_;
  std::vector<uint8_t> ring_ GUARDED_BY(mu_);
  size_t head_ GUARDED_BY(mu_) = 0;
  size_t size_ GUARDED_BY(mu_) = 0;
  uint64_t written_ GUARDED_BY(mu_) = 0;
  State state_ GUARDED_BY(mu_) = State::kOpen;
  Status error_ GUARDED_BY(mu_);        // set by Abort
  std::string digest_ GUARDED_BY(mu_);  // set by Commit
  bool reader_closed_ GUARDED_BY(mu_) = false;
  Status reader_status_ GUARDED_BY(mu_);
};

}  // namespace winsnap::registry

#endif  // WINSNAP_UNPACK_REGISTRY_BLOB_SINK_H_
