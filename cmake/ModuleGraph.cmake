# The module graph, checked at configure time (issue 13): every module's
# link lists (winsnap_module DEPS and PRIVATE_DEPS) must name exactly the
# winsnap modules its code includes, no fewer (a module that reaches past
# its list) and no more (a stale edge the docs would repeat).
#
# winsnap_module records each module's folder, sources and link lists;
# winsnap_check_module_graph(), called once all modules are declared, reads
# the `#include "..."` lines of every module's sources and of the headers
# beside them (every header of a folder that holds one module), maps each included header to the module that owns it, fails
# the configure naming the first offending file, and writes the graph it
# found to ${PROJECT_BINARY_DIR}/module-graph.txt, which the test
# module_graph_matches_docs compares with docs/modules.md.
#
# Who owns a header "a/b/x.h": of the modules declared in folder a/b, the
# one whose sources include x.cc or x_<os>.cc; else, when a/b holds one
# module, that one; else a module of a/b that includes it (a header-only
# header used inside its folder). Generated protobuf headers (containerd/..., grpc/...)
# belong to winsnap_proto_messages, *.grpc.pb.h to winsnap_proto.

function(winsnap_record_module name dir sources deps)
  set_property(GLOBAL APPEND PROPERTY WINSNAP_MODULES ${name})
  set_property(GLOBAL PROPERTY WINSNAP_MODULE_${name}_DIR ${dir})
  set_property(GLOBAL PROPERTY WINSNAP_MODULE_${name}_SOURCES ${sources})
  set_property(GLOBAL PROPERTY WINSNAP_MODULE_${name}_DEPS ${deps})
endfunction()

# The stem of a source file name: x.cc, x_posix.cc, x_windows.cc and
# x_linux.cc all give x.
function(_winsnap_stem file out)
  get_filename_component(stem ${file} NAME_WE)
  string(REGEX REPLACE "_(posix|windows|linux)$" "" stem "${stem}")
  set(${out} ${stem} PARENT_SCOPE)
endfunction()

function(winsnap_check_module_graph)
  get_property(modules GLOBAL PROPERTY WINSNAP_MODULES)
  # Header owners: "<relative dir>/<stem>" -> module, and the folders
  # holding a single module.
  foreach(m IN LISTS modules)
    get_property(dir GLOBAL PROPERTY WINSNAP_MODULE_${m}_DIR)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${dir})
    set_property(GLOBAL APPEND PROPERTY _WINSNAP_DIR_${rel} ${m})
    get_property(sources GLOBAL PROPERTY WINSNAP_MODULE_${m}_SOURCES)
    foreach(s IN LISTS sources)
      _winsnap_stem(${s} stem)
      set_property(GLOBAL PROPERTY _WINSNAP_OWNER_${rel}/${stem} ${m})
    endforeach()
  endforeach()

  set(graph "")
  set(errors "")
  foreach(m IN LISTS modules)
    get_property(dir GLOBAL PROPERTY WINSNAP_MODULE_${m}_DIR)
    get_property(sources GLOBAL PROPERTY WINSNAP_MODULE_${m}_SOURCES)
    get_property(deps GLOBAL PROPERTY WINSNAP_MODULE_${m}_DEPS)
    # The files to read: each source and the header of its stem.
    set(files "")
    foreach(s IN LISTS sources)
      list(APPEND files ${dir}/${s})
      _winsnap_stem(${s} stem)
      if(EXISTS ${dir}/${stem}.h)
        list(APPEND files ${dir}/${stem}.h)
      endif()
    endforeach()
    # A folder with one module: its header-only headers are its own too.
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${dir})
    get_property(in_dir GLOBAL PROPERTY _WINSNAP_DIR_${rel})
    list(LENGTH in_dir n)
    if(n EQUAL 1)
      file(GLOB headers ${dir}/*.h)
      list(APPEND files ${headers})
    endif()
    list(REMOVE_DUPLICATES files)
    set(used "")
    foreach(f IN LISTS files)
      file(STRINGS ${f} lines REGEX "^#include \"[^\"]+\"")
      foreach(line IN LISTS lines)
        string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" inc "${line}")
        set(owner "")
        if(inc MATCHES "\\.grpc\\.pb\\.h$")
          set(owner proto)
        elseif(inc MATCHES "\\.pb\\.h$")
          set(owner proto_messages)
        else()
          get_filename_component(idir ${inc} DIRECTORY)
          _winsnap_stem(${inc} istem)
          get_property(owner GLOBAL PROPERTY _WINSNAP_OWNER_${idir}/${istem})
          if(NOT owner)
            get_property(in_dir GLOBAL PROPERTY _WINSNAP_DIR_${idir})
            list(LENGTH in_dir n)
            if(n EQUAL 1)
              set(owner ${in_dir})
            elseif(n GREATER 1 AND m IN_LIST in_dir)
              # A header-only header of a shared folder, used from inside it.
              set(owner ${m})
            elseif(n GREATER 1)
              file(RELATIVE_PATH rf ${PROJECT_SOURCE_DIR} ${f})
              string(CONCAT e "${rf} includes ${inc}, which no module of "
                "${idir} (${in_dir}) owns: give it a .cc in one of them")
              list(APPEND errors "${e}")
            endif()
          endif()
        endif()
        if(owner AND NOT owner STREQUAL m)
          list(APPEND used ${owner})
          if(NOT winsnap_${owner} IN_LIST deps)
            file(RELATIVE_PATH rf ${PROJECT_SOURCE_DIR} ${f})
            string(CONCAT e "${rf} (winsnap_${m}) includes ${inc} of "
              "winsnap_${owner}, which winsnap_${m}'s link lists do not name")
            list(APPEND errors "${e}")
          endif()
        endif()
      endforeach()
    endforeach()
    list(REMOVE_DUPLICATES used)
    # Only modules count here: winsnap_proto may be linked just for the gRPC
    # C++ runtime it carries (snapshotter/proxy's generic service).
    foreach(d IN LISTS deps)
      if(d MATCHES "^winsnap_(.+)$" AND CMAKE_MATCH_1 IN_LIST modules)
        if(NOT CMAKE_MATCH_1 IN_LIST used)
          string(CONCAT e "winsnap_${m} links ${d} but includes none of "
            "its headers: drop it from the link list")
          list(APPEND errors "${e}")
        endif()
      endif()
    endforeach()
    list(SORT used)
    list(JOIN used " " used_text)
    if(used_text)
      string(APPEND graph "${m}: ${used_text}\n")
    else()
      string(APPEND graph "${m}:\n")
    endif()
  endforeach()
  if(errors)
    list(REMOVE_DUPLICATES errors)
    list(JOIN errors "\n  " text)
    message(FATAL_ERROR "module graph (cmake/ModuleGraph.cmake): the link "
      "lists do not match the includes:\n  ${text}")
  endif()
  file(WRITE ${PROJECT_BINARY_DIR}/module-graph.txt "${graph}")
endfunction()
