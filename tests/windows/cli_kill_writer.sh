#!/usr/bin/env bash
# snapctl.exe killed mid-write under Wine, then reopened (issue 9). First
# four `prepare`s get SIGKILL at 70, 85, 100 and 115% of the time a whole
# prepare takes (Wine's load comes first, the store work last; where each
# kill lands is not controlled, so these only add cases). Then a
# `gc --prune` removes four unreferenced committed layers of 400 files each
# (per layer: a store transaction, the rename into trash\, then the
# deletion of the trash entries); the Windows process running snapctl.exe
# (Wine's wine64 process of that .exe, not a shell wrapper) gets SIGKILL as
# soon as the first layer reaches trash\, while it is still pruning or
# deleting. Then the next snapctl.exe opens the root: ls shows only whole
# snapshots, each with its folder; after the first read-write open every
# folder in snapshots\ belongs to a record and nothing was quarantined in
# orphans\ (every leftover was provably the store's own, DESIGN.md "Store
# safety"); `check` passes; a new prepare works; gc frees what the killed
# one left in trash\ and a second gc --prune finishes the pruning.
# Usage: cli_kill_writer.sh <snapctl.exe>
set -euo pipefail
exe=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/wine-env.sh
. "$here/scripts/wine-env.sh"
# shellcheck source=lib.sh
. "$here/tests/windows/lib.sh"

