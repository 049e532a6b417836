#!/usr/bin/env bash
# acim plot: a small sweep (2 ADC widths x 2 dies of static mismatch x 2 seeds) and one of its runs
# render every expected plot, and each file is a valid PNG (signature, IHDR, decodable).
set -euo pipefail
src=$1
acim=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/spec.json" <<JSON
{"base": {"model": "$src/workloads/models/cnn_w8a8.onnx", "limit": 20, "threads": 1,
          "macro": {"sigma_col_gain": 2, "sigma_rand": 0.2}},
 "axes": [{"key": "macro.adc_bits", "values": [6, 8]}],
 "seeds": 2, "dies": 2}
JSON
"$acim" sweep "$dir/spec.json" --out "$dir/sw" --jobs 2 > "$dir/sweep.log" 2>&1 || { cat "$dir/sweep.log"; exit 1; }
"$acim" plot "$dir/sw" > "$dir/plot.log" 2>&1 || { cat "$dir/plot.log"; exit 1; }
run=$(ls -d "$dir"/sw/points/*/run | head -n 1)
"$acim" plot "$run" --out "$dir/runplots" >> "$dir/plot.log" 2>&1 || { cat "$dir/plot.log"; exit 1; }
# the optional plots, from the run's report with an energy breakdown and a confusion matrix added
# in the shape scripts/acim_plot.py reads (until acim run writes them itself)
mkdir -p "$dir/extra"
/usr/bin/python3 - "$run/report.json" "$dir/extra/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for l in r["layers"]:
    l["energy_breakdown"] = {"adc": 0.6 * l["hardware"]["energy_fj"], "bitline": 0.4 * l["hardware"]["energy_fj"]}
r["confusion_matrix"] = [[int(i == j) * 2 + 1 for j in range(10)] for i in range(10)]
json.dump(r, open(sys.argv[2], "w"))
PY
"$acim" plot "$dir/extra" >> "$dir/plot.log" 2>&1 || { cat "$dir/plot.log"; exit 1; }
cat "$dir/plot.log"
/usr/bin/python3 - "$dir/sw/plots" "$dir/runplots" "$dir/extra/plots" <<'PY'
import os, struct, sys, zlib
import matplotlib.image as mpimg
expected = {sys.argv[1]: ["accuracy_vs_macro.adc_bits.png", "pareto_energy.png", "dies_distribution.png"],
            sys.argv[2]: ["sqnr_saturations.png", "code_errors.png", "cycles_by_layer.png"],
            sys.argv[3]: ["sqnr_saturations.png", "code_errors.png", "cycles_by_layer.png", "energy_breakdown.png",
                          "confusion_matrix.png"]}
for d, names in expected.items():
    for n in names:
        p = os.path.join(d, n)
        b = open(p, "rb").read()
        assert b[:8] == b"\x89PNG\r\n\x1a\n", f"{p}: not a PNG signature"
        length, kind = struct.unpack(">I4s", b[8:16])
        assert kind == b"IHDR" and length == 13, f"{p}: first chunk is {kind}"
        w, h = struct.unpack(">II", b[16:24])
        assert zlib.crc32(b[12:29]) == struct.unpack(">I", b[29:33])[0], f"{p}: IHDR CRC"
        assert w > 100 and h > 100, f"{p}: {w}x{h}"
        img = mpimg.imread(p)
        assert img.shape[0] == h and img.shape[1] == w and img.std() > 0, f"{p}: blank or undecodable"
        print(f"ok {n}: {w}x{h}")
    left = set(os.listdir(d)) - set(names) - {"energy_breakdown.png", "confusion_matrix.png"}
    assert not left, f"unexpected files in {d}: {left}"
PY
