# proxy-bench (a benchmark, not a test; see bench/proxy-bench.sh). Included
# from the top-level CMakeLists.txt after proto/ so winsnap_proto exists.
add_executable(proxy-bench ${PROJECT_SOURCE_DIR}/bench/proxy-bench.cc)
target_link_libraries(proxy-bench PRIVATE winsnap_proto CLI11::CLI11
                      winsnap_warnings winsnap_sanitize)

# scale-bench (a benchmark, not a test; see bench/scale-bench.sh).
add_executable(scale-bench ${PROJECT_SOURCE_DIR}/bench/scale-bench.cc)
target_link_libraries(scale-bench PRIVATE winsnap_proto CLI11::CLI11
                      winsnap_warnings winsnap_sanitize)
