#!/usr/bin/env bash
# snapctl.exe under Wine (issue 11): import and export through the Windows
# layer writer/reader, and the scratch of containerd's windows snapshotter.
# Wine lacks what a real layer needs (BackupWrite/BackupRead are stubs,
# vmcompute.dll is absent), so each of these must fail with one line naming
# the missing API and leave the root exactly as it was; what needs no DLL
# (the blank.vhdx copy, views, parentless snapshots) must work.
# The image is a Windows-format OCI archive (Files/ entries, os windows)
# built here on the Linux side with tar and sha256sum.
# Usage: cli_import_flow.sh <snapctl.exe>   (ctest runs it; needs Wine)
set -euo pipefail
exe=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/wine-env.sh
. "$here/scripts/wine-env.sh"

name="winsnap-imp-$$"
root_win="C:\\$name"
root_unix="$WINEPREFIX/drive_c/$name"
work="$WINEPREFIX/drive_c/$name.work"
trap 'rm -rf "$root_unix" "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
s() { wine "$exe" --root "$root_win" "$@" | tr -d '\r'; }
s_err() { wine "$exe" --root "$root_win" "$@" 2>&1 >/dev/null | tr -d '\r'; }
tree() { find "$root_unix" -not -name '*.lock' | sort; }
one_line() { [ "$(printf '%s\n' "$1" | grep -c .)" = 1 ] || fail "$2: not one line: $1"; }

# --- a one-layer Windows image as an OCI archive ---------------------------
mkdir -p "$work/layer/Files/dir" "$work/oci/blobs/sha256"
echo hello >"$work/layer/Files/hello.txt"
echo inner >"$work/layer/Files/dir/inner.txt"
tar --format=pax --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name \
  -C "$work/layer" -cf "$work/layer.tar" Files
blob() { # file -> stores it as a blob, prints its hex digest
  local h; h=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" "$work/oci/blobs/sha256/$h"; echo "$h"
}
size() { stat -c %s "$1"; }
lh=$(blob "$work/layer.tar")
cat >"$work/config.json" <<JSON
{"architecture":"amd64","os":"windows","os.version":"10.0.20348.1",
 "rootfs":{"type":"layers","diff_ids":["sha256:$lh"]}}
JSON
ch=$(blob "$work/config.json")
cat >"$work/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$ch","size":$(size "$work/config.json")},
 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:$lh","size":$(size "$work/layer.tar")}]}
JSON
mh=$(blob "$work/manifest.json")
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
cat >"$work/oci/index.json" <<JSON
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",
 "digest":"sha256:$mh","size":$(size "$work/manifest.json"),
 "annotations":{"io.containerd.image.name":"example.com/winsnap/hello:1"}}]}
JSON
tar -C "$work/oci" -cf "$work/image.tar" oci-layout index.json blobs

# --- import: fails at the first API Wine lacks, nothing is left -------------
s prepare base-active >/dev/null
s commit base base-active
before=$(tree)
err=$(s_err import "C:\\$name.work\\image.tar") && fail "import succeeded under Wine"
one_line "$err" import
[[ $err == *BackupWrite* ]] || fail "import: the line does not name BackupWrite: $err"
[ "$(tree)" = "$before" ] || fail "import failed but changed the root:
$(diff <(echo "$before") <(tree))"
[ -z "$(ls -A "$root_unix/staging")" ] || fail "import left staging/ not empty"
s images | grep -q hello && fail "import failed but left an image record"
[ "$(s ls | grep -c sha256:)" = 0 ] || fail "import failed but left a layer snapshot"
echo "ok: import fails in one line naming BackupWrite, root unchanged: $err"

# --- export of an existing layer: BackupRead is a stub too ----------------
before=$(tree)
err=$(s_err export base "C:\\$name.work\\out.tar") && fail "export succeeded under Wine"
one_line "$err" export
[[ $err == *BackupRead* ]] || fail "export: the line does not name BackupRead: $err"
[ -z "$(find "$work" -name 'out.tar*')" ] || fail "export failed but left an output file"
[ "$(tree)" = "$before" ] || fail "export failed but changed the root"
echo "ok: export fails in one line naming BackupRead, no output: $err"

