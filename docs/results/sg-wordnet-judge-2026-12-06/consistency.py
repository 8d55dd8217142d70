"""Are the per-seed effects properties of the trained codecs, or of the utterances they were judged on?

    python docs/results/sg-wordnet-judge-2026-12-06/consistency.py --wordnet DIR --test DIR --dev DIR > out.json

Each DIR holds across_seeds.py outputs for the same seeds (3-9): `sg_vs_two_baselines_across.jsonl` (SG against the
mean of its plain and null twins) and the null's drift from its plain twin (`null_vs_plain_across.jsonl` here,
`null_across_seeds.jsonl` in sg-null-2026-12-06's test/ and dev/). Per effect and metric: the per-seed differences
on each set, each set's mean, and the Pearson correlation of the per-seed differences between every two sets with
an exact permutation p-value (all 7! orderings of one set's seeds; one-sided, r at least as large). A seed's effect
that comes back on unrelated utterances belongs to the codec pair; one that does not is the judge set's noise.
"""
from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

FILES = {"sg_vs_two_baselines": ["sg_vs_two_baselines_across.jsonl"],
         "null_vs_plain": ["null_vs_plain_across.jsonl", "null_across_seeds.jsonl"]}


def load(folder: Path, names: list[str]) -> dict[str, dict]:
    path = next(folder / n for n in names if (folder / n).exists())
    return {row["metric"]: row for row in map(json.loads, path.read_text().splitlines())}


def seed_of(pair: str) -> str:
    return pair.rsplit("-s", 1)[1]  # "same-s3+same-sgc0-s3:same-sgc-s3" -> "3"


def permutation_p(x: np.ndarray, y: np.ndarray) -> float:
    r = np.corrcoef(x, y)[0, 1]
    perms = [np.corrcoef(x, y[list(p)])[0, 1] for p in itertools.permutations(range(len(y)))]
    return float(np.mean(np.array(perms) >= r - 1e-12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("wordnet", "test", "dev"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    args = parser.parse_args()
    sets = {"wordnet": args.wordnet, "test": args.test, "dev": args.dev}
    out = {}
    for effect, names in FILES.items():
        rows = {s: load(folder, names) for s, folder in sets.items()}
        for metric in rows["wordnet"]:
            seeds = {s: [seed_of(p) for p in rows[s][metric]["seeds"]] for s in sets}
            if len({tuple(v) for v in seeds.values()}) != 1:
                raise ValueError(f"{effect}/{metric}: the sets hold different seeds: {seeds}")
            diffs = {s: np.array(rows[s][metric]["differences"]) for s in sets}
            out.setdefault(effect, {})[metric] = {
                "seeds": seeds["wordnet"],
                "differences": {s: [round(float(v), 5) for v in d] for s, d in diffs.items()},
                "means": {s: round(float(d.mean()), 5) for s, d in diffs.items()},
                "correlations": {f"{a}~{b}": {"r": round(float(np.corrcoef(diffs[a], diffs[b])[0, 1]), 3),
                                              "p_one_sided": round(permutation_p(diffs[a], diffs[b]), 4)}
                                 for a, b in itertools.combinations(sets, 2)}}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
