# tpe_vs_optuna: hpo's TPESampler next to Debian's Optuna 3.1 TPESampler on nine test
# functions (quality, with a rank test) and the cost of sampling one trial.
add_executable(tpe_vs_optuna ${CMAKE_CURRENT_LIST_DIR}/tpe_vs_optuna.cpp ${CMAKE_CURRENT_LIST_DIR}/closed_form_ridge.cpp)
target_link_libraries(tpe_vs_optuna PRIVATE hpo_core hpo_storage hpo_warnings)
target_compile_definitions(tpe_vs_optuna PRIVATE HPO_BENCH_DIR="${CMAKE_CURRENT_LIST_DIR}")
