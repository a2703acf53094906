#!/bin/bash
# Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
#
# Writes a tiny two-layer Windows-format image as a docker-save directory,
# with no network: Debian's static busybox under Files/bin (plus symlinks
# and a hard link), empty registry hive deltas under Hives/, and an upper
# layer that adds Files/etc/added and whites out Files/etc/gone. The image
# config is windows/amd64 with Cmd ["echo","hello from the image"]. Used by
# the README demo (tools/demo.sh) and the run engine's e2e test.
# Usage: make-busybox-image.sh OUT_DIR REF   (needs /bin/busybox: busybox-static)
set -euo pipefail
out=${1:?usage: make-busybox-image.sh OUT_DIR REF}
ref=${2:?usage: make-busybox-image.sh OUT_DIR REF}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || {
  echo "make-busybox-image: $busybox missing (apt-get install busybox-static)" >&2
  exit 1
}
work=$(mktemp -d /tmp/winsnap-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/l1/Files/bin" "$work/l1/Files/etc" "$work/l1/Files/tmp" \
  "$work/l1/Hives" "$work/l2/Files/etc" "$work/l2/Hives"
cp "$busybox" "$work/l1/Files/bin/busybox"
for a in sh echo cat ls sleep touch test true mkdir; do
  ln -s busybox "$work/l1/Files/bin/$a"
done
ln "$work/l1/Files/bin/busybox" "$work/l1/Files/bin/hardsh"
echo base >"$work/l1/Files/etc/motd"
echo "going away" >"$work/l1/Files/etc/gone"
echo "root:x:0:0:root:/root:/bin/sh" >"$work/l1/Files/etc/passwd"
: >"$work/l1/Hives/DefaultUser_Delta"
: >"$work/l1/Hives/Sam_Delta"
echo top >"$work/l2/Files/etc/added"
: >"$work/l2/Files/etc/.wh.gone"
: >"$work/l2/Hives/Software_Delta"
for l in l1 l2; do
  tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name \
    -C "$work/$l" -cf "$out/$l.tar" Files Hives
done
d1=sha256:$(sha256sum "$out/l1.tar" | cut -d' ' -f1)
d2=sha256:$(sha256sum "$out/l2.tar" | cut -d' ' -f1)
cat >"$work/config.json" <<JSON
{"architecture":"amd64","os":"windows","os.version":"10.0.20348.1",
 "config":{"Cmd":["echo","hello from the image"],"Env":["GREETING=hi"],
           "WorkingDir":"C:\\\\"},
 "rootfs":{"type":"layers","diff_ids":["$d1","$d2"]}}
JSON
config=$(sha256sum "$work/config.json" | cut -d' ' -f1).json
cp "$work/config.json" "$out/$config"
cat >"$out/manifest.json" <<JSON
[{"Config":"$config","RepoTags":["$ref"],"Layers":["l1.tar","l2.tar"]}]
JSON
