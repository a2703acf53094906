#!/usr/bin/env bash
# Fails unless every given .exe/.dll imports only Windows system DLLs (the
# allow-list below): a statically linked winsnap binary must not need
# libstdc++-6.dll, libwinpthread-1.dll, zlib1.dll, libcrypto-3-x64.dll, ...
# Usage: scripts/check-windows-imports.sh file.exe...
set -euo pipefail
OBJDUMP=x86_64-w64-mingw32-objdump
command -v "$OBJDUMP" >/dev/null || { echo "check-windows-imports: $OBJDUMP not found" >&2; exit 2; }
[ $# -gt 0 ] || { echo "usage: $0 file.exe..." >&2; exit 2; }

# Lower case. Windows system DLLs: kernel, C runtime (msvcrt or the UCRT
# api sets), security, sockets, shell/COM, and the HCS DLLs of Windows hosts
# with the Containers feature (present in System32 there, absent under Wine).
allowed_re='^(kernel32|kernelbase|ntdll|advapi32|ws2_32|mswsock|msvcrt|ucrtbase|user32|gdi32|crypt32|bcrypt|ncrypt|secur32|shell32|shlwapi|ole32|oleaut32|rpcrt4|iphlpapi|userenv|dbghelp|version|winmm|computecore|computestorage|computenetwork|vmcompute|api-ms-win-[a-z0-9-]+)\.dll$'

status=0
for f in "$@"; do
  [ -f "$f" ] || { echo "check-windows-imports: $f: no such file" >&2; status=1; continue; }
  dlls=$("$OBJDUMP" -p "$f" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)
  bad=$(grep -Ev "$allowed_re" <<<"$dlls" || true)
  if [ -n "$bad" ]; then
    echo "check-windows-imports: $f imports non-system DLLs: $(echo $bad)" >&2
    status=1
  else
    echo "check-windows-imports: $f: only system DLLs ($(echo $dlls))"
  fi
done
exit $status
