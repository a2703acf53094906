#!/usr/bin/env bash
# Builds the third-party libraries winsnap needs for the Windows target
# (x86_64-w64-mingw32, posix threads, static libraries only) from Debian's own
# SOURCE packages, into a prefix cached under /var/cache/winsnap:
#
#   /var/cache/winsnap/prefix-<hash>/   include/ lib/ lib/pkgconfig lib/cmake
#   /var/cache/winsnap/current -> prefix-<hash>
#
# <hash> is a hash of the recipe (this script, the mingw compiler's version);
# the prefix is reused while it is unchanged. Each library is also cached on
# its own under /var/cache/winsnap/pkg/<lib>-<hash>/ (keyed by its build
# function, its source version and the libraries it builds on), so a change
# to one recipe rebuilds only that library and what depends on it.
#
# Sources: `apt-get source --download-only` with a private source list made at
# run time from the system's own `deb` entries turned into `deb-src`, and
# private lists/cache directories: the system's apt configuration and state
# are not touched. zlib is Debian's libz-mingw-w64-dev; GoogleTest is
# /usr/src/googletest (package googletest).
#
# Usage: scripts/build-windows-deps.sh [--print-prefix]
#   WINSNAP_CACHE   cache root (default /var/cache/winsnap)
#   JOBS            parallel jobs (default 2)
#   WINSNAP_DEPS_REFRESH=1  download the source packages again
#   WINSNAP_STATUS_FILE     file to append "<lib> ready ..." lines to (optional)
set -euo pipefail
main() {

CACHE=${WINSNAP_CACHE:-/var/cache/winsnap}
JOBS=${JOBS:-2}
HOST=x86_64-w64-mingw32
CC_W=$HOST-gcc-posix
CXX_W=$HOST-g++-posix
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
MINGW_ROOT=/usr/$HOST
WINE_RUN=$(dirname "$SCRIPT")/wine-run.sh

die() { echo "build-windows-deps: $*" >&2; exit 1; }

for tool in "$CC_W" "$CXX_W" $HOST-ar $HOST-ranlib cmake ninja apt-get dpkg-source sha256sum flock; do
  command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done
[ -f "$MINGW_ROOT/lib/libz.a" ] || die "$MINGW_ROOT/lib/libz.a missing (apt-get install libz-mingw-w64-dev)"
[ -f /usr/src/googletest/CMakeLists.txt ] || die "/usr/src/googletest missing (apt-get install googletest)"

compiler_id=$("$CC_W" --version | head -1; "$CXX_W" --version | head -1)
recipe_hash=$( { cat "$SCRIPT"; echo "$compiler_id"; } | sha256sum | cut -c1-16)
PREFIX=$CACHE/prefix-$recipe_hash
if [ "${1:-}" = --print-prefix ]; then
  echo "$PREFIX"
  exit 0
fi
# --only <lib>: build that library's cache entry only (no prefix), e.g. to
# build protobuf alongside a running full build; the full build picks it up.
ONLY=""
if [ "${1:-}" = --only ]; then
  ONLY=${2:?--only needs a library name}
fi

mkdir -p "$CACHE"/{src,pkg,work,logs}
exec 9>"$CACHE/.lock"
if [ -z "$ONLY" ] && ! flock -n 9; then
  echo "build-windows-deps: waiting for another run to finish ($CACHE/.lock)" >&2
  flock 9
fi

if [ -f "$PREFIX/.complete" ]; then
  ln -sfn "$(basename "$PREFIX")" "$CACHE/current"
  echo "build-windows-deps: prefix up to date: $PREFIX"
  exit 0
fi
# "current" moves to this prefix as soon as it holds every library the
# prefix "current" pointed to so far holds (users of current never lose one).
switch_current() {
  local old s
  old=$(readlink "$CACHE/current" 2>/dev/null || true)
  if [ -n "$old" ] && [ "$old" != "$(basename "$PREFIX")" ] && [ -d "$CACHE/$old/.stamps" ]; then
    for s in "$CACHE/$old"/.stamps/*; do
      [ -e "$s" ] || continue
      [ -f "$PREFIX/.stamps/$(basename "$s")" ] || return 0
    done
  fi
  ln -sfn "$(basename "$PREFIX")" "$CACHE/current"
}

# ---------------------------------------------------------------- apt source
APT_DIR=$CACHE/apt
APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
          -o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d"
          -o "Dir::State::Lists=$APT_DIR/lists"
          -o "Dir::Cache=$APT_DIR/cache"
          -o "APT::Sandbox::User=root")
apt_updated=0

# The system's own deb entries (one-line and deb822), as deb-src entries.
make_source_list() {
  rm -rf "$APT_DIR/sources.list.d"
  mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
  : >"$APT_DIR/sources.list"
  if [ -f /etc/apt/sources.list ]; then
    sed -nE 's/^[[:space:]]*deb([[:space:]]+)/deb-src\1/p' /etc/apt/sources.list >"$APT_DIR/sources.list"
  fi
  local f
  for f in /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -nE 's/^[[:space:]]*deb([[:space:]]+)/deb-src\1/p' "$f" >"$APT_DIR/sources.list.d/$(basename "$f")"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Keep stanzas whose Types include deb; make them deb-src.
    awk 'BEGIN{RS=""; ORS="\n\n"}
         { if ($0 ~ /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t]|\n|$)/) {
             gsub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print } }' \
      "$f" >"$APT_DIR/sources.list.d/$(basename "$f")"
  done
  grep -rqs '^deb-src\|^Types: deb-src' "$APT_DIR/sources.list" "$APT_DIR/sources.list.d" ||
    die "no deb entries found in /etc/apt/sources.list{,.d} to derive deb-src entries from"
}

apt_update_once() {
  [ "$apt_updated" = 1 ] && return 0
  make_source_list
  echo "build-windows-deps: apt-get update (private deb-src lists in $APT_DIR)"
  # A third-party repository without sources must not stop us; a missing
  # package is reported by apt-get source below.
  apt-get "${APT_OPTS[@]}" -q update >"$CACHE/logs/apt-update.log" 2>&1 ||
    { echo "build-windows-deps: apt-get update reported errors (continuing):" >&2
      tail -5 "$CACHE/logs/apt-update.log" >&2; }
  apt_updated=1
}

# fetch_source <source-package>: downloads it once into $CACHE/src/<pkg>/
# and sets DSC to its .dsc. The newest version in the lists is tried first;
# if a mirror lacks its files (seen: security pool sources 404), the next
# older version is tried, with a warning.
fetch_source() {
  local pkg=$1 dir=$CACHE/src/$1 v log=$CACHE/logs/source-$1.log
  if [ "${WINSNAP_DEPS_REFRESH:-0}" = 1 ] && [ ! -f "$dir/.refreshed-$$" ]; then
    rm -rf "$dir"
  fi
  DSC=$(ls -1 "$dir"/*.dsc 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$DSC" ] && return 0
  apt_update_once
  mkdir -p "$dir"
  : >"$log"
  local versions
  versions=$(apt-cache "${APT_OPTS[@]}" showsrc "$pkg" 2>>"$log" | sed -n 's/^Version: //p' |
             sort -V -r -u)
  [ -n "$versions" ] || { tail -20 "$log" >&2; die "no source package $pkg in the deb-src lists"; }
  for v in $versions; do
    if (cd "$dir" && apt-get "${APT_OPTS[@]}" -q source --download-only "$pkg=$v") >>"$log" 2>&1; then
      [ "$v" = "$(head -1 <<<"$versions")" ] ||
        echo "build-windows-deps: warning: $pkg $(head -1 <<<"$versions") not downloadable; using $v" >&2
      touch "$dir/.refreshed-$$"
      DSC=$(ls -1 "$dir"/*.dsc | sort -V | tail -1)
      return 0
    fi
    rm -f "$dir"/*
  done
  tail -20 "$log" >&2
  die "apt-get source $pkg failed for every version ($(echo $versions))"
}

# unpack <dsc> <dir>: dpkg-source -x (applies Debian's patches).
unpack() {
  rm -rf "$2"
  dpkg-source -x "$1" "$2" >/dev/null
}

dsc_version() { sed -n 's/^Version: //p' "$1" | head -1; }

# ---------------------------------------------------------------- toolchain
# Toolchain used for the libraries' own CMake builds (the project's build uses
# cmake/mingw-w64-x86_64.cmake). Finds only what is in the prefix and mingw.
write_toolchain() {
  cat >"$1" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER $CC_W)
set(CMAKE_CXX_COMPILER $CXX_W)
set(CMAKE_RC_COMPILER $HOST-windres)
set(CMAKE_FIND_ROOT_PATH "$PREFIX" "$MINGW_ROOT")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Static libraries only. Platform/Windows-GNU.cmake resets the suffixes
# after this file, so the override file (loaded after it) sets them again.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(CMAKE_USER_MAKE_RULES_OVERRIDE "$1.static.cmake")
set(ZLIB_USE_STATIC_LIBS ON)
set(BUILD_SHARED_LIBS OFF CACHE BOOL "")
# Configure checks that run a test program (libarchive's ZLIB_WINAPI) run
# it under Wine.
set(CMAKE_CROSSCOMPILING_EMULATOR "$WINE_RUN")
set(ENV{PKG_CONFIG_LIBDIR} "$PREFIX/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
EOF
  echo 'set(CMAKE_FIND_LIBRARY_SUFFIXES .a)' >"$1.static.cmake"
}

# cmake_build <src> <build> <stage> [cmake args...]
cmake_build() {
  local src=$1 build=$2 stage=$3
  shift 3
  cmake -S "$src" -B "$build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$WORK/toolchain.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$stage" \
    -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_INCLUDEDIR=include \
    -DBUILD_SHARED_LIBS=OFF "$@"
  if [ -n "${CMAKE_TARGET:-}" ]; then
    cmake --build "$build" -j"$JOBS" --target "$CMAKE_TARGET"
  else
    cmake --build "$build" -j"$JOBS"
    cmake --install "$build"
  fi
}

# Makes the pkg-config files of a stage relocatable (prefix=${pcfiledir}/../..).
relocate_pc() {
  local stage=$1 f
  for f in "$stage"/lib/pkgconfig/*.pc; do
    [ -f "$f" ] || continue
    sed -i -E "s|^prefix=.*|prefix=\${pcfiledir}/../..|; s|$stage|\${prefix}|g" "$f"
  done
}

# ---------------------------------------------------------------- libraries
# Each build_<lib> runs in an empty build directory $B with the unpacked
# source in $S (if any) and installs into the stage $STAGE (include/, lib/).

build_lmdb() {
  local d=$S/libraries/liblmdb
  [ -f "$d/mdb.c" ] || d=$S
  "$CC_W" -O2 -W -Wall -c "$d/mdb.c" -o mdb.o
  "$CC_W" -O2 -W -Wall -c "$d/midl.c" -o midl.o
  mkdir -p "$STAGE/include" "$STAGE/lib/pkgconfig"
  $HOST-ar rcs "$STAGE/lib/liblmdb.a" mdb.o midl.o
  install -m644 "$d/lmdb.h" "$STAGE/include/lmdb.h"
  cat >"$STAGE/lib/pkgconfig/lmdb.pc" <<EOF
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: lmdb
Description: Lightning Memory-Mapped Database (static, $HOST)
Version: ${VERSION%%-*}
Libs: -L\${libdir} -llmdb
Libs.private: -ladvapi32
Cflags: -I\${includedir}
EOF
}

build_gtest() {
  cmake_build /usr/src/googletest "$B" "$STAGE" \
    -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON -Dgtest_disable_pthreads=OFF
}

# Header-only libraries from Debian's -dev packages (nlohmann/json, CLI11,
# spdlog + fmt in header-only mode, Boost): their include trees are linked
# into the prefix alone (no glibc header comes with them) and given small
# CMake package files, so find_package(nlohmann_json/CLI11/spdlog/fmt CONFIG)
# and find_package(Boost) work unchanged in the Windows build. spdlog::spdlog
# and fmt::fmt are the header-only targets there (SPDLOG_FMT_EXTERNAL as in
# Debian's tweakme.h, FMT_HEADER_ONLY).
build_headers() {
  mkdir -p "$STAGE/include" "$STAGE/lib/cmake"
  local d
  for d in nlohmann CLI spdlog fmt boost; do
    [ -d "/usr/include/$d" ] || { echo "/usr/include/$d missing" >&2; return 1; }
    ln -s "/usr/include/$d" "$STAGE/include/$d"
  done
  # config_pkg <package> <version> <body>
  config_pkg() {
    mkdir -p "$STAGE/lib/cmake/$1"
    { echo "get_filename_component(_winsnap_p \"\${CMAKE_CURRENT_LIST_DIR}/../../..\" ABSOLUTE)"
      echo "$3"; } >"$STAGE/lib/cmake/$1/$1Config.cmake"
    cat >"$STAGE/lib/cmake/$1/$1ConfigVersion.cmake" <<EOF
set(PACKAGE_VERSION "$2")
if(PACKAGE_FIND_VERSION AND PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
EOF
  }
  ver() { dpkg-query -W -f='${Version}' "$1" | sed -E 's/^[0-9]+://; s/[+~-].*//'; }
  local iface='if(NOT TARGET @T@)
  add_library(@T@ INTERFACE IMPORTED)
  set_target_properties(@T@ PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_winsnap_p}/include"@P@)
endif()'
  mk() { local t=${iface//@T@/$1}; echo "${t//@P@/$2}"; }
  config_pkg nlohmann_json "$(ver nlohmann-json3-dev)" "$(mk nlohmann_json::nlohmann_json '')"
  config_pkg CLI11 "$(ver libcli11-dev)" "$(mk CLI11::CLI11 '')"
  config_pkg fmt "$(ver libfmt-dev)" "$(mk fmt::fmt-header-only ' INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1')
$(mk fmt::fmt ' INTERFACE_LINK_LIBRARIES fmt::fmt-header-only')"
  config_pkg spdlog "$(ver libspdlog-dev)" "include(CMakeFindDependencyMacro)
find_dependency(fmt CONFIG)
$(mk spdlog::spdlog_header_only ' INTERFACE_COMPILE_DEFINITIONS "SPDLOG_HEADER_ONLY;SPDLOG_FMT_EXTERNAL" INTERFACE_LINK_LIBRARIES fmt::fmt-header-only')
$(mk spdlog::spdlog ' INTERFACE_LINK_LIBRARIES spdlog::spdlog_header_only')"
}

build_zstd() {
  cmake_build "$S/build/cmake" "$B" "$STAGE" \
    -DZSTD_BUILD_STATIC=ON -DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_PROGRAMS=OFF \
    -DZSTD_BUILD_TESTS=OFF -DZSTD_BUILD_CONTRIB=OFF -DZSTD_MULTITHREAD_SUPPORT=ON \
    -DZSTD_LEGACY_SUPPORT=OFF
}

# zlib is Debian's libz-mingw-w64-dev: expose its pkg-config file in the
# prefix (CMake's FindZLIB finds it through CMAKE_FIND_ROOT_PATH).
build_zlib() {
  mkdir -p "$STAGE/lib/pkgconfig"
  sed -E "s|^prefix=.*|prefix=$MINGW_ROOT|" "$MINGW_ROOT/lib/pkgconfig/zlib.pc" \
    >"$STAGE/lib/pkgconfig/zlib.pc"
}

build_openssl() {
  # Configure and build in the source tree (OpenSSL's out-of-tree builds work
  # too, but its Debian patches assume in-tree).
  cd "$S"
  ./Configure mingw64 no-shared no-tests --cross-compile-prefix=$HOST- \
    --prefix="$STAGE" --libdir=lib --openssldir="C:/ProgramData/winsnap/ssl"
  make -j"$JOBS" build_libs
  make install_dev
  rm -rf "$STAGE"/lib/*.dll.a "$STAGE"/bin
}

build_libarchive() {
  CMAKE_TARGET=archive_static cmake_build "$S" "$B" "$B/unused-install" \
    -DENABLE_ZLIB=ON -DENABLE_ZSTD=ON \
    -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF -DENABLE_NETTLE=OFF -DENABLE_CNG=OFF \
    -DENABLE_LZMA=OFF -DENABLE_BZip2=OFF -DENABLE_LZ4=OFF -DENABLE_LZO=OFF \
    -DENABLE_LIBB2=OFF -DENABLE_LIBXML2=OFF -DENABLE_EXPAT=OFF -DENABLE_PCREPOSIX=OFF \
    -DENABLE_PCRE2POSIX=OFF -DENABLE_ICONV=OFF -DENABLE_ACL=OFF -DENABLE_XATTR=OFF \
    -DENABLE_TAR=OFF -DENABLE_CPIO=OFF -DENABLE_CAT=OFF -DENABLE_TEST=OFF \
    -DENABLE_INSTALL=OFF -DENABLE_COVERAGE=OFF -DENABLE_WERROR=OFF
  # libarchive declares a DLL too on Windows: build and install only the
  # static library, under the usual name.
  mkdir -p "$STAGE/include" "$STAGE/lib/pkgconfig"
  install -m644 "$B/libarchive/libarchive_static.a" "$STAGE/lib/libarchive.a"
  install -m644 "$S/libarchive/archive.h" "$S/libarchive/archive_entry.h" "$STAGE/include/"
  cat >"$STAGE/lib/pkgconfig/libarchive.pc" <<EOF
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: libarchive
Description: library that can create and read several streaming archive formats (static, $HOST)
Version: ${VERSION%%-*}
Requires.private: libzstd zlib
Libs: -L\${libdir} -larchive
Libs.private: -lbcrypt
Cflags: -I\${includedir} -DLIBARCHIVE_STATIC
EOF
}

build_nghttp2() {
  cmake_build "$S" "$B" "$STAGE" \
    -DENABLE_LIB_ONLY=ON -DENABLE_STATIC_LIB=ON -DENABLE_SHARED_LIB=OFF \
    -DENABLE_DOC=OFF -DENABLE_APP=OFF -DENABLE_HPACK_TOOLS=OFF -DENABLE_EXAMPLES=OFF \
    -DENABLE_PYTHON_BINDINGS=OFF -DENABLE_FAILMALLOC=OFF -DWITH_LIBXML2=OFF \
    -DWITH_JEMALLOC=OFF -DWITH_MRUBY=OFF -DWITH_NEVERBLEED=OFF -DENABLE_WERROR=OFF \
    -DHAVE_GETTICKCOUNT64=0
  # (HAVE_GETTICKCOUNT64=0: Debian's CVE-2023-44487 patch, nghttp2_time.c,
  # omits its time_now_sec fallback when GetTickCount64 exists but still
  # calls it when clock_gettime exists too, as with mingw's winpthread.)
  # Static use on Windows needs NGHTTP2_STATICLIB (else dllimport).
  sed -i -E 's|^Cflags:(.*)$|Cflags:\1 -DNGHTTP2_STATICLIB|' "$STAGE/lib/pkgconfig/libnghttp2.pc"
}

build_protobuf() {
  local src=$S
  [ -f "$S/cmake/CMakeLists.txt" ] && [ ! -f "$S/CMakeLists.txt" ] && src=$S/cmake
  cmake_build "$src" "$B" "$STAGE" \
    -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF \
    -Dprotobuf_BUILD_LIBPROTOC=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF \
    -Dprotobuf_BUILD_EXAMPLES=OFF -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_INSTALL=ON \
    -Dprotobuf_BUILD_CONFORMANCE=OFF
}

build_re2() {
  # Debian's +dfsg source drops the generated tables; regenerate them as
  # debian/rules does (REBUILD_TABLES=1), from /usr/share/unicode
  # (package unicode-data).
  perl "$S/re2/make_perl_groups.pl" >"$S/re2/perl_groups.cc"
  (cd "$S" && python3 re2/make_unicode_casefold.py >re2/unicode_casefold.cc)
  (cd "$S" && python3 re2/make_unicode_groups.py >re2/unicode_groups.cc)
  cmake_build "$S" "$B" "$STAGE" -DRE2_BUILD_TESTING=OFF
  # RE2's CMake build installs no pkg-config file; the project finds RE2
  # with pkg_check_modules(RE2 re2), as on Debian.
  mkdir -p "$STAGE/lib/pkgconfig"
  cat >"$STAGE/lib/pkgconfig/re2.pc" <<EOF
prefix=$STAGE
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: re2
Description: RE2 regular expression library
Version: $VERSION
Libs: -L\${libdir} -lre2
Cflags: -I\${includedir}
EOF
}

# ---------------------------------------------------------------- driver
WORK=$CACHE/work/$recipe_hash
mkdir -p "$WORK"
write_toolchain "$WORK/toolchain.cmake"
declare -A LIBHASH

# lib <name> <source-package|-> <deps...>
lib() {
  local name=$1 srcpkg=$2 dsc="" t0 key stage log
  shift 2
  if [ -n "$ONLY" ] && [ "$name" != "$ONLY" ]; then
    LIBHASH[$name]=unknown
    return 0
  fi
  if [ -z "$ONLY" ] && [ -f "$PREFIX/.stamps/$name" ]; then
    LIBHASH[$name]=$(cat "$PREFIX/.stamps/$name")
    echo "build-windows-deps: $name: in the prefix"
    return 0
  fi
  VERSION=""
  if [ "$srcpkg" = googletest ]; then
    VERSION=$(dpkg-query -W -f='${Version}' googletest)
  elif [ "$srcpkg" = libz-mingw-w64-dev ]; then
    VERSION=$(dpkg-query -W -f='${Version}' libz-mingw-w64-dev)
  elif [ "$srcpkg" = - ]; then
    VERSION=$(dpkg-query -W -f='${Version} ' nlohmann-json3-dev libcli11-dev libspdlog-dev \
              libfmt-dev libboost-dev)
  else
    fetch_source "$srcpkg"
    dsc=$DSC
    VERSION=$(dsc_version "$dsc")
  fi
  local deps="" d
  for d in "$@"; do deps+="$d=${LIBHASH[$d]} "; done
  # The key: the build function (and the CMake helpers and toolchain for
  # the libraries built with CMake), the compiler, the source version and
  # the keys of the libraries it builds on.
  key=$( { declare -f "build_$name" relocate_pc unpack
           if declare -f "build_$name" | grep -q cmake_build; then
             declare -f cmake_build; sed "s|$PREFIX|PREFIX|g; s|$WORK|WORK|g; s|$WINE_RUN|WINE_RUN|g" "$WORK/toolchain.cmake" \
               "$WORK/toolchain.cmake.static.cmake"
           fi
           echo "$compiler_id $VERSION $deps"; } | sha256sum | cut -c1-16)
  LIBHASH[$name]=$key
  stage=$CACHE/pkg/$name-$key
  log=$CACHE/logs/$name-$key.log
  t0=$(date +%s)
  # One builder per cache entry (a full run and an --only run may meet).
  exec 8>"$stage.lock"
  flock 8
  if [ ! -f "$stage/.done" ]; then
    echo "build-windows-deps: $name $VERSION: building (log: $log)"
    rm -rf "$stage" "$CACHE/work/$name-$key"
    mkdir -p "$stage" "$CACHE/work/$name-$key/build"
    S=$CACHE/work/$name-$key/src B=$CACHE/work/$name-$key/build STAGE=$stage
    # Not `if ! ( ... )`: bash ignores set -e inside a tested subshell.
    local rc=0
    set +e
    (
      set -euo pipefail
      exec 8>&- 9>&-  # the locks stay with this script, not with stray children
      if [ -n "$dsc" ]; then unpack "$dsc" "$S"; fi
      cd "$B"
      "build_$name"
      relocate_pc "$STAGE"
      # A recipe that "succeeds" without installing anything is a failure.
      [ -n "$(ls -A "$STAGE/lib" 2>/dev/null)" ] || { echo "nothing installed in $STAGE/lib"; exit 1; }
    ) >"$log" 2>&1
    rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
      echo "build-windows-deps: $name FAILED after $(( $(date +%s) - t0 )) s; last lines of $log:" >&2
      tail -40 "$log" >&2
      exit 1
    fi
    echo "$name $VERSION" >"$stage/.done"
    rm -rf "$CACHE/work/$name-$key"
  fi
  exec 8>&-
  if [ -n "$ONLY" ]; then
    echo "build-windows-deps: $name $VERSION cached in $stage ($(( $(date +%s) - t0 )) s)"
    return 0
  fi
  cp -a "$stage/." "$PREFIX/"
  rm -f "$PREFIX/.done"
  echo "$key" >"$PREFIX/.stamps/$name"
  echo "$name $VERSION" >>"$PREFIX/VERSIONS"
  echo "build-windows-deps: $name $VERSION ready in $(( $(date +%s) - t0 )) s"
  switch_current
  if [ -n "${WINSNAP_STATUS_FILE:-}" ] && ! grep -qs "^$name ready" "$WINSNAP_STATUS_FILE"; then
    echo "$name ready in $CACHE/current (include/, lib/, lib/pkgconfig, lib/cmake)" >>"$WINSNAP_STATUS_FILE"
  fi
}

if [ -z "$ONLY" ]; then
  mkdir -p "$PREFIX"/{include,lib/pkgconfig,lib/cmake,.stamps}
  switch_current
fi
T_ALL=$(date +%s)
lib lmdb lmdb
lib gtest googletest
lib headers -
lib zstd libzstd
lib zlib libz-mingw-w64-dev
lib openssl openssl
lib libarchive libarchive zlib zstd
lib nghttp2 nghttp2
lib protobuf protobuf
lib re2 re2
[ -n "$ONLY" ] && exit 0
touch "$PREFIX/.complete"
ln -sfn "$(basename "$PREFIX")" "$CACHE/current"
echo "build-windows-deps: prefix complete in $(( $(date +%s) - T_ALL )) s: $PREFIX"
}
main "$@"
exit
