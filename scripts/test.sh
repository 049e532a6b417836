#!/usr/bin/env bash
# The whole test suite: install what is missing, then
#  1. Release build of everything (warnings as errors), all ctest tests;
#  2. ASan+UBSan build of the kernel-free core, its unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DACIM_WERROR=ON
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DACIM_SANITIZE=ON -DACIM_UNIT_TESTS_ONLY=ON \
      -DACIM_BUILD_BENCH=OFF -DACIM_WERROR=ON
cmake --build build-asan -j "$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j "$jobs" -L unit -E ShippedModel)
# (ShippedModel classifies 4 x 10 000 images: it runs in the Release pass above; under ASan it
#  would take minutes, and the same code paths are covered by the 300-image lossless test.)
