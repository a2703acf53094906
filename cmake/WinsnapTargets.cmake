include(${CMAKE_CURRENT_LIST_DIR}/ModuleGraph.cmake)

# Interface targets carrying our warning and sanitizer flags. They are linked
# PRIVATE to our own targets only, never to generated protobuf code.
add_library(winsnap_warnings INTERFACE)
if(MSVC)
  target_compile_options(winsnap_warnings INTERFACE /W4)
  if(WINSNAP_WERROR)
    target_compile_options(winsnap_warnings INTERFACE /WX)
  endif()
else()
  target_compile_options(winsnap_warnings INTERFACE -Wall -Wextra)
  # Clang checks GUARDED_BY/REQUIRES (base/thread_annotations.h); preset
  # linux-clang turns it into an error with WINSNAP_WERROR.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(winsnap_warnings INTERFACE -Wthread-safety)
  endif()
  if(WINSNAP_WERROR)
    target_compile_options(winsnap_warnings INTERFACE -Werror)
  endif()
endif()

add_library(winsnap_sanitize INTERFACE)
if(WINSNAP_SANITIZE)
  target_compile_options(winsnap_sanitize INTERFACE
    -fsanitize=${WINSNAP_SANITIZE} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  target_link_options(winsnap_sanitize INTERFACE -fsanitize=${WINSNAP_SANITIZE})
endif()

# winsnap_module(<name> SOURCES ... DEPS ...) declares the static library
# winsnap_<name>; DEPS is the module's allowed dependency list (DESIGN.md),
# checked against its includes by cmake/ModuleGraph.cmake.
function(winsnap_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(winsnap_${name} STATIC ${ARG_SOURCES})
  target_include_directories(winsnap_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_features(winsnap_${name} PUBLIC cxx_std_20)
  target_link_libraries(winsnap_${name} PUBLIC ${ARG_DEPS}
                        PRIVATE ${ARG_PRIVATE_DEPS} winsnap_warnings winsnap_sanitize)
  # Consumers link the sanitizer runtime too.
  target_link_libraries(winsnap_${name} INTERFACE winsnap_sanitize)
  winsnap_record_module(${name} ${CMAKE_CURRENT_SOURCE_DIR} "${ARG_SOURCES}"
                        "${ARG_DEPS};${ARG_PRIVATE_DEPS}")
endfunction()

# winsnap_test(<module> SOURCES ... DEPS ...) declares one GoogleTest binary
# per module, discovered by CTest with the module name as its label.
# In the Windows cross build (preset windows-mingw) the tests run under Wine
# (CMAKE_CROSSCOMPILING_EMULATOR) and are labelled "wine-<module>" instead
# (gtest_discover_tests cannot give a discovered test two labels); ctest -L
# takes a regular expression, so `ctest -L wine` (scripts/test.sh) selects
# them all and `ctest -L <module>` still selects one module. They are
# discovered when ctest runs, so building needs no Wine.
function(winsnap_test module)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  add_executable(winsnap_${module}_test ${ARG_SOURCES})
  target_link_libraries(winsnap_${module}_test PRIVATE ${ARG_DEPS} winsnap_testutil
                        GTest::gmock_main winsnap_warnings winsnap_sanitize)
  set(label ${module})
  set(mode POST_BUILD)
  if(WIN32 AND CMAKE_CROSSCOMPILING)
    set(label wine-${module})
    set(mode PRE_TEST)
  endif()
  gtest_discover_tests(winsnap_${module}_test
    DISCOVERY_TIMEOUT 60
    DISCOVERY_MODE ${mode}
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS ${label})
endfunction()

# winsnap_bbolt_gen(<dependent> <out_var> <what_skips>) builds the Go bbolt
# test-data generator (tests/bbolt/gen/main.go: containerd's own metastore
# code over Go's bbolt, from Debian's Go packages) for the build host, also
# in the Windows cross build, and makes target <dependent> depend on it.
# <out_var> is set to its path, or to "" with a warning naming <what_skips>
# when Go or the packages are missing (the tests then report themselves
# skipped).
function(winsnap_bbolt_gen dependent out_var what_skips)
  set(gopath /usr/share/gocode)
  find_program(WINSNAP_GO_EXECUTABLE go)
  if(NOT WINSNAP_GO_EXECUTABLE
     OR NOT EXISTS ${gopath}/src/go.etcd.io/bbolt/db.go
     OR NOT EXISTS ${gopath}/src/github.com/containerd/containerd/snapshots/storage/bolt.go)
    message(WARNING "go or Debian's golang-github-coreos-bbolt-dev / "
                    "golang-github-containerd-containerd-dev not found: "
                    "${what_skips} will be skipped")
    set(${out_var} "" PARENT_SCOPE)
    return()
  endif()
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/bbolt_gen)
  set(src ${PROJECT_SOURCE_DIR}/tests/bbolt/gen/main.go)
  # Go builds for the host: a cross toolchain's variables must not leak.
  add_custom_command(
    OUTPUT ${gen}
    COMMAND ${CMAKE_COMMAND} -E env GO111MODULE=off GOPATH=${gopath} GOFLAGS=
            GOOS= GOARCH= CGO_ENABLED=0
            GOCACHE=${CMAKE_CURRENT_BINARY_DIR}/go-cache
            ${WINSNAP_GO_EXECUTABLE} build -o ${gen} ${src}
    DEPENDS ${src}
    COMMENT "Building the Go bbolt test-data generator (host)"
    VERBATIM)
  add_custom_target(${dependent}_bbolt_gen DEPENDS ${gen})
  add_dependencies(${dependent} ${dependent}_bbolt_gen)
  set(${out_var} ${gen} PARENT_SCOPE)
endfunction()
