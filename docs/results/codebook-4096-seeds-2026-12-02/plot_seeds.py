"""The 4096 comparisons of issue 6 seed by seed (eighteenth session): each paired PESQ-WB difference per seed with
its 95% CI, and the mean over the seeds (utterances resampled together), beside claim 3's −0.1 margin.

    .venv/bin/python docs/results/codebook-4096-seeds-2026-12-02/plot_seeds.py   # writes seeds.png beside itself
"""
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

here = Path(__file__).resolve().parent
labels = {("bq-16384", "bq-4096"): "4096 − 16384, no SG\n(the codebook's cost)",
          ("bq-16384", "bq-4096-sgc"): "4096 + SG − 16384\n(claim 3, one size down)",
          ("bq-4096", "bq-4096-sgc"): "4096 + SG − 4096\n(SG's effect)",
          ("bq-16384", "bq-16384-s1"): "16384 seed 1 − seed 0\n(the seed, for scale)"}


def seed_of(name: str) -> int:
    """bq-4096-sgc-s1 -> 1; a name without -s<N> ran at seed 0."""
    match = re.search(r"-s(\d+)$", name)
    return int(match.group(1)) if match else 0


rows = {}
# later files, with more seeds, replace a comparison's row
for name in ("seed_pooled-seeds.jsonl", "seed_pooled-sg4096.jsonl", "seed_pooled-three-seeds.jsonl"):
    if (here / name).exists():
        for line in (here / name).read_text().splitlines():
            row = json.loads(line)
            first = row["replicates"][0]
            if row["metric"] == "pesq_wb" and (first["base"], first["other"]) in labels:
                rows[(first["base"], first["other"])] = row

fig, ax = plt.subplots(figsize=(10, 0.4 + 1.1 * len(rows)))
seeds = set()
for y, (key, row) in enumerate(reversed([(k, rows[k]) for k in labels if k in rows])):
    reps = row["replicates"]
    for i, rep in enumerate(reps):
        d, (lo, hi) = rep["difference"], rep["difference_ci"]
        seed = seed_of(rep["other"])
        seeds.add(seed)
        ax.errorbar(d, y + 0.25 - 0.15 * i, xerr=[[d - lo], [hi - d]], fmt="o", color=f"C{seed}", capsize=3, ms=4)
    d, (lo, hi) = row["pooled"], row["pooled_ci"]
    if len(reps) > 1:
        ax.errorbar(d, y - 0.3, xerr=[[d - lo], [hi - d]], fmt="D", color="k", capsize=3, ms=6)
for seed in sorted(seeds):
    ax.plot([], [], "o", color=f"C{seed}", label=f"seed {seed} (the later system's)")
ax.plot([], [], "D", color="k", label="mean over the seeds")
ax.axvline(0, color="k", lw=0.8)
ax.axvline(-0.1, color="C3", ls="--", lw=0.8, label="claim 3's margin (−0.1)")
ax.set_yticks(range(len(rows)), [labels[k] for k in labels if k in rows][::-1], fontsize=8)
ax.set(xlabel="paired PESQ-WB difference, 100 test utterances [95% CI]",
       title="The 4096 arms against plain 16384 and each other, seed by seed")
ax.grid(alpha=0.3)
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
fig.tight_layout()
fig.savefig(here / "seeds.png", dpi=110)
print(here / "seeds.png")
