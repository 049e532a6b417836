#!/usr/bin/env bash
# `acim run --preset NAME` for every preset `acim presets` lists: the default workload runs and the
# output carries TOPS/W, the area and TOPS/mm^2; report.json names the preset and the sources of
# its values; an unknown preset fails and lists the valid ones (docs/presets.md).
set -euo pipefail
acim=$1
[ -d /usr/share/datasets/fashion-mnist ] || { echo "dataset-fashion-mnist is not installed: skipped"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
names=$("$acim" presets | grep -v '^ ')
[ "$(wc -w <<<"$names")" -ge 5 ] || { echo "fewer than 5 presets: $names"; exit 1; }
for p in $names; do
  "$acim" --preset "$p" --limit 8 --out "$out/$p" > "$out/$p.log" 2>&1 || { cat "$out/$p.log"; exit 1; }
  grep -q "^  hardware .* TOPS/W" "$out/$p.log" || { echo "$p: no TOPS/W"; cat "$out/$p.log"; exit 1; }
  grep -q "^  area .* TOPS/mm^2" "$out/$p.log" || { echo "$p: no TOPS/mm^2"; cat "$out/$p.log"; exit 1; }
  grep -q "^  peak .* TOPS/W, .* TOPS/mm^2" "$out/$p.log" || { echo "$p: no peak line"; cat "$out/$p.log"; exit 1; }
  /usr/bin/python3 - "$out/$p/report.json" "$p" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["preset"] == sys.argv[2], r.get("preset")
assert r["config_sources"]["hw.rows"] == "preset", r["config_sources"]
h = r["hardware"]
assert h["area_mm2"] > 0 and h["tops_per_mm2"] > 0 and h["macro_peak"]["tops_per_w"] > 0, h
PY
done
set +e
msg=$("$acim" --preset no_such_chip --limit 1 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] || { echo "unknown preset: exit status $rc, expected 2"; exit 1; }
grep -q "unknown preset 'no_such_chip'; valid presets: .*wang_jssc2023_22nm_c2c" <<<"$msg" || { echo "$msg"; exit 1; }
echo ok
