#!/usr/bin/python3
"""acim plot: PNG plots of an `acim run` directory (report.json) or an `acim sweep` directory
(summary.csv, results.csv, plan.json). Run by `acim plot DIR [--out PLOTDIR]` with the system
Python (/usr/bin/python3 and Debian's python3-matplotlib). docs/sweeps.md lists the plots.

Run directory: sqnr_saturations.png, code_errors.png, cycles_by_layer.png, energy_breakdown.png
(when the report has an energy breakdown), confusion_matrix.png (when it has per-class results).
Sweep directory: accuracy_vs_<axis>.png per axis (mean and 95 % CI band), pareto_energy.png
(accuracy against energy per image, the Pareto front marked), dies_distribution.png (accuracy over
the dies, when the sweep has more than one die)."""
import argparse
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save(fig, out, name, made):
    path = os.path.join(out, name)
    tmp = path + ".tmp"
    fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    os.replace(tmp, path)  # never a half-written PNG under the final name
    made.append(path)


def num(v):
    if v is None or v == "" or v == "inf" or isinstance(v, str) and v.lower() in ("nan", "inf", "-inf"):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


# ---------------------------------------------------------------- run directory
def plot_run(d, out):
    rep = json.load(open(os.path.join(d, "report.json")))
    layers = rep.get("layers", [])
    names = [f"{k}:{l.get('name', k)}" for k, l in enumerate(layers)]
    made = []

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    sq = [num(l.get("sqnr_db")) for l in layers]
    x = np.arange(len(layers))
    a1.bar(x, [s if s is not None else 0 for s in sq], color="tab:blue")
    for k, s in enumerate(sq):
        if s is None:
            a1.annotate("exact", (k, 0), ha="center", va="bottom", fontsize=8)
    a1.set_xticks(x, names, rotation=30, ha="right")
    a1.set_ylabel("SQNR [dB]")
    a1.set_title("per-layer SQNR (exact = no error)")
    a2.bar(x, [l.get("saturations", 0) for l in layers], color="tab:red")
    a2.set_xticks(x, names, rotation=30, ha="right")
    a2.set_ylabel("ADC saturations")
    a2.set_title("per-layer ADC saturations")
    save(fig, out, "sqnr_saturations.png", made)

    with_ce = [(n, l["code_errors"]) for n, l in zip(names, layers) if l.get("code_errors", {}).get("cycles")]
    if with_ce:
        fig, axes = plt.subplots(1, len(with_ce), figsize=(4.2 * len(with_ce), 4), squeeze=False)
        for col, (ax, (n, ce)) in enumerate(zip(axes[0], with_ce)):
            errs = ce["errors"]
            cyc = ce["cycles"]
            m = np.array([c["counts"] for c in cyc], dtype=float)
            tot = m.sum(axis=1, keepdims=True)
            frac = np.divide(m, tot, out=np.zeros_like(m), where=tot > 0)
            im = ax.imshow(np.log10(frac + 1e-9), aspect="auto", cmap="viridis", vmin=-9, vmax=0)
            ax.set_xticks(range(len(errs)), [("≤" if k == 0 else "≥" if k == len(errs) - 1 else "") + str(e)
                                             for k, e in enumerate(errs)], fontsize=7)
            step = max(1, len(cyc) // 16)
            ax.set_yticks(range(0, len(cyc), step), [f"({cyc[k]['i']},{cyc[k]['j']})" for k in range(0, len(cyc), step)],
                          fontsize=7)
            ax.set_xlabel("ADC code error [LSB]")
            if col == 0:
                ax.set_ylabel("cycle (i weight bit, j activation cycle)")
            ax.set_title(n)
        fig.colorbar(im, ax=axes[0].tolist(), label="log10 fraction of the cycle's conversions")
        save(fig, out, "code_errors.png", made)
    else:
        print("acim plot: no per-cycle code-error histograms in report.json (all layers exact or digital)")

    cycles = [num(l.get("hardware", {}).get("macro_cycles")) for l in layers]
    if any(c is not None for c in cycles):
        fig, ax = plt.subplots(figsize=(6, 3.8))
        ax.bar(x, [c or 0 for c in cycles], color="tab:green")
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.set_ylabel("macro cycles")
        ax.set_title("cycles by layer")
        save(fig, out, "cycles_by_layer.png", made)
    else:
        print("acim plot: no per-layer cycles (run.path = core)")

    # energy by component: per layer dicts `energy_breakdown` ({component: fJ}), else the total's
    per_layer = [l.get("energy_breakdown") or l.get("hardware", {}).get("energy_breakdown") for l in layers]
    total = rep.get("energy_breakdown") or rep.get("hardware", {}).get("energy_breakdown")
    comps = sorted({c for p in per_layer if isinstance(p, dict) for c, v in p.items() if num(v) is not None})
    total_comps = [(c, num(v)) for c, v in total.items() if num(v) is not None] if isinstance(total, dict) else []
    if comps:
        fig, ax = plt.subplots(figsize=(7, 4))
        bottom = np.zeros(len(layers))
        for c in comps:
            vals = np.array([num(p.get(c)) or 0.0 if isinstance(p, dict) else 0.0 for p in per_layer]) * 1e-6
            ax.bar(x, vals, bottom=bottom, label=c)
            bottom += vals
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.set_ylabel("energy [nJ]")
        ax.set_title("energy by component and layer")
        ax.legend(fontsize=7)
        save(fig, out, "energy_breakdown.png", made)
    elif total_comps:
        comps = total_comps
        fig, ax = plt.subplots(figsize=(6, 3.8))
        ax.bar([c for c, _ in comps], [v * 1e-6 for _, v in comps])
        ax.set_ylabel("energy [nJ]")
        ax.set_title("energy by component")
        ax.tick_params(axis="x", rotation=30)
        save(fig, out, "energy_breakdown.png", made)
    else:
        print("acim plot: report.json has no energy_breakdown (numbers per component); energy plot skipped")

    cm = None
    for holder in (rep, rep.get("accuracy", {}), rep.get("per_class", {}) if isinstance(rep.get("per_class"), dict) else {}):
        for key in ("confusion_matrix", "confusion"):
            if isinstance(holder.get(key), list):
                cm = holder[key]
    if cm is not None:
        m = np.array(cm, dtype=float)
        fig, ax = plt.subplots(figsize=(5, 4.5))
        im = ax.imshow(m, cmap="Blues")
        for (r, c), v in np.ndenumerate(m):
            ax.text(c, r, f"{int(v)}", ha="center", va="center", fontsize=6)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title("confusion matrix (ACiM)")
        fig.colorbar(im, ax=ax)
        save(fig, out, "confusion_matrix.png", made)
    else:
        print("acim plot: report.json has no confusion matrix; skipped")
    return made


# ---------------------------------------------------------------- sweep directory
def read_csv(p):
    with open(p, newline="") as f:
        return list(csv.DictReader(f))


def label(v):
    return os.path.basename(v) if os.sep in v else v


def plot_sweep(d, out):
    plan = json.load(open(os.path.join(d, "plan.json")))
    axes = [c for c in plan["columns"] if c not in ("seed", "die")]
    summ = read_csv(os.path.join(d, "summary.csv"))
    res = read_csv(os.path.join(d, "results.csv"))
    made = []
    for ax_name in axes:
        others = [a for a in axes if a != ax_name]
        values = []
        for r in summ:
            if r[ax_name] not in values:
                values.append(r[ax_name])
        numeric = all(num(v) is not None for v in values)
        if numeric:
            values.sort(key=float)
        pos = {v: (float(v) if numeric else k) for k, v in enumerate(values)}
        groups = {}
        for r in summ:
            groups.setdefault(tuple(r[o] for o in others), []).append(r)
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        for key, rows in sorted(groups.items()):
            rows = [r for r in rows if num(r["accuracy_acim_mean"]) is not None]
            rows.sort(key=lambda r: pos[r[ax_name]])
            if not rows:
                continue
            xs = [pos[r[ax_name]] for r in rows]
            m = [num(r["accuracy_acim_mean"]) for r in rows]
            lo = [num(r["accuracy_acim_ci95_lo"]) for r in rows]
            hi = [num(r["accuracy_acim_ci95_hi"]) for r in rows]
            lbl = ", ".join(f"{o}={label(v)}" for o, v in zip(others, key)) or "ACiM"
            line, = ax.plot(xs, m, marker="o", label=lbl)
            if all(v is not None for v in lo + hi):
                ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2)
        if not numeric:
            ax.set_xticks(range(len(values)), [label(v) for v in values], rotation=20, ha="right")
        ax.set_xlabel(ax_name)
        ax.set_ylabel("ACiM accuracy (mean, 95 % CI)")
        ax.set_title(f"accuracy vs {ax_name}")
        if len(groups) > 1:
            ax.legend(fontsize=7)
        save(fig, out, f"accuracy_vs_{ax_name.replace('/', '_')}.png", made)

    pts = [(num(r["energy_per_image_nj_mean"]), num(r["accuracy_acim_mean"]), r) for r in summ]
    pts = [p for p in pts if p[0] is not None and p[1] is not None]
    if pts:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], color="tab:gray", label="points")
        front, best = [], -1.0
        for e, a, r in sorted(pts, key=lambda p: (p[0], -p[1])):
            if a > best:
                front.append((e, a, r))
                best = a
        ax.plot([p[0] for p in front], [p[1] for p in front], "o-", color="tab:red", label="Pareto front")
        for e, a, r in front:
            ax.annotate(", ".join(label(r[c]) for c in axes), (e, a), fontsize=6, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("energy per image [nJ]")
        ax.set_ylabel("ACiM accuracy (mean)")
        ax.set_title("accuracy vs energy/image")
        ax.legend(fontsize=7)
        save(fig, out, "pareto_energy.png", made)
    else:
        print("acim plot: no energy per image in summary.csv (run.path = core?); Pareto plot skipped")

    dies = sorted({r["die"] for r in res if r["status"] == "ok"}, key=float)
    if len(dies) > 1:
        per_point = {}
        for r in res:
            if r["status"] == "ok" and num(r["accuracy_acim"]) is not None:
                per_point.setdefault(r["point"], []).append(num(r["accuracy_acim"]))
        keys = sorted(per_point, key=int)
        fig, ax = plt.subplots(figsize=(max(5, 0.6 * len(keys) + 2), 4.2))
        ax.boxplot([per_point[k] for k in keys], showmeans=True)
        first = {r["point"]: r for r in res}
        ax.set_xticks(range(1, len(keys) + 1),
                      [", ".join(label(first[k][c]) for c in axes) or f"point {k}" for k in keys], rotation=20, ha="right",
                      fontsize=7)
        ax.set_ylabel("ACiM accuracy")
        ax.set_title(f"Monte-Carlo over {len(dies)} dies (each box: every die and seed of a point)")
        save(fig, out, "dies_distribution.png", made)
    else:
        print("acim plot: the sweep has a single die; die distribution skipped")
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="run directory (report.json) or sweep directory (plan.json, summary.csv)")
    ap.add_argument("--out", help="where the PNGs go (default: DIR/plots)")
    a = ap.parse_args()
    out = a.out or os.path.join(a.dir, "plots")
    if os.path.exists(os.path.join(a.dir, "plan.json")):
        if not os.path.exists(os.path.join(a.dir, "summary.csv")):
            sys.exit(f"acim plot: {a.dir} has no summary.csv yet (acim sweep --collect {a.dir})")
        os.makedirs(out, exist_ok=True)
        made = plot_sweep(a.dir, out)
    elif os.path.exists(os.path.join(a.dir, "report.json")):
        os.makedirs(out, exist_ok=True)
        made = plot_run(a.dir, out)
    else:
        sys.exit(f"acim plot: {a.dir} holds neither report.json (a run) nor plan.json (a sweep)")
    for p in made:
        print(f"acim plot: wrote {p}")


if __name__ == "__main__":
    main()
