#!/usr/bin/env bash
# The README demo on an embedded default: a fresh store under a temp root,
# a tiny Windows-format image generated here (static busybox, two layers)
# imported into it, the key -> folder map that containerd keeps locked in
# bolt, the mounts ctr would print, the generated config.json with ordered
# layerFolders, and (as root, with runc) the image's command run on Linux.
# SNAPCTL=path/to/snapctl tools/demo.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
snapctl=${SNAPCTL:-snapctl}
work=$(mktemp -d /tmp/winsnap-demo.XXXXXX)
root=$work/root
cleanup() {
  "$snapctl" --root "$root" delete --force demo >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
s() {
  { printf '$ snapctl'; printf ' %q' "$@"; echo; } >&2
  "$snapctl" --root "$root" "$@"
}
ref=example.com/demo/busybox:1

echo "== a tiny Windows-format image (docker-save dir, 2 layers, no network)" >&2
"$here/make-busybox-image.sh" "$work/image" "$ref"
echo "== import it: layers are verified and committed by chain ID" >&2
s import "$work/image" </dev/null
s images
top=$("$snapctl" --root "$root" --json images |
  sed -n 's/.*"top_chain_id": *"\(sha256:[0-9a-f]*\)".*/\1/p' | head -1)
echo "== every key with its folder" >&2
s ls
s tree
echo "== the mounts containerd would get (ctr snapshots prepare --mounts)" >&2
s prepare --mounts my-test "$top"
echo "== which folder is my-test?" >&2
s path my-test
echo "== config.json with layerFolders [nearest parent ... base, scratch]" >&2
s spec --snapshot my-test | tee "$work/config.json"
if [ "$(id -u)" = 0 ] && command -v runc >/dev/null &&
  grep -qw overlay /proc/filesystems; then
  echo "== run the image's command (Linux backend: overlayfs + runc)" >&2
  s run --rm --image "$ref" demo
  s run --rm --image "$ref" demo -- sh -c 'ls /etc; cat /etc/added'
else
  echo "== (run skipped: needs root, runc and overlayfs)" >&2
fi
