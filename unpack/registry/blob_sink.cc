// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/registry/blob_sink.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace winsnap::registry {

Status BlobSink::ReadPrefix(
    const std::function<Status(const uint8_t*, size_t)>& /*fn*/) {
  return UnimplementedError("this blob sink cannot replay its prefix");
}

Status BlobSink::Commit(std::string_view /*digest*/) { return OkStatus(); }

void BlobSink::Abort(const Status& /*why*/) {}

// ---- StringBlobSink ----

Status StringBlobSink::Write(const uint8_t* data, size_t n) {
  if (n > limit_ - data_.size()) {
    return ResourceExhaustedError("blob larger than " + std::to_string(limit_) +
                                  " bytes");
  }
  data_.append(reinterpret_cast<const char*>(data), n);
  return OkStatus();
}

Status StringBlobSink::ReadPrefix(
    const std::function<Status(const uint8_t*, size_t)>& fn) {
  return fn(reinterpret_cast<const uint8_t*>(data_.data()), data_.size());
}

Status StringBlobSink::Commit(std::string_view /*digest*/) {
  committed_ = true;
  return OkStatus();
}

// ---- FileBlobSink ----

StatusOr<std::unique_ptr<FileBlobSink>> FileBlobSink::Open(
    const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (f == nullptr) return ErrnoError("fopen", errno, path);
  // std::filesystem rather than ftell: long is 32 bits on Windows and base
  // layers exceed 2 GiB.
  std::error_code ec;
  uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    std::fclose(f);
    return ErrnoError("file_size", ec.value(), path);
  }
  return std::unique_ptr<FileBlobSink>(
      new FileBlobSink(path, f, static_cast<uint64_t>(size)));
}

FileBlobSink::~FileBlobSink() {
  if (file_ != nullptr) std::fclose(file_);
}

Status FileBlobSink::Write(const uint8_t* data, size_t n) {
  if (file_ == nullptr) return FailedPreconditionError("file sink is closed");
  if (std::fwrite(data, 1, n, file_) != n) {
    return ErrnoError("fwrite", errno, path_);
  }
  offset_ += n;
  return OkStatus();
}

Status FileBlobSink::ReadPrefix(
    const std::function<Status(const uint8_t*, size_t)>& fn) {
  if (file_ == nullptr) return FailedPreconditionError("file sink is closed");
  if (std::fflush(file_) != 0) return ErrnoError("fflush", errno, path_);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(
      std::fopen(path_.c_str(), "rb"), &std::fclose);
  if (in == nullptr) return ErrnoError("fopen", errno, path_);
  std::vector<uint8_t> buf(1 << 16);
  uint64_t left = offset_;
  while (left > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    size_t got = std::fread(buf.data(), 1, want, in.get());
    if (got == 0) {
      return std::ferror(in.get())
                 ? ErrnoError("fread", errno, path_)
                 : DataLossError(path_ + " shrank while resuming");
    }
    WINSNAP_RETURN_IF_ERROR(fn(buf.data(), got));
    left -= got;
  }
  return OkStatus();
}

Status FileBlobSink::Commit(std::string_view /*digest*/) {
  if (file_ == nullptr) return FailedPreconditionError("file sink is closed");
  std::FILE* f = file_;
  file_ = nullptr;
  bool flushed = std::fflush(f) == 0;
  int err = errno;
  if (std::fclose(f) != 0 && flushed) {
    flushed = false;
    err = errno;
  }
  if (!flushed) return ErrnoError("fclose", err, path_);
  return OkStatus();
}

void FileBlobSink::Abort(const Status& /*why*/) {
  if (file_ != nullptr) {
    std::fclose(file_);  // keep the partial file for a later resume
    file_ = nullptr;
  }
}

// ---- BlobPipe ----

BlobPipe::BlobPipe(size_t capacity) : ring_(std::max<size_t>(capacity, 1)) {}

uint64_t BlobPipe::offset() const {
  base::MutexLock lock(&mu_);
  return written_;
}

Status BlobPipe::Write(const uint8_t* data, size_t n) {
  base::MutexLock lock(&mu_);
  const size_t cap = ring_.size();
  while (n > 0) {
    // Backpressure: wait for the reader to drain.
    while (size_ >= cap && !reader_closed_) cv_.Wait(&mu_);
    if (reader_closed_) return reader_status_;
    if (state_ != State::kOpen) {
      return FailedPreconditionError("write to a finished blob pipe");
    }
    size_t k = std::min(n, cap - size_);
    size_t tail = (head_ + size_) % cap;
    size_t first = std::min(k, cap - tail);
    std::memcpy(ring_.data() + tail, data, first);
    std::memcpy(ring_.data(), data + first, k - first);
    size_ += k;
    written_ += k;
    data += k;
    n -= k;
    cv_.SignalAll();
  }
  return OkStatus();
}

Status BlobPipe::Commit(std::string_view digest) {
  base::MutexLock lock(&mu_);
  if (reader_closed_) return reader_status_;
  state_ = State::kCommitted;
  digest_ = std::string(digest);
  cv_.SignalAll();
  return OkStatus();
}

void BlobPipe::Abort(const Status& why) {
  base::MutexLock lock(&mu_);
  if (state_ != State::kOpen) return;
  state_ = State::kAborted;
  error_ = why.ok() ? UnknownError("blob fetch aborted") : why;
  cv_.SignalAll();
}

StatusOr<size_t> BlobPipe::Read(uint8_t* buf, size_t n) {
  base::MutexLock lock(&mu_);
  while (size_ == 0 && state_ == State::kOpen) cv_.Wait(&mu_);
  // An aborted fetch poisons the stream even if bytes are still buffered:
  // they were never verified.
  if (state_ == State::kAborted) return error_;
  if (size_ == 0) return size_t{0};  // committed: verified end of blob
  const size_t cap = ring_.size();
  size_t k = std::min(n, size_);
  size_t first = std::min(k, cap - head_);
  std::memcpy(buf, ring_.data() + head_, first);
  std::memcpy(buf + first, ring_.data(), k - first);
  head_ = (head_ + k) % cap;
  size_ -= k;
  cv_.SignalAll();
  return k;
}

void BlobPipe::CloseReader(const Status& why) {
  base::MutexLock lock(&mu_);
  reader_closed_ = true;
  reader_status_ =
      CancelledError("blob consumer stopped: " +
                     (why.ok() ? std::string("closed") : why.ToString()));
  cv_.SignalAll();
}

std::string BlobPipe::committed_digest() const {
  base::MutexLock lock(&mu_);
  return digest_;
}

}  // namespace winsnap::registry
