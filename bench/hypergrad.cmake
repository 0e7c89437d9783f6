# hypergrad_cost: cost of a hyper-step per method (in training steps, next to the
# backward passes it needs) and accuracy vs Neumann terms / CG iterations on ridge.
if(TARGET hpo_samplers)
  add_executable(hypergrad_cost ${CMAKE_CURRENT_SOURCE_DIR}/hypergrad_cost.cpp)
  target_link_libraries(hypergrad_cost PRIVATE hpo::samplers hpo_warnings)
endif()
