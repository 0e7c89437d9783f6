# `cmake --install` puts headers, libraries, the hpo program and a CMake package under the
# prefix, so that an outside project can do:
#   find_package(hpo REQUIRED)
#   target_link_libraries(app PRIVATE hpo::hpo)        # studies, samplers, storages
#   target_link_libraries(app PRIVATE hpo::hypergrad)  # + the LibTorch hypergradient part
include(CMakePackageConfigHelpers)

# hpo::hpo: everything that does not need LibTorch.
# (The target is hpo_library because `hpo` is the program.)
add_library(hpo_library INTERFACE)
target_link_libraries(hpo_library INTERFACE hpo_core hpo_storage)
set_target_properties(hpo_library PROPERTIES EXPORT_NAME hpo)
# hpo_warnings only carries our compile flags; static libraries export it as a link-only
# dependency, which links nothing.
set(hpo_exported hpo_library hpo_core hpo_storage hpo_warnings)
install(DIRECTORY libhpo/include/ storage/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The torch-free samplers (TPE), compiled into hpo_core.
install(DIRECTORY samplers/include/hpo/samplers DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hpo)

if(TARGET hpo_samplers)
  # hpo::hypergrad: the hypergradient engine and the hybrid sampler, with LibTorch.
  add_library(hpo_hypergrad INTERFACE)
  target_link_libraries(hpo_hypergrad INTERFACE hpo_library hpo_samplers)
  set_target_properties(hpo_hypergrad PROPERTIES EXPORT_NAME hypergrad)
  list(APPEND hpo_exported hpo_samplers hpo_hypergrad)
  install(DIRECTORY samplers/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()

install(TARGETS ${hpo_exported} EXPORT hpoTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT hpoTargets NAMESPACE hpo:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hpo)
configure_package_config_file(cmake/hpoConfig.cmake.in ${PROJECT_BINARY_DIR}/hpoConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hpo)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hpoConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hpoConfig.cmake ${PROJECT_BINARY_DIR}/hpoConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hpo)
