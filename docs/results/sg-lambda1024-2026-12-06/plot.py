"""SG's dose at the 1024 codebook: hidden MSE and fidelity against λ, per seed, with the codebook's cost beside them.

    .venv/bin/python docs/results/sg-lambda1024-2026-12-06/plot.py   (after eval.sh here and in sg-codebook1024)

Four panels: the hidden MSE at the last block (test, 100 utterances) of each 1024 arm against λ (0 = no SG), and
that MSE over the tap's energy (scripts/hidden_energy.py: the part a mere rescaling of the features cannot cut); and
SG's paired effect against plain 1024 of the same seed on PESQ-WB, STOI and mel distance, test and dev, with 95 %
bootstrap CIs. The dotted line is what would win back the codebook's whole cost (16384 -> 1024 without SG, pooled
over seeds 3-5), the dashed one a third of it.
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
PAIR = HERE.parent / "sg-codebook1024-2026-12-06"
SEEDS = {"3": "tab:blue", "4": "tab:orange", "5": "tab:green"}
METRICS = {"pesq_wb": "PESQ-WB", "stoi": "STOI", "mel_distance": "mel distance (lower is better)"}


def records(path: Path) -> dict[str, dict]:
    return {r["metric"]: r for r in map(json.loads, path.read_text().splitlines())}


def weight(arm: str) -> int:
    """λ of a 1024 arm from its name: c1024 (no SG) 0, c1024-sgc 5 (the grid's), c1024-sgcN N."""
    return 0 if arm == "c1024" else int(arm.removeprefix("c1024-sgc") or 5)


def effects(split: str) -> dict[str, dict[tuple[str, int], tuple[float, list[float]]]]:
    """metric -> (seed, λ) -> (SG - plain 1024, its CI)."""
    out: dict = {m: {} for m in METRICS}
    for path in (PAIR / split / "sg_effect_1024.jsonl", HERE / split / "sg_effect_l10.jsonl",
                 HERE / split / "sg_effect_s3.jsonl"):
        for metric, row in records(path).items():
            if metric not in out:
                continue
            for rep in row["replicates"]:
                arm, seed = rep["other"].rsplit("-s", 1)
                out[metric][(seed, weight(arm))] = (rep["difference"], rep["difference_ci"])
    return out


def hidden_mse() -> dict[tuple[str, int], tuple[float, float]]:
    """(seed, λ) -> (hidden MSE, hidden MSE over the tap's energy: its scale-free part)."""
    out = {}
    for path in (PAIR / "test" / "hidden_energy.txt", HERE / "test" / "hidden_energy.txt"):
        for r in map(json.loads, path.read_text().splitlines()):
            arm, seed = Path(r["codec"]).parent.name.rsplit("-s", 1)
            out[(seed, weight(arm))] = (r["hidden_mse"], r["relative_hidden_mse"])
    return out


def main() -> None:
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    ax = axes[0][0]
    mse = hidden_mse()
    scale_free = ax.twinx()
    for seed, color in SEEDS.items():
        pts = sorted((lam, v) for (s, lam), v in mse.items() if s == seed)
        ax.plot([p[0] for p in pts], [p[1][0] for p in pts], "o-", color=color, label=f"seed {seed}")
        scale_free.plot([p[0] for p in pts], [p[1][1] for p in pts], "^--", color=color, alpha=0.6)
    ax.set_xlabel("λ (0: no SG)")
    ax.set_ylabel("hidden MSE, last block (test; solid)")
    scale_free.set_ylabel("hidden MSE / hidden energy (dashed)")
    ax.set_ylim(bottom=0)
    scale_free.set_ylim(bottom=0)
    ax.set_title("What SG optimises, and its scale-free part", fontsize=9)
    ax.legend(fontsize=8, loc="lower left")
    split_effects = {split: effects(split) for split in ("test", "dev")}
    for ax, (metric, title) in zip((axes[0][1], axes[1][0], axes[1][1]), METRICS.items()):
        for k, (split, marker) in enumerate((("test", "o"), ("dev", "s"))):
            cost = -records(PAIR / split / "codebook_cost.jsonl")[metric]["pooled"]
            ax.axhline(cost, color="gray", ls=":" if k == 0 else "-.", lw=1,
                       label=f"the codebook's whole cost ({split})")
            if k == 0:
                ax.axhline(cost / 3, color="gray", ls="--", lw=1, label="a third of it (test)")
            for j, (seed, color) in enumerate(SEEDS.items()):
                pts = sorted((lam, v) for (s, lam), v in split_effects[split][metric].items() if s == seed)
                xs = [lam + (j - 1) * 0.35 + (k - 0.5) * 1.2 for lam, _ in pts]
                ys = [v[0] for _, v in pts]
                errs = [[v[0] - v[1][0] for _, v in pts], [v[1][1] - v[0] for _, v in pts]]
                ax.errorbar(xs, ys, yerr=errs, fmt=marker, color=color, capsize=2, ms=4,
                            mfc=color if split == "test" else "white",
                            label=f"seed {seed}, {split}" if metric == "pesq_wb" else None)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks([5, 10, 20])
        ax.set_xlabel("λ")
        ax.set_title(f"SG − plain 1024: {title}", fontsize=9)
    axes[0][1].legend(fontsize=7, ncol=2)
    fig.suptitle("SG's weight at the 1024 codebook: the hidden MSE follows λ; does fidelity?\n"
                 "(paired effects with 95 % bootstrap CIs; filled: test, 100 utterances; open: dev, 80)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    fig.savefig(HERE / "lambda1024.png", dpi=110)


if __name__ == "__main__":
    main()
