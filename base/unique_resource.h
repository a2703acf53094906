// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// UniqueResource<Traits>: the one move-only owner of an OS handle (a POSIX
// file descriptor, a Win32 HANDLE, a FindFirstFile handle). Traits supplies
//   using Handle = ...;               the handle type (trivially copyable)
//   static Handle Invalid();          the "owns nothing" value
//   static bool IsValid(Handle);      false for every value that owns nothing
//   static void Close(Handle);        releases a valid handle
// The concrete owners are base::UniqueFd (unique_fd.h, POSIX) and
// base::UniqueHandle / base::UniqueFindHandle (unique_handle_windows.h).
// WIL's wil::unique_handle is what STYLE.md prefers on Windows, but WIL is
// not a Debian package, so this small owner stands in for it; its move,
// self-move, release and double-reset behaviour is tested in
// tests/base/unique_resource_test.cc.
//
// Thread-safety: an owner is a value; distinct owners may be used from
// distinct threads, one owner must not be mutated concurrently.

#ifndef WINSNAP_BASE_UNIQUE_RESOURCE_H_
#define WINSNAP_BASE_UNIQUE_RESOURCE_H_

#include <utility>

namespace winsnap::base {

template <typename Traits>
class UniqueResource {
 public:
  using Handle = typename Traits::Handle;

  UniqueResource() noexcept : h_(Traits::Invalid()) {}
  // Takes ownership of "h" (which may be invalid).
  explicit UniqueResource(Handle h) noexcept : h_(h) {}
  UniqueResource(UniqueResource&& o) noexcept : h_(o.release()) {}
  UniqueResource& operator=(UniqueResource&& o) noexcept {
    // Self-move keeps the handle: release() then reset() of the same object
    // would otherwise close nothing and own nothing, leaking it.
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueResource(const UniqueResource&) = delete;
  UniqueResource& operator=(const UniqueResource&) = delete;
  ~UniqueResource() { reset(); }

  Handle get() const noexcept { return h_; }
  bool valid() const noexcept { return Traits::IsValid(h_); }
  explicit operator bool() const noexcept { return valid(); }

  // Gives up ownership without closing and returns the handle.
  [[nodiscard]] Handle release() noexcept {
    return std::exchange(h_, Traits::Invalid());
  }
  // Closes the owned handle (if any) and takes ownership of "h". Resetting
  // to the handle already owned is a no-op rather than a close-then-own.
  void reset(Handle h = Traits::Invalid()) noexcept {
    if (h == h_) return;
    Handle old = std::exchange(h_, h);
    if (Traits::IsValid(old)) Traits::Close(old);
  }

 private:
  Handle h_;
};

}  // namespace winsnap::base

#endif  // WINSNAP_BASE_UNIQUE_RESOURCE_H_
