# shellcheck shell=bash
# Helpers of the snapctl.exe CLI tests under Wine (tests/windows/cli_*.sh);
# source it after scripts/wine-env.sh.

fail() { echo "FAIL: $*" >&2; exit 1; }

# Prints the path of a copy of the .exe "$1" without debug information,
# made in folder "$2" (the test's scratch folder). The RelWithDebInfo
# snapctl.exe is over 200 MB and Wine maps all of it at each start (about
# 1 s more per start on the CI machine); the stripped copy runs the same
# code. Falls back to "$1" without x86_64-w64-mingw32-strip.
fast_exe() {
  local out
  out="$2/$(basename "$1")"
  mkdir -p "$2"
  if command -v x86_64-w64-mingw32-strip >/dev/null &&
    x86_64-w64-mingw32-strip -o "$out" "$1" 2>/dev/null; then
    printf '%s\n' "$out"
  else
    printf '%s\n' "$1"
  fi
}

# Waits up to 60 s until file "$1" has a line equal to "$2" (CRLF allowed).
wait_for_line() {
  local i
  for ((i = 0; i < 3000; i++)); do
    if [ -f "$1" ] && tr -d '\r' <"$1" | grep -qx "$2"; then
      return 0
    fi
    sleep 0.02
  done
  return 1
}

# Unix pids of the Wine processes whose command line contains "$1".
wine_pids_with() {
  local p
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$1"; then
      printf '%s\n' "${p#/proc/}"
    fi
  done
}
