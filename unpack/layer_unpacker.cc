// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "unpack/layer_unpacker.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <thread>
#include <vector>

#include "base/thread_annotations.h"
#include "oci/digest.h"
#include "unpack/layer_limits.h"
#include "unpack/win_metadata.h"

namespace winsnap::unpack {
namespace {

// Fixed set of buffers cycling between the decompressor (fills) and the
// writer (drains). Invariant: every buffer is in exactly one of free_,
// full_, or held by one side.
class BufferPipe {
 public:
  struct Buffer {
    std::vector<uint8_t> data;
    size_t len = 0;
  };

  BufferPipe(int n, size_t size) : storage_(static_cast<size_t>(n)) {
    for (auto& b : storage_) {
      b.data.resize(size);
      free_.push_back(&b);
    }
  }

  // Producer: a free buffer, or the reason the consumer gave up.
  StatusOr<Buffer*> Acquire() {
    base::MutexLock lock(&mu_);
    while (free_.empty() && !cancelled_) cv_.Wait(&mu_);
    if (cancelled_) return cancel_status_;
    Buffer* b = free_.front();
    free_.pop_front();
    return b;
  }
  void Push(Buffer* b) {
    {
      base::MutexLock lock(&mu_);
      full_.push_back(b);
    }
    cv_.SignalAll();
  }
  void Give(Buffer* b) { Release(b); }
  // Producer: no more buffers; "s" is the stream's verdict.
  void CloseWrite(Status s) {
    {
      base::MutexLock lock(&mu_);
      closed_ = true;
      close_status_ = std::move(s);
    }
    cv_.SignalAll();
  }

  // Consumer: the next full buffer, nullptr at a clean end, or the
  // producer's error.
  StatusOr<Buffer*> Pop() {
    base::MutexLock lock(&mu_);
    while (full_.empty() && !closed_) cv_.Wait(&mu_);
    if (!full_.empty()) {
      Buffer* b = full_.front();
      full_.pop_front();
      return b;
    }
    if (!close_status_.ok()) return close_status_;
    return static_cast<Buffer*>(nullptr);
  }
  void Release(Buffer* b) {
    {
      base::MutexLock lock(&mu_);
      free_.push_back(b);
    }
    cv_.SignalAll();
  }
  // Consumer: stop the producer.
  void Cancel(Status s) {
    {
      base::MutexLock lock(&mu_);
      cancelled_ = true;
      cancel_status_ = std::move(s);
    }
    cv_.SignalAll();
  }

 private:
  std::vector<Buffer> storage_;
  base::Mutex mu_;
  base::CondVar cv_;
  std::deque<Buffer*> free_ GUARDED_BY(mu_);
  std::deque<Buffer*> full_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  Status close_status_ GUARDED_BY(mu_);
  bool cancelled_ GUARDED_BY(mu_) = false;
  Status cancel_status_ GUARDED_BY(mu_);
};

// Hands the writer the producer's buffers and hashes each one (the diffID)
// on the writer's thread, which leaves the producer's core to decompression
// and the blob digest: the producer is the import's critical path.
class PipeSource final : public ChunkSource {
 public:
  PipeSource(BufferPipe* pipe, oci::Digester* sha) : pipe_(pipe), sha_(sha) {}
  ~PipeSource() override {
    if (cur_) pipe_->Release(cur_);
  }
  StatusOr<std::span<const uint8_t>> Next() override {
    if (cur_) {
      pipe_->Release(cur_);
      cur_ = nullptr;
    }
    WINSNAP_ASSIGN_OR_RETURN(cur_, pipe_->Pop());
    if (!cur_) return std::span<const uint8_t>();
    sha_->Update(cur_->data.data(), cur_->len);
    bytes_ += static_cast<int64_t>(cur_->len);
    return std::span<const uint8_t>(cur_->data.data(), cur_->len);
  }
  int64_t bytes() const { return bytes_; }

