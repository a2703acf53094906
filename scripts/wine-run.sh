#!/usr/bin/env bash
# `wine "$@"` in winsnap's Wine environment (scripts/wine-env.sh): the
# CMAKE_CROSSCOMPILING_EMULATOR of the windows-mingw build, so ctest and
# gtest_discover_tests run the .exe files with a private prefix and the
# persistent server. The program's exit code is passed through.
set -euo pipefail
# shellcheck source=wine-env.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/wine-env.sh"
exec wine "$@"
