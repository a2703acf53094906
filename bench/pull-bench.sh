#!/usr/bin/env bash
# Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
#
# pull-bench.sh: times `snapctl pull` from a registry on loopback against
#   - `ctr images pull --plain-http --snapshotter native` of the same layers
#     labelled linux/amd64 (containerd refuses windows platforms on Linux) into
#     a fresh private containerd (temp root and socket; started and stopped by
#     this script for every round),
#   - `snapctl import` of the same image from its local OCI archive,
# and prints medians and best-of figures with the ratios
#   pull / ctr      (goal <= 0.2x),
#   pull / import   (goal <= 1.2x: download overlapped with unpack costs at
#                    most 20 %).
# The registry is Debian's docker-registry (distribution 2.8) on 127.0.0.1,
# filled with skopeo from make-image's archives (shared/bench/make-image,
# --profile nanoserver and servercore, windows and linux-labelled copies).
# Every run writes into a fresh folder (see bench/lib.sh for why nothing is
# deleted between runs); pull and import both sync before
# commit (pass --no-sync to time both without it). The tools run interleaved
# inside each of --runs rounds, so load from other processes hits them alike.
#
# usage: bench/pull-bench.sh [--snapctl PATH] [--profiles "nanoserver servercore"]
#                            [--runs N] [--work DIR] [--make-image PATH]
#                            [--no-sync] [--keep]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
snapctl=""
profiles="nanoserver servercore"
runs=3
work=""
keep=0
nosync=()
make_image=""
for cand in "$repo/../shared/bench/make-image" /work/shared/bench/make-image; do
  [[ -x $cand ]] && { make_image=$cand; break; }
done

while [[ $# -gt 0 ]]; do
  case $1 in
    --snapctl) snapctl=$2; shift 2 ;;
    --profiles) profiles=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --make-image) make_image=$2; shift 2 ;;
    --no-sync) nosync=(--no-sync); shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '3,/^set -e/{/^#/p}' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

die() { echo "pull-bench: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (starts a private containerd)"
[[ -n $make_image && -x $make_image ]] || die "make-image not found (--make-image)"
if [[ -z $snapctl ]]; then
  for cand in "$repo/build/release/tools/snapctl" "$repo/build/debug/tools/snapctl"; do
    if [[ -x $cand ]] && "$cand" pull --help >/dev/null 2>&1; then snapctl=$cand; break; fi
  done
fi
[[ -n $snapctl ]] || die "no snapctl with a pull command found (--snapctl)"
for tool in containerd ctr docker-registry skopeo python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

if [[ -z $work ]]; then work=$(mktemp -d /var/tmp/pbench.XXXXXX); fi
mkdir -p "$work"
ctd_pid="" reg_pid=""
cleanup() {
  if [[ -n $ctd_pid ]]; then kill "$ctd_pid" 2>/dev/null || true; wait "$ctd_pid" 2>/dev/null || true; fi
  if [[ -n $reg_pid ]]; then kill "$reg_pid" 2>/dev/null || true; wait "$reg_pid" 2>/dev/null || true; fi
  remove_outputs; rm -rf "$work/ctd"
  if [[ $keep -eq 0 ]]; then rm -rf "$work/registry"; fi
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
timed() {
  local s e
  s=$(now_ms)
  "$@" >/dev/null 2>"$work/last.err" || { echo "FAILED: $*" >&2; cat "$work/last.err" >&2; return 1; }
  e=$(now_ms)
  echo $((e - s))
}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ratio() { python3 -c "print('%.2fx' % ($1 / $2))"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_registry() {
  local d=$work/registry
  mkdir -p "$d/storage"
  port=$(free_port)
  cat >"$d/config.yml" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $d/storage
http:
  addr: 127.0.0.1:$port
  secret: winsnap-bench
YML
  docker-registry serve "$d/config.yml" >"$d/log" 2>&1 &
  reg_pid=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$d/log" >&2
  die "docker-registry did not start"
}


echo "pull-bench: snapctl=$snapctl work=$work runs=$runs cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)" >&2
start_registry
host=127.0.0.1:$port
declare -A R
# Whatever the machine deleted just before must not slow the first round.
settle
for p in $profiles; do
  img=$work/$p-windows.tar lin=$work/$p-linux.tar
  if [[ ! -s $img ]]; then
    echo "generating $p (windows)..." >&2
    "$make_image" --profile "$p" --out "$img" >"$work/$p.json"
  fi
  if [[ ! -s $lin ]]; then
    echo "generating $p (linux)..." >&2
    "$make_image" --profile "$p" --platform linux --out "$lin" >/dev/null
  fi
  echo "pushing $p to $host..." >&2
  skopeo --insecure-policy copy -q --preserve-digests --dest-tls-verify=false \
    "oci-archive:$img" "docker://$host/bench/$p:windows"
  skopeo --insecure-policy copy -q --preserve-digests --dest-tls-verify=false \
    "oci-archive:$lin" "docker://$host/bench/$p:linux"

  pull=() imp=() ctrt=()
  round_bytes=$(python3 -c "import json;d=json.load(open('$work/$p.json'));print(int(1.2*(3*d['uncompressed_bytes']+d['compressed_bytes'])))")
  for r in $(seq "$runs"); do
    make_room "$round_bytes"
    sync
    pull+=("$(timed "$snapctl" --root "$(out_dir pull)/root" --log-level error pull "${nosync[@]}" \
      --plain-http "$host" "$host/bench/$p:windows")")
    cat "$img" >/dev/null; sync
    imp+=("$(timed "$snapctl" --root "$(out_dir import)/root" --log-level error import "${nosync[@]}" "$img")")
    sync
    start_containerd
    ctrt+=("$(timed ctr --address "$work/ctd/c.sock" -n bench images pull --plain-http \
      --snapshotter native --platform linux/amd64 "$host/bench/$p:linux")")
    stop_containerd
    echo "  $p run $r: pull ${pull[-1]} ms, import ${imp[-1]} ms, ctr pull ${ctrt[-1]} ms" >&2
  done
  for stat in min med; do
    R[$p,$stat,pull]=$($stat "${pull[@]}"); R[$p,$stat,imp]=$($stat "${imp[@]}")
    R[$p,$stat,ctr]=$($stat "${ctrt[@]}")
  done
  R[$p,info]=$(python3 -c "import json;d=json.load(open('$work/$p.json'));print('%d layers, %.0f MB gz, %.0f MB tar' % (d['layers'], d['compressed_bytes']/1e6, d['uncompressed_bytes']/1e6))" 2>/dev/null || echo "?")
done

for stat in med min; do
  [[ $stat == min ]] && what="best of $runs runs" || what="median of $runs runs"
  printf '\n%s, %s cores, wall ms%s\n' "$what" "$(nproc)" "${nosync:+ (--no-sync)}"
  printf '%-11s %-34s %9s %9s %9s  %-11s %-13s\n' profile image pull import "ctr pull" \
    "pull/ctr" "pull/import"
  for p in $profiles; do
    printf '%-11s %-34s %9s %9s %9s  %-11s %-13s\n' "$p" "${R[$p,info]}" "${R[$p,$stat,pull]}" \
      "${R[$p,$stat,imp]}" "${R[$p,$stat,ctr]}" \
      "$(ratio "${R[$p,$stat,pull]}" "${R[$p,$stat,ctr]}")" \
      "$(ratio "${R[$p,$stat,pull]}" "${R[$p,$stat,imp]}")"
  done
done
