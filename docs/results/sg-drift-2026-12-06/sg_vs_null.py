"""SG's effect per seed against the null control's per seed: is SG's effect more than two runs' drift?

    python docs/results/sg-drift-2026-12-06/sg_vs_null.py SG_ACROSS_SEEDS.jsonl NULL_VS_PLAIN.jsonl > out.jsonl

SG_ACROSS_SEEDS.jsonl is docs/results/sg-seed3-2026-12-05/across_seeds.py's output (per metric, each seed's paired
difference SG - plain); NULL_VS_PLAIN.jsonl is scripts/seed_pooled.py's output for the null pairs (plain : the twin
perturbed by SG at weight 1e-4, per seed). The null's differences are what one run differs from its near-identical
twin by chance (same seed, same batches); an SG effect is shown only where it stands apart from them. Per metric:
both sets of differences, their means and standard deviations, the difference of the means (SG's effect net of the
null's) with a Welch t interval (it pools nothing: each set keeps its own variance; with two or three null seeds the
interval is wide, which is the honest state of it; one far seed widens it too), the exact two-sided Mann-Whitney
probability of the two sets' ordering (ranks only, so one far seed counts as one seed; with 8 SG and 3 null seeds
its smallest possible value is 2/165 = 0.012, with 8 and 6 it is 2/3003), how many SG seeds lie outside the null's
range, below or above it, and the design's reach: the smallest true difference of means these seed counts and
spreads would find at 80 % power (two-sided 5 %, Welch's standard error and degrees of freedom), so a null result
can be read as "smaller than this" rather than "absent".
"""
from __future__ import annotations

import json
import sys

import numpy as np
from scipy import stats


def rows(path: str) -> dict[str, dict]:
    with open(path) as f:
        return {row["metric"]: row for row in map(json.loads, f)}


def welch(a: np.ndarray, b: np.ndarray) -> tuple[float, list[float], float]:
    """mean(a) - mean(b), its 95% Welch t interval, and the difference found at 80% power (two-sided 5%)."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    se = float(np.sqrt(va + vb))
    diff, half = float(a.mean() - b.mean()), float(stats.t.ppf(0.975, df) * se)
    return diff, [diff - half, diff + half], float((stats.t.ppf(0.975, df) + stats.t.ppf(0.8, df)) * se)


def main(sg_path: str, null_path: str) -> None:
    sg_rows, null_rows = rows(sg_path), rows(null_path)
    for metric, sg_row in sg_rows.items():
        if metric not in null_rows:
            continue
        sg = np.asarray(sg_row["differences"], float)
        null_reps = null_rows[metric]["replicates"]
        null = np.asarray([r["difference"] for r in null_reps], float)
        if len(sg) < 2 or len(null) < 2:
            raise ValueError(f"{metric}: need two seeds of each (SG {len(sg)}, null {len(null)})")
        net, net_ci, reach = welch(sg, null)
        print(json.dumps({
            "metric": metric, "sg_seeds": sg_row["seeds"], "sg_differences": sg.tolist(),
            "null_seeds": [f'{r["base"]}:{r["other"]}' for r in null_reps], "null_differences": null.tolist(),
            "sg_mean": float(sg.mean()), "sg_sd": float(sg.std(ddof=1)),
            "null_mean": float(null.mean()), "null_sd": float(null.std(ddof=1)),
            "sg_minus_null": net, "sg_minus_null_welch_ci": net_ci, "detectable_at_80pct_power": reach,
            "mann_whitney_p": float(stats.mannwhitneyu(sg, null, method="exact").pvalue),
            "sg_seeds_below_null_range": int((sg < null.min()).sum()),
            "sg_seeds_above_null_range": int((sg > null.max()).sum())}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
