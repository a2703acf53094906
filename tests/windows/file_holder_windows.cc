// Copyright 2026 The winsnap Authors. SPDX-License-Identifier: Apache-2.0
//
// winsnap_file_holder.exe: a second Windows process for the snapctl.exe CLI
// tests under Wine (tests/windows/cli_*.sh). It holds a file the way another
// program would while snapctl.exe works on it, or does one Win32 file call
// the scripts cannot do through Wine's cmd.exe reliably:
//
//   winsnap_file_holder lock FILE RELEASE   LockFileEx exactly as bbolt does
//       on Windows (bolt_windows.go: exclusive, 1 byte at offset 2^64-1) on a
//       handle opened like Go's os.OpenFile (share read|write)
//   winsnap_file_holder open FILE RELEASE   opens FILE without
//       FILE_SHARE_DELETE (as a scanner or an editor might)
//   winsnap_file_holder delete FILE         DeleteFileW once; prints
//       "deleted" or "error <Win32 code>"
//   winsnap_file_holder readonly FILE       sets FILE_ATTRIBUTE_READONLY
//
// lock and open print "ready" once they hold FILE, then keep holding it until
// the file RELEASE exists (polled every 20 ms; they give up after 300 s so a
// failed test never leaves them behind). Paths are ASCII. Exit codes: 0 done,
// 1 the Win32 call failed (the code is printed), 2 bad arguments.
// Single-threaded.

#include <windows.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

std::wstring Wide(const char* s) {
  std::wstring out;
  for (; *s; ++s) out.push_back(static_cast<wchar_t>(*s));
  return out;
}

int Failed(const char* what) {
  DWORD code = ::GetLastError();
  std::printf("error %lu\n", code);
  std::fprintf(stderr, "winsnap_file_holder: %s failed (Win32 error %lu)\n",
               what, code);
  return 1;
}

// Holds "h" until "release" exists.
int HoldUntil(HANDLE h, const std::wstring& release) {
  std::printf("ready\n");
  std::fflush(stdout);
  for (int i = 0; i < 300 * 50; ++i) {
    if (::GetFileAttributesW(release.c_str()) != INVALID_FILE_ATTRIBUTES) break;
    ::Sleep(20);
  }
  ::CloseHandle(h);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: winsnap_file_holder lock|open FILE RELEASE | "
                 "delete|readonly FILE\n");
    return 2;
  }
  std::string mode = argv[1];
  std::wstring file = Wide(argv[2]);
  if (mode == "lock" || mode == "open") {
    if (argc != 4) return 2;
    DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE;  // never DELETE
    HANDLE h =
        ::CreateFileW(file.c_str(), GENERIC_READ | GENERIC_WRITE, share,
                      nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) return Failed("CreateFileW");
    if (mode == "lock") {
      OVERLAPPED ov = {};
      ov.Offset = MAXDWORD;
      ov.OffsetHigh = MAXDWORD;
      if (!::LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
                        0, 1, 0, &ov)) {
        return Failed("LockFileEx");
      }
    }
    return HoldUntil(h, Wide(argv[3]));
  }
  if (argc != 3) return 2;
  if (mode == "delete") {
    if (!::DeleteFileW(file.c_str())) return Failed("DeleteFileW");
    std::printf("deleted\n");
    return 0;
  }
  if (mode == "readonly") {
    if (!::SetFileAttributesW(file.c_str(), FILE_ATTRIBUTE_READONLY))
      return Failed("SetFileAttributesW");
    return 0;
  }
  std::fprintf(stderr, "winsnap_file_holder: unknown mode %s\n", argv[1]);
  return 2;
}
