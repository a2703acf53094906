# Shared by the bench scripts (sourced): medians, and a private containerd
# for the peer measurements. The caller defines die() and $work.

min() { printf '%s\n' "$@" | sort -n | head -1; }
med() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

# A containerd of its own under $work/ctd (socket $work/ctd/c.sock), with the
# plugins these benchmarks do not use disabled; sets ctd_pid.
start_containerd() {
  local d=$work/ctd
  rm -rf "$d"; mkdir -p "$d/root" "$d/state"
  cat >"$d/config.toml" <<TOML
version = 2
root = "$d/root"
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
