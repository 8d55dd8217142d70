"""What the 1024 codebook costs and what SG wins back, per seed and split: one PNG beside eval.sh's records.

    .venv/bin/python docs/results/sg-codebook1024-2026-12-06/plot.py   (after eval.sh)

Per metric (PESQ-WB, STOI, mel distance) and split, three bars per seed with their 95 % bootstrap CIs and the pooled
pair of seeds: the cost of the 16x smaller codebook without SG (plain 1024 - plain 16384), SG's effect at 1024 (SG -
plain) and SG's effect at 16384 against both of its no-SG twins. Were SG the paper's remedy, the middle bar would
point against the first.
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
RECORDS = {"16384 → 1024, no SG": ("codebook_cost.jsonl", "tab:gray"),
           "SG at 1024": ("sg_effect_1024.jsonl", "tab:red"),
           "SG at 16384 (vs both twins)": ("sg_effect_16384.jsonl", "tab:purple")}
METRICS = {"pesq_wb": "PESQ-WB", "stoi": "STOI", "mel_distance": "mel distance (lower is better)"}


def rows(split: str, name: str) -> dict[str, dict]:
    return {r["metric"]: r for r in map(json.loads, (HERE / split / name).read_text().splitlines())}


def main() -> None:
    splits = ["test", "dev"]
    fig, axes = plt.subplots(len(METRICS), len(splits), figsize=(11, 9), squeeze=False)
    for col, split in enumerate(splits):
        records = {label: rows(split, name) for label, (name, _) in RECORDS.items()}
        for row, (metric, title) in enumerate(METRICS.items()):
            ax = axes[row][col]
            for k, (label, (_, color)) in enumerate(RECORDS.items()):
                r = records[label][metric]
                groups = [(rep["difference"], rep["difference_ci"]) for rep in r["replicates"]]
                groups.append((r["pooled"], r["pooled_ci"]))
                xs = [g * 4 + k for g in range(len(groups))]
                values = [v for v, _ in groups]
                errs = [[v - ci[0] for v, ci in groups], [ci[1] - v for v, ci in groups]]
                ax.bar(xs, values, yerr=errs, color=color, capsize=3, label=label if row == 0 and col == 0 else None)
            seeds = [rep["other"].rsplit("-s", 1)[1] for rep in records["SG at 1024"][metric]["replicates"]]
            ax.set_xticks([g * 4 + 1 for g in range(len(seeds) + 1)], [f"seed {s}" for s in seeds] + ["pooled"])
            ax.axhline(0, color="black", lw=0.8)
            ax.set_title(f"{title}, {split} ({records['SG at 1024'][metric]['utterances']} utterances)", fontsize=9)
    fig.legend(loc="lower center", ncol=3, fontsize=9)
    fig.suptitle("The 1024 codebook's cost and SG's effect (paired differences, 95 % bootstrap CIs)", fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    fig.savefig(HERE / "codebook1024.png", dpi=110)


if __name__ == "__main__":
    main()
