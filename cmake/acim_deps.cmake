# Every dependency comes from Debian's packages; nothing is downloaded at build time.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)   # header-only parts: Boost.Math distributions
if(ACIM_WITH_WORKLOADS)
  find_package(ZLIB REQUIRED)       # zlib1g-dev: gzip-compressed IDX data
  find_package(Protobuf REQUIRED)   # libprotobuf-dev, needed by libonnx-dev's onnx_proto
  find_package(ONNX REQUIRED)       # libonnx-dev: onnx_proto (ONNX_ML=1, namespace onnx)
endif()

if(NOT ACIM_UNIT_TESTS_ONLY)
  # A parent project (add_subdirectory) may have found SystemC the same way already.
  if(NOT TARGET PkgConfig::SystemC)
    pkg_check_modules(SystemC REQUIRED IMPORTED_TARGET systemc>=2.3.3)
  endif()
  add_library(acim::systemc ALIAS PkgConfig::SystemC)
endif()

if(ACIM_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(ACIM_BUILD_BENCH AND NOT ACIM_UNIT_TESTS_ONLY)
  find_package(benchmark REQUIRED)
endif()
