#!/usr/bin/env bash
# Integration test with a real containerd 1.6: snapctl serve as a proxy
# snapshotter, driven by ctr. Exit 77 (skipped, loudly) only when a
# capability is really missing (root, containerd, ctr).
# usage: containerd_test.sh /path/to/snapctl
set -euo pipefail
snapctl=$1
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "SKIPPED LOUDLY: containerd integration needs root"; exit 77; fi
for b in containerd ctr python3; do
  command -v "$b" >/dev/null || { echo "SKIPPED LOUDLY: $b is not installed"; exit 77; }
done

tmp=$(mktemp -d /tmp/winsnap-ctd.XXXXXX)
serve_pid= ctd_pid=
cleanup() {
  [ -n "$ctd_pid" ] && kill "$ctd_pid" 2>/dev/null && wait "$ctd_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  umount -R "$tmp"/ctd-root 2>/dev/null || true
  rm -rf "$tmp"
}
[ -n "${KEEP:-}" ] || trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- serve log" >&2; tail -20 "$tmp/serve.log" >&2 || true; exit 1; }
wait_socket() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done; fail "no socket $1"; }

mount_type=windows-layer
start_serve() {
  "$snapctl" --root "$tmp/ws" --mount-type "$mount_type" --log-level info serve \
    --address "$tmp/winsnap.sock" --gc-interval 0 >>"$tmp/serve.log" 2>&1 &
  serve_pid=$!
  wait_socket "$tmp/winsnap.sock"
}
start_containerd() {
  cat >"$tmp/config.toml" <<TOML
version = 2
root = "$tmp/ctd-root"
state = "$tmp/ctd-state"
[grpc]
  address = "$tmp/containerd.sock"
[proxy_plugins.winsnap]
  type = "snapshot"
  address = "$tmp/winsnap.sock"
TOML
  containerd --config "$tmp/config.toml" >"$tmp/containerd.log" 2>&1 &
  ctd_pid=$!
  wait_socket "$tmp/containerd.sock"
  for _ in $(seq 50); do ctr -a "$tmp/containerd.sock" version >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "containerd did not answer"
}
ctrs() { ctr -a "$tmp/containerd.sock" snapshots --snapshotter winsnap "$@"; }
sc() { "$snapctl" --root "$tmp/ws" "$@"; }

start_serve
start_containerd

echo "== socket is 0600"
[ "$(stat -c %a "$tmp/winsnap.sock")" = 600 ] || fail "socket mode $(stat -c %a "$tmp/winsnap.sock")"

echo "== prepare / commit / prepare --mounts through ctr"
ctrs prepare base-a
ctrs commit base base-a
mounts=$(ctrs prepare --mounts my-test base)
echo "$mounts"
base_path=$(sc path -n default base)
my_path=$(sc path -n default my-test)
python3 - "$mounts" "$my_path" "$base_path" <<'PY' || fail "mounts differ from containerd's windows snapshotter shape"
import json, sys
m = json.loads(sys.argv[1])
assert len(m) == 1, m
assert m[0]["Type"] == "windows-layer", m
assert m[0]["Source"] == sys.argv[2], m
assert m[0]["Options"] == ["rw", "parentLayerPaths=" + json.dumps([sys.argv[3]], separators=(",", ":"))], m
PY
out=$(ctrs view --mounts v1 base); grep -q '"ro"' <<<"$out" || fail "view is not ro"

echo "== ls / info / tree / usage / label"
# (outputs are captured first: grep -q closing a pipe early would make the
# writer die of SIGPIPE, which pipefail reports as a failure)
out=$(ctrs ls); grep -Eq '^base +Committed' <<<"$out" || fail "ls: base"
grep -Eq '^my-test +base +Active' <<<"$out" || fail "ls: my-test"
out=$(ctrs info my-test); grep -q '"Kind": "Active"' <<<"$out" || fail "info"
out=$(ctrs tree); grep -q '\\_ my-test' <<<"$out" || fail "tree"
out=$(ctrs usage base); grep -q '^base' <<<"$out" || fail "usage"
out=$(ctrs label my-test team=infra); grep -q 'team=infra' <<<"$out" || fail "label"
out=$(ctrs info my-test); grep -q '"team": "infra"' <<<"$out" || fail "label not stored"
if ctrs rm base 2>"$tmp/rm.err"; then fail "removing a parent succeeded"; fi
grep -q "cannot remove" "$tmp/rm.err" || fail "rm message: $(cat "$tmp/rm.err")"
ctrs rm v1

echo "== embedded reads while the service runs"
out=$(sc ls); grep -q "default/.*/my-test" <<<"$out" || fail "snapctl ls during serve"
out=$(sc ls -n default); grep -Eq "^my-test " <<<"$out" || fail "snapctl ls --namespace"

echo "== restart of serve while containerd runs keeps every snapshot"
before=$(ctrs ls | sort)
kill -TERM "$serve_pid"; wait "$serve_pid" || fail "serve exit code $?"
start_serve
after=$(ctrs ls | sort)
[ "$before" = "$after" ] || fail "snapshots changed across restart"
ctrs prepare after-restart base || fail "prepare after restart"

echo "== kill -9 mid-load loses no committed snapshot"
: >"$tmp/committed"
loaders=()
for w in 1 2 3; do
  (for i in $(seq 1 40); do
     ctrs prepare "load-$w-$i" base >/dev/null 2>&1 || continue
     ctrs commit "done-$w-$i" "load-$w-$i" >/dev/null 2>&1 && echo "done-$w-$i" >>"$tmp/committed"
   done) &
  loaders+=($!)
done
sleep 1.5
kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
wait "${loaders[@]}" || true  # they fail fast once the socket is gone
start_serve
listing=$(sc ls -n default)
n=0
while read -r name; do
  grep -Eq "^$name " <<<"$listing" || { echo "$listing" >&2; fail "committed $name lost after kill -9"; }
  n=$((n + 1))
done <"$tmp/committed"
echo "   $n committed snapshots survived kill -9"
[ "$n" -gt 0 ] || fail "the load committed nothing before the kill"

echo "== ctr images import of a Linux image through containerd's differ (overlay)"
kill -TERM "$serve_pid"; wait "$serve_pid" || true
mount_type=overlay
rm -rf "$tmp/ws"
start_serve
chain=$(python3 "$here/make_linux_image.py" "$tmp/img.tar" docker.io/winsnap/hello:1)
ctr -a "$tmp/containerd.sock" images import --snapshotter winsnap "$tmp/img.tar" || fail "import"
layer=$(sc path -n default "$chain")
[ "$(cat "$layer/Files/hello.txt")" = "hello from winsnap" ] || fail "layer content missing in $layer/Files"
echo "PASS"
