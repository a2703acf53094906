#!/usr/bin/env bash
# Builds winsnap twice (gcc -Werror, then ASan+UBSan) and runs every test,
# plus the clang-format check and the mingw-w64 cross-compile of the Windows
# backend. Installs its Debian packages first. Run as root on Debian 12:
#   ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc)

echo "== clang-format check"
mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || find . -name '*.cc' -o -name '*.h')
clang-format-14 --dry-run --Werror "${sources[@]}"

echo "== every *_test.cc is in a test target"
for t in $(git ls-files 'tests/*_test.cc' 2>/dev/null); do
  dir=$(dirname "$t"); base=$(basename "$t")
  grep -q "$base" "$dir/CMakeLists.txt" || { echo "test file $t is in no target" >&2; exit 1; }
done

run_suite() {  # <preset>
  cmake --preset "$1" >/dev/null
  cmake --build "build/${1#linux-}" -j"$jobs"
  (cd "build/${1#linux-}" && ctest --output-on-failure -j"$jobs" --timeout 600)
}

echo "== gcc, -Werror"
run_suite linux-debug
echo "== ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_suite linux-asan

if [ -x .ci/cross-windows.sh ]; then
  echo "== mingw-w64 cross-compile of the Windows backend"
  .ci/cross-windows.sh
fi
echo "== all tests passed"
