#!/usr/bin/env bash
# `acim inspect`: the shipped CNN lists its ACiM layers, host ops and mapping (text and JSON); a
# model with a blocker exits 1 and names the node, op and reason.
set -euo pipefail
src=$1
acim=$2
models=$3
out=$("$acim" inspect --model "$src/workloads/models/cnn_w8a8.onnx")
grep -q "conv1 .*ACiM  Conv   W8A8u rows 9 x outputs 16, 1 row tile(s) x 1 column tile(s), 1 macro(s), 802816 conversions/image" <<<"$out"
grep -q "pact_1 .*host  clip" <<<"$out"
grep -q "mapping (17 macros" <<<"$out"
grep -q "^area 17 macro(s) x 0.5588 mm^2 = 9.5 mm^2 (default hw.area_\*" <<<"$out"
json=$("$acim" inspect --model "$src/workloads/models/cnn_w8a8.onnx" --json)
/usr/bin/python3 - "$json" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
acim = [n for n in j["nodes"] if n["runs_on"] == "acim"]
assert [n["name"] for n in acim] == ["conv1", "conv2", "fc1", "fc2"], acim
fc1 = acim[2]
assert (fc1["rows"], fc1["row_tiles"], fc1["column_tiles"], fc1["macros"]) == (1568, 7, 2, 14), fc1
assert j["macros"] == 17
assert abs(j["area_mm2"] - 17 * j["macro_area_mm2"]) < 1e-12 and abs(j["macro_area_mm2"] - 0.5587968) < 1e-9, j
PY
set +e
blocked=$("$acim" inspect --model "$models/attention_scores.onnx")
rc=$?
set -e
[ "$rc" = 1 ] || { echo "exit status $rc, expected 1"; exit 1; }
grep -q "/MatMul .*MatMul .*BLOCKER: MatMul of two activations: not yet supported on the macro" <<<"$blocked"
echo ok
