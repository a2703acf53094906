#!/usr/bin/env bash
# snapctl.exe migrate --dry-run under Wine (issue 9) of a metadata.db that
# containerd's own metastore code wrote (tests/bbolt/gen, Go's bbolt, built
# for the host), placed with its snapshots\N folders under a C:\ root: the
# text and --json dry runs list exactly the generator's keys, kinds and
# folders (MISSING for the one folder left out), and the rm-* / orphan
# folders with their sizes. Then, while another Wine process holds
# metadata.db locked as bbolt does (winsnap_file_holder lock: LockFileEx,
# exclusive, byte 2^64-1), --dry-run still works and says so, and a real
# migrate refuses in one line and adopts nothing; once the holder exits, the
# real migrate adopts every snapshot in place.
# Usage: cli_migrate.sh <snapctl.exe> <winsnap_file_holder.exe> <bbolt_gen|"">
# Exits 77 (ctest SKIP_RETURN_CODE) when the Go generator was not built.
set -euo pipefail
exe=$1 holder=$2 gen=${3:-}
if [ -z "$gen" ]; then
  echo "SKIPPED: the Go bbolt generator was not built (install golang-go," \
    "golang-github-coreos-bbolt-dev and golang-github-containerd-containerd-dev" \
    "and reconfigure); migrate of a containerd-written metadata.db NOT checked"
  exit 77
fi
[ -x "$gen" ] || { echo "FAIL: $gen is not built (build winsnap_file_holder)" >&2; exit 1; }
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/wine-env.sh
. "$here/scripts/wine-env.sh"
# shellcheck source=lib.sh
. "$here/tests/windows/lib.sh"

name="winsnap-mig-$$"
top_unix="$WINEPREFIX/drive_c/$name"
cd_win="C:\\$name\\io.containerd.snapshotter.v1.windows"
cd_unix="$top_unix/io.containerd.snapshotter.v1.windows"
root_win="C:\\$name\\winsnap"
root_unix="$top_unix/winsnap"
release_unix="$top_unix/release"
work=$(mktemp -d)  # the test's own files, outside the Wine root
holder_pid=
cleanup() {
  mkdir -p "$top_unix" && touch "$release_unix"
  if [ -n "$holder_pid" ]; then wait "$holder_pid" 2>/dev/null || true; fi
  rm -rf "$top_unix" "$work"
}
trap cleanup EXIT
exe=$(fast_exe "$exe" "$work")
s() { wine "$exe" --root "$root_win" "$@" | tr -d '\r'; }

mkdir -p "$cd_unix/snapshots"
"$gen" -scenario containerd -out "$cd_unix/metadata.db" -n 12 >"$work/gen.json"

# The folders containerd would have: every snapshot's snapshots\<id> with a
# file, except one view's (containerd before 1.7.2 makes none for views);
# an rm-<id> leftover of a failed removal and an orphan numbered folder,
# each with a file of known size.
python3 - "$work/gen.json" "$cd_unix" "$cd_win" >"$work/expected" <<'EOF'
import json, os, sys
gen, root, root_win = sys.argv[1:4]
snaps = json.load(open(gen))["snapshots"]
kinds = {1: "View", 2: "Active", 3: "Committed"}
missing = next(s for s in snaps if s["kind"] == 1)["id"]
for s in snaps:
    folder = f"{root_win}\\snapshots\\{s['id']}"
    note = ""
    if s["id"] == missing:
        note = "MISSING"
    else:
        d = os.path.join(root, "snapshots", str(s["id"]), "Files")
        os.makedirs(d)
        open(os.path.join(d, "layer.txt"), "w").write(s["key"])
    print("\t".join([s["key"], kinds[s["kind"]], folder, note]))
EOF
mkdir -p "$cd_unix/snapshots/rm-3/Files" "$cd_unix/snapshots/99/Files"
head -c 40000 /dev/zero >"$cd_unix/snapshots/rm-3/Files/big.bin"
head -c 90000 /dev/zero >"$cd_unix/snapshots/99/Files/big.bin"
[ "$(grep -c . "$work/expected")" = 16 ] || fail "generator wrote $(grep -c . "$work/expected") snapshots, want 16"

# Allocated size of a leftover folder as Win32 reports it (AllocationSize
# of each file: what Wine reads from st_blocks; directories count 0).
alloc() { find "$1" -type f -printf '%b\n' | awk '{s += $1 * 512} END {print s + 0}'; }
rm_size=$(alloc "$cd_unix/snapshots/rm-3")
orphan_size=$(alloc "$cd_unix/snapshots/99")

check_dry_run() {  # $1: stdout of the text dry run
  local out=$1 rows
  # Rows of the key -> folder table, tab-separated as the expectation.
  rows=$(printf '%s\n' "$out" | sed -n '2,/^$/p' | sed '/^$/d' |
    awk '{n = $4; for (i = 5; i <= NF; i++) n = n " " $i; print $1 "\t" $2 "\t" $3 "\t" n}')
  [ "$(printf '%s\n' "$rows" | sort)" = "$(sort "$work/expected")" ] ||
    fail "dry-run table differs:
$(diff <(printf '%s\n' "$rows" | sort) <(sort "$work/expected") || true)"
  printf '%s\n' "$out" | grep -qE "^C:.*\\\\snapshots\\\\rm-3 +removed +" || fail "rm-3 not listed: $out"
  printf '%s\n' "$out" | grep -qE "^C:.*\\\\snapshots\\\\99 +orphan +" || fail "orphan 99 not listed: $out"
  [ "$(printf '%s\n' "$out" | grep -cE '\\snapshots\\(rm-3|99) ')" = 2 ] ||
    fail "the unreferenced list is not exactly rm-3 and 99: $out"
  printf '%s\n' "$out" | grep -qF "($((rm_size + orphan_size)) bytes) in 2 unreferenced folder(s)" ||
    fail "unreferenced total is not $((rm_size + orphan_size)) bytes: $out"
}

