"""One effect at several seeds, from the per-seed paired differences alone: mean, spread between seeds, t interval.

    python docs/results/sg-seed3-2026-12-05/across_seeds.py EFFECTS.jsonl [EFFECTS.jsonl ...] > out.jsonl

Each input is scripts/seed_pooled.py's output (one JSON line per metric, each holding its "replicates": one per seed,
with the paired difference over utterances). Seeds 1 and 2 were judged on a machine whose per-utterance files are
gone, so they cannot be pooled utterance by utterance with seed 3 (what seed_pooled.py does); they can be combined
through their means, which is also the question a third seed asks: how far apart do seeds land? Per metric: each
seed's difference, their mean, the standard deviation between seeds and the 95% t interval of the mean (n - 1
degrees of freedom; it holds the seed-to-seed variance, which the utterance bootstrap does not, and it is wide with
three seeds), how many seeds' own utterance CIs lie wholly below or above zero, and a sign test: how many seeds'
differences are below and above zero, and the two-sided binomial probability of a split at least that uneven if
SG's effect were as likely to be either sign at each seed (it assumes nothing about the effect's size or spread,
so it can call a small, consistent effect where the t interval, widened by one seed far out, does not), and the
design's reach: the smallest true mean effect that a t test over this many seeds with this spread would find at
80 % power (two-sided 5 %), to set a null result against an effect of the paper's size.
"""
from __future__ import annotations

import json
import sys

import numpy as np
from scipy import stats


def main(paths: list[str]) -> None:
    by_metric: dict[str, list[dict]] = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                by_metric.setdefault(row["metric"], []).extend(row["replicates"])
    for metric, replicates in by_metric.items():
        d = np.array([r["difference"] for r in replicates])
        n = len(d)
        sd = float(d.std(ddof=1)) if n > 1 else float("nan")
        half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)) if n > 1 else float("nan")
        reach = half + float(stats.t.ppf(0.8, n - 1) * sd / np.sqrt(n)) if n > 1 else float("nan")
        print(json.dumps({
            "metric": metric, "seeds": [f'{r["base"]}:{r["other"]}' for r in replicates],
            "differences": d.tolist(), "mean": float(d.mean()), "sd_between_seeds": sd,
            "mean_t_ci": [float(d.mean()) - half, float(d.mean()) + half],
            "seeds_ci_below_zero": sum(r["difference_ci"][1] < 0 for r in replicates),
            "seeds_ci_above_zero": sum(r["difference_ci"][0] > 0 for r in replicates),
            "seeds_below_zero": int((d < 0).sum()), "seeds_above_zero": int((d > 0).sum()),
            "sign_test_p": sign_test(d), "detectable_at_80pct_power": reach}))


def sign_test(d: np.ndarray) -> float:
    """Two-sided sign-test probability of the differences' split about zero (exact zeros dropped)."""
    below, above = int((d < 0).sum()), int((d > 0).sum())
    return float(stats.binomtest(below, below + above, 0.5).pvalue) if below + above else float("nan")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