 private:
  BufferPipe* pipe_;
  oci::Digester* sha_;
  BufferPipe::Buffer* cur_ = nullptr;
  int64_t bytes_ = 0;
};

// Hashes and counts what passes through; serves a peeked prefix first.
class HashingReader final : public ByteReader {
 public:
  HashingReader(ByteReader* in, oci::Digester* sha, std::atomic<int64_t>* count)
      : in_(in), sha_(sha), count_(count) {}

  // Reads the first bytes (for the magic number) without consuming them.
  StatusOr<std::span<const uint8_t>> Peek(size_t n) {
    head_.resize(n);
    size_t got = 0;
    while (got < n) {
      WINSNAP_ASSIGN_OR_RETURN(size_t r,
                               in_->Read(head_.data() + got, n - got));
      if (r == 0) break;
      got += r;
    }
    head_.resize(got);
    sha_->Update(head_.data(), got);
    count_->fetch_add(static_cast<int64_t>(got), std::memory_order_relaxed);
    return std::span<const uint8_t>(head_);
  }

  StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    if (head_pos_ < head_.size()) {
      size_t take = std::min(n, head_.size() - head_pos_);
      std::memcpy(buf, head_.data() + head_pos_, take);
      head_pos_ += take;
      return take;
    }
    WINSNAP_ASSIGN_OR_RETURN(size_t r, in_->Read(buf, n));
    sha_->Update(buf, r);
    count_->fetch_add(static_cast<int64_t>(r), std::memory_order_relaxed);
    return r;
  }

 private:
  ByteReader* in_;
  oci::Digester* sha_;
  std::atomic<int64_t>* count_;
  std::vector<uint8_t> head_;
  size_t head_pos_ = 0;
};

class ReaderData final : public EntryData {
 public:
  explicit ReaderData(TarReader* r) : r_(r) {}
  StatusOr<std::span<const uint8_t>> Next() override { return r_->ReadData(); }

 private:
  TarReader* r_;
};

// "guard" (may be null) checks each entry's declared size before the writer
// sees it; the Windows PAX records are validated for every writer.
Status RunEntries(TarReader* reader, LayerWriter* writer,
                  const std::function<void(const LayerStats&)>& on_entry,
                  LayerSizeGuard* guard) {
  TarHeader h;
  ReaderData data(reader);
  for (;;) {
    WINSNAP_ASSIGN_OR_RETURN(bool more, reader->Next(&h));
    if (!more) return OkStatus();
    if (guard) WINSNAP_RETURN_IF_ERROR(guard->Admit(h));
    WINSNAP_RETURN_IF_ERROR(ValidateWindowsPax(h));
    WINSNAP_RETURN_IF_ERROR(writer->Add(h, &data));
    if (on_entry) on_entry(writer->stats());
  }
}

}  // namespace

StatusOr<LayerStats> WriteLayer(
    TarReader* reader, LayerWriter* writer,
    const std::function<void(const LayerStats&)>& on_entry) {
  WINSNAP_RETURN_IF_ERROR(RunEntries(reader, writer, on_entry, nullptr));
  WINSNAP_RETURN_IF_ERROR(reader->Drain());
  return writer->Finish();
}

