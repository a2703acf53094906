#!/usr/bin/env bash
# Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
#
# import-bench.sh: times `snapctl import` of synthetic Windows images against
#   - `ctr images import` with containerd's native snapshotter, on the same
#     layers labelled linux/amd64 (a private containerd on a temp root and
#     socket, started and stopped by this script; needs root),
#   - GNU `tar -xzf` of the same layer blobs (one fresh folder per layer),
#   - the decompress-only floors `gzip -dc > /dev/null` and `igzip -dc >
#     /dev/null` (ISA-L, Debian package isal; the floor the import is held to),
# and prints medians and best-of figures with the ratios
#   no-sync / igzip   (`import --no-sync` against the igzip floor, summed over
#                      the image's layers),
#   import / ctr      (`import` with its syncfs against ctr's native import),
#   import / tar,
# and, with --baseline PATH (another snapctl, e.g. an older commit's release
# build), that snapctl's `import` and `import --no-sync` in the same rounds
# and the ratios this / baseline, to show a change costs no speed.
# Images come from make-image (shared/bench/make-image) with --profile
# nanoserver and servercore. The tools run interleaved inside each of --runs
# rounds, so load from other processes on the machine hits them alike (this
# snapctl and the baseline take turns going first); the archives stay in the
# page cache for every tool. Every run writes into a fresh folder and nothing
# is deleted until the end; on ext4 without a journal the script first waits
# 305 s (see bench/lib.sh for why a deletion just before a run skews it).
#
# usage: bench/import-bench.sh [--snapctl PATH] [--baseline PATH]
#                              [--profiles "nanoserver servercore"]
#                              [--runs N] [--work DIR] [--make-image PATH] [--keep]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
snapctl=""
baseline=""
profiles="nanoserver servercore"
runs=3
work=""
keep=0
make_image=""
for cand in "$repo/../shared/bench/make-image" /work/shared/bench/make-image; do
  [[ -x $cand ]] && { make_image=$cand; break; }
done

while [[ $# -gt 0 ]]; do
  case $1 in
    --snapctl) snapctl=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --profiles) profiles=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --make-image) make_image=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '3,/^set -e/{/^#/p}' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

