#!/usr/bin/env bash
# Cross-compiles the Windows code with Debian's mingw-w64 toolchain
# (apt-get install -y g++-mingw-w64-x86-64):
#   1. module hcs for Windows (compute_service_windows.cc, layers_windows.cc,
#      hresult_windows.cc + the portable sources) with -Wall -Wextra -Werror,
#      through hcs/CMakeLists.txt and cmake/mingw-w64-x86_64.cmake, and links
#      tests/hcs/windows_smoke/hcs_smoke.exe;
#   2. every other *_windows.cc in the repository, compiled on its own
#      (-fsyntax-only) so Windows-only code elsewhere cannot rot unseen.
# Usage: .ci/cross-windows.sh [build-dir]   (default: build/cross-windows)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${1:-build/cross-windows}
CXX=x86_64-w64-mingw32-g++-posix

if ! command -v "$CXX" >/dev/null; then
  echo "cross-windows: $CXX not found; apt-get install -y g++-mingw-w64-x86-64" >&2
  exit 2
fi
if [ ! -f /usr/x86_64-w64-mingw32/include/computecore.h ]; then
  echo "cross-windows: mingw-w64 headers lack computecore.h" >&2
  exit 2
fi

mkdir -p "$BUILD/shim"
# Header-only dependencies, exposed alone so no glibc header leaks in.
ln -sfn /usr/include/nlohmann "$BUILD/shim/nlohmann"

echo "== module hcs for Windows + hcs_smoke.exe"
cmake -S tests/hcs/windows_smoke -B "$BUILD/hcs" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=Release \
  -DWINSNAP_SHIM_INCLUDE="$ROOT/$BUILD/shim" >/dev/null
cmake --build "$BUILD/hcs" -j"${JOBS:-2}"
file "$BUILD/hcs/hcs_smoke.exe"

echo "== computecore exports bound at run time exist in mingw's import library"
IMPLIB=/usr/x86_64-w64-mingw32/lib/libcomputecore.a
names=$(grep -oE '^  X\((Hcs[A-Za-z]+)\)' hcs/compute_service_windows.cc | sed -E 's/.*\((.*)\)/\1/')
names="$names HcsWaitForProcessExit"
exports=$(x86_64-w64-mingw32-nm "$IMPLIB" 2>/dev/null | grep -oE '__imp_Hcs[A-Za-z]+' | sort -u)
for n in $names; do
  if ! grep -qx "__imp_$n" <<<"$exports"; then
    echo "cross-windows: computecore.dll export $n not in $IMPLIB" >&2
    exit 1
  fi
done
echo "   $(wc -w <<<"$names") names checked"

echo "== other *_windows.cc"
status=0
while IFS= read -r f; do
  case "$f" in hcs/*) continue ;; esac
  echo "   $f"
  if ! "$CXX" -std=c++20 -Wall -Wextra -Werror -fsyntax-only \
      -D_WIN32_WINNT=0x0A00 -DUNICODE -D_UNICODE -DWIN32_LEAN_AND_MEAN -DNOMINMAX \
      -I"$ROOT" -isystem "$ROOT/$BUILD/shim" "$f"; then
    status=1
  fi
done < <(git ls-files --cached --others --exclude-standard '*_windows.cc')
exit $status
