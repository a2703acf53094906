#!/bin/bash
# Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
#
# End-to-end test of the embedded run engine on Linux, driving the built
# snapctl: builds a two-layer Windows-format docker-save image around Debian's
# static busybox, imports it, and runs containers through runc + overlayfs.
# Usage: e2e_test.sh /path/to/snapctl
# Exits 77 (ctest SKIP_RETURN_CODE) when root, runc, overlayfs or
# /bin/busybox (busybox-static) is missing; never leaves mounts or
# containers behind (trap cleanup).

set -u -o pipefail

SNAPCTL=$(realpath "${1:?usage: e2e_test.sh /path/to/snapctl}") || exit 1
BUSYBOX=/bin/busybox

skip() {
  echo "SKIPPED LOUDLY: $*" >&2
  exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (mounts, runc)"
command -v runc >/dev/null || skip "runc not installed (apt-get install runc)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
  skip "no overlay file system"
grep -qw overlay /proc/filesystems || skip "no overlay file system"
[ -x "$BUSYBOX" ] || skip "$BUSYBOX missing (apt-get install busybox-static)"

WORK=$(mktemp -d /tmp/winsnap-e2e.XXXXXX)
ROOT=$WORK/root
FAILURES=0

cleanup() {
  # Containers first (they hold overlay mounts on the snapshots), then any
  # mount still below the work dir, then the files.
  for id in $("$SNAPCTL" --root "$ROOT" containers --json 2>/dev/null |
    sed -n 's/.*"id": "\(.*\)".*/\1/p'); do
    "$SNAPCTL" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
  done
  if [ -d "$ROOT/containers/.runc" ]; then
    for id in $(runc --root "$ROOT/containers/.runc" list -q 2>/dev/null); do
      runc --root "$ROOT/containers/.runc" delete --force "$id" >/dev/null 2>&1
    done
  fi
  grep " $WORK" /proc/mounts | awk '{print $2}' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}
snap() { "$SNAPCTL" --root "$ROOT" "$@"; }
# expect_eq WHAT GOT WANT
expect_eq() {
  if [ "$2" != "$3" ]; then fail "$1: got [$2], want [$3]"; else echo "ok: $1"; fi
}
status_of() { snap state "$1" | sed -n 's/.*"status": "\(.*\)".*/\1/p'; }

# ---- the image: two Windows-format layers in a docker-save directory -------
IMG=$WORK/image
REF=example.com/e2e/busybox:1
BUSYBOX=$BUSYBOX "$(dirname "$0")/../../tools/make-busybox-image.sh" "$IMG" "$REF" ||
  exit 1

snap import "$IMG" >"$WORK/import.out" 2>&1 || {
  cat "$WORK/import.out"
  echo "FAIL: import" >&2
  exit 1
}
TOP=$(snap --json images | sed -n 's/.*"top_chain_id": "\(sha256:[0-9a-f]*\)".*/\1/p' | head -1)
[ -z "$TOP" ] && TOP=$(snap images | awk -v r="$REF" '$0 ~ r {for(i=1;i<=NF;i++) if ($i ~ /^sha256:/) print $i}' | tail -1)
TOP_PATH=$(snap path "$TOP" 2>/dev/null)
BASE_PATH=$(snap path "$(snap info "$TOP" | sed -n 's/.*"Parent": "\(.*\)".*/\1/p')" 2>/dev/null)
echo "image $REF top $TOP at $TOP_PATH, base at $BASE_PATH"
[ -n "$TOP_PATH" ] && [ -d "$TOP_PATH/Files" ] || {
  echo "FAIL: cannot find the imported top layer" >&2
  exit 1
}

# ---- run --rm: output, exit codes ------------------------------------------
out=$(snap run --rm --image "$REF" t1 -- echo test)
expect_eq "run echo exit code" "$?" 0
expect_eq "run echo output" "$out" test
snap run --rm --image "$REF" t2 -- sh -c 'exit 3'
expect_eq "run exit code propagates" "$?" 3
out=$(snap run --rm --image "$REF" t3)
expect_eq "image Cmd is the default" "$out" "hello from the image"
out=$(echo piped | snap run --rm --image "$REF" t4 -- cat)
expect_eq "stdin is wired through" "$out" piped
out=$(snap run --rm --image "$REF" t5 -- sh -c 'echo err >&2' 2>&1 >/dev/null)
expect_eq "stderr is wired through" "$out" err
expect_eq "--rm leaves no container" "$(snap containers --json | tr -d ' \n')" "[]"
expect_eq "--rm leaves no scratch snapshot" \
  "$(snap ls | grep -c 'run-t[1-5]-')" 0

# SIGTERM to a waiting `run` reaches the container; --rm still cleans up.
"$SNAPCTL" --root "$ROOT" run --rm --image "$REF" t8 -- sh -c \
  'trap "echo got-term; exit 9" TERM; touch /tmp/ready; while true; do sleep 0.1; done' \
  >"$WORK/t8.out" &
RUN_PID=$!
for _ in $(seq 100); do
  snap exec t8 -- test -e /tmp/ready 2>/dev/null && break
  sleep 0.1
done
kill -TERM "$RUN_PID"
wait "$RUN_PID"
expect_eq "SIGTERM forwarded: exit code" "$?" 9
expect_eq "SIGTERM forwarded: trap ran" "$(cat "$WORK/t8.out")" got-term
expect_eq "SIGTERM forwarded: --rm cleaned up" \
  "$(snap containers --json | tr -d ' \n')" "[]"

# ---- layers: whiteout, lower layers untouched ------------------------------
out=$(snap run --rm --image "$REF" t6 -- sh -c \
  'cat /etc/motd /etc/added; test -e /etc/gone && echo VISIBLE || echo hidden')
expect_eq "layers merged, whiteout hides the lower file" "$out" \
  "$(printf 'base\ntop\nhidden')"
[ -f "$BASE_PATH/Files/etc/gone" ] || fail "the lower layer lost etc/gone"
snap run -d --image "$REF" w1 -- sh -c 'echo upper >/tmp/written; sleep 1000' \
  >/dev/null || fail "run -d w1"
for _ in $(seq 50); do
  snap exec w1 -- test -e /tmp/written && break
  sleep 0.1
done
out=$(snap exec w1 -- cat /tmp/written)
expect_eq "file written in the container" "$out" upper
SCRATCH=$(snap ls | awk '$1 ~ /^run-w1-/ {print $NF}')
[ -n "$SCRATCH" ] && [ -f "$SCRATCH/Files/tmp/written" ] ||
  fail "the write did not land in the scratch ($SCRATCH)"
for p in "$TOP_PATH" "$BASE_PATH"; do
  [ -e "$p/Files/tmp/written" ] && fail "write leaked into lower layer $p"
done

# ---- lifecycle: exec, ps, pause/resume, state, kill, delete ----------------
expect_eq "state of a detached container" "$(status_of w1)" running
PID=$(snap state w1 | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
[ "${PID:-0}" -gt 0 ] || fail "state pid is $PID"
snap state w1 | grep -q '"ociVersion"' || fail "state has no ociVersion"
snap state w1 | grep -q "\"bundle\": \"$ROOT/containers/w1\"" ||
  fail "state bundle"
snap exec w1 -- sh -c 'exit 5'
expect_eq "exec exit code" "$?" 5
snap ps w1 | grep -qw "$PID" || fail "ps does not list init pid $PID"
snap pause w1 || fail "pause"
expect_eq "state after pause" "$(status_of w1)" paused
# The init's cgroup is frozen (v2: cgroup.freeze, v1: freezer.state).
CG2=$(sed -n 's/^0:://p' "/proc/$PID/cgroup")
CG1=$(sed -n 's/^[0-9]*:freezer://p' "/proc/$PID/cgroup")
FROZEN=$(cat "/sys/fs/cgroup$CG2/cgroup.freeze" 2>/dev/null ||
  cat "/sys/fs/cgroup/freezer$CG1/freezer.state" 2>/dev/null)
case "$FROZEN" in 1 | FROZEN) echo "ok: init frozen" ;;
*) fail "init is not frozen while paused ($FROZEN)" ;; esac
snap resume w1 || fail "resume"
expect_eq "state after resume" "$(status_of w1)" running
snap delete w1 2>/dev/null && fail "delete of a running container succeeded"
snap list >/dev/null 2>&1 || true
snap containers | grep -q "^w1 .*running" || fail "containers table"
snap kill w1 KILL || fail "kill"
expect_eq "state after kill" "$(status_of w1)" stopped
snap delete w1 || fail "delete"
snap state w1 >/dev/null 2>&1 && fail "state after delete"
[ -z "$(snap ls | awk '$1 ~ /^run-w1-/')" ] || fail "scratch left after delete"

