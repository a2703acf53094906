#!/usr/bin/env bash
# Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
#
# snapctl serve as a proxy snapshotter behind a real containerd 1.6 (Debian),
# driven by ctr, on temp roots:
#   1. windows-layer mounts: ctr snapshots prepare --mounts / view / mounts /
#      commit / ls / info / tree / usage / label / rm give the expected
#      output, and containerd's GC removes from our store;
#   2. SIGTERM + restart of serve while containerd runs keeps every snapshot;
#   3. kill -9 of serve under a ctr prepare/commit load loses no commit ctr
#      acknowledged;
#   4. --mount-type overlay: `ctr images import --snapshotter winsnap` of a
#      two-layer Linux image unpacks through containerd's differ, and the
#      rootfs it prepares mounts with the merged content.
# usage: containerd_test.sh /path/to/snapctl
# Exit 77 (skipped, loudly) only when a capability is really missing.
set -euo pipefail
snapctl=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)

skip() { echo "SKIPPED LOUDLY: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "containerd integration needs root"
for b in containerd ctr python3 du mount; do
  command -v "$b" >/dev/null || skip "$b is not installed (apt-get install containerd python3)"
done

# A short path: unix socket paths are limited to 107 bytes.
tmp=$(mktemp -d /tmp/wsctd.XXXXXX)
serve_pid='' ctd_pid=''
unmount_all() {
  local m
  for m in $(findmnt -rn -o TARGET | grep "^$tmp/" | sort -r || true); do umount -l "$m" || true; done
}
cleanup() {
  [ -n "$ctd_pid" ] && { kill "$ctd_pid" 2>/dev/null; wait "$ctd_pid" 2>/dev/null || true; }
  [ -n "$serve_pid" ] && { kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true; }
  # containerd leaves mounts under its state dir; our own mount test too.
  unmount_all
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- serve log (tail)" >&2; tail -30 "$tmp/serve.log" >&2 || true
  echo "--- containerd log (tail)" >&2; grep -v "loading plugin" "$tmp/containerd.log" | tail -15 >&2 || true
  exit 1
}
step() { echo "== $*"; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got [$1] want [$2]"; }
accepts() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$1" 2>/dev/null; }

sock=$tmp/run/winsnap.sock
ctd_sock=$tmp/containerd.sock
mount_type=windows-layer

start_serve() {
  "$snapctl" --root "$tmp/ws" --mount-type "$mount_type" --log-level info serve \
    --address "$sock" --gc-interval 0 >>"$tmp/serve.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 200); do accepts "$sock" && return 0; sleep 0.05; done
  fail "snapctl serve did not come up on $sock"
}
stop_serve() {  # $1 = signal; sets serve_rc to the exit code
  kill "-$1" "$serve_pid"
  serve_rc=0
  wait "$serve_pid" || serve_rc=$?
  serve_pid=''
}
start_containerd() {
  cat >"$tmp/config.toml" <<TOML
version = 2
root = "$tmp/ctd-root"
state = "$tmp/ctd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$ctd_sock"
[proxy_plugins.winsnap]
  type = "snapshot"
  address = "$sock"
TOML
  containerd --config "$tmp/config.toml" >>"$tmp/containerd.log" 2>&1 &
  ctd_pid=$!
  for _ in $(seq 200); do
    ctr -a "$ctd_sock" version >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  fail "containerd did not answer on $ctd_sock"
}
stop_containerd() {
  kill "$ctd_pid"; wait "$ctd_pid" || true; ctd_pid=''
}
c() { ctr -a "$ctd_sock" "$@"; }
cs() { ctr -a "$ctd_sock" snapshots --snapshotter winsnap "$@"; }
ws() { "$snapctl" --root "$tmp/ws" "$@"; }
# Retries a ctr command for up to 10 s: containerd redials the proxy with
# back-off (max 3 s) after serve restarts.
retry() { for _ in $(seq 100); do "$@" 2>/dev/null && return 0; sleep 0.1; done; "$@"; }

start_serve
start_containerd

step "socket is 0600 in a 0700 directory serve created"
expect_eq "$(stat -c %a "$sock")" 600 "socket mode"
expect_eq "$(stat -c %a "$tmp/run")" 700 "socket dir mode"
c plugins ls | grep -Eq 'io.containerd.snapshotter.v1 +winsnap .* ok' || fail "winsnap plugin not ok"

step "prepare / commit / prepare --mounts / view --mounts / mounts"
cs prepare base-a
cs commit base base-a
mounts=$(cs prepare --mounts my-test base)
base_path=$(ws path -n default base)
my_path=$(ws path -n default my-test)
python3 - "$mounts" "$my_path" "$base_path" "rw" <<'PY' || fail "prepare --mounts: $mounts"
import json, sys
m = json.loads(sys.argv[1])
want = [{"Type": "windows-layer", "Source": sys.argv[2],
         "Options": [sys.argv[4], "parentLayerPaths=" + json.dumps([sys.argv[3]], separators=(",", ":"))]}]
assert m == want, (m, want)
PY
mounts=$(cs view --mounts v1 base)
python3 - "$mounts" "$(ws path -n default v1)" "$base_path" "ro" <<'PY' || fail "view --mounts: $mounts"
import json, sys
m = json.loads(sys.argv[1])
want = [{"Type": "windows-layer", "Source": sys.argv[2],
         "Options": [sys.argv[4], "parentLayerPaths=" + json.dumps([sys.argv[3]], separators=(",", ":"))]}]
assert m == want, (m, want)
PY
expect_eq "$(cs mounts /mnt/x my-test)" \
  "mount -t windows-layer $my_path /mnt/x -o rw,parentLayerPaths=[\"$base_path\"]" "ctr snapshots mounts"

step "ls / info / tree"
expect_eq "$(cs ls)" "$(printf '%s\n' \
  'KEY     PARENT KIND      ' \
  'base           Committed ' \
  'my-test base   Active    ' \
  'v1      base   View      ')" "ctr snapshots ls"
python3 - "$(cs info my-test)" <<'PY' || fail "ctr snapshots info"
import json, sys
i = json.loads(sys.argv[1])
assert i["Kind"] == "Active" and i["Name"] == "my-test" and i["Parent"] == "base", i
assert "containerd.io/gc.root" in i["Labels"], i
PY
expect_eq "$(cs tree)" "$(printf '%s\n' ' base' '  \_ my-test' '  \_ v1')" "ctr snapshots tree"

step "usage matches the folder on disk"
echo hello >"$my_path/scratch-file"
read -r _ size inodes < <(cs usage -b base | tail -1)
expect_eq "$size" "$(du -s -B1 "$base_path" | cut -f1)" "usage size of base"
expect_eq "$inodes" "$(find "$base_path" | wc -l)" "usage inodes of base"
read -r _ size inodes < <(cs usage -b my-test | tail -1)
expect_eq "$size" "$(du -s -B1 "$my_path" | cut -f1)" "live usage size of my-test"
expect_eq "$inodes" "$(find "$my_path" | wc -l)" "live usage inodes of my-test"
expect_eq "$(cs usage | awk 'NR>1 {print $1}' | tr '\n' ' ')" "base my-test v1 " "usage of all"

step "label reaches the store through Update (inherited labels only)"
cs label my-test containerd.io/snapshot/team=infra team2=local | grep -q 'containerd.io/snapshot/team=infra' || fail "label output"
python3 - "$(ws --json info -n default my-test)" <<'PY' || fail "label not in the store"
import json, sys
i = json.loads(sys.argv[1])
assert i["Labels"] == {"containerd.io/snapshot/team": "infra"}, i
PY

step "rm: parent refused, view removed from the store by containerd's GC"
if cs rm base 2>"$tmp/rm.err"; then fail "removing a parent succeeded"; fi
grep -q "cannot remove snapshot with child" "$tmp/rm.err" || fail "rm message: $(cat "$tmp/rm.err")"
cs rm v1
for _ in $(seq 100); do ws ls -n default | grep -q '^v1 ' || break; sleep 0.1; done
ws ls -n default | grep -q '^v1 ' && fail "containerd GC did not remove v1 from the store"
cs commit my-layer my-test
expect_eq "$(cs ls | grep '^my-layer' | tr -s ' ')" "my-layer base Committed " "commit through ctr"
ws ls -n default | grep -Eq '^my-layer +default/[0-9]+/my-layer .*Committed' || fail "snapctl ls -n default during serve"
ws ls | grep -Eq '^default/[0-9]+/my-layer ' || fail "snapctl ls shows namespaced keys verbatim"

step "SIGTERM + restart of serve while containerd runs keeps every snapshot"
before=$(cs ls)
stop_serve TERM
expect_eq "$serve_rc" 0 "serve exit code on SIGTERM"
[ -e "$sock" ] && fail "socket left after graceful shutdown"
start_serve
after=$(retry cs ls)
expect_eq "$after" "$before" "snapshots across restart"
retry cs prepare after-restart base >/dev/null || fail "prepare after restart"

step "kill -9 of serve under load loses no acknowledged commit"
for w in 1 2 3; do
  (for i in $(seq 1 40); do
     cs prepare "load-$w-$i" base >/dev/null 2>&1 || break
     cs commit "done-$w-$i" "load-$w-$i" >/dev/null 2>&1 || break
     echo "done-$w-$i" >>"$tmp/acked-$w"
   done) &
done
for _ in $(seq 300); do
  [ "$(cat "$tmp"/acked-* 2>/dev/null | wc -l)" -ge 15 ] && break
  sleep 0.05
done
stop_serve KILL
expect_eq "$serve_rc" 137 "serve exit on SIGKILL"
wait $(jobs -p | grep -v "^$ctd_pid\$") 2>/dev/null || true
start_serve
n=0
while read -r name; do
  retry cs info "$name" >"$tmp/info.json" || fail "acknowledged commit $name lost after kill -9"
  grep -q '"Kind": "Committed"' "$tmp/info.json" || fail "$name is not committed after kill -9"
  ws ls -n default | grep -Eq "^$name +default/[0-9]+/$name +default/[0-9]+/base +Committed" ||
    fail "$name missing from the store"
  n=$((n + 1))
done < <(cat "$tmp"/acked-*)
[ "$n" -ge 15 ] || fail "only $n commits before the kill; the load did not get going"
echo "   $n acknowledged commits survived kill -9"
retry cs prepare after-kill base >/dev/null || fail "prepare after kill -9"

step "overlay: ctr images import unpacks through containerd's differ"
stop_containerd
stop_serve TERM
expect_eq "$serve_rc" 0 "serve exit code"
unmount_all
rm -rf "$tmp/ws" "$tmp/ctd-root" "$tmp/ctd-state"
mount_type=overlay
start_serve
start_containerd
chains=$(python3 "$here/make_image.py" "$tmp/img.tar" docker.io/winsnap/hello:1)
chain1=$(echo "$chains" | sed -n 1p)
chain2=$(echo "$chains" | sed -n 2p)
c images import --snapshotter winsnap "$tmp/img.tar" >"$tmp/import.out" 2>&1 || fail "import: $(cat "$tmp/import.out")"
cs ls | grep -Eq "^$chain2 +$chain1 +Committed" || fail "layer 2 not committed over layer 1: $(cs ls)"
l1=$(ws path -n default "$chain1")/Files
l2=$(ws path -n default "$chain2")/Files
expect_eq "$(cat "$l1/hello.txt")" v1 "layer 1 hello.txt"
expect_eq "$(cat "$l1/gone.txt")" bye "layer 1 gone.txt"
expect_eq "$(cat "$l1/dir/a.txt")" a "layer 1 dir/a.txt"
expect_eq "$(cat "$l2/hello.txt")" v2 "layer 2 hello.txt"
expect_eq "$(cat "$l2/dir/b.txt")" b "layer 2 dir/b.txt"
expect_eq "$(stat -c '%F %t:%T' "$l2/gone.txt")" "character special file 0:0" "overlay whiteout in layer 2"
[ -e "$l2/dir/a.txt" ] && fail "layer 2 holds a copy of layer 1's file: the differ did not apply over an overlay"

step "overlay: a rootfs prepared through containerd mounts with merged content"
mounts=$(cs prepare --mounts rootfs "$chain2")
opts=$(python3 - "$mounts" <<'PY'
import json, sys
m = json.loads(sys.argv[1])
assert len(m) == 1 and m[0]["Type"] == "overlay", m
print(",".join(m[0]["Options"]))
PY
) || fail "rootfs mounts: $mounts"
mkdir -p "$tmp/mnt"
mount -t overlay overlay -o "$opts" "$tmp/mnt" || fail "mount -o $opts"
expect_eq "$(cat "$tmp/mnt/hello.txt")" v2 "merged hello.txt"
expect_eq "$(ls "$tmp/mnt/dir" | tr '\n' ' ')" "a.txt b.txt " "merged dir"
[ -e "$tmp/mnt/gone.txt" ] && fail "whiteout not applied in the merged view"
echo new >"$tmp/mnt/new.txt"
umount "$tmp/mnt"
expect_eq "$(cat "$(ws path -n default rootfs)/Files/new.txt")" new "write landed in the rootfs upperdir"
c images rm docker.io/winsnap/hello:1 >/dev/null

echo "PASS"
