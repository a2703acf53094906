#!/usr/bin/env bash
# snapctl.exe rm + gc under Wine (issue 9) of layer folders that plain
# deletion cannot remove at once:
#   readonly   a folder holding FILE_ATTRIBUTE_READONLY files (and a
#              read-only subfolder): gc frees it, trash is left empty.
#   held-open  a folder with a file another Wine process holds open without
#              FILE_SHARE_DELETE, next to an ordinary removed folder: gc
#              reports the held entry in one line, leaves it in trash,
#              deletes the other; after the holder exits the next gc frees
#              it. Checked first: whether Wine refuses, between two Wine
#              processes, to delete a file held without FILE_SHARE_DELETE
#              (Windows does: ERROR_SHARING_VIOLATION). If it does not, this
#              case cannot be shown here: it prints SKIPPED and exits 77
#              (ctest SKIP_RETURN_CODE); host-check.ps1 covers it.
# Usage: cli_gc.sh readonly|held-open <snapctl.exe> <winsnap_file_holder.exe>
set -euo pipefail
mode=$1 exe=$2 holder=$3
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/wine-env.sh
. "$here/scripts/wine-env.sh"
# shellcheck source=lib.sh
. "$here/tests/windows/lib.sh"

name="winsnap-gc-$$"
top_win="C:\\$name"
top_unix="$WINEPREFIX/drive_c/$name"
root_win="$top_win\\root"
root_unix="$top_unix/root"
work=$(mktemp -d)
holder_pid=
cleanup() {
  mkdir -p "$top_unix" && touch "$top_unix/release"
  if [ -n "$holder_pid" ]; then wait "$holder_pid" 2>/dev/null || true; fi
  chmod -R u+w "$top_unix" 2>/dev/null || true
  rm -rf "$top_unix" "$work"
}
trap cleanup EXIT
exe=$(fast_exe "$exe" "$work")
s() { wine "$exe" --root "$root_win" "$@" | tr -d '\r'; }
hold() {  # hold lock|open <win path>: in the background until $top_unix/release
  rm -f "$top_unix/release" "$work/holder.out"
  wine "$holder" "$1" "$2" "$top_win\\release" >"$work/holder.out" 2>&1 &
  holder_pid=$!
  wait_for_line "$work/holder.out" ready || fail "holder did not start: $(cat "$work/holder.out")"
}
release() {
  touch "$top_unix/release"
  wait "$holder_pid" || fail "holder failed: $(cat "$work/holder.out")"
  holder_pid=
}
trash_entries() { find "$root_unix/trash" -mindepth 1 -maxdepth 1 | wc -l; }
mkdir -p "$top_unix"

# prepare + files written through Wine's drive (as a layer writer would).
layer() {  # layer <key>: prints the folder's unix path
  local p
  p=$(s prepare "$1" >/dev/null && s path "$1")
  [[ $p =~ ^C:\\$name\\root\\snapshots\\[0-9]+$ ]] || fail "path of $1: $p"
  local u="$root_unix/snapshots/${p##*\\}"
  mkdir -p "$u/Files/sub/deeper"
  echo one >"$u/Files/one.txt"
  echo two >"$u/Files/sub/two.txt"
  head -c 100000 /dev/zero >"$u/Files/sub/deeper/big.bin"
  printf '%s\n' "$u"
}

case $mode in
readonly)
  u=$(layer ro)
  ro_win="$root_win\\snapshots\\${u##*/}\\Files"
  for f in one.txt sub\\two.txt sub\\deeper\\big.bin sub\\deeper; do
    wine "$holder" readonly "$ro_win\\$f" || fail "cannot set read-only on $f"
  done
  # Wine keeps FILE_ATTRIBUTE_READONLY as a file without write permission.
  [ "$(stat -c %A "$u/Files/one.txt" | tr -cd w)" = "" ] || fail "one.txt is not read-only: $(stat -c %A "$u/Files/one.txt")"
  err=$(wine "$holder" delete "$ro_win\\one.txt" 2>/dev/null | tr -d '\r') || true
  [ "$err" = "error 5" ] || fail "DeleteFileW of a read-only file under Wine: '$err', want error 5 (access denied)"
  s rm ro
  [ "$(trash_entries)" = 1 ] || fail "rm did not move the folder to trash"
  out=$(s gc) || fail "gc failed on a read-only tree: $out"
  [[ $out == "deleted 1 trash folder(s), "* ]] || fail "gc printed: $out"
  [ "$(trash_entries)" = 0 ] || fail "gc left trash: $(ls -R "$root_unix/trash")"
  [ ! -e "$u" ] || fail "the folder is still there"
  s check >/dev/null || fail "check after gc: $(s check)"
  echo "ok: rm + gc free a folder of read-only files and directories: $out"
  ;;
held-open)
  # Does Wine enforce share modes between two Wine processes for deletion?
  echo probe >"$top_unix/probe.txt"
  hold open "$top_win\\probe.txt"
  got=$(wine "$holder" delete "$top_win\\probe.txt" 2>/dev/null | tr -d '\r') || true
  release
  if [ "$got" = deleted ]; then
    echo "SKIPPED: under Wine another process's DeleteFileW removes a file held open" \
      "without FILE_SHARE_DELETE (Windows: ERROR_SHARING_VIOLATION 32), so gc of a" \
      "held-open file cannot be shown here; the retry path is tested with FaultEnv" \
      "(wine_snapshotter, wine_reclaim) and the real case is in tests/windows/host-check.ps1"
    exit 77
  fi
  [ "$got" = "error 32" ] || fail "DeleteFileW of a held file: '$got', want deleted or error 32"
  echo "ok: Wine refuses to delete a file another Wine process holds (error 32)"
  held=$(layer held)
  layer other >/dev/null
  hold open "$root_win\\snapshots\\${held##*/}\\Files\\sub\\two.txt"
  s rm held
  s rm other
  [ "$(trash_entries)" = 2 ] || fail "rm did not move both folders to trash: $(ls "$root_unix/trash")"
  rc=0
  err=$(wine "$exe" --root "$root_win" gc 2>&1 >"$work/out" | tr -d '\r') || rc=$?
  [ "$rc" = 1 ] || fail "gc with a held file exited $rc: $err"
  [ "$(grep -c . <<<"$err")" = 1 ] || fail "gc's report of the held entry is not one line: $err"
  [[ $err == "snapctl: gc: not yet deleted: trash/"* ]] || fail "gc stderr: $err"
  [ "$(trash_entries)" = 1 ] || fail "gc did not delete the other entry or lost the held one"
  [ -f "$(find "$root_unix/trash" -name two.txt)" ] || fail "the held file is gone from trash"
  echo "ok: gc reports the held entry in one line and deletes the rest: $err"
  release
  out=$(s gc) || fail "gc after the holder exited: $out"
  [ "$(trash_entries)" = 0 ] || fail "the held entry is still in trash after the holder exited"
  echo "ok: once the holder exits, the next gc frees it: $out"
  ;;
*) fail "unknown mode $mode" ;;
esac