StatusOr<UnpackedLayer> UnpackLayer(ByteReader* blob, const std::string& dir,
                                    const UnpackLayerOptions& options) {
  WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<LayerWriter> writer,
                           NewLayerWriter(dir, options.writer));
  WINSNAP_ASSIGN_OR_RETURN(oci::Digester blob_sha,
                           oci::Digester::Create("sha256"));
  WINSNAP_ASSIGN_OR_RETURN(oci::Digester diff_sha,
                           oci::Digester::Create("sha256"));
  std::atomic<int64_t> compressed{0};
  std::atomic<int64_t> uncompressed{0};
  BufferPipe pipe(std::max(2, options.chunks),
                  std::max<size_t>(4096, options.chunk_size));

  // Stage 2: the writer thread.
  Status write_status;
  LayerStats stats;
  std::thread writer_thread([&] {
    PipeSource source(&pipe, &diff_sha);
    TarReader reader(&source);
    // The first entry reports at once, then at most every 100 ms.
    auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    auto report = [&](const LayerStats& s, bool done) {
      if (!options.progress) return;
      LayerProgress p;
      p.compressed_bytes = compressed.load(std::memory_order_relaxed);
      p.uncompressed_bytes = reader.offset();
      p.entries = s.entries;
      p.files = s.files;
      p.done = done;
      options.progress(p);
    };
    auto on_entry = [&](const LayerStats& s) {
      auto now = std::chrono::steady_clock::now();
      if (now - last >= std::chrono::milliseconds(100)) {
        last = now;
        report(s, false);
      }
    };
    LayerSizeGuard guard(dir, options.writer.limits);
    Status s = RunEntries(&reader, writer.get(), on_entry, &guard);
    if (s.ok()) s = reader.Drain();
    if (s.ok()) {
      auto fin = writer->Finish();
      if (fin.ok()) {
        stats = *fin;
        report(stats, true);
      } else {
        s = fin.status();
      }
    }
    if (!s.ok())
      pipe.Cancel(CancelledError("layer writer stopped: " + s.message()));
    write_status = s;
  });

  // Stage 1: read, hash, decompress, hash, hand over.
  Compression compression = Compression::kUnknown;
  auto produce = [&]() -> Status {
    HashingReader hashing(blob, &blob_sha, &compressed);
    WINSNAP_ASSIGN_OR_RETURN(auto head, hashing.Peek(512));
    compression = DetectCompression(head);
    if (options.compression != Compression::kUnknown &&
        options.compression != compression) {
      spdlog::warn("layer blob media type says {} but its content is {}",
                   CompressionName(options.compression),
                   CompressionName(compression));
    }
    WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> decoder,
                             NewDecoder(compression, &hashing));
    for (;;) {
      if (options.cancel && options.cancel->load())
        return CancelledError("import cancelled");
      WINSNAP_ASSIGN_OR_RETURN(BufferPipe::Buffer * b, pipe.Acquire());
      b->len = 0;
      bool eof = false;
      Status s;
      while (b->len < b->data.size()) {
        auto r =
            decoder->Read(b->data.data() + b->len, b->data.size() - b->len);
        if (!r.ok()) {
          s = r.status();
          break;
        }
        if (*r == 0) {
          eof = true;
          break;
        }
        b->len += *r;
      }
      if (!s.ok()) {
        pipe.Give(b);
        return s;
      }
      if (b->len > 0) {
        uncompressed.fetch_add(static_cast<int64_t>(b->len));
        pipe.Push(b);
      } else {
        pipe.Give(b);
      }
      if (eof) return OkStatus();
    }
  };
  Status read_status = produce();
  pipe.CloseWrite(read_status);
  writer_thread.join();

  if (!read_status.ok() &&
      !(read_status.code() == StatusCode::kCancelled && !write_status.ok()))
    return read_status;
  if (!write_status.ok()) return write_status;
  UnpackedLayer out;
  out.compressed_size = compressed.load();
  out.uncompressed_size = uncompressed.load();
  out.blob_digest = blob_sha.Finish();
  out.diff_id = diff_sha.Finish();
  out.compression = compression;
  out.stats = stats;
  return out;
}

namespace {
class StringChunks final : public ChunkSource {
 public:
  explicit StringChunks(std::string_view s) : s_(s) {}
  StatusOr<std::span<const uint8_t>> Next() override {
    if (done_) return std::span<const uint8_t>();
    done_ = true;
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s_.data()),
                                    s_.size());
  }

 private:
  std::string_view s_;
  bool done_ = false;
};
}  // namespace

StatusOr<LayerStats> UnpackTarBytes(std::string_view tar,
                                    const std::string& dir,
                                    const LayerWriterOptions& options) {
  WINSNAP_ASSIGN_OR_RETURN(std::unique_ptr<LayerWriter> writer,
                           NewLayerWriter(dir, options));
  StringChunks chunks(tar);
  TarReader reader(&chunks);
  LayerSizeGuard guard(dir, options.limits);
  WINSNAP_RETURN_IF_ERROR(RunEntries(&reader, writer.get(), {}, &guard));
  WINSNAP_RETURN_IF_ERROR(reader.Drain());
  return writer->Finish();
}

}  // namespace winsnap::unpack
