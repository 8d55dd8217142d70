"""The FSQ-grid probe over its two seeds (run from the project root after both eval.sh runs).

WER: each seed's paired error difference per utterance (same 100 utterances), averaged over the seeds, utterances
resampled together (as scripts/seed_pooled.py; seed 1's per-utterance WER is in its results.json). PESQ/STOI: seed
1's per-utterance scores were not kept, so the seeds' paired differences are averaged and so are their CI bounds:
the CI of a mean of two perfectly correlated estimates, wider than the truth when the seeds' errors are less
correlated than that (conservative).
"""
import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from pipelines.claims import paired_ci  # noqa: E402

D = Path(__file__).resolve().parent
SEEDS = {1: D / "test", 2: D / "seed2"}
PAIRS = [("g16384-4x7", "g16384-8x8x4x4x4x4"), ("g16384-4x7", "g8192"), ("g16384-8x8x4x4x4x4", "g8192")]


def word_errors(folder: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    rows = json.loads((folder / "results.json").read_text())["codecs"][name]["wer"]["per_utterance"]
    return np.array([r["errors"] for r in rows], float), np.array([r["n_words"] for r in rows], float)


def paired_rows(folder: Path) -> dict:
    """{(base, other): {metric: (point, low, high)}} from a paired.md table."""
    out = {}
    for line in (folder / "paired.md").read_text().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        other, base = cells[0].split(" - ")
        nums = [[float(x) for x in re.findall(r"[-+]?\d*\.\d+", c)] for c in cells[1:]]
        out[(base, other)] = dict(zip(("pesq_wb", "pesq_nb", "stoi"), nums))
    return out


tables = {seed: paired_rows(folder) for seed, folder in SEEDS.items()}
for base, other in PAIRS:
    row = {"base": base, "other": other}
    for metric in ("pesq_wb", "pesq_nb", "stoi"):
        per_seed = [tables[seed][(base, other)][metric] for seed in SEEDS]
        row[metric] = {"per_seed": [v[0] for v in per_seed],
                       "mean_ci_conservative": [round(float(np.mean([v[i] for v in per_seed])), 4) for i in range(3)]}
    diffs = []
    for folder in SEEDS.values():
        (ea, words), (eb, _) = word_errors(folder, base), word_errors(folder, other)
        diffs.append(eb - ea)
    d = np.mean(diffs, axis=0)
    low, high = paired_ci(lambda idx: d[idx].sum(1) / words[idx].sum(1), len(words))
    row["wer"] = {"per_seed": [round(float(x.sum() / words.sum()), 4) for x in diffs],
                  "pooled": [round(float(d.sum() / words.sum()), 4), round(low, 4), round(high, 4)]}
    print(json.dumps(row))
