#!/usr/bin/env bash
# Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
#
# scale-bench.sh: a store of --count (default 100k) snapshots, chains of depth
# 1..10 with three labels each, created through `snapctl serve` by the
# scale-bench driver (bench/scale-bench.cc, target scale-bench), then:
#   snapctl path KEY       whole process, hyperfine median    (goal <= 5 ms)
#   snapctl ls             of everything, hyperfine median    (goal <= 1.5 s)
#   gRPC List              of everything through serve        (goal <= 1 s)
#   Prepare+Commit         median at --checkpoint (1k) and at --count
#                          (goal: large <= 1.2x small)
#   store bytes/snapshot   <root>/meta (LMDB) and the whole root, du -B1
# The same workload then goes through containerd's native snapshotter via
# containerd's own gRPC socket (a private containerd on a temp root), with
# `ctr snapshots info KEY` and `ctr snapshots ls` as the whole-process
# peers of path and ls; --ctd-max-seconds caps its fill (it reports how
# many snapshots it reached, and its latency is taken at that size).
# Prints a table and the ratios winsnap / containerd. Needs root, hyperfine.
#
# usage: bench/scale-bench.sh [--snapctl PATH] [--driver PATH] [--count N]
#          [--checkpoint N] [--clients N] [--ctd-max-seconds S] [--no-ctd]
#          [--work DIR] [--keep]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
snapctl="" driver=""
count=100000 checkpoint=1000 clients=4 ctd_max=600 ctd=1 work="" keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --snapctl) snapctl=$2; shift 2 ;;
    --driver) driver=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --checkpoint) checkpoint=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --ctd-max-seconds) ctd_max=$2; shift 2 ;;
    --no-ctd) ctd=0; shift ;;
    --work) work=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '3,/^set -e/{/^#/p}' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

