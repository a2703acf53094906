// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// IndexResolver: the documents of one OCI import (image indexes, manifests,
// configs), each read and digest-verified at most once, and the walk from an
// index.json entry through nested indexes to the manifest for one platform
// (issue 12 items 8 and 9).
//   * Blobs are memoized by digest: a verified body (or its error) is kept for
//     the rest of the import, and a nested index's resolution is memoized by
//     (digest, depth), so an index whose levels list the same child index N
//     times costs N lookups, not N^depth verified reads.
//   * The descriptors visited are counted over the whole import; past
//     kMaxIndexDescriptors the import fails with InvalidArgument naming the
//     bound and the index being walked.
//   * Nesting deeper than kMaxIndexDepth, and read/digest/parse errors inside
//     a nested index, are that error with the index's digest as context
//     ("image index sha256:...: ..."); only "this index has no manifest for
//     the platform" (FailedPrecondition) lets the walk go on to the siblings.
//
// Thread-safety: used by one thread (the planning phase of an import).

#ifndef WINSNAP_UNPACK_INDEX_RESOLVER_H_
#define WINSNAP_UNPACK_INDEX_RESOLVER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "oci/manifest.h"
#include "oci/platform.h"
#include "unpack/image_source.h"

namespace winsnap::unpack {

inline constexpr int kMaxIndexDepth = 4;
inline constexpr int64_t kMaxIndexDescriptors = 10000;

class IndexResolver {
 public:
  // REQUIRES: "src" outlives the resolver.
  explicit IndexResolver(const ImageSource& src) : src_(src) {}

  // The blob named by "d" (at most "limit" bytes), its digest and size
  // checked; read once per digest. "what" names it in errors ("manifest").
  // Unimplemented for a non-sha256 digest, DataLoss on a mismatch, the
  // source's error (NotFound, ResourceExhausted) otherwise.
  StatusOr<std::string> ReadVerified(const oci::Descriptor& d, size_t limit,
                                     std::string_view what);

  // Picks one manifest descriptor for "want" out of "candidates" (manifests
  // or nested indexes), as described above. FailedPrecondition when none
  // matches the platform; InvalidArgument past the depth or descriptor
  // bound; nested errors with the index as context.
  StatusOr<oci::Descriptor> ResolveManifest(
      const std::vector<oci::Descriptor>& candidates, const oci::Platform& want,
      int depth = 0);

  // Counters (tests).
  int64_t descriptors_visited() const { return visited_; }
  int64_t blob_reads() const { return reads_; }

 private:
  StatusOr<oci::Descriptor> ResolveNested(const oci::Descriptor& d,
                                          const oci::Platform& want, int depth);

  const ImageSource& src_;
  int64_t visited_ = 0;
  int64_t reads_ = 0;
  // digest -> verified body (or the error reading it).
  std::map<std::string, StatusOr<std::string>> blobs_;
  // digest -> parsed index (or the parse error).
  std::map<std::string, StatusOr<oci::ImageIndex>> indexes_;
  // (digest, depth) -> resolution (the platform is fixed per import).
  std::map<std::pair<std::string, int>, StatusOr<oci::Descriptor>> resolved_;
};

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_INDEX_RESOLVER_H_
