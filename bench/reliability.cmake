# Many worker processes on one SQLite file (tests/reliability checks their correctness).
add_executable(bench_many_workers ${CMAKE_CURRENT_LIST_DIR}/many_workers.cpp)
target_link_libraries(bench_many_workers PRIVATE hpo_storage hpo_warnings)
