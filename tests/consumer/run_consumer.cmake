# cmake -DBUILD_DIR=<acim build> -DSRC=<tests/consumer> -DWORK=<scratch> -DVIA=cmake|pkgconfig|python
#       [-DINSTALL=ON] -P run_consumer.cmake
# INSTALL=ON: installs the acim build into WORK/prefix (a fresh one). Otherwise: configures the
# consumer project against WORK/prefix, once through find_package or pkg-config (VIA), builds it
# and runs it at both bus widths; VIA=python imports the installed Python module with PYTHONPATH
# set to the prefix's site-packages (PYTHON: the interpreter). Any failing step fails the script.
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc TIMEOUT 500)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "consumer test: '${cmd}' failed: ${rc}")
  endif()
endfunction()

set(prefix ${WORK}/prefix)
if(INSTALL)
  file(REMOVE_RECURSE ${prefix})
  step(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
  return()
endif()

if(VIA STREQUAL "python")
  file(GLOB sites ${prefix}/*/python*/site-packages)
  if(NOT sites)
    message(FATAL_ERROR "consumer test: no site-packages under ${prefix}")
  endif()
  list(GET sites 0 site)
  step(${CMAKE_COMMAND} -E env PYTHONPATH=${site} PYTHONDONTWRITEBYTECODE=1
       ${PYTHON} ${CMAKE_CURRENT_LIST_DIR}/check_python.py ${prefix})
  return()
endif()

set(build ${WORK}/build-${VIA})
file(REMOVE_RECURSE ${build})
if(VIA STREQUAL "pkgconfig")
  # Only pkg-config may find the package: no CMake prefix path.
  file(GLOB_RECURSE pcs ${prefix}/*/acim-tlm.pc)
  list(GET pcs 0 pc)
  get_filename_component(pcdir ${pc} DIRECTORY)
  step(${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pcdir}
       ${CMAKE_COMMAND} -S ${SRC} -B ${build} -DACIM_CONSUMER_VIA=pkgconfig -DCMAKE_BUILD_TYPE=Release)
else()
  step(${CMAKE_COMMAND} -S ${SRC} -B ${build} -DACIM_CONSUMER_VIA=cmake -DCMAKE_PREFIX_PATH=${prefix}
       -DCMAKE_BUILD_TYPE=Release)
endif()
step(${CMAKE_COMMAND} --build ${build})
foreach(width 32 64)
  step(${CMAKE_COMMAND} -E env SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=DISABLE ${build}/consumer${width})
endforeach()
