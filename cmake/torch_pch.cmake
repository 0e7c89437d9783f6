# LibTorch's headers cost ~12 s of parsing per translation unit, and full debug info for
# their templates another ~20 s. So every target that links LibTorch (directly or through
# hpo_samplers) gets, once the whole tree is declared:
#  - one precompiled header of the headers the engine uses (torch/types.h, optimizers,
#    autograd), compiled once by hpo_torch_pch and reused by all of them. torch/torch.h is
#    left out: its PCH is 585 MB, and loading it costs each unit more than it saves;
#  - line tables only (-g1) in RelWithDebInfo: backtraces keep file:line, and a Debug build
#    still has full debug info.
# Measured on one unit (neumann.cpp, -O2): 37.8 s CPU before, 7.3 s after (README, Build).
option(HPO_TORCH_PCH "Precompile LibTorch's headers once for all targets that use them" ON)

set(hpo_torch_debug_info $<$<CONFIG:RelWithDebInfo>:-g1>)

if(HPO_TORCH_PCH)
  add_library(hpo_torch_pch OBJECT ${CMAKE_CURRENT_LIST_DIR}/torch_pch.cpp)
  target_link_libraries(hpo_torch_pch PRIVATE ${TORCH_LIBRARIES})
  target_compile_options(hpo_torch_pch PRIVATE ${hpo_torch_debug_info})
  target_precompile_headers(hpo_torch_pch PRIVATE
    <torch/types.h> <torch/autograd.h> <torch/optim/optimizer.h> <torch/optim/sgd.h> <torch/optim/adam.h>)
endif()

# Whether target links the imported target torch, following its link dependencies.
function(hpo_links_torch target out)
  set(${out} FALSE PARENT_SCOPE)
  if(NOT TARGET ${target})
    return()
  endif()
  get_target_property(aliased ${target} ALIASED_TARGET)
  if(aliased)
    set(target ${aliased})
  endif()
  if(target STREQUAL "torch")
    set(${out} TRUE PARENT_SCOPE)
    return()
  endif()
  get_target_property(type ${target} TYPE)
  set(deps "")
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(deps ${target} LINK_LIBRARIES)
  endif()
  get_target_property(interface_deps ${target} INTERFACE_LINK_LIBRARIES)
  foreach(dep IN LISTS deps interface_deps)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" dep "${dep}")
    hpo_links_torch("${dep}" found)
    if(found)
      set(${out} TRUE PARENT_SCOPE)
      return()
    endif()
  endforeach()
endfunction()

function(hpo_targets_in dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    hpo_targets_in(${sub} sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# Called at the end of the top-level CMakeLists.txt, when every target exists.
function(hpo_share_torch_pch)
  hpo_targets_in(${PROJECT_SOURCE_DIR} targets)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(target STREQUAL "hpo_torch_pch" OR NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY|MODULE_LIBRARY)$")
      continue()
    endif()
    hpo_links_torch(${target} uses_torch)
    if(NOT uses_torch)
      continue()
    endif()
    target_compile_options(${target} PRIVATE ${hpo_torch_debug_info})
    if(HPO_TORCH_PCH)
      target_precompile_headers(${target} REUSE_FROM hpo_torch_pch)
      # A GCC PCH is valid only for the same -fPIC/-fPIE; the one shared is -fPIC (the
      # libraries need it), and -fPIC code links into a PIE executable as well.
      if(type STREQUAL "EXECUTABLE")
        target_compile_options(${target} PRIVATE -fPIC)
      endif()
    endif()
  endforeach()
endfunction()
