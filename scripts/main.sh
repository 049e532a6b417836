#!/usr/bin/env bash
# The main job: install what is missing, build Release, run `acim` on its default workload.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --target acim
./build/testbench/acim "$@"
