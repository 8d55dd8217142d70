"""SG tapped at the last block against SG tapped at every block, each against both no-SG twins, per seed and set.

    .venv/bin/python docs/results/sg-tap-2026-12-06/plot.py   (after eval.sh)

Two panels (PESQ-WB; mel distance, lower is better). Along x the three judging sets (fortunes test 100, dev 80,
WordNet 500), within each the seeds 3, 4, 5: each seed's paired difference from the mean of its plain and null twins
with its utterance-bootstrap 95 % CI, last-block SG (the arms of "Seven nulls") and all-blocks SG (this study).
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent
LAST = {"test": RESULTS / "sg-null-2026-12-06/test/sg_vs_two_baselines.jsonl",
        "dev": RESULTS / "sg-null-2026-12-06/dev/sg_vs_two_baselines.jsonl",
        "wordnet": RESULTS / "sg-wordnet-judge-2026-12-06/sg_vs_two_baselines.jsonl"}
ARMS = {"last block (λ 5)": ("tab:gray", "o", LAST),
        "every block (λ 5)": ("tab:red", "D", {s: HERE / s / "all_vs_two_baselines.jsonl" for s in LAST})}
METRICS = {"pesq_wb": "PESQ-WB", "mel_distance": "mel distance (lower is better)"}
SEEDS = ["3", "4", "5"]


def replicates(path: Path, metric: str) -> dict[str, dict]:
    row = next(r for r in map(json.loads, path.read_text().splitlines()) if r["metric"] == metric)
    return {rep["other"].rsplit("-s", 1)[1]: rep for rep in row["replicates"]}


def main() -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, (metric, label) in zip(axes, METRICS.items()):
        for k, (arm, (color, marker, files)) in enumerate(ARMS.items()):
            for j, split in enumerate(files):
                reps = replicates(files[split], metric)
                for i, seed in enumerate(SEEDS):
                    d, (low, high) = reps[seed]["difference"], reps[seed]["difference_ci"]
                    x = j * 4 + i + (k - 0.5) * 0.3
                    ax.errorbar([x], [d], yerr=[[d - low], [high - d]], fmt=marker, color=color, capsize=2, ms=5,
                                label=arm if (j, i) == (0, 0) else None)
        ax.axhline(0, color="black", lw=0.8)
        ticks = [j * 4 + i for j in range(3) for i in range(3)]
        ax.set_xticks(ticks, [f"{s}\n{split}" if i == 1 else s for split in LAST for i, s in enumerate(SEEDS)])
        for j in (1, 2):
            ax.axvline(j * 4 - 1, color="gray", lw=0.5, ls=":")
        ax.set_xlabel("seed, judging set")
        ax.set_title(f"SG − mean of plain and null twins: {label}")
        ax.legend(fontsize=8, title="SG tap", title_fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "tap.png", dpi=110)


if __name__ == "__main__":
    main()
