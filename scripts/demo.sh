#!/usr/bin/env bash
# Installs dependencies, builds snapctl (release) and runs the demo on an
# embedded default: a fresh store under a temp root. Run as root on Debian 12:
#   ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset linux-release >/dev/null
cmake --build build/release -j"$(nproc)" --target snapctl
SNAPCTL="$PWD/build/release/tools/snapctl" tools/demo.sh