die() { echo "scale-bench: $*" >&2; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || die "run as root (starts a private containerd)"
for b in release debug; do
  [[ -z $snapctl && -x $repo/build/$b/tools/snapctl ]] && snapctl=$repo/build/$b/tools/snapctl
  [[ -z $driver && -x $repo/build/$b/scale-bench ]] && driver=$repo/build/$b/scale-bench
done
[[ -n $snapctl ]] || die "snapctl not found (--snapctl)"
[[ -n $driver ]] || die "scale-bench driver not found (--driver; cmake target scale-bench)"
for tool in hyperfine python3 containerd ctr; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

if [[ -z $work ]]; then work=$(mktemp -d /var/tmp/sbench.XXXXXX); fi
mkdir -p "$work"
serve_pid="" ctd_pid=""
cleanup() {
  [[ -n $serve_pid ]] && { kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; }
  [[ -n $ctd_pid ]] && { kill "$ctd_pid" 2>/dev/null || true; wait "$ctd_pid" 2>/dev/null || true; }
  if [[ $keep -eq 0 ]]; then remove_outputs; rm -rf "$work/ws" "$work/ctd"; fi
}
trap cleanup EXIT

# hyperfine median of a command in ms: hmed RUNS CMD...
hmed() {
  local runs=$1; shift
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" "$*" >/dev/null 2>&1 ||
    { echo "FAILED: $*" >&2; return 1; }
  python3 -c "import json;print('%.2f' % (json.load(open('$work/h.json'))['results'][0]['median']*1000))"
}
val() { awk -v k="$1" '$1 == k {print $2}' "$2"; }
ratio() { python3 -c "print('%.2fx' % ($1 / $2))" 2>/dev/null || echo "-"; }
bytes_per() { python3 -c "print('%.0f' % ($1 / $2))"; }

echo "scale-bench: snapctl=$snapctl count=$count work=$work cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)" >&2

# --- winsnap ---
ws=$work/ws
rm -rf "$ws"; mkdir -p "$ws"
# The fill creates a folder per snapshot: whatever the machine deleted just
# before must not slow it (see bench/lib.sh).
settle
"$snapctl" --root "$ws/root" --log-level warn serve --address "$ws/s.sock" \
  --gc-interval 0 >"$ws/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 200); do [[ -S $ws/s.sock ]] && break; sleep 0.05; done
[[ -S $ws/s.sock ]] || { cat "$ws/serve.log" >&2; die "snapctl serve did not start"; }
echo "filling winsnap..." >&2
"$driver" --address "$ws/s.sock" --count "$count" --checkpoint "$checkpoint" \
  --clients "$clients" >"$ws/out"
key=$(val deep_key "$ws/out")
# Readers work while the service runs (LMDB), as they would in production.
W_path=$(hmed 50 "$snapctl" --root "$ws/root" path "$key")
W_ls=$(hmed 5 "$snapctl" --root "$ws/root" ls)
n=$(val reached "$ws/out")
W_meta=$(du -sB1 "$ws/root/meta" | cut -f1)
W_root=$(du -sB1 "$ws/root" | cut -f1)
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""

# --- containerd native ---
if [[ $ctd -eq 1 ]]; then
  start_containerd
  d=$work/ctd
  echo "filling containerd native (at most ${ctd_max} s)..." >&2
  "$driver" --address "$d/c.sock" --snapshotter native --namespace bench --count "$count" \
    --checkpoint "$checkpoint" --clients "$clients" --max-seconds "$ctd_max" >"$d/out"
  C_path=$(hmed 20 ctr -a "$d/c.sock" -n bench snapshots --snapshotter native info "$key")
  C_ls=$(hmed 3 ctr -a "$d/c.sock" -n bench snapshots --snapshotter native ls)
  cn=$(val reached "$d/out")
  C_meta=$(du -sB1 "$ctd_root/io.containerd.metadata.v1.bolt" | cut -f1)
  C_meta=$((C_meta + $(du -sB1 "$ctd_root/io.containerd.snapshotter.v1.native/metadata.db" | cut -f1)))
  C_root=$(du -sB1 "$ctd_root" | cut -f1)
  kill "$ctd_pid"; wait "$ctd_pid" 2>/dev/null || true; ctd_pid=""
fi

row() {  # name winsnap containerd goal
  printf '%-34s %14s %14s %10s   %s\n' "$1" "$2" "${3:--}" "$(ratio "$2" "${3:-x}")" "$4"
}
printf '\n%s cores, load %s (figures under load from other processes)\n' "$(nproc)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %14s %14s %10s   %s\n' measure winsnap "ctd native" ratio goal
row "snapshots created" "$n" "${cn:-}" ""
row "fill time s ($clients clients)" "$(val populate_s "$ws/out")" \
  "$( [[ $ctd -eq 1 ]] && val populate_s "$d/out")" ""
row "path/info KEY whole process ms" "$W_path" "${C_path:-}" "<= 5 ms"
row "ls of all ms" "$W_ls" "${C_ls:-}" "<= 1500 ms"
row "gRPC List of all ms" "$(val list_ms "$ws/out")" \
  "$( [[ $ctd -eq 1 ]] && val list_ms "$d/out")" "<= 1000 ms"
row "Prepare+Commit ms at $(val pc_at_small "$ws/out")" "$(val pc_ms_small "$ws/out")" \
  "$( [[ $ctd -eq 1 ]] && val pc_ms_small "$d/out")" ""
row "Prepare+Commit ms at $(val pc_at_large "$ws/out") (ctd: $( [[ $ctd -eq 1 ]] && val pc_at_large "$d/out"))" \
  "$(val pc_ms_large "$ws/out")" "$( [[ $ctd -eq 1 ]] && val pc_ms_large "$d/out")" ""
row "  large / small" "$(ratio "$(val pc_ms_large "$ws/out")" "$(val pc_ms_small "$ws/out")")" \
  "$( [[ $ctd -eq 1 ]] && ratio "$(val pc_ms_large "$d/out")" "$(val pc_ms_small "$d/out")")" "<= 1.2x"
row "metadata bytes/snapshot" "$(bytes_per "$W_meta" "$n")" \
  "$( [[ $ctd -eq 1 ]] && bytes_per "$C_meta" "$cn")" ""
row "root bytes/snapshot (du)" "$(bytes_per "$W_root" "$n")" \
  "$( [[ $ctd -eq 1 ]] && bytes_per "$C_root" "$cn")" ""
