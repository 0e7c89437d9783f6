# hpo workers on PostgreSQL next to Optuna 3.1 on the same server and to hpo on SQLite.
add_executable(postgres_throughput ${CMAKE_CURRENT_SOURCE_DIR}/postgres_throughput.cpp)
target_link_libraries(postgres_throughput PRIVATE hpo_storage hpo_warnings)
target_compile_definitions(postgres_throughput PRIVATE
  HPO_BENCH_OPTUNA_PG_SCRIPT="${CMAKE_CURRENT_SOURCE_DIR}/postgres_throughput_optuna.py"
  HPO_THROWAWAY_POSTGRES="${PROJECT_SOURCE_DIR}/scripts/throwaway_postgres.sh")
