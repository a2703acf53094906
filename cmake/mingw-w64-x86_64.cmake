# CMake toolchain for cross-compiling winsnap for Windows (x86_64) on Debian
# with g++-mingw-w64-x86-64 (apt-get install g++-mingw-w64-x86-64).
# The "-posix" compiler variant is used because the win32-thread variant of
# GCC 12 has no std::mutex/std::thread.
#   cmake --preset windows-mingw            (CMakePresets.json)
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake ...
#
# Third-party libraries come from the prefix scripts/build-windows-deps.sh
# builds: WINSNAP_WINDOWS_PREFIX (cache variable or environment variable,
# default /var/cache/winsnap/current). Libraries, headers, CMake packages and
# pkg-config files are searched ONLY there and in /usr/x86_64-w64-mingw32;
# programs (protoc, wine) come from the host. Executables link statically
# (-static: libstdc++, libgcc, winpthread inside the .exe) and run under Wine
# as the CMAKE_CROSSCOMPILING_EMULATOR, so ctest runs them.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(WINSNAP_MINGW_PREFIX x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${WINSNAP_MINGW_PREFIX}-gcc-posix)
set(CMAKE_CXX_COMPILER ${WINSNAP_MINGW_PREFIX}-g++-posix)
set(CMAKE_RC_COMPILER ${WINSNAP_MINGW_PREFIX}-windres)

if(NOT WINSNAP_WINDOWS_PREFIX)
  if(DEFINED ENV{WINSNAP_WINDOWS_PREFIX})
    set(WINSNAP_WINDOWS_PREFIX "$ENV{WINSNAP_WINDOWS_PREFIX}")
  else()
    set(WINSNAP_WINDOWS_PREFIX /var/cache/winsnap/current)
  endif()
endif()
set(WINSNAP_WINDOWS_PREFIX "${WINSNAP_WINDOWS_PREFIX}" CACHE PATH
    "Prefix with the Windows builds of the third-party libraries")
# try_compile projects read this file again: hand them the prefix.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES WINSNAP_WINDOWS_PREFIX)
get_filename_component(_winsnap_prefix_real "${WINSNAP_WINDOWS_PREFIX}" REALPATH)

set(CMAKE_FIND_ROOT_PATH "${WINSNAP_WINDOWS_PREFIX}" /usr/${WINSNAP_MINGW_PREFIX})
if(NOT _winsnap_prefix_real STREQUAL WINSNAP_WINDOWS_PREFIX)
  # Paths already resolved through the "current" symlink stay inside a root.
  list(APPEND CMAKE_FIND_ROOT_PATH "${_winsnap_prefix_real}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Static libraries only: never an import library (libz.dll.a) of a DLL.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(OPENSSL_USE_STATIC_LIBS TRUE)
set(Protobuf_USE_STATIC_LIBS ON)
# Code generation runs on the host: Debian's protoc is the same 3.21.12 as
# the cross-built libprotobuf.
if(NOT Protobuf_PROTOC_EXECUTABLE AND EXISTS /usr/bin/protoc)
  set(Protobuf_PROTOC_EXECUTABLE /usr/bin/protoc CACHE FILEPATH "host protoc")
endif()

# pkg-config sees only the prefix (zlib.pc there points to mingw's zlib).
set(ENV{PKG_CONFIG_LIBDIR} "${WINSNAP_WINDOWS_PREFIX}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")

# ctest (and gtest_discover_tests) run the .exe files under Wine; source
# scripts/wine-env.sh first for a private WINEPREFIX and a persistent server.
# scripts/wine-run.sh is `wine` with that environment made on first use.
if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/../scripts/wine-run.sh")
  get_filename_component(_winsnap_wine_run "${CMAKE_CURRENT_LIST_DIR}/../scripts/wine-run.sh"
                         ABSOLUTE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${_winsnap_wine_run}")
else()
  find_program(WINSNAP_WINE NAMES wine wine64)
  if(WINSNAP_WINE)
    set(CMAKE_CROSSCOMPILING_EMULATOR "${WINSNAP_WINE}")
  endif()
endif()

# Windows 10 1809 / Server 2019 is the oldest host with computecore.dll.
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 UNICODE _UNICODE
                        WIN32_LEAN_AND_MEAN NOMINMAX)
