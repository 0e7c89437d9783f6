# hybrid_search: best validation loss vs trials and vs time for random search, the hybrid
# search with each hypergradient method, and Python Optuna's TPE (hybrid_search_tpe.py)
# on the same task and split: logistic regression with 65 L2 penalties on the digits table.
if(TARGET hpo_cli_tasks)
  add_executable(hybrid_search ${CMAKE_CURRENT_LIST_DIR}/hybrid_search.cpp)
  target_link_libraries(hybrid_search PRIVATE hpo_cli_tasks hpo_storage hpo_warnings)
  target_compile_definitions(hybrid_search PRIVATE HPO_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
