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
"$snapctl" --root "$tmp/ws" --mount-type overlay --log-level warn serve \
  --address "$tmp/winsnap.sock" --gc-interval 0 >"$tmp/serve.log" 2>&1 &
serve_pid=$!
cat >"$tmp/config.toml" <<TOML
version = 2
root = "$tmp/ctd-root"
state = "$tmp/ctd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$tmp/containerd.sock"
[proxy_plugins.winsnap]
  type = "snapshot"
  address = "$tmp/winsnap.sock"
TOML
containerd --config "$tmp/config.toml" >"$tmp/containerd.log" 2>&1 &
ctd_pid=$!
for _ in $(seq 200); do
  [ -S "$tmp/winsnap.sock" ] && ctr -a "$tmp/containerd.sock" version >/dev/null 2>&1 && break
  sleep 0.05
done
echo "kernel $(uname -r), $(nproc) cpus, $(findmnt -n -o FSTYPE --target "$tmp") at $tmp, containerd $(containerd --version | awk '{print $3}')"
"$bench" "$@" \
  --target "winsnap direct=$tmp/winsnap.sock" \
  --target "winsnap via containerd=$tmp/containerd.sock,snapshotter=winsnap,namespace=bench" \
  --target "overlayfs via containerd=$tmp/containerd.sock,snapshotter=overlayfs,namespace=bench" \
  --baseline "overlayfs via containerd"
