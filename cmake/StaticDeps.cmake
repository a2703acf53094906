# Static third-party libraries (option WINSNAP_STATIC_DEPS, ON in the
# linux-release preset; Linux only: the Windows build is static already).
#
# Why: a short snapctl command (`path`, `ls`, `info`) is mostly process
# start. Each shared library costs this 2-core VM 1-5 ms to map and relocate
# (issue 14: 25 libraries made `snapctl path` 18 ms, of which ~2 ms was the
# command). With the option, snapctl needs only glibc's libraries at start:
#   - every imported library target (gRPC, absl, protobuf, re2, c-ares,
#     OpenSSL, lmdb, nghttp2, libarchive, zstd, zlib) points at the lib*.a
#     Debian ships beside its .so (winsnap_prefer_static_imports below);
#   - spdlog and fmt are used header-only (Debian ships no .a of either);
#   - toml++ is always header-only (snapshotter/proxy/CMakeLists.txt);
#   - ISA-L, which has no .a, is opened with dlopen on the first gzip
#     layer (unpack/gzip_isal.cc);
#   - libstdc++ and libgcc go into snapctl (tools/CMakeLists.txt).
# A library without a .a stays shared.
#
# The top-level CMakeLists.txt sets CMAKE_FIND_PACKAGE_TARGETS_GLOBAL with
# the option, so that every imported target is visible from the top
# directory, and calls winsnap_prefer_static_imports() once every module has
# found its packages.

# The lib*.a beside a library path or -lNAME ("" when there is none, and
# for glibc's own libraries).
function(_winsnap_static_sibling path out)
  set(a "")
  if(path MATCHES "^-l(c|m|dl|rt|pthread)$")
    # glibc's own libraries stay shared.
  elseif(path MATCHES "^-l(.+)$")
    set(cand "${CMAKE_LIBRARY_ARCHITECTURE}")
    foreach(dir /usr/lib/${cand} /usr/lib /lib/${cand})
      if(EXISTS "${dir}/lib${CMAKE_MATCH_1}.a")
        set(a "${dir}/lib${CMAKE_MATCH_1}.a")
        break()
      endif()
    endforeach()
  elseif(path MATCHES "\\.so(\\.[0-9]+)*$")
    string(REGEX REPLACE "\\.so(\\.[0-9]+)*$" ".a" cand "${path}")
    if(EXISTS "${cand}")
      set(a "${cand}")
    endif()
  endif()
  set(${out} "${a}" PARENT_SCOPE)
endfunction()

# Appends to "out" the imported targets of directory "dir" and below.
function(_winsnap_imported_targets dir out)
  get_directory_property(found DIRECTORY ${dir} IMPORTED_TARGETS)
  get_directory_property(subdirs DIRECTORY ${dir} SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _winsnap_imported_targets(${sub} below)
    list(APPEND found ${below})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# Points every global imported target of the project at its static sibling:
# IMPORTED_LOCATION(_<CONFIG>) and the .so and -lNAME entries of
# INTERFACE_LINK_LIBRARIES.
function(winsnap_prefer_static_imports)
  _winsnap_imported_targets(${PROJECT_SOURCE_DIR} targets)
  list(REMOVE_DUPLICATES targets)
  foreach(t IN LISTS targets)
    if(NOT TARGET ${t})
      continue()  # imported in a subdirectory without GLOBAL: not ours to see
    endif()
    get_target_property(type ${t} TYPE)
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(cfgs ${t} IMPORTED_CONFIGURATIONS)
      set(props IMPORTED_LOCATION)
      if(cfgs)
        foreach(c IN LISTS cfgs)
          list(APPEND props IMPORTED_LOCATION_${c})
        endforeach()
      endif()
      foreach(p IN LISTS props)
        get_target_property(loc ${t} ${p})
        if(loc)
          _winsnap_static_sibling("${loc}" a)
          if(a)
            set_target_properties(${t} PROPERTIES ${p} "${a}")
          endif()
        endif()
      endforeach()
    endif()
    get_target_property(libs ${t} INTERFACE_LINK_LIBRARIES)
    if(libs)
      set(new "")
      foreach(l IN LISTS libs)
        _winsnap_static_sibling("${l}" a)
        if(a)
          list(APPEND new "${a}")
        else()
          list(APPEND new "${l}")
        endif()
      endforeach()
      set_target_properties(${t} PROPERTIES INTERFACE_LINK_LIBRARIES "${new}")
    endif()
  endforeach()
endfunction()
