// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// hcs_smoke.exe: built by .ci/cross-windows.sh to prove the Windows backend
// compiles and links. Run on a Windows host (as Administrator, Containers
// feature on) it also checks what Linux cannot:
//   1. vmcompute!NameToGuid("4") == bd9c3ef9-f239-59b5-a27e-15c523b1d149
//      (hcsshim issue #1072), through LayerService::LayerId;
//   2. the HCS answers HcsEnumerateComputeSystems;
//   3. with arguments "<scratch> <parent>...": mounts the scratch
//      (MountScratch), prints the volume path, creates a container from the
//      document, runs "cmd /c echo hcs-smoke", prints its exit code, and tears
//      everything down.
// Exit code 0 = every attempted check passed.

#include <cstdio>
#include <string>
#include <vector>

#include "hcs/compute_service.h"
#include "hcs/document.h"

using namespace winsnap;       // NOLINT: small test program
using namespace winsnap::hcs;  // NOLINT

namespace {

int Fail(const char* step, const Status& s) {
  std::fprintf(stderr, "FAIL %s: %s\n", step, s.ToString().c_str());
  return 1;
}

int RunContainer(LayerService& layers, const std::string& scratch,
                 const std::vector<std::string>& parents) {
  StatusOr<std::string> volume = MountScratch(layers, scratch, parents);
  if (!volume.ok()) return Fail("MountScratch", volume.status());
  std::printf("scratch volume: %s\n", volume->c_str());
  oci::Spec spec;
  spec.windows.emplace().layer_folders = parents;
  spec.windows->layer_folders.push_back(scratch);
  spec.hostname = "hcs-smoke";
  ContainerDocumentOptions o;
  o.owner = "hcs_smoke";
  o.scratch_volume_path = *volume;
  o.layer_id = [&](std::string_view p) { return layers.LayerId(p); };
  int rc = 0;
  StatusOr<schema::ComputeSystem> doc =
      ContainerDocumentFromOci(spec, "hcs-smoke", o);
  if (!doc.ok()) {
    rc = Fail("ContainerDocumentFromOci", doc.status());
  } else {
    std::printf("document: %s\n", schema::ToJsonString(*doc).c_str());
    auto svc = NewComputeService();
    if (!svc.ok()) return Fail("NewComputeService", svc.status());
    auto cs = (*svc)->CreateComputeSystem("hcs-smoke", *doc);
    if (!cs.ok()) {
      rc = Fail("CreateComputeSystem", cs.status());
    } else {
      Status st = (*cs)->Start();
      if (!st.ok()) {
        rc = Fail("Start", st);
      } else {
        oci::Process proc;
        proc.args = {"cmd", "/c", "echo", "hcs-smoke"};
        auto params = ProcessDocumentFromOci(proc);
        StdioFds fds{-1, 1, 2};
        auto p = (*cs)->CreateProcess(*params, fds);
        if (!p.ok()) {
          rc = Fail("CreateProcess", p.status());
        } else {
          auto code = (*p)->Wait();
          if (!code.ok()) {
            rc = Fail("Wait", code.status());
          } else {
            std::printf("exit code: %u\n", *code);
            if (*code != 0) rc = 1;
          }
        }
      }
      Status t = (*cs)->Terminate();
      if (!t.ok()) rc = Fail("Terminate", t);
      (*cs)->Close();
    }
  }
  Status u = UnmountScratch(layers, scratch);
  if (!u.ok()) rc = Fail("UnmountScratch", u);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  auto layers = NewLayerService();
  if (!layers.ok()) return Fail("NewLayerService", layers.status());
  StatusOr<std::string> id = (*layers)->LayerId("C:\\any\\where\\4");
  if (!id.ok()) return Fail("LayerId", id.status());
  const char* want = "bd9c3ef9-f239-59b5-a27e-15c523b1d149";
  std::printf("NameToGuid(\"4\") = %s (want %s)\n", id->c_str(), want);
  if (*id != want) return 1;

  auto svc = NewComputeService();
  if (!svc.ok()) return Fail("NewComputeService", svc.status());
  auto systems = (*svc)->EnumerateComputeSystems();
  if (!systems.ok()) return Fail("EnumerateComputeSystems", systems.status());
  std::printf("%zu compute systems\n", systems->size());

  if (argc >= 3) {
    std::vector<std::string> parents(argv + 2, argv + argc);
    return RunContainer(**layers, argv[1], parents);
  }
  return 0;
}
