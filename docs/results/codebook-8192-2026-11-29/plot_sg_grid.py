"""The SG grid at a glance (sixteenth session): per pair (size x seed), SG's hidden-MSE ratio and its PESQ-WB
difference with their 95% CIs, the seed-pooled PESQ-WB mean per size, and each arm's move between seeds.

    .venv/bin/python docs/results/codebook-8192-2026-11-29/plot_sg_grid.py   # writes sg_grid.png beside itself
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

here = Path(__file__).resolve().parent
claims = json.loads((here / "claims-sg-seeds" / "claims.json").read_text())
pooled = {size: [json.loads(line) for line in open(here / f"seed_pooled-sg{size}.jsonl")][0] for size in (16384, 8192)}
seeds = [json.loads(line) for line in open(here / "seed_pooled-seed.jsonl")][0]

fig, (left, middle, right) = plt.subplots(1, 3, figsize=(14, 3.6), sharey=False)
labels = list(claims["hidden_mse"])
for y, label in enumerate(labels):
    row = claims["hidden_mse"][label]
    left.errorbar(row["ratio"], y, xerr=[[row["ratio"] - row["ratio_ci"][0]], [row["ratio_ci"][1] - row["ratio"]]],
                  fmt="o", color="C0", capsize=3)
left.axvline(1.0, color="k", lw=0.8)
left.set(yticks=range(len(labels)), yticklabels=[lab.split(" -> ")[1] for lab in labels], xlim=(0.5, 1.05),
         title="hidden MSE, SG / no SG (claim 2)", xlabel="ratio of means [95% CI]")
rows = [(r["other"], r["difference"], r["difference_ci"], "C1") for size in (16384, 8192)
        for r in pooled[size]["replicates"]]
rows += [(f"mean of 2 seeds, {size}", pooled[size]["pooled"], pooled[size]["pooled_ci"], "C3") for size in (16384, 8192)]
for y, (name, diff, ci, color) in enumerate(rows):
    middle.errorbar(diff, y, xerr=[[diff - ci[0]], [ci[1] - diff]], fmt="o", color=color, capsize=3)
middle.axvline(0.0, color="k", lw=0.8)
middle.set(yticks=range(len(rows)), yticklabels=[r[0] for r in rows], title="PESQ-WB, SG - no SG",
           xlabel="paired difference [95% CI over utterances]")
for y, r in enumerate(seeds["replicates"]):
    d, ci = r["difference"], r["difference_ci"]
    right.errorbar(d, y, xerr=[[d - ci[0]], [ci[1] - d]], fmt="o", color="C2", capsize=3)
right.axvline(0.0, color="k", lw=0.8)
right.set(yticks=range(len(seeds["replicates"])), yticklabels=[r["base"] for r in seeds["replicates"]],
          title="PESQ-WB of one arm, seed 1 - seed 0", xlabel="paired difference [95% CI]")
for ax in (left, middle, right):
    ax.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(here / "sg_grid.png", dpi=110)
print(here / "sg_grid.png")
