"""Per-seed effects on three judging sets: are they the codecs' or the utterances'?

    .venv/bin/python docs/results/sg-wordnet-judge-2026-12-06/plot.py   (after eval.sh)

Four panels (rows: SG against the mean of its plain and null twins; the null arm against its plain twin; columns:
PESQ-WB, mel distance), seeds 3-9 on the x-axis, each seed's paired difference with its utterance-bootstrap 95 % CI
on the fortunes test set (100), its dev set (80) and the WordNet set (500); at the right, each set's mean over the
seeds with its t interval. The titles carry the correlation of the per-seed differences between the sets.
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
NULLS = HERE.parent / "sg-null-2026-12-06"
SETS = {"test": ("tab:blue", "o"), "dev": ("tab:orange", "s"), "wordnet": ("tab:green", "D")}
FILES = {"sg_vs_two_baselines": {"test": NULLS / "test" / "sg_vs_two_baselines", "dev": NULLS / "dev" / "sg_vs_two_baselines",
                                 "wordnet": HERE / "sg_vs_two_baselines"},
         "null_vs_plain": {"test": NULLS / "test" / "null_vs_plain", "dev": NULLS / "dev" / "null_vs_plain",
                           "wordnet": HERE / "null_vs_plain"}}
TITLES = {"sg_vs_two_baselines": "SG − mean of plain and null twins", "null_vs_plain": "null − plain twin"}
METRICS = {"pesq_wb": "PESQ-WB", "mel_distance": "mel distance (lower is better)"}


def records(path: Path) -> dict[str, dict]:
    return {r["metric"]: r for r in map(json.loads, path.read_text().splitlines())}


def across(effect: str, split: str) -> Path:
    if effect == "null_vs_plain" and split != "wordnet":
        return NULLS / split / "null_across_seeds.jsonl"
    return FILES[effect][split].with_name(FILES[effect][split].name + "_across.jsonl")


def main() -> None:
    consistency = json.loads((HERE / "consistency.json").read_text())
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for row, effect in zip(axes, FILES):
        for ax, (metric, label) in zip(row, METRICS.items()):
            for k, (split, (color, marker)) in enumerate(SETS.items()):
                reps = records(FILES[effect][split].with_suffix(".jsonl"))[metric]["replicates"]
                for rep in reps:
                    x = int(rep["other"].rsplit("-s", 1)[1]) + (k - 1) * 0.2
                    low, high = rep["difference_ci"]
                    d = rep["difference"]
                    ax.errorbar([x], [d], yerr=[[d - low], [high - d]], fmt=marker, color=color, capsize=2, ms=4,
                                label=split if rep is reps[0] else None)
                summary = records(across(effect, split))[metric]
                low, high = summary["mean_t_ci"]
                ax.errorbar([10.2 + k * 0.25], [summary["mean"]], yerr=[[summary["mean"] - low], [high - summary["mean"]]],
                            fmt=marker, color=color, capsize=3, ms=6)
            ax.axhline(0, color="black", lw=0.8)
            ax.axvline(9.7, color="gray", lw=0.5, ls=":")
            ax.set_xticks([3, 4, 5, 6, 7, 8, 9, 10.45], ["3", "4", "5", "6", "7", "8", "9", "mean\n(t, seeds)"])
            r = consistency[effect][metric]["correlations"]
            ax.set_title(f"{TITLES[effect]}: {label}\nr between seeds' effects: test~dev {r['test~dev']['r']:+.2f}, "
                         f"test~wordnet {r['wordnet~test']['r']:+.2f}, dev~wordnet {r['wordnet~dev']['r']:+.2f}",
                         fontsize=9)
            ax.set_xlabel("seed")
    axes[0][0].legend(fontsize=8, title="judging set", title_fontsize=8)
    fig.suptitle("6-block start, fresh 16384 quantizer, 2000 mel-only steps; 95 % CIs: utterance bootstrap per seed, "
                 "t over seeds for the means", fontsize=9)
    fig.tight_layout()
    fig.savefig(HERE / "judging_sets.png", dpi=110)


if __name__ == "__main__":
    main()
