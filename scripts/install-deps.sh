#!/usr/bin/env bash
# Installs every Debian 12 package winsnap needs to build, test and run its
# demo. Idempotent; needs root (apt-get).
set -euo pipefail
packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format-14 git ca-certificates
  clang-14 clang-tidy-14
  # libraries
  libboost-dev liblmdb-dev lmdb-utils nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libssl-dev libarchive-dev libzstd-dev zlib1g-dev libisal-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libnghttp2-dev libre2-dev libtomlplusplus-dev
  # tests and benchmarks (isal: igzip, the import floor; hyperfine: bench/scale-bench.sh)
  libgtest-dev libgmock-dev googletest libbenchmark-dev isal hyperfine
  # peers used by integration tests
  runc containerd busybox-static golang-go golang-github-containerd-containerd-dev
  golang-github-coreos-bbolt-dev docker-registry skopeo openssl
  # Windows: mingw-w64 cross-compile, Debian source packages for the target
  # libraries (scripts/build-windows.sh), Wine to run the tests
  g++-mingw-w64-x86-64 libz-mingw-w64-dev dpkg-dev unicode-data wine64 wine
  # tools used by scripts (ccache: scripts/test.sh's warm runs)
  zstd gzip tar python3 util-linux procps ccache
)
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: needs root (apt-get); run as root or with sudo" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
