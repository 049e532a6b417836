#!/usr/bin/env bash
# Train a few steps on a subset, export QCDQ ONNX, and check that the C++ importer reproduces
# PyTorch's integer-model logits bit for bit. Uses Debian's system Python (python3-torch).
set -euo pipefail
src=$1
checker=$2
py=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$py" "$src/workloads/train/train.py" --smoke --out-dir "$dir" --name smoke > "$dir/train.log" 2>&1 || { cat "$dir/train.log"; exit 1; }
"$py" "$src/workloads/train/int_model.py" "$dir/smoke.onnx" --limit 200 --dump-logits "$dir/logits.bin"
"$checker" "$dir/smoke.onnx" "$dir/logits.bin" 200
