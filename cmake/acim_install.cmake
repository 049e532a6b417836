# `cmake --install`: headers under include/acim/ (the same include root as in the tree), the
# libraries, the CMake package acim-tlm (targets acim::core, acim::tlm, acim::sc, acim::vp,
# acim::workloads, acim::testbench), acim-tlm.pc for pkg-config, the executables, the shipped
# models, the GTKWave views and the docs (docs/integration.md, "Installing").
include(CMakePackageConfigHelpers)

set(ACIM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/acim-tlm CACHE STRING
    "Where acim-tlmConfig.cmake is installed, relative to the prefix")
set(ACIM_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/acim-tlm)

# Headers: only *.hpp, each source folder under its name in the include root.
set(_acim_header_dirs "core=models/core" "sc=models/sc" "tlm=tlm" "vp=testbench/vp")
if(ACIM_WITH_WORKLOADS)
  list(APPEND _acim_header_dirs "workloads=workloads" "testbench=testbench")
endif()
foreach(_pair ${_acim_header_dirs})
  string(REPLACE "=" ";" _pair "${_pair}")
  list(GET _pair 0 _name)
  list(GET _pair 1 _dir)
  # Only the folders that hold headers (testbench/vp is installed as vp, not under testbench).
  file(GLOB_RECURSE _headers RELATIVE ${PROJECT_SOURCE_DIR}/${_dir} ${PROJECT_SOURCE_DIR}/${_dir}/*.hpp)
  foreach(_h ${_headers})
    if(_name STREQUAL "testbench" AND _h MATCHES "^vp/")
      continue()
    endif()
    get_filename_component(_sub ${_h} DIRECTORY)
    install(FILES ${PROJECT_SOURCE_DIR}/${_dir}/${_h} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/acim/${_name}/${_sub})
  endforeach()
endforeach()

# The generated <acim/version.hpp>.
install(FILES ${ACIM_INCLUDE_ROOT}/acim/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/acim)

# Libraries, exported as acim::<name>.
set(_acim_libs acim_headers acim_core)
set_target_properties(acim_headers PROPERTIES EXPORT_NAME headers)
set_target_properties(acim_core PROPERTIES EXPORT_NAME core)
if(TARGET acim_sc)
  list(APPEND _acim_libs acim_regmap acim_tlm acim_sc acim_vp_lib)
  set_target_properties(acim_regmap PROPERTIES EXPORT_NAME regmap)
  set_target_properties(acim_tlm PROPERTIES EXPORT_NAME tlm)
  set_target_properties(acim_sc PROPERTIES EXPORT_NAME sc)
  set_target_properties(acim_vp_lib PROPERTIES EXPORT_NAME vp)
endif()
if(TARGET acim_workloads)
  list(APPEND _acim_libs acim_workloads)
  set_target_properties(acim_workloads PROPERTIES EXPORT_NAME workloads)
endif()
if(TARGET acim_testbench)
  list(APPEND _acim_libs acim_testbench acim_files)
  set_target_properties(acim_files PROPERTIES EXPORT_NAME files)
  set_target_properties(acim_testbench PROPERTIES EXPORT_NAME testbench)
endif()
install(TARGETS ${_acim_libs} EXPORT acim-tlmTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT acim-tlmTargets NAMESPACE acim:: DESTINATION ${ACIM_INSTALL_CMAKEDIR})

# Executables.
foreach(_exe acim acim_vp)
  if(TARGET ${_exe})
    install(TARGETS ${_exe} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

# The package configuration: the same dependencies as the build, found the same way.
foreach(_what "SYSTEMC=acim_sc" "TESTBENCH=acim_testbench")  # ACIM_CONFIG_WITH_<X>: target built
  string(REPLACE "=" ";" _what "${_what}")
  list(GET _what 0 _flag)
  list(GET _what 1 _target)
  set(ACIM_CONFIG_WITH_${_flag} OFF)
  if(TARGET ${_target})
    set(ACIM_CONFIG_WITH_${_flag} ON)
  endif()
endforeach()
set(ACIM_CONFIG_WITH_WORKLOADS ${ACIM_WITH_WORKLOADS})
set(ACIM_CONFIG_SHARED ${BUILD_SHARED_LIBS})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/acim-tlmConfig.cmake.in
  ${PROJECT_BINARY_DIR}/acim-tlmConfig.cmake
  INSTALL_DESTINATION ${ACIM_INSTALL_CMAKEDIR}
  PATH_VARS ACIM_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/acim-tlmConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/acim-tlmConfig.cmake ${PROJECT_BINARY_DIR}/acim-tlmConfigVersion.cmake
  DESTINATION ${ACIM_INSTALL_CMAKEDIR})

# pkg-config: acim-tlm.pc is the macro (core, regmap, tlm, sc, vp) over SystemC.
if(TARGET acim_sc)
  if(BUILD_SHARED_LIBS)
    set(ACIM_PC_LIBS_PRIVATE "")
  else()
    set(ACIM_PC_LIBS_PRIVATE "-pthread")
  endif()
  string(REGEX REPLACE "[^/]+" ".." ACIM_PC_UP "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/acim-tlm.pc.in ${PROJECT_BINARY_DIR}/acim-tlm.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/acim-tlm.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

# Data: the shipped models, the GTKWave views, the docs.
if(ACIM_WITH_WORKLOADS)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/workloads/models/ DESTINATION ${ACIM_INSTALL_DATADIR}/models
          FILES_MATCHING PATTERN "*.onnx")
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/traces/ DESTINATION ${ACIM_INSTALL_DATADIR}/traces
        FILES_MATCHING PATTERN "*.gtkw")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
