# Loaded through CMAKE_USER_MAKE_RULES_OVERRIDE by mingw-w64-x86_64.cmake,
# after Platform/Windows-GNU.cmake (which puts .dll.a first): the Windows
# build links static libraries only, never an import library of a DLL.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
