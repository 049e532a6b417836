# ASan + UBSan build: every UB report aborts, so a sanitizer finding fails the test that hit it.
if(ACIM_SANITIZE)
  set(_acim_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${_acim_san} -O1 -g)
  add_link_options(${_acim_san})
endif()
# libFuzzer build: coverage instrumentation everywhere; the fuzz executables link -fsanitize=fuzzer.
if(ACIM_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
