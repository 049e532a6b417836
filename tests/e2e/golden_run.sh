#!/usr/bin/env bash
# The real `acim` binary with its real defaults on the first 200 test images; its report.json,
# timings aside, must equal the committed golden report. Regenerate after an intended change with
#   bash tests/e2e/golden_run.sh build/testbench/acim build/tests/e2e/check_golden tests/e2e/golden/default_200.json --update
set -euo pipefail
acim=$1 check=$2 golden=$3 mode=${4:-}
[ -d /usr/share/datasets/fashion-mnist ] || { echo "dataset-fashion-mnist is not installed: skipped"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$acim" --limit 200 --out "$out" > "$out/log.txt" 2>&1 || { cat "$out/log.txt"; exit 1; }
"$check" "$out/report.json" "$golden" $mode