die() { echo "import-bench: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (starts a private containerd)"
[[ -n $make_image && -x $make_image ]] || die "make-image not found (--make-image)"
if [[ -z $snapctl ]]; then
  for cand in "$repo/build/release/tools/snapctl" "$repo/build/debug/tools/snapctl"; do
    if [[ -x $cand ]] && "$cand" import --help 2>&1 | grep -q -- "--platform"; then
      snapctl=$cand; break
    fi
  done
fi
[[ -n $snapctl ]] || die "no snapctl with an import command found (--snapctl)"
[[ -z $baseline || -x $baseline ]] || die "--baseline $baseline is not an executable"
for tool in containerd ctr tar gzip igzip python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

if [[ -z $work ]]; then work=$(mktemp -d /tmp/ibench.XXXXXX); fi
mkdir -p "$work"
ctd_pid=""
cleanup() {
  if [[ -n $ctd_pid ]]; then kill "$ctd_pid" 2>/dev/null || true; wait "$ctd_pid" 2>/dev/null || true; fi
  if [[ $keep -eq 0 ]]; then
    remove_outputs; rm -rf "$work/ctd"
  fi
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
# Runs "$@" and prints its wall time in ms; output is discarded.
timed() {
  local s e
  s=$(now_ms)
  "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }
  e=$(now_ms)
  echo $((e - s))
}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
warm() { cat "$@" >/dev/null; }


# Layer blob paths of an OCI image tar extracted to $1 (base first).
layer_blobs() {
  python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
def blob(dg): return "%s/blobs/%s" % (d, dg.replace(":", "/"))
idx = json.load(open(d + "/index.json"))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
print("\n".join(blob(l["digest"]) for l in man["layers"]))
PY
}

# time_imports SNAPCTL SYNC_ARRAY NOSYNC_ARRAY: one `import` and one
# `import --no-sync` of $img, each into a fresh root, appending their ms.
time_imports() {
  local -n with_sync=$2 without_sync=$3
  warm "$img"; sync
  with_sync+=("$(timed "$1" --root "$(out_dir import)/root" import "$img")")
  warm "$img"; sync
  without_sync+=("$(timed "$1" --root "$(out_dir nosync)/root" import --no-sync "$img")")
}

declare -A R
# Whatever the machine deleted just before must not slow the first round.
settle
echo "import-bench: snapctl=$snapctl work=$work runs=$runs cores=$(nproc)" >&2
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
  ex=$work/$p-blobs
  if [[ ! -d $ex ]]; then mkdir -p "$ex"; tar -xf "$img" -C "$ex"; fi
  mapfile -t blobs < <(layer_blobs "$ex")

  snap=() nosync=() ctrt=() tart=() gz=() igz=() bsnap=() bnosync=()
  # What one round writes: two imports per snapctl, tar, and ctr's
  # content store plus its snapshots.
  tools=2; [[ -n $baseline ]] && tools=4
  round_bytes=$(python3 -c "import json;d=json.load(open('$work/$p.json'));print(int(1.2*(($tools+2)*d['uncompressed_bytes']+d['compressed_bytes'])))")
  for r in $(seq "$runs"); do
    make_room "$round_bytes"
    # This snapctl and the baseline take turns going first: a run can find
    # the previous one's data still being written back.
    order=(this base); [[ -n $baseline && $((r % 2)) -eq 0 ]] && order=(base this)
    for who in "${order[@]}"; do
      if [[ $who == this ]]; then
        time_imports "$snapctl" snap nosync
      elif [[ -n $baseline ]]; then
        time_imports "$baseline" bsnap bnosync
        echo "  $p run $r: baseline ${bsnap[-1]} ms (no-sync ${bnosync[-1]})" >&2
      fi
    done
    sync

    start_containerd
    warm "$lin"
    ctrt+=("$(timed ctr --address "$work/ctd/c.sock" -n bench images import \
      --snapshotter native --platform linux/amd64 "$lin")")
    stop_containerd

    warm "${blobs[@]}"; sync
    tar_all() {
      local i=0 d
      d=$(out_dir tar)
      for b in "${blobs[@]}"; do
        mkdir -p "$d/$i"
        tar --warning=no-unknown-keyword -xzf "$b" -C "$d/$i" || return 1
        i=$((i + 1))
      done
    }
    tart+=("$(timed tar_all)")
    sync
    gz_all() { for b in "${blobs[@]}"; do gzip -dc "$b" >/dev/null || return 1; done; }
    gz+=("$(timed gz_all)")
    igz_all() { for b in "${blobs[@]}"; do igzip -dc "$b" >/dev/null || return 1; done; }
    igz+=("$(timed igz_all)")
    echo "  $p run $r: snapctl ${snap[-1]} ms (no-sync ${nosync[-1]}), ctr ${ctrt[-1]} ms, tar ${tart[-1]} ms, gzip ${gz[-1]} ms, igzip ${igz[-1]} ms" >&2
  done
  for stat in min med; do
    R[$p,$stat,snap]=$($stat "${snap[@]}"); R[$p,$stat,nosync]=$($stat "${nosync[@]}")
    R[$p,$stat,ctr]=$($stat "${ctrt[@]}"); R[$p,$stat,tar]=$($stat "${tart[@]}")
    R[$p,$stat,gz]=$($stat "${gz[@]}"); R[$p,$stat,igz]=$($stat "${igz[@]}")
    if [[ -n $baseline ]]; then
      R[$p,$stat,bsnap]=$($stat "${bsnap[@]}"); R[$p,$stat,bnosync]=$($stat "${bnosync[@]}")
    fi
  done
  R[$p,info]=$(python3 -c "import json;d=json.load(open('$work/$p.json'));print('%d layers, %.0f MB gz, %.0f MB tar' % (d['layers'], d['compressed_bytes']/1e6, d['uncompressed_bytes']/1e6))")
done

ratio() { python3 -c "print('%.2fx' % ($1 / $2))"; }
for stat in med min; do
  [[ $stat == min ]] && what="best of $runs runs" || what="median of $runs runs"
  printf '\n%s, %s cores, wall ms\n' "$what" "$(nproc)"
  printf '%-11s %-34s %8s %8s %8s %8s %8s %8s  %-14s %-12s %-12s\n' profile image import no-sync \
    ctr tar gzip-dc igzip-dc "no-sync/igzip" "import/ctr" "import/tar"
  for p in $profiles; do
    s=${R[$p,$stat,snap]} n=${R[$p,$stat,nosync]}
    printf '%-11s %-34s %8s %8s %8s %8s %8s %8s  %-14s %-12s %-12s\n' "$p" "${R[$p,info]}" "$s" \
      "$n" "${R[$p,$stat,ctr]}" "${R[$p,$stat,tar]}" "${R[$p,$stat,gz]}" "${R[$p,$stat,igz]}" \
      "$(ratio "$n" "${R[$p,$stat,igz]}")" "$(ratio "$s" "${R[$p,$stat,ctr]}")" \
      "$(ratio "$s" "${R[$p,$stat,tar]}")"
  done
done
if [[ -n $baseline ]]; then
  printf '\nagainst the baseline %s, wall ms\n' "$baseline"
  printf '%-11s %-7s %8s %8s %8s %8s  %-14s %-14s\n' profile stat import base no-sync base \
    "import/base" "no-sync/base"
  for p in $profiles; do
    for stat in med min; do
      printf '%-11s %-7s %8s %8s %8s %8s  %-14s %-14s\n' "$p" "$stat" "${R[$p,$stat,snap]}" \
        "${R[$p,$stat,bsnap]}" "${R[$p,$stat,nosync]}" "${R[$p,$stat,bnosync]}" \
        "$(ratio "${R[$p,$stat,snap]}" "${R[$p,$stat,bsnap]}")" \
        "$(ratio "${R[$p,$stat,nosync]}" "${R[$p,$stat,bnosync]}")"
    done
  done
fi
