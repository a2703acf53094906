#!/usr/bin/env bash
# snapctl.exe service under Wine's service control manager (issue 10):
# install -> sc query shows it -> sc start -> the pipe answers health and
# a prepare + commit -> sc stop (SERVICE_CONTROL_STOP: the graceful stop) ->
# STOPPED, pipe name free, <root>\logs\serve.log has the story -> a second
# install is refused in one line -> uninstall -> sc query finds nothing ->
# a second uninstall says "not installed". What Wine's services.exe cannot
# do is skipped loudly (exit 77) with the reason.
# Usage: service_wine_test.sh <snapctl.exe> <serve_client.exe>  (ctest; Wine)
set -euo pipefail
exe=$1
client=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/wine-env.sh
. "$here/scripts/wine-env.sh"

# The SCM starts the binary path it stores, so snapctl.exe must have a
# Windows path: Z:\ is the Unix root under Wine.
svc="winsnap-test-$$"
name="winsnap-svc-$$"
root_win="C:\\$name"
root_unix="$WINEPREFIX/drive_c/$name"
pipe="\\\\.\\pipe\\winsnap-svc-$$"
installed=
cleanup() {
  if [ -n "$installed" ]; then
    wine "$exe" service uninstall --name "$svc" </dev/null >/dev/null 2>&1 || true
  fi
  rm -rf "$root_unix"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -f "$root_unix/logs/serve.log" ] && { echo "--- serve.log:" >&2; tr -d '\r' <"$root_unix/logs/serve.log" >&2; }
  exit 1
}
skip() { echo "SKIP: $*" >&2; exit 77; }
w() { wine "$@" </dev/null 2>&1 | tr -d '\r'; }
state() { w sc query "$svc" | sed -n 's/^ *STATE *: *[0-9]* *\([A-Z_]*\).*/\1/p'; }

out=$(w "$exe" --root "$root_win" --log-level info service install --name "$svc" \
        --address "$pipe" --shutdown-grace 5) || fail "install: $out"
installed=1
[[ $out == "installed service $svc: \""*"\" serve --run-service --root $root_win --address $pipe "* ]] \
  || fail "install printed: $out"
q=$(w sc query "$svc") || fail "sc query after install: $q"
[ "$(state)" = STOPPED ] || fail "a fresh service is not STOPPED: $q"
echo "ok: installed ($out)"

rc=0
err=$(wine "$exe" --root "$root_win" service install --name "$svc" --address "$pipe" </dev/null 2>&1 >/dev/null | tr -d '\r') || rc=$?
[ "$rc" -ne 0 ] || fail "a second install exited 0"
[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "second install: not one line: $err"
[[ $err == *"already installed"* ]] || fail "second install: unclear: $err"
echo "ok: second install refused: $err"

start=$(w sc start "$svc") || skip "Wine's sc start could not start the service: $start"
wine "$client" wait "$pipe" 30 </dev/null >/dev/null || fail "the service's pipe does not answer (sc start: $start; state $(state))"
[ "$(state)" = RUNNING ] || fail "service answers but sc query says $(state)"
wine "$client" keep "$pipe" svc-layer </dev/null >/dev/null || fail "prepare + commit through the service"
echo "ok: sc start -> RUNNING, the pipe answers health and a commit"

stop=$(w sc stop "$svc") || fail "sc stop: $stop"
for _ in $(seq 1 200); do [ "$(state)" = STOPPED ] && break; sleep 0.1; done
[ "$(state)" = STOPPED ] || fail "not STOPPED 20 s after sc stop: $(state)"
wine "$client" gone "$pipe" </dev/null || fail "the pipe is still served after the stop"
log="$root_unix/logs/serve.log"
[ -f "$log" ] || fail "no $log"
for want in "serving containerd.services.snapshots.v1 on" "service control STOP" "stop requested" "stopped"; do
  grep -qF "$want" "$log" || fail "serve.log lacks '$want'"
done
w "$exe" --root "$root_win" ls | grep -q '^svc-layer ' || fail "ls after the stop lacks svc-layer"
echo "ok: sc stop -> graceful stop (serve.log), STOPPED, pipe free, store has svc-layer"

out=$(w "$exe" service uninstall --name "$svc") || fail "uninstall: $out"
installed=
[[ $out == *"uninstalled service $svc"* ]] || fail "uninstall printed: $out"
w sc query "$svc" | grep -q "STATE" && fail "sc query still finds $svc"
rc=0
err=$(wine "$exe" service uninstall --name "$svc" </dev/null 2>&1 >/dev/null | tr -d '\r') || rc=$?
[ "$rc" -ne 0 ] || fail "uninstalling twice exited 0"
[[ $err == *"is not installed"* ]] || fail "second uninstall: $err"
echo "ok: uninstall removes it; a second uninstall says: $err"

# uninstall stops a running service first.
w "$exe" --root "$root_win" service install --name "$svc" --address "$pipe" >/dev/null || fail "reinstall"
installed=1
w sc start "$svc" >/dev/null || fail "sc start after reinstall"
wine "$client" wait "$pipe" 30 </dev/null >/dev/null || fail "reinstalled service does not answer"
out=$(w "$exe" service uninstall --name "$svc") || fail "uninstall of a running service: $out"
installed=
[[ $out == *"stopped service $svc"*"uninstalled service $svc"* ]] || fail "uninstall of a running service printed: $out"
wine "$client" gone "$pipe" </dev/null || fail "the pipe is still served after uninstall"
echo "ok: uninstall stops a running service, then removes it"
