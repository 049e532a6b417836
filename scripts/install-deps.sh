#!/usr/bin/env bash
# Installs the Debian 12 packages acim-tlm builds and runs with, only when one is missing.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config git
      libsystemc-dev libboost-dev libboost-math-dev
      googletest libgtest-dev libbenchmark-dev
      nlohmann-json3-dev libcli11-dev zlib1g-dev libssl-dev
      libonnx-dev libprotobuf-dev dataset-fashion-mnist
      python3-torch python3-onnx python3-numpy python3-matplotlib
      pybind11-dev python3-pybind11 python3-dev python3-pytest
      clang-14 libclang-rt-14-dev slurm-wlm munge)   # clang + libFuzzer runtime: the fuzz targets (tests/fuzz)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
