// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// OCI config.json -> HCS v2 documents, following what hcsshim does for a
// process-isolated (Argon) Windows container (createWindowsContainerDocument
// in HS internal/hcsoci/hcsdoc_wcow.go and the process fill in
// internal/cmd/cmd.go; rules and sources in hcsshim-facts.md §3 and
// docs/hcs.md). The same document drives both ComputeService backends.
//
// Thread-safety: stateless functions; the LayerIdFunc, if any, is called on
// the caller's thread.

#ifndef WINSNAP_HCS_DOCUMENT_H_
#define WINSNAP_HCS_DOCUMENT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "hcs/oci.h"
#include "hcs/schema.h"

namespace winsnap::hcs {

// Returns the Layer.Id (GUID text) of a read-only layer folder.
using LayerIdFunc =
    std::function<StatusOr<std::string>(std::string_view layer_path)>;

// hcsshim's LayerID rule with the stand-in GUID: StandInNameToGuid of
// LayerNameFromPath(path) (hcs/layer_id.h). The Windows LayerService's
// LayerId() uses vmcompute!NameToGuid instead.
StatusOr<std::string> StandInLayerId(std::string_view layer_path);

struct ContainerDocumentOptions {
  // ComputeSystem.Owner (hcsshim: the caller's owner name).
  std::string owner = "winsnap";
  // Container.Storage.Path. On Windows: the scratch's volume path as returned
  // by LayerService::GetLayerMountPath after Activate+Prepare
  // ("\\?\Volume{..}\"). Empty: spec.root.path if it is a volume GUID path
  // (hcsshim's rule, a trailing '\' added), else the scratch folder itself,
  // layerFolders.back(), which is what the Linux backend expects.
  std::string scratch_volume_path;
  // Layer.Id for each read-only layer; empty function = StandInLayerId.
  LayerIdFunc layer_id;
  // If > 0, Processor.Count is capped to it (hcsshim caps at the host's
  // processor count, NormalizeProcessorCount).
  int32_t max_processor_count = 0;
  // ShouldTerminateOnLastHandleClosed; hcsshim always sets true. A runtime
  // that leaves containers running after it exits (run -d) sets false.
  bool terminate_on_last_handle_closed = true;
};

// Builds the HCS ComputeSystem document for container "id" from an OCI spec:
//   Storage.Layers   = windows.layerFolders minus the last entry (the scratch),
//                      same order (topmost parent first, base last), each
//                      {Id = options.layer_id(folder), Path = folder};
//   Storage.Path     = see ContainerDocumentOptions::scratch_volume_path;
//   GuestOs.HostName = hostname (object omitted when empty);
//   MappedDirectories/MappedPipes from mounts ("ro" option -> ReadOnly;
//                      destinations under \\.\pipe\ become MappedPipes);
//   Processor {Count|Maximum|Weight} from windows.resources.cpu (always
//                      present, fields omitted when 0); Memory.SizeInMB =
//                      memory.limit / 1 MiB; Storage.QoS from storage iops/bps;
//   Networking       from windows.network (Namespace = networkNamespace,
//                      DnsSearchList comma-joined);
//   RegistryChanges  = hcsshim's WaitToKillServiceTimeout override;
//   Owner, SchemaVersion {2,1}, ShouldTerminateOnLastHandleClosed.
// Returns InvalidArgument, with the reason and the fix, when: there is no
// windows section; fewer than 2 layer folders (a container needs at least one
// image layer below its scratch); a folder ends in a separator (its layer id
// would be that of "") or appears twice; two layers get the same Id (same
// folder base name, hcsshim issue #1072); root.readonly is true; more than one
// of cpu count/shares/maximum is set; a value overflows HCS's int32; a mount
// has no source, an unsupported type, or a pipe on one side only. Returns
// Unimplemented for Hyper-V isolation (windows.hyperv). Errors from
// options.layer_id are returned as they are.
StatusOr<schema::ComputeSystem> ContainerDocumentFromOci(
    const oci::Spec& spec, std::string_view id,
    const ContainerDocumentOptions& options = {});

// Which standard streams the caller will connect to the process.
struct ProcessStdio {
  bool std_in = false;
  bool std_out = true;
  bool std_err = true;
};

// Builds HcsCreateProcess parameters from an OCI process (hcsshim cmd.go):
//   CommandLine      = process.commandLine verbatim if set, else
//                      JoinCommandLine(args) (hcs/command_line.h);
//   WorkingDirectory = cwd, default "C:\";
//   Environment      = env "K=V" split at the first '='; entries without '='
//                      or with an empty value are dropped, as hcsshim does;
//   User             = user.username;
//   EmulateConsole   = terminal; ConsoleSize = [height, width] if given;
//   CreateStd{In,Out,Err}Pipe = the streams in "stdio" (no stderr pipe when
//                      terminal: a console has a single output stream).
// InvalidArgument if there is neither commandLine nor args, or the console
// size exceeds 65535.
StatusOr<schema::ProcessParameters> ProcessDocumentFromOci(
    const oci::Process& process, const ProcessStdio& stdio = {});

// True for "\\?\Volume{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" with or without
// the trailing '\' (the form hcsshim requires of root.path for Argon).
bool IsVolumeGuidPath(std::string_view path);

}  // namespace winsnap::hcs

#endif  // WINSNAP_HCS_DOCUMENT_H_
