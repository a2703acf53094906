// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// A registry image presented as an OCI image layout, so `snapctl pull` runs
// the very same Importer as `snapctl import` (planning, digest and diffID
// checks, staging, commit in order, image record): OpenRegistrySource
// resolves the reference for one platform (registry::Client::Resolve:
// index -> manifest -> config, each digest-verified) and serves
//   index.json                one descriptor, the selected manifest, named
//                             by the reference (io.containerd.image.name);
//   blobs/<alg>/<hex>         the manifest and config from memory, and each
//                             layer as a stream: OpenFile starts a
//                             Client::FetchBlob on a thread of its own into
//                             a bounded BlobPipe that the unpacker reads, so
//                             no layer is ever copied to disk first, layers
//                             download in parallel as the Importer unpacks
//                             them in parallel, and a dropped connection
//                             resumes (Range) inside the same stream.
// A layer stream ends (Read returns 0) only after the client verified the
// blob's digest; the Importer verifies digest, size and diffID again.
//
// Thread-safety: the source is immutable after Open; each BlobFile is read
// by one thread; the Client is shared (it is thread-safe).

#ifndef WINSNAP_UNPACK_REGISTRY_SOURCE_H_
#define WINSNAP_UNPACK_REGISTRY_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "unpack/image_source.h"
#include "unpack/registry/client.h"
#include "unpack/registry/reference.h"

namespace winsnap::unpack {

struct RegistrySourceOptions {
  // Bytes buffered between download and unpack, per layer.
  size_t pipe_bytes = 8 << 20;
};

// Resolves "ref" for "platform" on "client" (which must outlive the
// source). Errors are Client::Resolve's: NotFound (unknown repository, tag,
// or no manifest for the platform), Unauthenticated, PermissionDenied,
// Unavailable, DataLoss, InvalidArgument.
StatusOr<std::unique_ptr<ImageSource>> OpenRegistrySource(
    registry::Client* client, const registry::Reference& ref,
    const oci::Platform& platform, const RegistrySourceOptions& options = {});

}  // namespace winsnap::unpack

#endif  // WINSNAP_UNPACK_REGISTRY_SOURCE_H_
