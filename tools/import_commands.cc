// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0

#include "tools/import_commands.h"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "metadata/types.h"
#include "oci/platform.h"
#include "tools/output.h"
#include "unpack/export.h"
#include "unpack/import.h"
#include "unpack/registry/client.h"
#include "unpack/registry/reference.h"
#include "unpack/registry_source.h"

namespace winsnap::tools {
namespace {

using json = nlohmann::ordered_json;
using unpack::ImportEvent;

std::string_view EventName(ImportEvent::Type t) {
  switch (t) {
    case ImportEvent::Type::kImage:
      return "image";
    case ImportEvent::Type::kLayerSkipped:
      return "layer-skipped";
    case ImportEvent::Type::kLayerProgress:
      return "layer-progress";
    case ImportEvent::Type::kLayerDone:
      return "layer-done";
    case ImportEvent::Type::kCommitted:
      return "committed";
  }
  return "?";
}

std::string Short(const std::string& digest) {
  size_t colon = digest.find(':');
  std::string hex =
      colon == std::string::npos ? digest : digest.substr(colon + 1);
  return hex.substr(0, 12);
}

// One line per layer, redrawn in place (ANSI cursor-up) at most 10x/second.
class ProgressBars {
 public:
  void Update(const ImportEvent& ev) {
    if (ev.type == ImportEvent::Type::kImage) {
      Flush(true);
      lines_.clear();
      drawn_ = 0;
      std::fprintf(stderr, "importing %s (%d layers)\n", ev.image.c_str(),
                   ev.layers);
      return;
    }
    if (ev.layer < 0) return;
    lines_[ev.layer] = Line(ev);
    auto now = std::chrono::steady_clock::now();
    bool final = ev.type != ImportEvent::Type::kLayerProgress;
    if (final || now - last_ >= std::chrono::milliseconds(100)) {
      last_ = now;
      Flush(false);
    }
  }
  void Finish() { Flush(true); }

 private:
  static std::string Line(const ImportEvent& ev) {
    char head[64];
    std::snprintf(head, sizeof head, "layer %d/%d %-12s ", ev.layer + 1,
                  ev.layers,
                  Short(ev.digest.empty() ? ev.chain_id : ev.digest).c_str());
    std::string s = head;
    if (ev.type == ImportEvent::Type::kLayerSkipped)
      return s + "already present";
    const int width = 30;
    double frac = ev.size > 0 ? static_cast<double>(ev.compressed_bytes) /
                                    static_cast<double>(ev.size)
                              : 0.0;
    if (ev.type == ImportEvent::Type::kLayerDone) frac = 1.0;
    if (frac > 1) frac = 1;
    int fill = static_cast<int>(frac * width);
    s += "[" + std::string(fill, '#') + std::string(width - fill, ' ') + "] ";
    char tail[128];
    std::snprintf(tail, sizeof tail, "%3d%% %s/%s %lld files%s",
                  static_cast<int>(frac * 100),
                  HumanSize(ev.compressed_bytes).c_str(),
                  ev.size >= 0 ? HumanSize(ev.size).c_str() : "?",
                  static_cast<long long>(ev.files),
                  ev.type == ImportEvent::Type::kLayerDone ? " verified" : "");
    return s + tail;
  }
  void Flush(bool force) {
    if (lines_.empty() && !force) return;
    std::string out;
    if (drawn_ > 0) out += "\x1b[" + std::to_string(drawn_) + "A";
    for (const auto& [i, line] : lines_) out += "\r\x1b[2K" + line + "\n";
    drawn_ = static_cast<int>(lines_.size());
    std::fputs(out.c_str(), stderr);
    std::fflush(stderr);
  }

