"""SG's effect with the 6-block decoder at every seed, and their mean with the between-seed t interval, beside the
12-block decoder's two seeds, and the null control's drift (a twin perturbed by SG at weight 1e-4, seeds 5 and 6) as
the yardstick (docs/results/sg-seed3-2026-12-05/sg_effect_by_seed.png). Drawn from committed records only: eval.sh's
sg_effect_6_all_seeds.jsonl (test/, dev/), sg-capacity's seeds_full_vs_plain.jsonl and sg-ramp's null_vs_plain.jsonl.

    .venv/bin/python docs/results/sg-seed3-2026-12-05/plot.py [NULL_DIR]

NULL_DIR: the folder whose {test,dev}/null_vs_plain.jsonl holds the null seeds (default sg-ramp-2026-12-06's, seeds
5 and 6; sg-drift-2026-12-06's holds seeds 5-7, sg-null-2026-12-06's seeds 3-9). Where NULL_DIR also holds
sg_vs_two_baselines.jsonl and its _across.jsonl (sg-null's eval.sh), SG measured against both of its no-SG twins
averaged is drawn too, per seed and across seeds.
"""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

HERE = Path(__file__).resolve().parent
CAPACITY = HERE.parent / "sg-capacity-2026-12-05"
NULL = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "sg-ramp-2026-12-06"
METRICS = [("pesq_wb", "PESQ-WB"), ("mel_distance", "mel distance")]


def record(path: Path, metric: str) -> dict:
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if row["metric"] == metric:
            return row
    raise KeyError(f"{path} has no {metric} row")


def replicate_cis(split: str, metric: str) -> list[tuple[float, list[float]]]:
    """Each 6-block seed's (difference, utterance CI), in seed order: seeds 1-2, then this folder's."""
    reps = record(CAPACITY / split / "sg_effect_6_seeds.jsonl", metric)["replicates"]
    reps += record(HERE / split / "sg_effect_new_seeds.jsonl", metric)["replicates"]
    return [(r["difference"], r["difference_ci"]) for r in reps]


def main() -> None:
    fig, axes = plt.subplots(len(METRICS), 2, figsize=(12, 12))
    for row_axes, (metric, label) in zip(axes, METRICS):
        for ax, split in zip(row_axes, ("test", "dev")):
            rows = []  # (label, value, ci, colour)
            for seed, (value, ci) in enumerate(replicate_cis(split, metric), start=1):
                rows.append((f"6 blocks, seed {seed}" + (" (rebuilt start)" if seed > 2 else ""), value, ci, "tab:blue"))
            across = record(HERE / split / "sg_effect_6_all_seeds.jsonl", metric)
            n = len(across["differences"])
            rows.append((f"6 blocks, mean of {n} seeds (t, between seeds)", across["mean"], across["mean_t_ci"],
                         "black"))
            deep = record(CAPACITY / split / "seeds_full_vs_plain.jsonl", metric)
            for seed, rep in enumerate(deep["replicates"], start=1):
                rows.append((f"12 blocks, seed {seed}", rep["difference"], rep["difference_ci"], "tab:green"))
            rows.append(("12 blocks, 2 seeds pooled (utterances only)", deep["pooled"], deep["pooled_ci"], "grey"))
            for rep in record(NULL / split / "null_vs_plain.jsonl", metric)["replicates"]:
                seed = rep["base"].rsplit("-s", 1)[1]
                rows.append((f"null − plain (SG weight 1e-4), seed {seed}", rep["difference"], rep["difference_ci"],
                             "tab:orange"))
            if (NULL / split / "sg_vs_two_baselines.jsonl").exists():
                for rep in record(NULL / split / "sg_vs_two_baselines.jsonl", metric)["replicates"]:
                    seed = rep["other"].rsplit("-s", 1)[1]
                    rows.append((f"SG − mean of plain and null, seed {seed}", rep["difference"], rep["difference_ci"],
                                 "tab:purple"))
                both = record(NULL / split / "sg_vs_two_baselines_across.jsonl", metric)
                rows.append((f"SG − mean of plain and null, mean of {len(both['differences'])} seeds (t)",
                             both["mean"], both["mean_t_ci"], "indigo"))
            for y, (name, value, (lo, hi), colour) in enumerate(reversed(rows)):
                ax.errorbar(value, y, xerr=[[value - lo], [hi - value]], fmt="o", color=colour, capsize=3)
            ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)], fontsize=8)
            ax.axvline(0, color="grey", lw=0.8)
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.set_xlabel(f"{label}: SG − no SG (95% CI)")
            ax.set_title(f"{split} ({across_utterances(split)} utterances)\n6 blocks: {across['seeds_above_zero']} of "
                         f"{n} seeds above 0, sign test p {across['sign_test_p']:.2g}", fontsize=9)
    fig.suptitle("SG's effect per seed (utterances resampled) and across seeds (t interval), 16384 fine-tunes",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(HERE / "sg_effect_by_seed.png", dpi=120)


def across_utterances(split: str) -> int:
    return record(HERE / split / "sg_effect_new_seeds.jsonl", "pesq_wb")["utterances"]


if __name__ == "__main__":
    main()
