"""SG with the codec's own trained quantizer beside SG at the nine 6-block seeds with fresh quantizers.

    .venv/bin/python docs/results/sg-own-quantizer-2026-12-06/plot.py   (after eval.sh and eval-null.sh)

Four panels: SG's paired effect on PESQ-WB and on mel distance, per seed with 95 % bootstrap CIs (test filled, dev
open), against its plain twin and against the mean of its plain and null twins (eval-null.sh), beside the nine fresh-quantizer seeds' effects on test (grey, points only:
docs/results/sg-seed3-2026-12-05); the resynthesis WER over the ground truth (test + dev, 180 utterances) of the start
and of each arm; and the hidden MSE at the last block on the training's dev utterances against the step.
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
FRESH = HERE.parent / "sg-seed3-2026-12-05" / "test" / "sg_effect_6_all_seeds.jsonl"
SEEDS = {"3": "tab:blue", "4": "tab:orange"}
METRICS = {"pesq_wb": "PESQ-WB", "mel_distance": "mel distance (lower is better)"}


def records(path: Path) -> dict[str, dict]:
    return {r["metric"]: r for r in map(json.loads, path.read_text().splitlines())}


def effect_panel(ax, metric: str, title: str) -> None:
    fresh = records(FRESH)[metric]["differences"]
    ax.plot([0] * len(fresh), fresh, "o", color="gray", alpha=0.6, label="fresh quantizer, seeds 1–9 (test)")
    for k, (split, marker) in enumerate((("test", "o"), ("dev", "s"))):
        for group, name in enumerate(("sg_effect", "sg_vs_twins")):
            for rep in records(HERE / split / f"{name}.jsonl")[metric]["replicates"]:
                seed = rep["other"].rsplit("-s", 1)[1]
                x = 1 + group + (int(seed) - 3) * 0.3 + k * 0.12
                low, high = rep["difference_ci"]
                ax.errorbar([x], [rep["difference"]], yerr=[[rep["difference"] - low], [high - rep["difference"]]],
                            fmt=marker, color=SEEDS[seed], capsize=2, ms=5, mfc=SEEDS[seed] if split == "test" else "white",
                            label=f"seed {seed}, {split}" if group == 0 else None)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks([0, 1.2, 2.2], ["fresh quantizer:\nSG − plain\n(nine seeds)", "own quantizer:\nSG − plain twin",
                                  "own quantizer:\nSG − mean of plain\nand null twins"], fontsize=8)
    ax.set_xlim(-0.6, 3)
    ax.set_title(f"SG's effect: {title}", fontsize=9)


def main() -> None:
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    for ax, (metric, title) in zip(axes[0], METRICS.items()):
        effect_panel(ax, metric, title)
    axes[0][0].legend(fontsize=7)

    ax = axes[1][0]
    rows = [json.loads(line) for line in (HERE / "test" / "over_ground_truth.txt").read_text().splitlines()]
    for i, r in enumerate(rows):
        low, high = r["difference_ci"]
        seed = r["other"].rsplit("-s", 1)[1] if "-s" in r["other"] else None
        ax.errorbar([i], [r["difference"]], yerr=[[r["difference"] - low], [high - r["difference"]]], fmt="o",
                    capsize=3, color=SEEDS.get(seed, "black"))
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(rows)), [r["other"] for r in rows], fontsize=8)
    ax.set_ylabel("WER − ground truth's (test + dev, 180 utterances)")
    ax.set_title(f"Resynthesis WER over the ground truth's {rows[0]['wer_base']:.3f}", fontsize=9)

    ax = axes[1][1]
    for arm_dir in sorted((HERE / "runs").glob("*-eval")):
        arm = arm_dir.name.removesuffix("-eval")
        steps = sorted(arm_dir.glob("step_*.json"))
        xs = [int(p.stem.removeprefix("step_")) for p in steps]
        ys = [json.loads(p.read_text())["eval/hidden_mse"] for p in steps]
        seed = arm.rsplit("-s", 1)[1]
        style = "o:" if "sgc0" in arm else "o-" if "sgc" in arm else "o--"
        ax.plot(xs, ys, style, color=SEEDS[seed], label=arm)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("step")
    ax.set_ylabel("hidden MSE, last block (training's dev utterances)")
    ax.set_title("What SG optimises, during training (solid: SG; dashed: plain; dotted: null)", fontsize=9)
    ax.legend(fontsize=8)
    fig.suptitle("SG with the 6-block start's own trained 16384 quantizer, 2000 whole-codec steps\n"
                 "(paired effects with 95 % bootstrap CIs; test 100 utterances, dev 80)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    fig.savefig(HERE / "own_quantizer.png", dpi=110)


if __name__ == "__main__":
    main()
