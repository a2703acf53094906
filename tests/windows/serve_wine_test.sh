#!/usr/bin/env bash
# snapctl.exe serve itself under Wine (issue 10): serve on a test pipe in
# the background; serve_client.exe (DialPipe + H2Client) runs the round trip
# (Check, Prepare, Commit, Mounts, List, Stat, Remove) on 8 connections at
# once and commits one snapshot; a second serve on the same pipe name exits
# non-zero with one line; Ctrl+C (SIGINT, which Wine delivers to the
# console control handler as CTRL_C_EVENT) stops it gracefully: exit 0,
# "stopped" logged, the pipe name free, and snapctl.exe ls shows the
# committed snapshot.
# Usage: serve_wine_test.sh <snapctl.exe> <serve_client.exe>  (ctest; Wine)
set -euo pipefail
exe=$1
client=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/wine-env.sh
. "$here/scripts/wine-env.sh"

name="winsnap-serve-$$"
root_win="C:\\$name"
root_unix="$WINEPREFIX/drive_c/$name"
pipe="\\\\.\\pipe\\winsnap-test-$$"
log=$(mktemp)
server=
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -KILL "$server" || true; fi
  rm -rf "$root_unix" "$log"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- serve log:" >&2; tr -d '\r' <"$log" >&2; exit 1; }
c() { wine "$client" "$@" </dev/null | tr -d '\r'; }

wine "$exe" --root "$root_win" --log-level info serve --address "$pipe" \
  </dev/null >"$log" 2>&1 &
server=$!
c wait "$pipe" 30 || fail "serve did not come up"
grep -q "serving containerd.services.snapshots.v1 on" "$log" || fail "no serving line"

c roundtrip "$pipe" 8 || fail "round trip over 8 connections"
c keep "$pipe" kept-layer || fail "prepare + commit kept-layer"
echo "ok: round trip on 8 connections at once through snapctl.exe serve"

rc=0
err=$(wine "$exe" --root "$root_win" serve --address "$pipe" </dev/null 2>&1 >/dev/null | tr -d '\r') || rc=$?
[ "$rc" -ne 0 ] || fail "a second serve on $pipe exited 0"
[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "second serve: not one line: $err"
[[ $err == *"already served"* ]] || fail "second serve: unclear: $err"
kill -0 "$server" 2>/dev/null || fail "the first serve died when a second one started"
c wait "$pipe" 5 >/dev/null || fail "the first serve stopped answering after the second was refused"
echo "ok: second serve refused (exit $rc): $err"

kill -INT "$server"
rc=0
for _ in $(seq 1 300); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
kill -0 "$server" 2>/dev/null && fail "serve still runs 30 s after Ctrl+C"
wait "$server" || rc=$?
server=
[ "$rc" = 0 ] || fail "serve exited $rc after Ctrl+C"
grep -q "stop requested" "$log" || fail "no 'stop requested' line"
grep -q "stopped" "$log" || fail "no 'stopped' line"
c gone "$pipe" || fail "the pipe name is still served after the stop"
echo "ok: Ctrl+C stops serve gracefully (exit 0) and frees the pipe name"

ls_out=$(wine "$exe" --root "$root_win" ls </dev/null | tr -d '\r')
printf '%s\n' "$ls_out" | grep -q '^kept-layer ' || fail "ls after the stop does not show kept-layer: $ls_out"
printf '%s\n' "$ls_out" | grep -q 'conn[0-9]' && fail "round-trip keys left behind: $ls_out"
wine "$exe" --root "$root_win" check </dev/null >/dev/null 2>&1 || fail "snapctl check after the stop: $(wine "$exe" --root "$root_win" check 2>&1 | tr -d '\r')"
echo "ok: the store is consistent after the stop (ls shows kept-layer, check passes)"

rc=0
err=$(wine "$exe" --root "$root_win" serve --run-service --address "$pipe" </dev/null 2>&1 >/dev/null | tr -d '\r') || rc=$?
[ "$rc" -ne 0 ] || fail "serve --run-service from a console exited 0"
[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "--run-service in a console: not one line: $err"
[[ $err == *"service control manager"* ]] || fail "--run-service in a console: unclear: $err"
echo "ok: serve --run-service outside the SCM refused: $err"
