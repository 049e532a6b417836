#!/usr/bin/env bash
# acim sweep --backend slurm against a real single-node Slurm (munged + slurmctld + slurmd on
# 127.0.0.1, started here by slurm-ci.sh in a temp dir and always stopped): the array is submitted
# with runs bundled per task, cancelled mid-way, resubmitted for the missing indices only, waited
# for and collected; every run completes once. Exits 77 (ctest SKIP) only when Slurm cannot be
# installed or started on this machine.
set -euo pipefail
src=$1
acim=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
chmod 755 "$dir"
export SLURM_CI_DIR=$dir/slurm
# distinct ports per test process, so that concurrent clusters never meet (SLURM.md pitfall 3)
base=$((20000 + ($$ % 2000) * 2))
export SLURM_CI_CTLD_PORT=$base SLURM_CI_SLURMD_PORT=$((base + 1))
cleanup() {
    bash "$here/slurm-ci.sh" down > "$dir/down.log" 2>&1 || cat "$dir/down.log" >&2
    rm -rf "$dir"
}
skip() { echo "SKIPPED: $*" >&2; exit 77; }
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    [ "$(id -u)" = 0 ] || skip "slurm-wlm/munge are not installed and this user cannot install them (scripts/install-deps.sh)"
fi
if [ "$(getent ahostsv4 "$(hostname)" | awk 'NR==1{print $1}')" != 127.0.0.1 ]; then
    # slurm-ci.sh run re-executes under a private UTS namespace with hostname=localhost (root only)
    [ "$(id -u)" = 0 ] || skip "hostname '$(hostname)' does not resolve to 127.0.0.1 and only root can fix it in a namespace"
    [ -n "${SLURM_CI_IN_UTS_NS:-}" ] || exec env SLURM_CI_IN_UTS_NS=1 unshare --uts --fork -- bash "$0" "$@"
    hostname localhost
fi
trap cleanup EXIT
if ! bash "$here/slurm-ci.sh" up > "$dir/up.log" 2>&1; then
    cat "$dir/up.log" >&2
    if ! command -v slurmctld >/dev/null; then skip "Slurm could not be installed"; fi
    skip "the single-node Slurm could not be started here (log above)"
fi
export SLURM_CONF=$SLURM_CI_DIR/slurm.conf
fail() { echo "FAIL: $*" >&2; tail -n 5 "$SLURM_CI_DIR"/log/*.log >&2 || true; exit 1; }
wait_empty() {  # bounded: 120 s
    for _ in $(seq 600); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && return 0; sleep 0.2; done
    fail "the queue did not drain in 120 s"
}

cat > "$dir/spec.json" <<JSON
{"base": {"model": "$src/workloads/models/cnn_w8a8.onnx", "limit": 20, "threads": 1},
 "axes": [{"key": "macro.adc_bits", "values": [6, 7, 8]}, {"key": "macro.sigma_rand", "values": [0, 0.3]}],
 "seeds": 2}
JSON
out=$dir/out
# 12 runs, estimated 0.3 + 20/500 s each: --task-seconds 1 bundles 3 runs per task -> 4 tasks
"$acim" sweep "$dir/spec.json" --backend slurm --out "$out" --partition ci --task-seconds 1 --rate 500 \
    > "$dir/submit1.log" 2>&1 || fail "submission failed: $(cat "$dir/submit1.log")"
cat "$dir/submit1.log"
tasks=$(/usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(len(m['tasks']), m['runs_per_task'])" "$out/slurm/manifest.json")
[ "$tasks" = "4 3" ] || fail "expected 4 tasks of 3 runs, manifest has '$tasks'"
job=$(awk 'NR==1{print $1}' "$out/slurm/submissions.log")
grep -q -- "--array=0,1,2,3 " "$out/slurm/submissions.log" || fail "first submission is not the whole array"
grep -q -- "--partition=ci" "$out/slurm/submissions.log" || fail "partition not passed"
missing_tasks() {  # the manifest's task indices with a run that has no result.json
    /usr/bin/python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
m = json.load(open(os.path.join(out, "slurm", "manifest.json")))
print(",".join(str(t) for t, ids in enumerate(m["tasks"])
               if any(not os.path.exists(os.path.join(out, "points", i, "result.json")) for i in ids)))
PY
}
# cancel once a first task is complete, before the array is through (bounded: 120 s)
for _ in $(seq 600); do
    [ "$(missing_tasks)" != "0,1,2,3" ] && break
    sleep 0.2
done
scancel "$job"
wait_empty
done1=$(ls "$out"/points/*/result.json 2>/dev/null | wc -l)
echo "after scancel: $done1 of 12 runs done"
[ "$done1" -lt 12 ] || fail "the array finished before it could be cancelled"
# leftovers of cancelled runs are never taken for results
"$acim" sweep --collect "$out" > "$dir/collect0.log" 2>&1 && fail "collect of an incomplete sweep succeeded"
grep -q "missing" "$dir/collect0.log" || fail "collect does not report missing runs"
expected=$(missing_tasks)
[ "$expected" != "0,1,2,3" ] && [ -n "$expected" ] || fail "no partial state to resume from: missing tasks '$expected'"
"$acim" sweep "$dir/spec.json" --backend slurm --out "$out" --partition ci --account ci --task-seconds 1 --rate 500 \
    --wait --wait-timeout 120 > "$dir/submit2.log" 2>&1 || fail "resubmission failed: $(cat "$dir/submit2.log")"
cat "$dir/submit2.log"
sed -n 2p "$out/slurm/submissions.log" | grep -q -- "--array=$expected " || fail "resubmitted $(sed -n 2p "$out/slurm/submissions.log"), expected --array=$expected"
grep -q -- "--account=ci" "$out/slurm/submissions.log" || fail "account not passed"
"$acim" sweep --collect "$out" > "$dir/collect.log" 2>&1 || fail "collect failed: $(cat "$dir/collect.log")"
[ "$(grep -c ',ok,' "$out/results.csv")" = 12 ] || fail "results.csv lacks ok rows"
[ "$(grep -c '^done ' "$out/runs.log")" = 12 ] || fail "expected 12 published runs: $(cat "$out/runs.log")"
[ "$(grep '^done ' "$out/runs.log" | awk '{print $2}' | sort | uniq -d | wc -l)" = 0 ] || fail "a run completed twice"
ls "$out"/slurm/logs/*.out >/dev/null || fail "no task logs"
# nothing left to run: a third submission submits nothing and succeeds
"$acim" sweep "$dir/spec.json" --backend slurm --out "$out" --partition ci --task-seconds 1 --rate 500 > "$dir/submit3.log" 2>&1 \
    || fail "third submission: $(cat "$dir/submit3.log")"
grep -q "nothing to submit" "$dir/submit3.log" || fail "third submission submitted again"
echo "slurm ok: job $job cancelled at $done1/12, resubmitted --array=$expected, 12 runs collected"
