#!/usr/bin/env bash
# acim sweep resume: a local sweep killed with kill -9 in the middle and restarted loses no run and
# completes none twice; a run whose child finished but whose result was never published is adopted
# (not run again); the aggregate has one ok row per run.
set -euo pipefail
src=$1
acim=$2
dir=$(mktemp -d)
trap 'kill -9 "${pid:-}" 2>/dev/null || true; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$dir/out/runs.log" ] && cat "$dir/out/runs.log" >&2; exit 1; }
cat > "$dir/spec.json" <<JSON
{"base": {"model": "$src/workloads/models/cnn_w8a8.onnx", "limit": 30, "threads": 1},
 "axes": [{"key": "macro.adc_bits", "values": [6, 7, 8]},
          {"zip": [{"key": "macro.row_parallelism", "values": [63, 127]},
                   {"key": "hw.rows", "values": [64, 128]}]}],
 "seeds": 2}
JSON
n=12
out=$dir/out
"$acim" sweep "$dir/spec.json" --out "$out" --jobs 2 > "$dir/first.log" 2>&1 &
pid=$!
# kill -9 once at least 3 runs are done and at least one other is running (bounded wait)
for _ in $(seq 1200); do
    d=$(grep -c '^done ' "$out/runs.log" 2>/dev/null || true)
    s=$(grep -c '^start ' "$out/runs.log" 2>/dev/null || true)
    [ "${d:-0}" -ge 3 ] && [ "${s:-0}" -gt "${d:-0}" ] && break
    kill -0 "$pid" 2>/dev/null || fail "the sweep ended before it could be killed: $(cat "$dir/first.log")"
    sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
cut_line=$(wc -l < "$out/runs.log")
done_before=$(grep '^done ' "$out/runs.log" | awk '{print $2}' | sort)
[ "$(echo "$done_before" | wc -l)" -lt "$n" ] || fail "every run finished before the kill"
# the children of the killed sweep die with it (PR_SET_PDEATHSIG)
sleep 1
for child in $(grep '^start ' "$out/runs.log" | awk '{print $3}'); do
    if kill -0 "$child" 2>/dev/null && grep -q acim "/proc/$child/cmdline" 2>/dev/null; then fail "child $child outlived the sweep"; fi
done
# nothing half-written is a result: every result.json parses
for f in "$out"/points/*/result.json; do [ -e "$f" ] && /usr/bin/python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$f"; done

"$acim" sweep "$dir/spec.json" --out "$out" --jobs 2 > "$dir/second.log" 2>&1 || fail "restart failed: $(cat "$dir/second.log")"
grep -q "already done" "$dir/second.log" || fail "restart did not report done runs"
# every run published exactly once over both sessions; none done before the kill started again
[ "$(grep -c '^done ' "$out/runs.log")" = "$n" ] || fail "expected $n done lines"
[ "$(grep '^done ' "$out/runs.log" | awk '{print $2}' | sort | uniq -d | wc -l)" = 0 ] || fail "a run was completed twice"
for id in $done_before; do
    tail -n +"$((cut_line + 1))" "$out/runs.log" | grep -q "^start $id" && fail "run $id was done but ran again"
done
[ "$(ls "$out"/points/*/result.json | wc -l)" = "$n" ] || fail "not every run has its result"
[ "$(grep -c ',ok,' "$out/results.csv")" = "$n" ] || fail "results.csv lacks ok rows"
[ "$(($(wc -l < "$out/summary.csv") - 1))" = 6 ] || fail "summary.csv should have 6 points"

# adoption: a finished child whose result was never published is taken, not run again
victim=$(ls "$out/points" | head -n 1)
rm "$out/points/$victim/result.json"
lines=$(wc -l < "$out/runs.log")
"$acim" sweep "$dir/spec.json" --out "$out" --jobs 2 > "$dir/third.log" 2>&1 || fail "third session failed: $(cat "$dir/third.log")"
tail -n +"$((lines + 1))" "$out/runs.log" | grep -q '^start ' && fail "the adopted run was started again"
[ -f "$out/points/$victim/result.json" ] || fail "the finished run was not adopted"
grep -q '"adopted": true' "$out/points/$victim/result.json" || fail "result not marked adopted"
echo "resume ok: $(echo "$done_before" | wc -l) runs done before kill -9, $n after restart, each completed once"
