#!/usr/bin/env bash
# Train the float CNN a few steps, export it as a plain float ONNX graph, and run it through
# `acim run`: it is quantised at load (PTQ, calibrated on training images), and the C++ float
# network's accuracy on the first 1000 test images equals the one PyTorch recorded.
set -euo pipefail
src=$1
acim=$2
py=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$py" "$src/workloads/train/train.py" --float --smoke --out-dir "$dir" --name smoke_float > "$dir/train.log" 2>&1 || { cat "$dir/train.log"; exit 1; }
"$acim" run --model "$dir/smoke_float.onnx" --limit 1000 --threads 1 --out "$dir/run" \
    -p ptq.calibration_images=100 -p ptq.wbit=8 -p ptq.xbit=8 -p macro.sigma_rand=0 > "$dir/run.log" 2>&1 || { cat "$dir/run.log"; exit 1; }
"$py" - "$dir/smoke_float.json" "$dir/run/report.json" <<'PY'
import json, sys
info, rep = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert info["format"] == "float" and info["test_images"] == 1000, info
assert info["onnx_float_prediction_flips"] == 0, info
host, torch_acc = rep["accuracy"]["float_host"], info["float_accuracy"]
# float32 sums in a different order may flip a near-tie: allow 2 of 1000 images.
assert abs(host - torch_acc) <= 0.002, (host, torch_acc)
assert rep["ptq"]["calibration_images"] == 100 and len(rep["ptq"]["layers"]) == 4, rep["ptq"]
assert rep["prediction_flips_vs_ideal"] == 0, rep
print(f"float: PyTorch {torch_acc}, C++ host {host}; PTQ W8A8 ideal {rep['accuracy']['ideal_integer']}")
PY
