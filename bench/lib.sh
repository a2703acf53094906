# Shared by the bench scripts (sourced): medians, and a private containerd
# for the peer measurements. The caller defines die() and $work.

min() { printf '%s\n' "$@" | sort -n | head -1; }
med() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

# Output trees. Every timed run writes into a fresh folder from out_dir, and
# nothing is deleted between runs. On ext4 without a journal (this VM's root
# filesystem) a deleted inode is not reused for 60 s, or 300 s while its inode
# table block is dirty (fs/ext4/ialloc.c, recently_deleted()), and every new
# inode's allocation scans past each such one. New files dirty those blocks
# again, so the 300 s applies. A nanoserver import started right after a tree
# of 9k files was deleted spent 6 s of system time in that scan, against 0.9 s
# on a quiet filesystem, and every tool looked 2-5x slower. So on such a
# filesystem settle waits 305 s (BENCH_SETTLE_S) at the start, and after
# make_room had to delete outputs to free space.
settle() {
  local s=${BENCH_SETTLE_S:-} fstype source journal
  if [[ -z $s ]]; then
    s=0
    read -r fstype source < <(findmnt -n -o FSTYPE,SOURCE -T "$work" 2>/dev/null || true)
    journal=/sys/fs/ext4/$(basename "${source:-none}")/journal_task
    if [[ ${fstype:-} == ext4 && -r $journal && $(cat "$journal") == "<none>" ]]; then
      s=305
    fi
  fi
  ((s > 0)) || return 0
  sync
  echo "  (ext4 without a journal: waiting $s s until recently deleted inodes are reusable)" >&2
  sleep "$s"
}
# Prints a new, empty folder under $work/out (it runs in $(...), so the name
# comes from mktemp, not from a counter).
out_dir() {
  mkdir -p "$work/out"
  mktemp -d "$work/out/$1.XXXXXX"
}
# Deletes the output trees, first unmounting what a killed containerd left
# mounted in them; rm never crosses into a mount.
remove_outputs() {
  [[ -d $work/out ]] || return 0
  local m
  while read -r m; do umount -l "$m" 2>/dev/null || true; done \
    < <(findmnt -rn -o TARGET | grep "^$work/out/" | sort -r)
  rm -rf --one-file-system "$work/out"
}
# make_room BYTES: deletes the outputs, then settles, when fewer than BYTES
# (plus 2 GB) are free where they are written.
make_room() {
  local free
  free=$(df --output=avail -B1 "$work" | tail -1)
  if ((free < $1 + 2 * 1024 * 1024 * 1024)); then
    echo "  (disk nearly full: deleting this run's outputs)" >&2
    remove_outputs
    settle
  fi
}

# A containerd of its own under $work/ctd (socket $work/ctd/c.sock), with the
# plugins these benchmarks do not use disabled; sets ctd_pid, and ctd_root to
# its root, a fresh out_dir, so no deletion precedes the next run.
start_containerd() {
  local d=$work/ctd
  ctd_root=$(out_dir containerd)
  rm -rf "$d"; mkdir -p "$d/state"
  cat >"$d/config.toml" <<TOML
version = 2
root = "$ctd_root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$d/c.sock"
[ttrpc]
  address = "$d/c.sock.ttrpc"
TOML
  containerd --config "$d/config.toml" >"$d/log" 2>&1 &
  ctd_pid=$!
  for _ in $(seq 100); do
    ctr --address "$d/c.sock" version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$d/log" >&2
  die "containerd did not start"
}

stop_containerd() {
  kill "$ctd_pid"; wait "$ctd_pid" 2>/dev/null || true; ctd_pid=""
  rm -rf "$work/ctd"
}

# The proxy benchmarks' pair: `snapctl serve --mount-type overlay` on
# DIR/winsnap.sock and a containerd on DIR/containerd.sock whose
# [proxy_plugins.winsnap] points at it; sets serve_pid and ctd_pid. Extra
# arguments go to serve. Returns non-zero if they do not answer in 10 s.
# usage: start_proxy_pair SNAPCTL DIR [serve args...]
start_proxy_pair() {
  local snapctl=$1 dir=$2
  shift 2
  "$snapctl" --root "$dir/ws" --mount-type overlay --log-level warn serve \
    --address "$dir/winsnap.sock" --gc-interval 0 "$@" >"$dir/serve.log" 2>&1 &
  serve_pid=$!
  cat >"$dir/config.toml" <<TOML
version = 2
root = "$dir/ctd-root"
state = "$dir/ctd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$dir/containerd.sock"
[proxy_plugins.winsnap]
  type = "snapshot"
  address = "$dir/winsnap.sock"
TOML
  containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
  ctd_pid=$!
  for _ in $(seq 200); do
    [[ -S $dir/winsnap.sock ]] && ctr -a "$dir/containerd.sock" version >/dev/null 2>&1 &&
      return 0
    sleep 0.05
  done
  return 1
}
