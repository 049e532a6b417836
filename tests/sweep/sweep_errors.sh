#!/usr/bin/env bash
# acim sweep bad input: each malformed spec is a clear error (exit 2) naming the entry, before any
# run starts (the sweep directory is not even created); a failing run is recorded with its error,
# the other runs go on, and the sweep exits 1.
set -euo pipefail
src=$1
acim=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
model=$src/workloads/models/cnn_w8a8.onnx
n=0
expect_error() {  # name, expected message part, spec text
    n=$((n + 1))
    printf '%s' "$3" > "$dir/bad$n.json"
    set +e
    msg=$("$acim" sweep "$dir/bad$n.json" --out "$dir/out$n" 2>&1)
    rc=$?
    set -e
    [ "$rc" = 2 ] || { echo "FAIL $1: exit $rc: $msg" >&2; exit 1; }
    grep -qF -- "$2" <<<"$msg" || { echo "FAIL $1: message '$msg' lacks '$2'" >&2; exit 1; }
    [ ! -e "$dir/out$n" ] || { echo "FAIL $1: the sweep directory was created" >&2; exit 1; }
    echo "ok $1: $msg"
}
expect_error "malformed JSON" "is not valid JSON" '{"axes": [}'
expect_error "unknown axis key" "axes[0].key: unknown parameter 'macro.adc_bitz'" \
    '{"axes": [{"key": "macro.adc_bitz", "values": [6, 7]}]}'
expect_error "unknown base key" "base.macro.nope: unknown parameter 'macro.nope'" '{"base": {"macro": {"nope": 1}}}'
expect_error "unknown top-level entry" "axis: unknown entry" '{"axis": []}'
expect_error "empty axis" "axes[0].values: empty axis" '{"axes": [{"key": "macro.adc_bits", "values": []}]}'
expect_error "zip lengths" "axes[0].zip[1]: zipped lists differ in length" \
    '{"axes": [{"zip": [{"key": "macro.adc_bits", "values": [6, 7]}, {"key": "macro.row_parallelism", "values": [63]}]}]}'
expect_error "duplicate point" "duplicate point: macro.adc_bits=7 (axes[0][2])" \
    '{"axes": [{"key": "macro.adc_bits", "values": [6, 7, 7]}]}'
expect_error "duplicate key" "axes[1]: key 'macro.adc_bits' is already swept by axes[0]" \
    '{"axes": [{"key": "macro.adc_bits", "values": [6]}, {"key": "macro.adc_bits", "values": [7]}]}'
expect_error "bad value" "macro.adc_bits = 'eight'" '{"axes": [{"key": "macro.adc_bits", "values": [6, "eight"]}]}'
expect_error "seed as axis" "axes[0].key: 'seed' is not an axis" '{"axes": [{"key": "seed", "values": [1, 2]}]}'
expect_error "bad seeds" "seeds[1]: expected a non-negative integer" '{"seeds": [1, -2]}'
expect_error "missing model" "model '$dir/nothere.onnx' does not exist" \
    "{\"axes\": [{\"key\": \"model\", \"values\": [\"$model\", \"nothere.onnx\"]}]}"

# a run that fails (a model file that is not ONNX): recorded, the others run, exit 1
echo "not an onnx file" > "$dir/broken.onnx"
cat > "$dir/failing.json" <<JSON
{"base": {"limit": 10, "threads": 1}, "axes": [{"key": "model", "values": ["$model", "broken.onnx"]}]}
JSON
set +e
"$acim" sweep "$dir/failing.json" --out "$dir/fout" --jobs 2 > "$dir/fail.log" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { echo "FAIL failing run: exit $rc"; cat "$dir/fail.log"; exit 1; }
grep -q ',ok,' "$dir/fout/results.csv" || { echo "FAIL: the good run is missing"; cat "$dir/fout/results.csv"; exit 1; }
grep ',failed,' "$dir/fout/results.csv" | grep -q 'broken.onnx' || { echo "FAIL: the failed run lacks its error"; cat "$dir/fout/results.csv"; exit 1; }
[ "$(ls "$dir"/fout/points/*/result.json | wc -l)" = 1 ] || { echo "FAIL: a failed run has a result.json"; exit 1; }
echo "ok failing run: recorded, exit 1: $(grep ',failed,' "$dir/fout/results.csv" | tail -c 200)"

# one local sweep per directory: a second one while the first holds sweep.lock is refused
mkdir -p "$dir/locked"
set +e
msg=$(flock -n "$dir/locked/sweep.lock" "$acim" sweep "$dir/failing.json" --out "$dir/locked" 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "another acim sweep is running" <<<"$msg" || { echo "FAIL lock: exit $rc: $msg"; exit 1; }
[ ! -e "$dir/locked/points" ] || { echo "FAIL lock: the second sweep ran"; exit 1; }
echo "ok lock: $msg"
