# ctest module_graph_matches_docs: the graph between the module-graph
# markers of docs/modules.md must equal the one cmake/ModuleGraph.cmake
# found (GRAPH, written at configure time).
#   cmake -DGRAPH=<build>/module-graph.txt -DDOC=<src>/docs/modules.md -P ...
file(READ ${GRAPH} found)
file(READ ${DOC} doc)
string(REGEX MATCH "<!-- module-graph: begin -->\n```\n(.*)```\n<!-- module-graph: end -->"
  block "${doc}")
if(NOT block)
  message(FATAL_ERROR "${DOC}: no ``` block between the module-graph markers")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL found)
  message(FATAL_ERROR "${DOC} shows a module graph the build does not have.\n"
    "Documented:\n${CMAKE_MATCH_1}\nFound by the configure (${GRAPH}):\n${found}")
endif()
message(STATUS "docs/modules.md matches the module graph")