# --- scratch semantics over a Windows base layer ---------------------------
# An image layer as containerd's differ leaves it: an "extract" snapshot
# holding Files\Windows, committed. Prepare over it needs CreateSandboxLayer
# (no blank.vhdx): vmcompute.dll is absent.
s prepare extract-img >/dev/null
img=$(s path extract-img); img_unix="$root_unix/snapshots/${img##*\\}"
mkdir -p "$img_unix/Files/Windows"
s commit img extract-img
before=$(tree)
err=$(s_err prepare ctr img) && fail "prepare over an image layer without vmcompute.dll succeeded"
one_line "$err" "prepare ctr"
[[ $err == *CreateSandboxLayer* && $err == *vmcompute.dll* ]] ||
  fail "prepare ctr: the line does not name CreateSandboxLayer and vmcompute.dll: $err"
[ "$(tree)" = "$before" ] || fail "prepare failed but changed the root"
s ls | grep -q '^ctr ' && fail "prepare failed but ctr is listed"
echo "ok: prepare over an image layer needs CreateSandboxLayer: $err"

# With the base's blank.vhdx the scratch is a plain copy (no DLL), but a
# size label needs ExpandSandboxSize.
printf 'vhdx-template' >"$img_unix/blank.vhdx"
s prepare ctr img >/dev/null
c=$(s path ctr)
[ "$(cat "$root_unix/snapshots/${c##*\\}/sandbox.vhdx")" = vhdx-template ] ||
  fail "prepare ctr did not copy blank.vhdx to sandbox.vhdx"
before=$(tree)
err=$(s_err prepare --label containerd.io/snapshot/windows/rootfs.sizebytes=21474836480 big img) &&
  fail "prepare with a size label succeeded without vmcompute.dll"
one_line "$err" "prepare big"
[[ $err == *ExpandSandboxSize* && $err == *vmcompute.dll* ]] ||
  fail "prepare big: the line does not name ExpandSandboxSize and vmcompute.dll: $err"
[ "$(tree)" = "$before" ] || fail "prepare big failed but changed the root"
echo "ok: blank.vhdx copied to sandbox.vhdx; a size label needs ExpandSandboxSize: $err"

# Views and parentless snapshots make no layer call.
s view v img >/dev/null
v=$(s path v)
[ ! -e "$root_unix/snapshots/${v##*\\}/sandbox.vhdx" ] || fail "a view got a sandbox.vhdx"
s prepare solo >/dev/null
echo "ok: view and parentless prepare work without vmcompute.dll"

# Commit of the container scratch converts it (export + import over itself):
# its first call is ExportLayer (vmcompute.dll); the export goes through a
# winsnap-commit-* folder in the temp folder, which must not stay behind.
commit_tmp() { find "$WINEPREFIX/drive_c/windows/temp" "$WINEPREFIX/drive_c/users" -maxdepth 5 -name 'winsnap-commit-*' 2>/dev/null | sort; }
tmp_before=$(commit_tmp)
before=$(tree)
err=$(s_err commit ctr-image ctr) && fail "commit of a container scratch succeeded under Wine"
one_line "$err" "commit ctr"
[[ $err == *vmcompute.dll* ]] || fail "commit ctr: the line does not name vmcompute.dll: $err"
[ "$(tree)" = "$before" ] || fail "commit ctr failed but changed the root"
s info ctr | grep -q '"Kind": *"Active"' || fail "ctr is no longer active after a failed commit"
[ "$(commit_tmp)" = "$tmp_before" ] || fail "commit ctr left a temp folder: $(commit_tmp)"
echo "ok: commit of a container scratch fails in one line, ctr stays active: $err"

s rm ctr; s rm v; s rm solo
s gc >/dev/null
echo "ok: rm + gc"
