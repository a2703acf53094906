# CMake toolchain for cross-compiling the Windows code on Debian with
# g++-mingw-w64-x86-64 (apt-get install g++-mingw-w64-x86-64).
# The "-posix" compiler variant is used because the win32-thread variant of
# GCC 12 has no std::mutex/std::thread.
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake ...
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(WINSNAP_MINGW_PREFIX x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${WINSNAP_MINGW_PREFIX}-gcc-posix)
set(CMAKE_CXX_COMPILER ${WINSNAP_MINGW_PREFIX}-g++-posix)
set(CMAKE_RC_COMPILER ${WINSNAP_MINGW_PREFIX}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${WINSNAP_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Windows 10 1809 / Server 2019 is the oldest host with computecore.dll.
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 UNICODE _UNICODE
                        WIN32_LEAN_AND_MEAN NOMINMAX)
