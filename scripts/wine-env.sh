# shellcheck shell=bash
# Wine environment for running the Windows build's .exe files (source it):
#   . scripts/wine-env.sh      # exports WINEPREFIX etc., initialises, starts the server
#   wine build/windows/tools/snapctl.exe --help
#   winsnap_wine_stop          # wineserver -k, when done
# A private WINEPREFIX (default /var/cache/winsnap/wineprefix; set
# WINSNAP_WINEPREFIX to choose another) is made on first use (wineboot -i,
# ~10 s) with C:\ProgramData; a persistent `wineserver -p` makes each later
# `wine x.exe` cost tens of milliseconds instead of seconds.
# Set WINSNAP_WINE_NO_START=1 to only export the environment.

export WINEPREFIX=${WINSNAP_WINEPREFIX:-${WINEPREFIX:-/var/cache/winsnap/wineprefix}}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES="mscoree,mshtml="
export WINEARCH=win64

# Creates the prefix once (serialised: ctest may start many tests at once).
winsnap_wine_init() {
  if [ -f "$WINEPREFIX/.winsnap-ready" ]; then
    return 0
  fi
  command -v wine >/dev/null || { echo "wine-env: wine not found (apt-get install wine64 wine)" >&2; return 1; }
  mkdir -p "$(dirname "$WINEPREFIX")"
  (
    flock 8
    if [ ! -f "$WINEPREFIX/.winsnap-ready" ]; then
      echo "wine-env: creating $WINEPREFIX (wineboot -i)" >&2
      wineboot -i >/dev/null 2>&1 || { echo "wine-env: wineboot -i failed" >&2; exit 1; }
      wineserver -w
      mkdir -p "$WINEPREFIX/drive_c/ProgramData"
      touch "$WINEPREFIX/.winsnap-ready"
    fi
  ) 8>"$WINEPREFIX.lock"
}

# Starts a persistent wineserver for WINEPREFIX (a no-op if one runs).
winsnap_wine_start() {
  winsnap_wine_init || return 1
  # Only one server per prefix can run; a second `wineserver -p` exits at once.
  wineserver -p >/dev/null 2>&1 || true
  # Start Wine's system processes (services.exe, winedevice.exe, ...) now,
  # with their stdio on /dev/null. Otherwise the first program run starts
  # them and they inherit its stdout: under a persistent server they never
  # exit, so a caller waiting for end of output (ctest) hangs until timeout.
  wine cmd.exe /c exit 0 </dev/null >/dev/null 2>&1 || true
  export WINSNAP_WINE_STARTED=$WINEPREFIX
}

# Stops the server of WINEPREFIX (and any wine process in it).
winsnap_wine_stop() {
  wineserver -k >/dev/null 2>&1 || true
  unset WINSNAP_WINE_STARTED
}

if [ "${WINSNAP_WINE_NO_START:-0}" != 1 ] && [ "${WINSNAP_WINE_STARTED:-}" != "$WINEPREFIX" ]; then
  winsnap_wine_start
fi
