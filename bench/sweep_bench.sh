#!/usr/bin/env bash
# Sweep machinery overhead and 2-job scaling (bench/results/sweep.md).
#   bash bench/sweep_bench.sh build/testbench/acim [POINTS=100] [IMAGES=100]
# A sweep of POINTS points (macro.sigma_rand steps, 1 seed, 1 die) of IMAGES-image runs with 1 thread
# per run, once with --jobs 1 and once with --jobs 2, and one `acim run` of POINTS x IMAGES images
# in one process. Overhead per point = (1-job sweep wall - one-process wall) / POINTS: what
# process start, elaboration, model load, report and result writing add per point.
set -euo pipefail
acim=$(readlink -f "$1")
points=${2:-100}
images=${3:-100}
src=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
vals=$(/usr/bin/python3 -c "print(', '.join(f'{0.001 * (k + 1):.3f}' for k in range($points)))")
cat > "$dir/spec.json" <<JSON
{"base": {"model": "$src/workloads/models/cnn_w8a8.onnx", "limit": $images, "threads": 1},
 "axes": [{"key": "macro.sigma_rand", "values": [$vals]}]}
JSON
now() { date +%s.%N; }
cpu() { /usr/bin/time -f "%U %S" -o "$1" "${@:2}"; }  # user + sys CPU seconds, children included
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
t0=$(now); cpu "$dir/cpu1" "$acim" sweep "$dir/spec.json" --out "$dir/j1" --jobs 1 > "$dir/j1.log" 2>&1; t1=$(now)
echo "load after 1-job: $(cut -d' ' -f1-3 /proc/loadavg)"
t2=$(now); cpu "$dir/cpu2" "$acim" sweep "$dir/spec.json" --out "$dir/j2" --jobs 2 > "$dir/j2.log" 2>&1; t3=$(now)
echo "load after 2-job: $(cut -d' ' -f1-3 /proc/loadavg)"
t4=$(now); cpu "$dir/cpub" "$acim" run --model "$src/workloads/models/cnn_w8a8.onnx" --limit $((points * images)) --threads 1 \
    -p macro.sigma_rand=0.05 --out "$dir/big" > "$dir/big.log" 2>&1; t5=$(now)
echo "load after one-process run: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$dir" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$points" "$images" <<'PY'
import csv, json, sys
d = sys.argv[1]
t0, t1, t2, t3, t4, t5 = map(float, sys.argv[2:8])
points, images = int(sys.argv[8]), int(sys.argv[9])
rows = list(csv.DictReader(open(f"{d}/j1/results.csv")))
assert len(rows) == points and all(r["status"] == "ok" for r in rows)
child_wall = sum(float(r["run_wall_seconds"]) for r in rows)
res = [json.load(open(f"{d}/j1/points/{r['id']}/result.json")) for r in rows]
spawn_wall = sum(r["wall_seconds"] for r in res)
j1, j2, big = t1 - t0, t3 - t2, t5 - t4
print(f"1-job sweep: {j1:.2f} s for {points} points of {images} images ({j1 / points:.3f} s/point)")
print(f"2-job sweep: {j2:.2f} s ({j2 / points:.3f} s/point): speed-up {j1 / j2:.2f}x")
print(f"one process, {points * images} images: {big:.2f} s ({big / points:.3f} s per {images} images)")
print(f"overhead per point vs one process: {(j1 - big) / points:.3f} s")
print(f"  of which outside the child's own wall clock (fork/exec/exit, sweep bookkeeping): {(j1 - child_wall) / points:.3f} s")
c1, c2, cb = (sum(map(float, open(f"{d}/{n}").read().split()[-2:])) for n in ("cpu1", "cpu2", "cpub"))
print(f"CPU (user+sys): 1-job sweep {c1:.2f} s, 2-job sweep {c2:.2f} s, one process {cb:.2f} s")
print(f"CPU overhead per point vs one process: {(c1 - cb) / points:.3f} s (load-independent)")
rows2 = list(csv.DictReader(open(f"{d}/j2/results.csv")))
inflight = sum(json.load(open(f"{d}/j2/points/{r['id']}/result.json"))["wall_seconds"] for r in rows2) / j2
print(f"2-job sweep: runs in flight on average (sum of child lifetimes / sweep wall): {inflight:.2f}")
print(f"  child process lifetime (spawn to reap) - child's own wall: {(spawn_wall - child_wall) / points:.3f} s")
PY