# A process that died while nobody watched reads "stopped".
snap run -d --image "$REF" w2 -- sleep 1000 >/dev/null || fail "run -d w2"
PID=$(snap state w2 | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
kill -9 "$PID"
for _ in $(seq 50); do
  [ "$(status_of w2)" = stopped ] && break
  sleep 0.1
done
expect_eq "state after the init died" "$(status_of w2)" stopped
snap delete w2 || fail "delete w2"

# create + start.
snap create --image "$REF" c1 -- sleep 1000 || fail "create"
expect_eq "state after create" "$(status_of c1)" created
snap start c1 || fail "start"
expect_eq "state after start" "$(status_of c1)" running
snap delete --force c1 || fail "delete --force"

# Bad input leaves nothing behind.
snap run --rm --image "$REF" 'bad/id' -- true 2>/dev/null
expect_eq "bad id exit code" "$?" 2
snap run --rm --image no.such/image t7 -- true 2>/dev/null && fail "unknown image"
expect_eq "nothing left after errors" "$(snap containers --json | tr -d ' \n')" "[]"

# ---- the seed's flow, literally -------------------------------------------
snap prepare --mounts my-test "$TOP" >/dev/null || fail "prepare my-test"
(cd "$WORK" && snap spec --snapshot my-test >config.json) || fail "spec"
grep -q '"layerFolders"' "$WORK/config.json" || fail "config.json has no layerFolders"
out=$(cd "$WORK" && snap run --config config.json my-container)
expect_eq "seed flow exit code" "$?" 0
expect_eq "seed flow output" "$out" "hello from the image"
expect_eq "seed flow container state" "$(status_of my-container)" stopped
snap delete my-container || fail "delete my-container"
out=$(cd "$WORK" && snap run --rm --config config.json my-container -- echo overridden)
expect_eq "seed flow with args overridden" "$out" overridden
snap info my-test >/dev/null 2>&1 || fail "run --config removed the caller's snapshot"
snap rm my-test || fail "rm my-test"

if [ "$FAILURES" -ne 0 ]; then
  echo "$FAILURES check(s) failed" >&2
  exit 1
fi
echo "all end-to-end checks passed"
