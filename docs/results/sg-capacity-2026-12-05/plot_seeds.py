"""SG's PESQ-WB effect at 12 decoder blocks, per seed and pooled, beside what the seed alone does to one arm
(docs/results/sg-capacity-2026-12-05/seeds_pesq_wb.png). Drawn from the committed seed_pooled.py records of
eval-replicate.sh (test/ and dev/: seeds_*.jsonl, seed_to_seed.jsonl); nothing is computed anew.

    .venv/bin/python docs/results/sg-capacity-2026-12-05/plot_seeds.py
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
EFFECTS = [("seeds_decoder_only_vs_plain", "decoder-only SG − no SG"), ("seeds_full_vs_plain", "full SG − no SG"),
           ("seeds_decoder_only_vs_full", "decoder-only − full SG")]
SEED_ARMS = ["no SG", "full SG", "decoder-only SG"]  # seed_to_seed.jsonl's replicates, in order


def record(split: str, name: str, metric: str = "pesq_wb") -> dict:
    for line in (HERE / split / f"{name}.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["metric"] == metric:
            return row
    raise KeyError(f"{split}/{name}.jsonl has no {metric} row")


def main() -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, split in zip(axes, ("test", "dev")):
        rows = []  # (label, value, ci, colour)
        for name, label in EFFECTS:
            r = record(split, name)
            for seed, rep in zip((1, 2), r["replicates"]):
                rows.append((f"{label}, seed {seed}", rep["difference"], rep["difference_ci"], "tab:blue"))
            rows.append((f"{label}, pooled", r["pooled"], r["pooled_ci"], "black"))
        s = record(split, "seed_to_seed")
        for arm, rep in zip(SEED_ARMS, s["replicates"]):
            rows.append((f"{arm}: seed 2 − seed 1", rep["difference"], rep["difference_ci"], "tab:red"))
        for y, (label, value, (lo, hi), colour) in enumerate(reversed(rows)):
            ax.errorbar(value, y, xerr=[[value - lo], [hi - value]], fmt="o", color=colour, capsize=3)
        ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)], fontsize=8)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_xlabel("PESQ-WB difference (95% CI, utterances resampled)")
        ax.set_title(f"{split} ({s['utterances']} utterances), 12-block decoder, 16384")
    fig.suptitle("SG's effect per seed (blue), pooled (black), and the seed's own effect on one arm (red)", fontsize=10)
    fig.tight_layout()
    fig.savefig(HERE / "seeds_pesq_wb.png", dpi=120)


if __name__ == "__main__":
    main()
