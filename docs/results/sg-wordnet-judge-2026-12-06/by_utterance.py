"""Where a set's mean SG effect comes from: SG against both twins, averaged over seeds 3-9, utterance by utterance.

    python docs/results/sg-wordnet-judge-2026-12-06/by_utterance.py NAME=REPORT_DIR [...] [--metric pesq_wb] > out.json

Each REPORT_DIR is a `pipelines.evaluate compare` folder holding same-sN, same-sgc0-sN and same-sgc-sN for seeds 3-9.
Per set: the per-utterance effect d_u = mean over seeds of SG - (plain + null) / 2; its mean, median, 10 % trimmed
mean, the share of the sum carried by the 10 utterances of largest |d_u|, and the mean without them; and, per
utterance, whether the seeds agree (how many of seven have SG above its twins' mean there). A mean carried by a
few utterances on which every seed agrees is a property of those utterances (a set effect); one spread thinly
over many is the codecs'.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from scripts.seed_pooled import scores  # noqa: E402

SEEDS = range(3, 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="+", metavar="NAME=REPORT_DIR")
    parser.add_argument("--metric", default="pesq_wb")
    args = parser.parse_args()
    out = {}
    for item in args.sets:
        name, report = item.split("=", 1)
        per_seed = []
        for s in SEEDS:
            _, sg = scores(Path(report), f"same-sgc-s{s}", args.metric)
            _, twins = scores(Path(report), f"same-s{s}+same-sgc0-s{s}", args.metric)
            per_seed.append(sg - twins)
        d = np.stack(per_seed)  # [seeds, U]
        d = d[:, np.isfinite(d).all(0)]
        u = d.mean(0)
        top = np.argsort(-np.abs(u))[:10]
        rest = np.delete(u, top)
        out[name] = {"utterances": int(u.size), "mean": round(float(u.mean()), 4), "median": round(float(np.median(u)), 4),
                     "trimmed_mean_10pct": round(float(stats.trim_mean(u, 0.1)), 4),
                     "share_of_sum_top10": round(float(u[top].sum() / u.sum()), 2) if u.sum() else None,
                     "mean_without_top10": round(float(rest.mean()), 4),
                     "top10": [round(float(v), 3) for v in u[top]],
                     "top10_seeds_sg_above": [int((d[:, i] > 0).sum()) for i in top],
                     "utterances_all_seeds_above": int((d > 0).all(0).sum()),
                     "utterances_all_seeds_below": int((d < 0).all(0).sum())}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
