#!/usr/bin/env bash
# Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
#
# proxy-profile.sh: where the time of a snapshot operation goes when
# containerd proxies it to winsnap (issue 14, item 4). Starts `snapctl serve
# --mount-type overlay` with its metrics endpoint and a containerd 1.6 whose
# [proxy_plugins.winsnap] points at it, then runs proxy-bench (the same
# Prepare, Commit, Stat, List, Remove cycle as proxy-bench.sh) against one
# target at a time:
#   winsnap direct            snapctl serve's socket
#   winsnap via containerd    containerd's socket, snapshotter=winsnap
#   overlayfs via containerd  containerd's socket, its built-in overlayfs
# For each it prints, per operation: the CPU time of snapctl serve, of
# containerd and of the client (utime+stime from /proc and time(1)); the
# wall time winsnap's handlers spent in the service core
# (winsnap_rpc_seconds_total: store and folder work, not gRPC); and how many
# RPCs of each method reached winsnap per operation. What containerd spends
# is containerd's own cost of the hop. Needs root.
#
# usage: bench/proxy-profile.sh SNAPCTL PROXY_BENCH [--clients N] [--seconds S]
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '3,/^set -e/{/^#/p}' "$0"; exit 2; }
snapctl=$(realpath "$1"); bench=$(realpath "$2"); shift 2
clients=8 seconds=10
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "proxy-profile.sh needs root (containerd)" >&2; exit 1; }
for tool in containerd ctr curl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "proxy-profile: $tool is not installed" >&2; exit 1; }
done

tmp=$(mktemp -d "${BENCH_TMP:-/var/tmp}/wsprof.XXXXXX")
serve_pid='' ctd_pid=''
cleanup() {
  [[ -n $ctd_pid ]] && { kill "$ctd_pid" 2>/dev/null; wait "$ctd_pid" 2>/dev/null || true; }
  [[ -n $serve_pid ]] && { kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true; }
  for m in $(findmnt -rn -o TARGET | grep "^$tmp/" | sort -r || true); do umount -l "$m" || true; done
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
start_proxy_pair "$snapctl" "$tmp" --metrics-address "127.0.0.1:$port" ||
  { cat "$tmp/serve.log" "$tmp/containerd.log" >&2; echo "serve or containerd did not start" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$port/metrics" >/dev/null ||
  { cat "$tmp/serve.log" >&2; echo "proxy-profile: no metrics from serve" >&2; exit 1; }

# utime+stime of a process in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# serve's counters as "method=calls ... seconds=S": RPCs by method and the
# handlers' total time.
rpc_totals() {
  curl -fsS "http://127.0.0.1:$port/metrics" | python3 -c '
import re, sys
calls, secs = {}, 0.0
for line in sys.stdin:
    m = re.match(r"winsnap_rpc_total\{method=\"(\w+)\"[^}]*\} (\S+)", line)
    if m: calls[m.group(1)] = calls.get(m.group(1), 0) + float(m.group(2))
    if line.startswith("winsnap_rpc_seconds_total{"): secs += float(line.split()[-1])
print(" ".join("%s=%d" % kv for kv in sorted(calls.items())), "seconds=%f" % secs)'
}

echo "kernel $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "containerd $(containerd --version | awk '{print $3}'), clients=$clients seconds=$seconds"
printf '%-26s %7s %7s %9s %9s %9s %9s  %s\n' target ops ops/s "serve us" \
  "core us" "ctd us" "client us" "RPCs reaching winsnap per op"
hz=$(getconf CLK_TCK)
for spec in "winsnap direct=$tmp/winsnap.sock" \
            "winsnap via containerd=$tmp/containerd.sock,snapshotter=winsnap,namespace=bench" \
            "overlayfs via containerd=$tmp/containerd.sock,snapshotter=overlayfs,namespace=bench"; do
  label=${spec%%=*}
  s0=$(ticks "$serve_pid"); c0=$(ticks "$ctd_pid"); r0=$(rpc_totals)
  /usr/bin/time -f '%U %S' -o "$tmp/client.time" \
    "$bench" --clients "$clients" --seconds "$seconds" --warmup 0 --target "$spec" \
    >"$tmp/out" 2>"$tmp/err"
  s1=$(ticks "$serve_pid"); c1=$(ticks "$ctd_pid"); r1=$(rpc_totals)
  ops=$(awk -v l="$label" 'index($0, l) == 1 {print $(NF-7)}' "$tmp/out")
  [[ -n $ops && $ops -gt 0 ]] ||
    { cat "$tmp/out" "$tmp/err" >&2; echo "proxy-profile: no ops for $label" >&2; exit 1; }
  python3 - "$label" "$ops" "$seconds" "$hz" "$s0" "$s1" "$c0" "$c1" "$r0" "$r1" \
    "$(cat "$tmp/client.time")" <<'PY'
import sys
label, ops, secs, hz = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s0, s1, c0, c1 = (float(x) for x in sys.argv[5:9])
parse = lambda t: {k: float(v) for k, v in (kv.split("=") for kv in t.split())}
r0, r1 = parse(sys.argv[9]), parse(sys.argv[10])
cu, cs = (float(x) for x in sys.argv[11].split())
us = lambda ticks: ticks / hz * 1e6 / ops
core = (r1.get("seconds", 0) - r0.get("seconds", 0)) * 1e6 / ops
rpcs = ", ".join("%s %.2f" % (m, (r1[m] - r0.get(m, 0)) / ops) for m in sorted(r1)
                 if m != "seconds" and r1[m] > r0.get(m, 0))
print("%-26s %7d %7.0f %9.1f %9.1f %9.1f %9.1f  %s" % (
    label, ops, ops / secs, us(s1 - s0), core, us(c1 - c0), (cu + cs) * 1e6 / ops,
    rpcs or "-"))
PY
done
echo "serve/ctd/client us: CPU time per operation of snapctl serve, containerd and"
echo "proxy-bench; core us: wall time per operation inside winsnap's service core (store"
echo "and folder work, waits on the disk included; the rest of serve's time is gRPC)."
