#!/usr/bin/env bash
# Packs the Windows build into dist/winsnap-<version>-windows-amd64.zip:
# snapctl.exe (stripped), README.md, LICENSE (if the repository has one) and
# an example config (scripts/windows/config.example.toml as
# config.example.toml). <version> is the project version in CMakeLists.txt.
# Usage: scripts/package-windows.sh [path/to/snapctl.exe]
#        (default build/windows/tools/snapctl.exe)
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${1:-build/windows/tools/snapctl.exe}
[ -f "$exe" ] || { echo "package-windows: $exe not found (run scripts/build-windows.sh)" >&2; exit 1; }
version=$(sed -nE 's/^project\(winsnap VERSION ([0-9][0-9.]*).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "package-windows: no project version in CMakeLists.txt" >&2; exit 1; }
name=winsnap-$version-windows-amd64
stage=build/windows-package/$name
rm -rf "$stage"
mkdir -p "$stage" dist
x86_64-w64-mingw32-strip -o "$stage/snapctl.exe" "$exe"
cp README.md "$stage/"
if [ -f LICENSE ]; then
  cp LICENSE "$stage/"
else
  echo "package-windows: warning: the repository has no LICENSE file; none packed" >&2
fi
cp scripts/windows/config.example.toml "$stage/config.example.toml"
# python3's zipfile: present everywhere CI runs, deterministic (fixed times).
python3 - "$stage" "dist/$name.zip" "$name" <<'PY'
import os, sys, zipfile
stage, out, top = sys.argv[1:4]
tmp = out + ".tmp"
with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
    for f in sorted(os.listdir(stage)):
        info = zipfile.ZipInfo(f"{top}/{f}", date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with open(os.path.join(stage, f), "rb") as fh:
            z.writestr(info, fh.read())
os.replace(tmp, out)
PY
echo "package-windows: dist/$name.zip"
python3 -m zipfile -l "dist/$name.zip"
