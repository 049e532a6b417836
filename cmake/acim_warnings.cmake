# Project-wide warning set, applied through an interface target so that third-party code is untouched.
add_library(acim_warnings INTERFACE)
target_compile_options(acim_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wdouble-promotion -Wformat=2)
if(ACIM_WERROR)
  target_compile_options(acim_warnings INTERFACE -Werror)
endif()
