#!/usr/bin/env bash
# Builds everything with gcc, ASan+UBSan and -Werror and runs every test
# (both gzip decoders included: ISA-L's and zlib's, tests/unpack/
# decompress_test.cc); plus the clang-format check, clang-tidy on changed
# files and the Windows stage (scripts/build-windows.sh: cross-built prefix,
# prefix check, snapctl.exe, the zip; then every test labelled "wine" in
# build/windows run under Wine through ctest). The Windows prefix, when it
# must be built, builds in the background from the start, beside the ASan
# stage (its log: build/windows-deps.log). Prints each stage's wall time.
# Installs its Debian packages first. Run as root on Debian 12:
#   ./scripts/test.sh
# WINSNAP_SKIP_WINDOWS=1 leaves out the Windows stage.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
# A warm run reuses /var/cache: the Windows prefix (/var/cache/winsnap) and
# compiler results (ccache in /var/cache/ccache), unless the caller chose.
if command -v ccache >/dev/null && [ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_DIR=${CCACHE_DIR:-/var/cache/ccache} CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}
  # Debug builds would otherwise hash the build directory's absolute path,
  # so a clone at another path would miss every object of the last run.
  export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
fi

timings=()
T_START=$(date +%s)
current_stage=""
report() {
  local rc=$?
  if [ ${#timings[@]} -gt 0 ]; then
    echo "== stage times"
    printf '   %s\n' "${timings[@]}"
  fi
  if [ "$rc" -ne 0 ] && [ -n "$current_stage" ]; then
    echo "== FAILED in stage '$current_stage' after $(( $(date +%s) - T_START )) s" >&2
  fi
}
trap 'stop_background; report' EXIT
# The Windows prefix build started by start_prefix_build, if any.
prefix_pid=""
stop_background() {
  # Its own process group (setsid below): the whole build goes; the pid
  # alone if setsid has not run yet.
  if [ -n "$prefix_pid" ]; then
    kill -- "-$prefix_pid" 2>/dev/null || kill "$prefix_pid" 2>/dev/null
  fi
  return 0
}
# stage <name> <command...>: runs the command, prints its wall time.
stage() {
  local name=$1 t0
  shift
  current_stage=$name
  echo "== $name"
  t0=$(date +%s)
  "$@"
  local dt=$(( $(date +%s) - t0 ))
  timings+=("$(printf '%-40s %5d s' "$name" "$dt")")
  echo "== $name: $dt s"
  current_stage=""
}

format_check() {
  local sources
  mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || find . -name '*.cc' -o -name '*.h')
  clang-format-14 --dry-run --Werror "${sources[@]}"
}

tests_in_targets() {
  local t dir base
  for t in $(git ls-files 'tests/*_test.cc' 2>/dev/null); do
    dir=$(dirname "$t"); base=$(basename "$t")
    grep -q "$base" "$dir/CMakeLists.txt" || { echo "test file $t is in no target" >&2; return 1; }
  done
}

# clang-tidy-14 (.clang-tidy, with -Wthread-safety) on the .cc files
# changed against a base: origin/main's merge base when this is a branch of
# it; in CI's clone, where origin/main is HEAD, the last submission that
# landed, named in .ci/tidy-base (updated with each submission; a stale one
# only makes the set larger); else HEAD~1. Uses build/asan's
# compile_commands.json, configured here before the ASan build, so a
# finding fails in minutes. Nothing changed, nothing run.
tidy_changed() {
  local base="" files=() recorded
  if git rev-parse -q --verify origin/main >/dev/null; then
    base=$(git merge-base HEAD origin/main)
  fi
  if [ -z "$base" ] || [ "$base" = "$(git rev-parse HEAD)" ]; then
    base=""
    recorded=$(sed -n '/^[0-9a-f]\{40\}$/p' .ci/tidy-base 2>/dev/null | head -1)
    if [ -n "$recorded" ] && git merge-base --is-ancestor "$recorded" HEAD 2>/dev/null; then
      base=$recorded
    elif git rev-parse -q --verify HEAD~1 >/dev/null; then
      base=$(git rev-parse HEAD~1)
    else
      echo "no base commit to compare against; nothing to check"
      return 0
    fi
  fi
  cmake --preset linux-asan >/dev/null
  mapfile -t files < <(git diff --name-only --diff-filter=d "$base" -- '*.cc' |
    while read -r f; do
      grep -q "\"file\": \"$(pwd)/$f\"" build/asan/compile_commands.json && echo "$f"
    done)
  if [ ${#files[@]} -eq 0 ]; then
    echo "no changed .cc file in build/asan/compile_commands.json"
    return 0
  fi
  echo "checking ${#files[@]} file(s) changed since $base"
  # Make the generated protobuf and gRPC headers the checked files may
  # include.
  cmake --build build/asan -j"$jobs" --target winsnap_proto
  printf '%s\n' "${files[@]}" | xargs -P"$jobs" -n1 clang-tidy-14 -p build/asan --quiet \
    --extra-arg=-Wthread-safety --warnings-as-errors='*'
}

run_suite() {  # <preset>
  cmake --preset "$1" >/dev/null
  cmake --build "build/${1#linux-}" -j"$jobs"
  (cd "build/${1#linux-}" && ctest --output-on-failure -j"$jobs" --timeout 600)
}

asan_suite() {
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_suite linux-asan
}

# The Windows prefix (scripts/build-windows-deps.sh) in the background: on a
# cold cache it is ~15 minutes of mostly one-core configure and make, which
# the ASan stage's build and tests leave room for. A warm cache makes it a
# check of a few seconds.
start_prefix_build() {
  mkdir -p build
  # shellcheck disable=SC2016
  setsid bash -c 't0=$(date +%s); rc=0; JOBS=$1 scripts/build-windows-deps.sh || rc=$?
    echo "== windows prefix: $(( $(date +%s) - t0 )) s in the background, exit $rc"
    exit $rc' _ "$jobs" >build/windows-deps.log 2>&1 </dev/null &
  prefix_pid=$!
  echo "Windows prefix building in the background (pid $prefix_pid, log build/windows-deps.log)"
}

wait_prefix_build() {
  local rc=0
  wait "$prefix_pid" || rc=$?
  prefix_pid=""
  cat build/windows-deps.log
  if [ "$rc" -ne 0 ]; then
    echo "the Windows prefix build failed (exit $rc): build/windows-deps.log" >&2
    return "$rc"
  fi
}

windows_stage() {
  JOBS=$jobs scripts/build-windows.sh all
  # shellcheck source=wine-env.sh
  . scripts/wine-env.sh
  # Tests that run under Wine carry a label matching "wine" (wine-<module>
  # for GoogleTest suites, see cmake/WinsnapTargets.cmake).
  ctest --test-dir build/windows -L wine --output-on-failure -j"$jobs" --timeout 600 \
    --no-tests=error
  winsnap_wine_stop
}

stage "install-deps" ./scripts/install-deps.sh
stage "clang-format check" format_check
stage "every *_test.cc is in a test target" tests_in_targets
windows=1
[ "${WINSNAP_SKIP_WINDOWS:-0}" = 1 ] && windows=0
[ "$windows" = 1 ] && start_prefix_build
stage "clang-tidy on changed files" tidy_changed
stage "all tests, ASan + UBSan, -Werror (linux-asan)" asan_suite
if [ "$windows" = 1 ]; then
  stage "windows prefix (wait for the background build)" wait_prefix_build
  stage "windows (cross build, tests under Wine)" windows_stage
fi
echo "== all tests passed in $(( $(date +%s) - T_START )) s"
