#!/usr/bin/env bash
# Cross-builds winsnap for Windows (x86_64) on Debian with mingw-w64:
#   1. the third-party prefix (scripts/build-windows-deps.sh; cached under
#      /var/cache/winsnap, reused while its recipe is unchanged);
#   2. the prefix check (tests/windows/prefix_check: every library linked statically into
#      prefix_check.exe), its imports checked, run under Wine;
#   3. the project with the windows-mingw preset (build/windows): the given
#      targets (default: snapctl), snapctl.exe's imports checked against the
#      allow-list of system DLLs (scripts/check-windows-imports.sh);
#   4. scripts/package-windows.sh: dist/winsnap-<version>-windows-amd64.zip.
# Usage: scripts/build-windows.sh [--prefix-check-only] [--no-package] [target...]
# Environment: JOBS (default 2), WINSNAP_CACHE (default /var/cache/winsnap).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${JOBS:-2}
CACHE=${WINSNAP_CACHE:-/var/cache/winsnap}
prefix_check_only=0
package=1
targets=()
for a in "$@"; do
  case "$a" in
    --prefix-check-only) prefix_check_only=1 ;;
    --no-package) package=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "build-windows: unknown option $a" >&2; exit 2 ;;
    *) targets+=("$a") ;;
  esac
done
# Default: everything: snapctl.exe, the libraries and their Wine tests.
[ ${#targets[@]} -gt 0 ] || targets=(all)

step() { echo "== build-windows: $*"; }
t0=$(date +%s)

step "third-party prefix"
scripts/build-windows-deps.sh
export WINSNAP_WINDOWS_PREFIX=$CACHE/current

# shellcheck source=wine-env.sh
. scripts/wine-env.sh

step "prefix check (tests/windows/prefix_check under Wine)"
cmake -S tests/windows/prefix_check -B build/windows-prefix-check -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/windows-prefix-check -j"$JOBS"
scripts/check-windows-imports.sh build/windows-prefix-check/prefix_check.exe
ctest --test-dir build/windows-prefix-check --output-on-failure -L wine
[ "$prefix_check_only" = 1 ] && { step "done in $(( $(date +%s) - t0 )) s"; exit 0; }

step "configure (preset windows-mingw, build/windows)"
cmake --preset windows-mingw >/dev/null
step "build ${targets[*]}"
cmake --build build/windows -j"$JOBS" --target "${targets[@]}"
exe=build/windows/tools/snapctl.exe
if [ -f "$exe" ]; then
  scripts/check-windows-imports.sh "$exe"
  if [ "$package" = 1 ]; then
    step "package"
    scripts/package-windows.sh "$exe"
  fi
elif [[ " ${targets[*]} " == *" snapctl "* || " ${targets[*]} " == *" all "* ]]; then
  echo "build-windows: $exe was not built" >&2
  exit 1
fi
step "done in $(( $(date +%s) - t0 )) s"
