#!/usr/bin/env bash
# The README demo on an embedded default: a fresh store under a temp root, a
# chain of committed layers, a scratch over it, and what users normally dig
# out of containerd's bolt database by hand.
# SNAPCTL=path/to/snapctl tools/demo.sh
set -euo pipefail
snapctl=${SNAPCTL:-snapctl}
root=$(mktemp -d /tmp/winsnap-demo.XXXXXX)
trap 'rm -rf "$root"' EXIT
s() { echo "\$ snapctl $*" >&2; "$snapctl" --root "$root" "$@"; }

echo "== a store under $root: base layer, two image layers, a scratch" >&2
s prepare base-active >/dev/null
s commit sha256:base base-active
s prepare layer1-active sha256:base >/dev/null
s commit sha256:layer1 layer1-active
s prepare layer2-active sha256:layer1 >/dev/null
s commit sha256:layer2 layer2-active
echo "== the mounts containerd would get (ctr snapshots prepare --mounts)" >&2
s prepare --mounts my-test sha256:layer2
echo "== every key with its folder" >&2
s ls
s tree
echo "== which folder is my-test?" >&2
s path my-test
echo "== config.json with layerFolders [nearest parent ... base, scratch]" >&2
s spec --snapshot my-test -- cmd /c echo hello
