#!/usr/bin/env bash
# The PTQ table of docs/ptq.md: `acim run` on all 10 000 Fashion-MNIST test images for the float
# CNN quantised at load (several bit widths and calibration statistics) and the shipped QAT models.
# Usage: scripts/ptq_table.sh [path/to/acim] [threads]   (about 30 s per row on one thread)
set -euo pipefail
cd "$(dirname "$0")/.."
acim=${1:-build/testbench/acim}
threads=${2:-1}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
row() {  # name model extra-args...
  local name=$1 model=$2
  shift 2
  "$acim" run --model "$model" --threads "$threads" --out "$out/$name" "$@" > "$out/$name.log" 2>&1
  /usr/bin/python3 - "$out/$name/report.json" "$name" "$*" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a = r["accuracy"]
f = a.get("float_host", a.get("float_recorded"))
print(f"| {sys.argv[2]} | `{sys.argv[3]}` | {100*f:.2f} | {100*a['ideal_integer']:.2f} | {100*a['acim']:.2f} | {r['prediction_flips_vs_ideal']} |")
PY
}
echo "| model | options | float % | ideal integer % | ACiM (default macro) % | ACiM flips vs ideal |"
echo "|---|---|---|---|---|---|"
f=workloads/models/cnn_float.onnx
for b in 8 6 4; do
  row "ptq_w${b}a${b}_max" $f -p ptq.wbit=$b -p ptq.xbit=$b
  row "ptq_w${b}a${b}_pct" $f -p ptq.wbit=$b -p ptq.xbit=$b -p ptq.method=percentile
done
for n in 10 100 10000; do
  row "ptq_w4a4_max_n$n" $f -p ptq.wbit=4 -p ptq.xbit=4 -p ptq.calibration_images=$n
  row "ptq_w4a4_pct_n$n" $f -p ptq.wbit=4 -p ptq.xbit=4 -p ptq.method=percentile -p ptq.calibration_images=$n
done
for p in 99.9 99.999; do
  row "ptq_w4a4_pct$p" $f -p ptq.wbit=4 -p ptq.xbit=4 -p ptq.method=percentile -p ptq.percentile=$p
done
row qat_w8a8 workloads/models/cnn_w8a8.onnx
row qat_w4a4 workloads/models/cnn_w4a4.onnx
