// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Layer identifiers for HCS documents. HCS names each read-only layer of a
// container by a GUID (Container.Storage.Layers[].Id and the LayerId of
// vmcompute's WC_LAYER_DESCRIPTOR). hcsshim derives it as
// LayerID(path) = NameToGuid(<last element of path>) (hcsshim-facts.md §2,
// HS internal/wclayer/layerid.go), where NameToGuid is an undocumented export
// of vmcompute.dll. Its algorithm is not public: the one known vector is
// NameToGuid("4") = bd9c3ef9-f239-59b5-a27e-15c523b1d149 (hcsshim issue
// #1072), a version-5 GUID whose namespace nobody has found. So this file does
// NOT pretend to reimplement it:
//   - LayerNameFromPath() is hcsshim's exact "last element" rule;
//   - on Windows the LayerService calls vmcompute!NameToGuid on that name
//     (layers_windows.cc);
//   - elsewhere StandInNameToGuid() gives a deterministic RFC 4122 version-5
//     GUID in a winsnap namespace. It is stable and unique per name but is
//     NOT the value HCS would compute; it is only used where no HCS exists
//     (the Linux backend, document tests).
//
// Thread-safety: pure functions and values; safe to use concurrently.

#ifndef WINSNAP_HCS_LAYER_ID_H_
#define WINSNAP_HCS_LAYER_ID_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace winsnap::hcs {

// A GUID held in RFC 4122 (big-endian) byte order, which is also the order of
// its text form: bytes_[0..3] are Data1 most significant byte first.
class Guid {
 public:
  Guid() = default;
  explicit Guid(const std::array<uint8_t, 16>& bytes) : bytes_(bytes) {}

  // Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex digits of either case,
  // optionally wrapped in braces). InvalidArgument otherwise.
  static StatusOr<Guid> Parse(std::string_view text);

  // Lower-case "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as go-winio's
  // guid.GUID.String() prints it (the form hcsshim puts in Layer.Id).
  std::string ToString() const;

  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  int version() const { return bytes_[6] >> 4; }

  friend bool operator==(const Guid&, const Guid&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

// RFC 4122 §4.3 name-based GUID, version 5: SHA-1 over the namespace's 16
// bytes (network order) followed by "name", version and variant bits set.
// Same algorithm as go-winio guid.NewV5 and Python's uuid.uuid5.
Guid NewV5Guid(const Guid& name_space, std::string_view name);

// The element hcsshim's LayerID hashes: everything after the last '\' or '/'
// (and after a drive "X:" when there is no separator), exactly like Go's
// filepath.Split on Windows. A trailing separator yields "".
std::string_view LayerNameFromPath(std::string_view layer_path);

// Namespace of StandInNameToGuid (random, fixed forever):
// 0a4f4715-3dc1-4930-bf04-08cb4f5b6dfe.
extern const Guid kStandInLayerNamespace;

// NewV5Guid(kStandInLayerNamespace, name). Deterministic stand-in for
// vmcompute!NameToGuid where that DLL does not exist; see the file comment.
Guid StandInNameToGuid(std::string_view name);

namespace internal {
// SHA-1 (FIPS 180-4) of "data", computed by OpenSSL. Exposed for tests.
std::array<uint8_t, 20> Sha1(std::string_view data);
}  // namespace internal

}  // namespace winsnap::hcs

#endif  // WINSNAP_HCS_LAYER_ID_H_