  std::map<int, std::string> lines_;
  int drawn_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

json EventJson(const ImportEvent& ev) {
  json j;
  j["event"] = std::string(EventName(ev.type));
  j["image"] = ev.image;
  if (ev.layer >= 0) j["layer"] = ev.layer;
  j["layers"] = ev.layers;
  if (!ev.digest.empty()) j["digest"] = ev.digest;
  if (!ev.chain_id.empty()) j["chain_id"] = ev.chain_id;
  if (ev.type == ImportEvent::Type::kLayerProgress ||
      ev.type == ImportEvent::Type::kLayerDone) {
    j["size"] = ev.size;
    j["compressed_bytes"] = ev.compressed_bytes;
    j["uncompressed_bytes"] = ev.uncompressed_bytes;
    j["entries"] = ev.entries;
    j["files"] = ev.files;
  }
  return j;
}

// Options shared by import and pull.
struct ImportArgs {
  std::string name;
  std::string platform = "windows/amd64";
  int parallel = 2;
  bool no_sync = false;
  std::string max_layer_size;  // "" = no limit
};

// "1048576", "512M", "10G", "1T" (K/M/G/T are powers of 1024, an optional
// trailing "B" or "iB" is accepted). InvalidArgument otherwise.
StatusOr<int64_t> ParseByteSize(const std::string& text) {
  std::string s = text;
  for (const char* suffix : {"iB", "B"}) {
    size_t n = std::strlen(suffix);
    if (s.size() > n && s.compare(s.size() - n, n, suffix) == 0) {
      s.resize(s.size() - n);
      break;
    }
  }
  int shift = 0;
  if (!s.empty()) {
    switch (s.back()) {
      case 'K':
      case 'k':
        shift = 10;
        break;
      case 'M':
      case 'm':
        shift = 20;
        break;
      case 'G':
      case 'g':
        shift = 30;
        break;
      case 'T':
      case 't':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift) s.pop_back();
  }
  uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  const uint64_t max =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) >> shift;
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() ||
      v == 0 || v > max)
    return InvalidArgumentError("--max-layer-size \"" + text +
                                "\" is not a positive size such as "
                                "1073741824, 512M or 10G");
  return static_cast<int64_t>(v << shift);
}

void AddImportOptions(CLI::App* cmd, ImportArgs* args) {
  cmd->add_option("--name", args->name,
                  "Image name to record (default: from the source)");
  cmd->add_option("--platform", args->platform,
                  "Platform, os[(os.version)]/arch[/variant] (default "
                  "windows/amd64)");
  cmd->add_option("--parallel", args->parallel,
                  "Layers unpacked at the same time (default 2)");
  cmd->add_option("--max-layer-size", args->max_layer_size,
                  "Refuse a layer whose entries declare more than SIZE bytes "
                  "(e.g. 10G; K/M/G/T = 1024^n); entries larger than the free "
                  "space of the store's filesystem are always refused");
  cmd->add_flag("--no-sync", args->no_sync,
                "Do not syncfs the layers before committing them (faster, not "
                "durable across power loss)");
}

using ImportFn = std::function<StatusOr<std::vector<unpack::ImportedImage>>(
    unpack::Importer&, const unpack::ImportOptions&)>;

// Runs an import (archive or registry) with progress bars on a terminal,
// JSON events with --json, and prints the result.
void RunImport(CliContext& ctx, const ImportArgs& args, const char* verb,
               const ImportFn& run) {
  int64_t max_layer_size = 0;
  if (!args.max_layer_size.empty())
    max_layer_size = Check(ParseByteSize(args.max_layer_size));
  // Before the store is opened: a build that cannot write layers refuses
  // with one line and creates nothing, not even the root (both builds write
  // layers today; on Windows through the Win32 layer API, which fails the
  // layer, naming the missing API, on a host without it).
  Check(unpack::LayerWritingSupported());
  auto sn = Check(ctx.Open(/*read_only=*/false));
  unpack::Importer importer(sn.get());
  unpack::ImportOptions opts;
  opts.name = args.name;
  opts.platform = args.platform;
  opts.parallel_layers = args.parallel;
  opts.writer.sync = !args.no_sync;
  opts.writer.overlay_whiteouts = true;
  opts.writer.limits.max_layer_size = max_layer_size;
  ProgressBars bars;
  const bool tty = StderrIsTerminal();
  if (ctx.json) {
    opts.progress = [](const ImportEvent& ev) {
      std::cout << EventJson(ev).dump() << "\n" << std::flush;
    };
  } else if (tty) {
    opts.progress = [&bars](const ImportEvent& ev) { bars.Update(ev); };
  }
  auto t0 = std::chrono::steady_clock::now();
  auto result = run(importer, opts);
  if (tty && !ctx.json) bars.Finish();
  auto images = Check(std::move(result));
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  if (ctx.json) {
    json out;
    out["event"] = "result";
    out["seconds"] = secs;
    out["images"] = json::array();
    for (const auto& img : images) {
      json j;
      j["names"] = img.names;
      j["manifest_digest"] = img.record.manifest_digest;
      j["config_digest"] = img.record.config_digest;
      j["platform"] = img.record.platform;
      j["top_chain_id"] = img.record.top_chain_id;
      j["layers"] = json::array();
      for (const auto& l : img.layers) {
        j["layers"].push_back({{"digest", l.digest},
                               {"diff_id", l.diff_id},
                               {"chain_id", l.chain_id},
                               {"skipped", l.skipped},
                               {"compressed_bytes", l.size},
                               {"files", l.stats.files},
                               {"bytes", l.stats.bytes}});
      }
      out["images"].push_back(j);
    }
    std::cout << out.dump() << "\n";
    return;
  }
  for (const auto& img : images) {
    int fresh = 0;
    for (const auto& l : img.layers) fresh += l.skipped ? 0 : 1;
    std::cout << verb << " " << img.names[0] << " "
              << img.record.manifest_digest << " (" << img.layers.size()
              << " layers, " << fresh << " new) top " << img.record.top_chain_id
              << "\n";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", secs);
  std::cerr << "done in " << buf << "s\n";
}

void RegisterImport(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ImportArgs>();
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Import an OCI image layout (dir or tar) or a docker-save tar: verified "
      "layers become committed snapshots named by chain ID.\n"
      "Example: snapctl import --name example.com/app:1 app.tar");
  cmd->add_option("archive", *path, "Image archive file or directory")
      ->required();
  AddImportOptions(cmd, args.get());
  cmd->callback([&ctx, args, path] {
    RunImport(ctx, *args, "imported",
              [&](unpack::Importer& im, const unpack::ImportOptions& o) {
                return im.Import(*path, o);
              });
  });
}

void RegisterPull(CLI::App& app, CliContext& ctx) {
  struct PullArgs {
    std::string ref;
    std::vector<std::string> plain_http;
    std::vector<std::string> insecure;
    std::string docker_config;
    std::string ca_file;
  };
  auto args = std::make_shared<ImportArgs>();
  auto pull = std::make_shared<PullArgs>();
  CLI::App* cmd = app.add_subcommand(
      "pull",
      "Pull an image from an OCI/Docker registry straight into layer "
      "snapshots: layers stream from the network into the unpacker (no temp "
      "copy), digests and diffIDs are verified, dropped downloads resume.\n"
      "Example: snapctl pull mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
      "         snapctl pull --plain-http localhost:5000 "
      "localhost:5000/app:1");
  cmd->add_option("reference", pull->ref,
                  "Image reference, [registry/]repository[:tag][@digest]")
      ->required();
  AddImportOptions(cmd, args.get());
  cmd->add_option("--plain-http", pull->plain_http,
                  "Registry (host[:port]) to speak plain HTTP to; repeatable");
  cmd->add_option("--insecure-registry", pull->insecure,
                  "Registry whose TLS certificate is not verified; repeatable");
  cmd->add_option("--docker-config", pull->docker_config,
                  "docker-style config.json with credentials (default "
                  "$DOCKER_CONFIG/config.json or ~/.docker/config.json)");
  cmd->add_option("--ca-file", pull->ca_file,
                  "Extra PEM CA bundle to trust for registry TLS");
  cmd->callback([&ctx, args, pull] {
    auto ref = Check(registry::ParseReference(pull->ref));
    auto platform = Check(oci::ParsePlatform(args->platform));
    registry::ClientOptions co;
    co.plain_http_registries = pull->plain_http;
    co.insecure_registries = pull->insecure;
    co.docker_config_path = pull->docker_config;
    co.ca_file = pull->ca_file;
    auto client = Check(registry::Client::Create(std::move(co)));
    RunImport(ctx, *args, "pulled",
              [&](unpack::Importer& im, const unpack::ImportOptions& o) {
                using Result = StatusOr<std::vector<unpack::ImportedImage>>;
                auto src =
                    unpack::OpenRegistrySource(client.get(), ref, platform);
                if (!src.ok()) return Result(src.status());
                return im.Import(**src, ref.String(), o);
              });
  });
}

void RegisterImages(CLI::App& app, CliContext& ctx) {
  CLI::App* cmd = app.add_subcommand("images", "List imported images");
  cmd->alias("image-ls");
  cmd->callback([&ctx] {
    auto sn = Check(ctx.Open(/*read_only=*/true));
    std::vector<metadata::ImageRecord> recs = Check(sn->ListImages());
    if (ctx.json) {
      json arr = json::array();
      for (const auto& r : recs) {
        arr.push_back({{"name", r.name},
                       {"digest", r.manifest_digest},
                       {"config_digest", r.config_digest},
                       {"platform", r.platform},
                       {"top_chain_id", r.top_chain_id},
                       {"created", Rfc3339Nano(r.created_ns)}});
      }
      std::cout << arr.dump(4) << "\n";
      return;
    }
    std::vector<std::vector<std::string>> rows{
        {"NAME", "DIGEST", "PLATFORM", "TOP CHAINID"}};
    for (const auto& r : recs)
      rows.push_back({r.name, r.manifest_digest, r.platform, r.top_chain_id});
    std::cout << Table(rows);
  });
}

void RegisterRmi(CLI::App& app, CliContext& ctx) {
  auto names = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "rmi", "Remove image records (layers stay until gc prunes them)");
  cmd->add_option("name", *names, "Image names")->required();
  cmd->callback([&ctx, names] {
    auto sn = Check(ctx.Open(/*read_only=*/false));
    for (const auto& n : *names) {
      Check(sn->RemoveImage(n));
      if (!ctx.json) std::cout << n << "\n";
    }
  });
}

