# Storage throughput: hpo's SqliteStorage next to Python Optuna 3.1 (not a timed test).
add_executable(storage_throughput ${CMAKE_CURRENT_SOURCE_DIR}/storage_throughput.cpp)
target_link_libraries(storage_throughput PRIVATE hpo_storage hpo_warnings)
target_compile_definitions(storage_throughput PRIVATE
  HPO_BENCH_OPTUNA_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/storage_throughput_optuna.py")
