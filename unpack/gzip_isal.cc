// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// gzip through ISA-L's igzip inflate. Handles multi-member streams (each
// member's header and CRC-32/ISIZE trailer are checked by ISA-L with
// ISAL_GZIP); a stream that ends inside a member, or non-gzip bytes after a
// member, is DataLoss.
//
// ISA-L is opened at run time (dlopen of WINSNAP_ISAL_SONAME, the soname of
// the library whose header this file is compiled against), not linked:
// Debian ships it only as a shared library, and a linked one is mapped and
// relocated at the start of every snapctl command, `snapctl path` included,
// while only a gzip layer needs it (issue 14). Where it cannot be opened,
// NewGzipDecoder is zlib's and GzipImplementation() says "zlib".
// Thread-safety: the library is opened once (a function-local static); each
// decoder is used by one thread at a time.

#include <dlfcn.h>
#include <isa-l/igzip_lib.h>

#include <memory>
#include <string>
#include <vector>

#include "unpack/decompress.h"

namespace winsnap::unpack {
namespace {

// The three entry points the decoder calls.
struct IsalApi {
  void (*inflate_init)(inflate_state*) = nullptr;
  void (*inflate_reset)(inflate_state*) = nullptr;
  int (*inflate)(inflate_state*) = nullptr;
};

template <typename Fn>
bool Bind(void* lib, const char* name, Fn* fn) {
  void* sym = dlsym(lib, name);
  *fn = reinterpret_cast<Fn>(sym);
  return sym != nullptr;
}

// ISA-L's entry points, or nullptr when the library or one of them is
// missing. The library stays open for the life of the process.
const IsalApi* Isal() {
  static const IsalApi* const api = []() -> const IsalApi* {
    void* lib = dlopen(WINSNAP_ISAL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return nullptr;
    static IsalApi loaded;
    if (!Bind(lib, "isal_inflate_init", &loaded.inflate_init) ||
        !Bind(lib, "isal_inflate_reset", &loaded.inflate_reset) ||
        !Bind(lib, "isal_inflate", &loaded.inflate)) {
      dlclose(lib);
      return nullptr;
    }
    return &loaded;
  }();
  return api;
}

class IsalGzipDecoder final : public ByteReader {
 public:
  // REQUIRES: api != nullptr; *api outlives the decoder.
  IsalGzipDecoder(const IsalApi* api, ByteReader* in)
      : api_(api),
        in_(in),
        buf_(256 << 10),
        state_(std::make_unique<inflate_state>()) {
    api_->inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;
  }

  StatusOr<size_t> Read(uint8_t* out, size_t n) override {
    if (eof_) return size_t{0};
    inflate_state* s = state_.get();
    s->next_out = out;
    s->avail_out = static_cast<uint32_t>(std::min<size_t>(n, 1u << 30));
    const uint32_t want = s->avail_out;
    while (s->avail_out == want) {
      if (s->block_state == ISAL_BLOCK_FINISH) {
        // End of a member: another member may follow.
        if (s->avail_in == 0) WINSNAP_RETURN_IF_ERROR(Fill());
        if (s->avail_in == 0) {
          eof_ = true;
          return size_t{0};
        }
        if (s->next_in[0] != 0x1f)
          return DataLossError("gzip: trailing garbage after the stream");
        uint8_t* next_in = s->next_in;
        uint32_t avail_in = s->avail_in;
        api_->inflate_reset(s);
        s->crc_flag = ISAL_GZIP;
        s->next_in = next_in;
        s->avail_in = avail_in;
        s->next_out = out;
        s->avail_out = want;
        member_started_ = true;
      }
      if (s->avail_in == 0) {
        WINSNAP_RETURN_IF_ERROR(Fill());
        if (s->avail_in == 0) {
          if (!member_started_) {
            eof_ = true;
            return size_t{0};
          }
          return DataLossError("gzip: unexpected end of compressed stream");
        }
      }
      member_started_ = true;
      int r = api_->inflate(s);
      if (r != ISAL_DECOMP_OK)
        return DataLossError("gzip: corrupt compressed stream (isal_inflate " +
                             std::to_string(r) + ")");
      if (s->block_state == ISAL_BLOCK_FINISH) member_started_ = false;
    }
    return static_cast<size_t>(want - s->avail_out);
  }

 private:
  Status Fill() {
    WINSNAP_ASSIGN_OR_RETURN(size_t got, in_->Read(buf_.data(), buf_.size()));
    state_->next_in = buf_.data();
    state_->avail_in = static_cast<uint32_t>(got);
    return OkStatus();
  }

  const IsalApi* api_;
  ByteReader* in_;
  std::vector<uint8_t> buf_;
  std::unique_ptr<inflate_state> state_;  // ~100 KiB: keep it off the stack
  bool member_started_ = false;
  bool eof_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<ByteReader>> NewGzipDecoder(ByteReader* in) {
  if (const IsalApi* api = Isal()) {
    return std::unique_ptr<ByteReader>(new IsalGzipDecoder(api, in));
  }
  return NewZlibGzipDecoder(in);
}

std::string_view GzipImplementation() {
  return Isal() != nullptr ? "isa-l" : "zlib";
}

}  // namespace winsnap::unpack
