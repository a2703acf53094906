#!/usr/bin/env bash
# Runs containerd's snapshotter conformance suite against `snapctl serve
# --mount-type overlay` (conformance_test.go), in GOPATH mode with Debian's
# golang-go and golang-github-containerd-containerd-dev.
# usage: run.sh /path/to/snapctl [test binary flags, e.g. -test.run 'TestWinsnapProxyConformance/Basic']
# Exit 77 (skipped, loudly) only when a capability is really missing.
set -euo pipefail
snapctl=$(realpath "$1"); shift
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then echo "SKIPPED LOUDLY: the conformance suite mounts overlayfs and needs root"; exit 77; fi
command -v go >/dev/null || { echo "SKIPPED LOUDLY: go is not installed (apt-get install golang-go)"; exit 77; }
[ -d /usr/share/gocode/src/github.com/containerd/containerd/snapshots/testsuite ] ||
  { echo "SKIPPED LOUDLY: apt-get install golang-github-containerd-containerd-dev"; exit 77; }

work=$(mktemp -d /tmp/winsnap-conformance.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
ln -s "$here" "$work/src/winsnapconformance"
cd "$work/src/winsnapconformance"
export GO111MODULE=off GOPATH="/usr/share/gocode:$work" GOCACHE="${GOCACHE:-$work/cache}" GOFLAGS=
export WINSNAP_SNAPCTL="$snapctl"
rc=0
go test -count=1 -timeout 30m -v . -args -test.root "$@" >"$work/out.txt" 2>&1 || rc=$?
cat "$work/out.txt"
count() { grep -c -- "    --- $1: " "$work/out.txt" || true; }
echo "== summary: $(count PASS) subtests passed, $(count FAIL) failed, $(count SKIP) skipped"
exit "$rc"