name="winsnap-kill-$$"
root_win="C:\\$name"
root_unix="$WINEPREFIX/drive_c/$name"
work=$(mktemp -d)
victim=
cleanup() {
  if [ -n "$victim" ]; then kill -9 "$victim" 2>/dev/null || true; fi
  rm -rf "$root_unix" "$work"
}
trap cleanup EXIT
exe=$(fast_exe "$exe" "$work")
s() { wine "$exe" --root "$root_win" "$@" | tr -d '\r'; }
unix_of() { local p=${1#"$root_win"}; printf '%s\n' "$root_unix${p//\\//}"; }

s prepare base-active >/dev/null
s commit base base-active
s prepare keep base >/dev/null  # base stays referenced: never pruned
# Prepares killed late in their run, where the store work happens
# (after Wine has loaded the .exe): at 70..115% of a whole prepare's time.
start=$(date +%s%N)
s prepare timed base >/dev/null
full_ms=$((($(date +%s%N) - start) / 1000000))
for pct in 70 85 100 115; do
  wine "$exe" --root "$root_win" prepare "r$pct" base >/dev/null 2>&1 &
  victim=$!
  sleep "$(awk -v ms="$full_ms" -v p="$pct" 'BEGIN {printf "%.3f", ms * p / 100000}')"
  kill -9 "$victim" 2>/dev/null || true
  wait "$victim" 2>/dev/null || true
  victim=
done
[ -z "$(wine_pids_with "$root_win")" ] || fail "a killed prepare's Wine process is still running"
echo "ok: killed 4 prepares at 70..115% of a whole prepare's $full_ms ms"

layers=(l1 l2 l3 l4)
files=400
for l in "${layers[@]}"; do
  u=$(unix_of "$(s prepare --mounts "$l-active" | sed -n 's/.*"Source": "\(.*\)",/\1/p' | sed 's/\\\\/\\/g')")
  [ -d "$u" ] || fail "prepare $l-active: no folder $u"
  mkdir -p "$u/Files/d"
  (cd "$u/Files/d" && seq -f "f%g.txt" "$files" | xargs touch)
  s commit "$l" "$l-active"
done
total=$(find "$root_unix/snapshots" -type f | wc -l)
[ "$total" = $((files * ${#layers[@]})) ] || fail "setup made $total files"

# gc --prune in the background, straight through wine (no pipe: $! is the
# Windows process itself once wine has exec'd its loader).
wine "$exe" --root "$root_win" gc --prune >"$work/gc.out" 2>&1 &
victim=$!
for ((i = 0; i < 6000; i++)); do
  if [ -n "$(ls -A "$root_unix/trash" 2>/dev/null)" ]; then break; fi
  kill -0 "$victim" 2>/dev/null || fail "gc --prune ended before anything reached trash: $(cat "$work/gc.out")"
  sleep 0.005
done
tr '\0' ' ' <"/proc/$victim/cmdline" | grep -qF "snapctl.exe --root $root_win gc --prune" ||
  fail "pid $victim is not the snapctl.exe process: $(tr '\0' ' ' <"/proc/$victim/cmdline")"
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
victim=
left=$(find "$root_unix/trash" -type f | wc -l)
in_snapshots=$(find "$root_unix/snapshots" -type f | wc -l)
[ $((left + in_snapshots)) -gt 0 ] || fail "gc finished before the kill (nothing left to check)"
[ -z "$(wine_pids_with "$root_win")" ] || fail "a Wine process of the killed gc is still running"
echo "ok: killed snapctl.exe gc --prune mid-way ($in_snapshots files still in snapshots\\, $left in trash\\)"

# Read-only first: only whole snapshots, each with its folder.
s --json ls >"$work/ls.json"
python3 - "$work/ls.json" "$root_win" "$root_unix" <<'EOF' || fail "ls after the kill (above)"
import json, os, sys
ls, root_win, root_unix = sys.argv[1:4]
items = json.load(open(ls))
names = {i["Name"] for i in items}
ok = {"base", "keep", "timed"} <= names <= {"base", "keep", "timed", "l1", "l2", "l3", "l4",
                                             "r70", "r85", "r100", "r115"}
for i in items:
    rel = i["Path"][len(root_win):].replace("\\", "/")
    if not i["Path"].startswith(root_win + "\\snapshots\\") or not os.path.isdir(root_unix + rel):
        print("FAIL: listed without its folder:", i["Name"], i["Path"], file=sys.stderr)
        ok = False
if not ok:
    print("FAIL: listed", sorted(names), file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
echo "ok: after the kill ls lists only whole snapshots, each with its folder"

s prepare after-kill base >/dev/null || fail "prepare after the kill failed"
# Every folder of snapshots\ is a record's; nothing quarantined.
s --json ls >"$work/ls.json"
python3 - "$work/ls.json" "$root_unix" <<'EOF' || fail "folders after reopen (above)"
import json, os, sys
ls, root_unix = sys.argv[1:3]
ids = {str(i["Id"]) for i in json.load(open(ls))}
folders = set(os.listdir(os.path.join(root_unix, "snapshots")))
orphans = os.listdir(os.path.join(root_unix, "orphans")) if os.path.isdir(os.path.join(root_unix, "orphans")) else []
if folders != ids or orphans:
    print("FAIL: folders", sorted(folders), "records", sorted(ids), "orphans", orphans, file=sys.stderr)
    sys.exit(1)
EOF
out=$(s check) || fail "check after the kill: $out"
echo "ok: reopened read-write: prepare works, every folder has a record, none quarantined; $out"

out=$(s gc) || fail "gc after the kill: $out"
[ -z "$(ls -A "$root_unix/trash")" ] || fail "trash not empty after gc: $(ls "$root_unix/trash")"
s gc --prune >/dev/null || fail "second gc --prune failed"
left=$(s ls | sed 1d | awk '{print $1}' | grep -v '^r[0-9]*$' | sort | tr '\n' ' ')
[ "$left" = "after-kill base keep timed " ] || fail "after gc --prune: $(s ls)"
echo "killed prepares that completed: $(s ls | sed 1d | awk '{print $1}' | grep '^r[0-9]*$' | tr '\n' ' ')"
[ "$(find "$root_unix/snapshots" "$root_unix/trash" -type f | wc -l)" = 0 ] ||
  fail "files left after gc --prune"
out=$(s check) || fail "final check: $out"
echo "ok: gc frees what the killed gc left; gc --prune finishes: $out"