check_json() {  # $1: stdout of the --json dry run; $2: expected locked_by
  python3 - "$1" "$work/expected" "$cd_win" "$rm_size" "$orphan_size" "$2" <<'EOF' || fail "--json dry run differs (above)"
import json, sys
out, expected, root_win, rm_size, orphan_size, locked = sys.argv[1:7]
j = json.loads(out)
want = sorted(l.rstrip("\n").split("\t") for l in open(expected))
got = sorted([s["key"], s["kind"], s["folder"], "" if s["folder_exists"] else "MISSING"]
             for s in j["snapshots"])
ok = True
def bad(msg):
    global ok
    ok = False
    print("FAIL:", msg, file=sys.stderr)
if got != want:
    bad(f"snapshots {got} != {want}")
if j["root"] != root_win or j["metadata_db"] != root_win + "\\metadata.db":
    bad(f"root {j['root']} / metadata_db {j['metadata_db']}")
un = {u["name"]: u for u in j["unreferenced"]}
if sorted(un) != ["99", "rm-3"]:
    bad(f"unreferenced {sorted(un)}")
else:
    for name, kind, size in (("rm-3", "removed", rm_size), ("99", "orphan", orphan_size)):
        u = un[name]
        if (u["kind"], u["size"], u["folder"]) != (kind, int(size), f"{root_win}\\snapshots\\{name}"):
            bad(f"{name}: {u}")
if j["unreferenced_total"] != int(rm_size) + int(orphan_size):
    bad(f"unreferenced_total {j['unreferenced_total']}")
if j["locked_by"] != json.loads(locked):
    bad(f"locked_by {j['locked_by']}, want {locked}")
sys.exit(0 if ok else 1)
EOF
}

before=$(find "$top_unix" -printf '%p %s %T@\n' | sort)
err=$(wine "$exe" --root "$root_win" migrate --dry-run --from-containerd "$cd_win" 2>&1 >"$work/out" | tr -d '\r')
check_dry_run "$(tr -d '\r' <"$work/out")"
[ "$err" = "snapctl: warning: 1 snapshot folder(s) do not exist (marked MISSING; views of containerd before 1.7.2 have none)" ] ||
  fail "dry run stderr: $err"
check_json "$(s --json migrate --dry-run --from-containerd "$cd_win")" '[]'
[ "$(find "$top_unix" -printf '%p %s %T@\n' | sort)" = "$before" ] || fail "the dry run changed files"
echo "ok: migrate --dry-run (text and --json) lists the 16 keys, kinds and folders, MISSING, rm-3 and 99 with sizes $rm_size and $orphan_size"

# containerd running: another Wine process holds metadata.db as bbolt does.
wine "$holder" lock "$cd_win\\metadata.db" "C:\\$name\\release" >"$work/holder.out" 2>&1 &
holder_pid=$!
wait_for_line "$work/holder.out" ready || fail "holder did not lock: $(cat "$work/holder.out")"
err=$(wine "$exe" --root "$root_win" migrate --dry-run --from-containerd "$cd_win" 2>&1 >"$work/out" | tr -d '\r')
check_dry_run "$(tr -d '\r' <"$work/out")"
printf '%s\n' "$err" | grep -qF "metadata.db is locked by process -1 (containerd is running): this is its last committed state" ||
  fail "locked dry run does not say metadata.db is locked: $err"
check_json "$(s --json migrate --dry-run --from-containerd "$cd_win" 2>/dev/null)" '[-1]'
echo "ok: while metadata.db is locked by another process, --dry-run works and reports it"

rc=0
err=$(wine "$exe" --root "$root_win" migrate --from-containerd "$cd_win" 2>&1 >/dev/null | tr -d '\r') || rc=$?
[ "$rc" = 1 ] || fail "a real migrate while locked exited $rc: $err"
[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "the refusal is not one line: $err"
[[ $err == *"is locked by process -1"*"stop containerd before migrating"* ]] || fail "refusal: $err"
[ ! -e "$root_unix" ] || fail "a refused migrate created the winsnap store"
echo "ok: a real migrate refuses in one line while locked, no store made: $err"

touch "$release_unix"
wait "$holder_pid" || fail "holder failed"
holder_pid=
wine "$exe" --root "$root_win" migrate --from-containerd "$cd_win" >/dev/null 2>"$work/err"
grep -qF "adopted 16 snapshot(s) in place" "$work/err" || fail "migrate after unlock: $(cat "$work/err")"
s --json ls >"$work/ls.json"
python3 - "$work/ls.json" "$work/expected" <<'EOF' || fail "ls after migrate differs (above)"
import json, sys
got = sorted([i["Name"], i["Kind"], i["Path"]] for i in json.load(open(sys.argv[1])))
want = sorted(l.split("\t")[:3] for l in open(sys.argv[2]))
if got != want:
    print("FAIL: ls", got, "want", want, file=sys.stderr)
    sys.exit(1)
EOF
echo "ok: once the lock is gone, migrate adopts all 16 snapshots in place"
