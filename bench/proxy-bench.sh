#!/usr/bin/env bash
# Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
#
# Load benchmark (not a test): starts `snapctl serve --mount-type overlay`
# and a containerd 1.6 whose [proxy_plugins.winsnap] points at it, on temp
# roots under $BENCH_TMP (default /var/tmp, a disk, not tmpfs), then runs
# proxy-bench against, in one run:
#   winsnap direct            snapctl serve's socket
#   winsnap via containerd    containerd's socket, snapshotter=winsnap
#   overlayfs via containerd  containerd's socket, its built-in overlayfs
# and prints ops/s for each and the ratios to overlayfs. Needs root.
# usage: proxy-bench.sh SNAPCTL PROXY_BENCH [--clients N] [--seconds S]
set -euo pipefail
snapctl=$(realpath "$1"); bench=$(realpath "$2"); shift 2
[ "$(id -u)" = 0 ] || { echo "proxy-bench.sh needs root (containerd)"; exit 1; }
tmp=$(mktemp -d "${BENCH_TMP:-/var/tmp}/wsbench.XXXXXX")
serve_pid='' ctd_pid=''
cleanup() {
  [ -n "$ctd_pid" ] && { kill "$ctd_pid" 2>/dev/null; wait "$ctd_pid" 2>/dev/null || true; }
  [ -n "$serve_pid" ] && { kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true; }
  for m in $(findmnt -rn -o TARGET | grep "^$tmp/" | sort -r || true); do umount -l "$m" || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
start_proxy_pair "$snapctl" "$tmp" ||
  { cat "$tmp/serve.log" "$tmp/containerd.log" >&2; echo "serve or containerd did not start" >&2; exit 1; }
echo "kernel $(uname -r), $(nproc) cpus, $(findmnt -n -o FSTYPE --target "$tmp") at $tmp, containerd $(containerd --version | awk '{print $3}')"
"$bench" "$@" \
  --target "winsnap direct=$tmp/winsnap.sock" \
  --target "winsnap via containerd=$tmp/containerd.sock,snapshotter=winsnap,namespace=bench" \
  --target "overlayfs via containerd=$tmp/containerd.sock,snapshotter=overlayfs,namespace=bench" \
  --baseline "overlayfs via containerd"