void RegisterExport(CLI::App& app, CliContext& ctx) {
  struct Args {
    std::string key;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write a snapshot's layer folder as a Windows layer tar");
  cmd->add_option("key", args->key, "Snapshot key (e.g. sha256:<chainID>)")
      ->required();
  cmd->add_option("out", args->out, "Output tar file, or - for stdout")
      ->required();
  cmd->callback([&ctx, args] {
    auto sn = Check(ctx.Open(/*read_only=*/true));
    auto info = Check(sn->Stat(args->key));
    unpack::Exporter exporter;
    // The parent folders, nearest first (Windows: vmcompute ExportLayer
    // reads the layer against them; the Linux exporter ignores them).
    for (std::string p = info.parent; !p.empty();) {
      auto parent = Check(sn->Stat(p));
      exporter.parents.push_back(parent.path);
      p = parent.parent;
    }
    auto st = Check(exporter.ExportToFile(info.path, args->out));
    if (ctx.json) {
      json j{{"key", args->key},
             {"out", args->out},
             {"entries", st.entries},
             {"data_bytes", st.data_bytes}};
      // stdout carries the tar when OUT is "-".
      (args->out == "-" ? std::cerr : std::cout) << j.dump() << "\n";
    } else if (args->out != "-") {
      std::cout << "wrote " << args->out << " (" << st.entries << " entries, "
                << HumanSize(st.data_bytes) << ")\n";
    }
  });
}

}  // namespace

void RegisterImportCommands(CLI::App& app, CliContext& ctx) {
  RegisterImport(app, ctx);
  RegisterPull(app, ctx);
  RegisterImages(app, ctx);
  RegisterRmi(app, ctx);
  RegisterExport(app, ctx);
}

}  // namespace winsnap::tools
