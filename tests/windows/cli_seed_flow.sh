#!/usr/bin/env bash
# snapctl.exe under Wine with C:\ paths (issue 9): the seed's flow, two
# committed parents -> prepare --mounts -> path -> ls -> info -> tree ->
# spec -> rm -> gc, checked against what containerd's windows snapshotter
# prints (Go's JSON escaping, parents nearest first); then the Windows
# refusals (a relative root; import of a folder that holds no image; the
# real import runs in cli_import_flow.sh) and two processes on one root at
# once.
# Usage: cli_seed_flow.sh <snapctl.exe>   (ctest runs it; needs Wine)
set -euo pipefail
exe=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/wine-env.sh
. "$here/scripts/wine-env.sh"

name="winsnap-cli-$$"
root_win="C:\\$name"
root_unix="$WINEPREFIX/drive_c/$name"
trap 'rm -rf "$root_unix" "$root_unix.out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# snapctl.exe with the test root; Wine's console output has CRLF.
s() { wine "$exe" --root "$root_win" "$@" | tr -d '\r'; }
s_err() { wine "$exe" --root "$root_win" "$@" 2>&1 >/dev/null | tr -d '\r'; }

s prepare base-active >/dev/null
s commit base base-active
s prepare mid-active base >/dev/null
s commit mid mid-active
out=$(s prepare --mounts my-test mid)

pb=$(s path base); pm=$(s path mid); pt=$(s path my-test)
for p in "$pb" "$pm" "$pt"; do
  [[ $p =~ ^C:\\$name\\snapshots\\[0-9]+$ ]] || fail "path '$p' is not a C:\\ layer folder"
done
[ -d "$root_unix/snapshots/${pt##*\\}" ] || fail "$pt does not exist on the Wine drive"

# Go's json.Marshal of the parents, then MarshalIndent of the whole mount:
# a backslash is "\\" in Source and "\\\\" inside the option string.
j1() { printf '%s' "${1//\\/\\\\}"; }
j2() { printf '%s' "${1//\\/\\\\\\\\}"; }
expected=$(cat <<EOF
[
    {
        "Type": "windows-layer",
        "Source": "$(j1 "$pt")",
        "Target": "",
        "Options": [
            "rw",
            "parentLayerPaths=[\\"$(j2 "$pm")\\",\\"$(j2 "$pb")\\"]"
        ]
    }
]
EOF
)
[ "$out" = "$expected" ] || fail "prepare --mounts printed
$out
expected
$expected"
[ "$(s mounts my-test)" = "$expected" ] || fail "mounts differs from prepare --mounts"
echo "ok: prepare --mounts prints containerd's mounts with C:\\ paths"

s ls | grep -F "my-test" | grep -qF "$pt" || fail "ls does not show my-test with its path"
s info my-test | grep -q '"Kind": *"Active"' || fail "info my-test: $(s info my-test)"
s tree | grep -q "my-test" || fail "tree does not show my-test"
echo "ok: path, ls, info, tree"

s spec --snapshot my-test -o "$root_win.out" -- cmd /c echo hi
folders=$(grep -A4 '"layerFolders"' "$root_unix.out" | tr -d ' \n')
want="\"layerFolders\":[\"$(j1 "$pm")\",\"$(j1 "$pb")\",\"$(j1 "$pt")\"]"
[[ $folders == "$want"* ]] || fail "spec layerFolders: $folders, want $want"
echo "ok: spec writes layerFolders parents nearest first, scratch last"

s rm my-test
s gc >/dev/null
[ ! -e "$root_unix/snapshots/${pt##*\\}" ] || fail "$pt still exists after rm + gc"
s ls | grep -q "my-test" && fail "my-test still listed after rm"
echo "ok: rm + gc delete the folder"

err=$(wine "$exe" --root 'winsnap-relative' prepare x 2>&1 >/dev/null | tr -d '\r') && fail "a relative root was accepted"
[ ! -e "winsnap-relative" ] || { rm -rf winsnap-relative; fail "a relative root created a folder"; }
[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "relative root: not one line: $err"
echo "ok: relative root refused: $err"

mkdir -p "$root_unix.img"
before=$(find "$root_unix" | sort)
err=$(s_err import "C:\\$name.img") && fail "import of an empty folder succeeded"
[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "import: not one line: $err"
[[ $err == *index.json* ]] || fail "import: the line does not say what is missing: $err"
[ "$(find "$root_unix" | sort)" = "$before" ] || fail "import refused but changed the root"
rm -rf "$root_unix.img"
echo "ok: import of a folder with no image refused in one line, nothing written: $err"

# run on the computecore backend: Wine has no computecore.dll, so run fails
# with one line naming it and leaves the root as it was.
s prepare run-scratch base >/dev/null
before=$(find "$root_unix" | sort)
err=$(s_err run --snapshot run-scratch c1 -- cmd /c echo hi) && fail "run succeeded without computecore.dll"
[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || fail "run: not one line: $err"
[[ $err == *computecore.dll* ]] || fail "run: the line does not name computecore.dll: $err"
[ "$(find "$root_unix" | sort)" = "$before" ] || fail "run failed but changed the root"
echo "ok: run without computecore.dll fails in one line, nothing left: $err"

# Two processes at once: a writer preparing and committing, a reader listing
# for as long as the writer runs. Every open races the other process's exit:
# LMDB's named mutexes on Windows vanish with their last holder, which once
# failed an open now and then with "mdb_env_open: No such file" (the store
# retries that case, metadata/store.cc).
( set -e; for i in 1 2 3 4 5 6 7 8; do s prepare "w$i-active" base >/dev/null; s commit "w$i" "w$i-active"; done ) &
writer=$!
reads=0
while kill -0 "$writer" 2>/dev/null; do
  if ! err=$(s_err ls); then
    kill "$writer" 2>/dev/null || true
    wait "$writer" 2>/dev/null || true
    fail "ls failed while a writer ran: $err"
  fi
  reads=$((reads + 1))
done
wait "$writer" || fail "the writer failed while a reader ran"
[ "$(s ls | grep -c '^w[0-9] ')" = 8 ] || fail "not all 8 writer snapshots listed: $(s ls)"
echo "ok: one writer and one reader process on one root ($reads reads while 8 prepare+commit ran)"
