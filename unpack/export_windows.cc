// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// Exporter in the Windows build: the layer folder is read back with
// ExportWindowsLayer over the process's Win32 layer API (BackupRead for a
// base layer, vmcompute ExportLayer for the others; windows_layer_reader.h).
// A host lacking an API it needs (Wine: BackupRead is a stub, vmcompute.dll
// is absent) fails with one line naming it and leaves no output file.

#include <fcntl.h>
#include <io.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "base/env.h"
#include "unpack/export.h"
#include "unpack/win_layer_api.h"
#include "unpack/windows_layer_reader.h"

namespace winsnap::unpack {
namespace {

// Writes to an ofstream (binary), buffered by the stream.
class StreamSink final : public ByteSink {
 public:
  explicit StreamSink(std::ostream* out) : out_(out) {}
  Status Write(const void* data, size_t n) override {
    out_->write(static_cast<const char*>(data),
                static_cast<std::streamsize>(n));
    if (!*out_) return InternalError("write failed");
    return OkStatus();
  }

 private:
  std::ostream* out_;
};

}  // namespace

StatusOr<ExportStats> Exporter::Export(const std::string& layer_dir,
                                       ByteSink* sink) {
  TarWriter w(sink);
  WINSNAP_ASSIGN_OR_RETURN(
      WindowsExportStats ws,
      ExportWindowsLayer(ProcessWin32LayerApi(), layer_dir, parents, &w));
  WINSNAP_RETURN_IF_ERROR(w.Close());
  ExportStats st;
  st.entries = ws.files + ws.whiteouts;
  st.data_bytes = ws.bytes;
  return st;
}

StatusOr<ExportStats> Exporter::ExportToFile(const std::string& layer_dir,
                                             const std::string& out_path) {
  if (out_path == "-") {
    ::_setmode(::_fileno(stdout), _O_BINARY);  // no CRLF translation
    StreamSink sink(&std::cout);
    WINSNAP_ASSIGN_OR_RETURN(ExportStats st, Export(layer_dir, &sink));
    std::cout.flush();
    if (!std::cout) return InternalError("writing the tar to stdout failed");
    return st;
  }
  base::Env* env = base::Env::Default();
  const std::string tmp =
      out_path + ".tmp-" + std::to_string(env->NowNanos() % 1000000007);
  const std::filesystem::path p(
      std::u8string(reinterpret_cast<const char8_t*>(tmp.data()), tmp.size()));
  StatusOr<ExportStats> st = [&]() -> StatusOr<ExportStats> {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    if (!out) return UnknownError("cannot create " + tmp);
    StreamSink sink(&out);
    WINSNAP_ASSIGN_OR_RETURN(ExportStats r, Export(layer_dir, &sink));
    out.close();
    if (!out) return UnknownError("writing " + tmp + " failed");
    return r;
  }();
  if (st.ok()) {
    Status s = env->Rename(tmp, out_path);
    if (!s.ok()) st = s;
  }
  if (!st.ok()) env->RemoveFile(tmp).IgnoreError();
  return st;
}

}  // namespace winsnap::unpack
