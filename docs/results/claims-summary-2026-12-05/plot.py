"""The paper's three codec claims against our largest grid, in one figure (docs/claims_summary.png).

Ours: the four-voice grid of docs/results/codebook-four-voices-long-2026-12-02 (every codec fine-tuned 3000 steps
from the bundled codec with a fresh FSQ quantizer of its size, without SG or with it, seeds 1 and 2, 100 test
utterances; its grid4/results.json and the seed-pooled paired bootstrap records beside it). The paper: the table
of issue 6 (XCodec2 on LibriSpeech). Nothing here is computed anew except ratios of committed means.

    .venv/bin/python docs/results/claims-summary-2026-12-05/plot.py
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

GRID = Path(__file__).resolve().parent.parent / "codebook-four-voices-long-2026-12-02"
OUT = Path(__file__).resolve().parents[2] / "claims_summary.png"
SIZES = [65536, 16384, 8192, 4096]
SEEDS = [1, 2]
# issue 6's table: QE mean, hidden MSE mean, PESQ-WB (None: not reported), keyed by (size, SG)
PAPER = {(65536, False): (0.858, 9.44, 2.28), (65536, True): (0.851, 5.85, 2.39),
         (16384, False): (0.798, 13.55, None), (16384, True): (0.799, 4.96, 2.27),
         (8192, False): (0.741, 23.61, 2.03), (8192, True): (0.744, 4.20, 2.13)}


def arm(size: int, sg: bool) -> str:
    return f"{size}-sgc" if sg else f"{size}"


def pooled_pesq_against_plain_65536() -> dict[str, tuple[float, float, float]]:
    """Seed-pooled paired PESQ-WB difference (other − plain 65536) with its 95% CI, keyed by the other arm."""
    found = {}
    for path in (GRID / "seed_pooled.jsonl", GRID / "grid2/seed_pooled-grid2.jsonl",
                 GRID / "grid4/seed_pooled-8192.jsonl"):
        for record in map(json.loads, path.read_text().splitlines()):
            first = record["replicates"][0]
            if record["metric"] == "pesq_wb" and first["base"] == "v4L-65536-s1" and len(record["replicates"]) == 2:
                other = first["other"].removeprefix("v4L-").removesuffix("-s1")
                found[other] = (record["pooled"], *record["pooled_ci"])
    return found


def main() -> None:
    results = json.loads((GRID / "grid4/results.json").read_text())
    codecs, truth = results["codecs"], results["ground_truth"]["wer"]

    def value(size: int, sg: bool, seed: int, key: str) -> float:
        entry = codecs[f"v4L-{arm(size, sg)}-s{seed}"]
        return entry["wer"]["wer"] if key == "wer" else entry[key]["mean"]

    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
    x = range(len(SIZES))
    labels = [str(s) for s in SIZES]

    # claims 1 and 2: the ratio with SG / without, per size, each seed and the paper
    for ax, key, paper_index, title in ((axes[0], "quantization_error", 0, "Claim 1: QE with SG / without"),
                                        (axes[1], "hidden_mse", 1, "Claim 2: hidden MSE with SG / without")):
        for seed, marker in zip(SEEDS, "os"):
            ratios = [value(s, True, seed, key) / value(s, False, seed, key) for s in SIZES]
            ax.plot(x, ratios, marker, color="tab:blue", label=f"ours, seed {seed}")
        paper = [PAPER[(s, True)][paper_index] / PAPER[(s, False)][paper_index] if (s, True) in PAPER else None
                 for s in SIZES]
        ax.plot([i for i, p in zip(x, paper) if p], [p for p in paper if p], "D--", color="tab:red",
                label="paper (XCodec2, LibriSpeech)")
        ax.axhline(1.0, color="gray", lw=0.8)
        ax.set_xticks(list(x), labels)
        ax.set_xlabel("codebook size")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylim(0.8, 1.1)
    axes[1].set_ylim(0, 1.1)

    # claim 3: PESQ-WB against plain 65536, paired and pooled over both seeds
    ax = axes[2]
    pooled = pooled_pesq_against_plain_65536()
    for offset, sg, colour in ((-0.12, False, "tab:gray"), (0.12, True, "tab:blue")):
        for i, size in enumerate(SIZES):
            if (size, sg) == (65536, False):
                ax.plot(i + offset, 0.0, "o", color=colour)
                continue
            mean, low, high = pooled[arm(size, sg)]
            ax.errorbar(i + offset, mean, yerr=[[mean - low], [high - mean]], fmt="o", color=colour, capsize=3,
                        label=("ours with SG" if sg else "ours without SG") if i == 1 else None)
    base = PAPER[(65536, False)][2]
    for offset, sg, marker in ((-0.12, False, "x"), (0.12, True, "D")):
        points = [(i + offset, PAPER[(s, sg)][2] - base) for i, s in enumerate(SIZES)
                  if (s, sg) in PAPER and PAPER[(s, sg)][2] is not None]
        ax.plot(*zip(*points), marker, color="tab:red", ls="none",
                label=f"paper {'with' if sg else 'without'} SG")
    ax.axhline(0.0, color="gray", lw=0.8)
    ax.axhspan(-0.1, 0.1, color="tab:green", alpha=0.08, label="within 0.1 (our claim-3 rule)")
    ax.set_xticks(list(x), labels)
    ax.set_xlabel("codebook size")
    ax.set_ylabel("PESQ-WB − plain 65536")
    ax.set_title("Claim 3: fidelity against plain 65536 (95% CI, 2 seeds)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")

    # what no claim covers: the resynthesis WER against the ground truth's
    ax = axes[3]
    for offset, sg, colour in ((-0.12, False, "tab:gray"), (0.12, True, "tab:blue")):
        for seed, marker in zip(SEEDS, "os"):
            ax.plot([i + offset for i in x], [value(s, sg, seed, "wer") for s in SIZES], marker, color=colour,
                    label=f"{'with' if sg else 'without'} SG" if seed == 1 else None)
    ax.axhline(truth["wer"], color="black", lw=1, label="ground truth")
    ax.axhspan(*truth["wer_ci"], color="black", alpha=0.1)
    ax.set_xticks(list(x), labels)
    ax.set_xlabel("codebook size")
    ax.set_ylabel("pocketsphinx WER on the resynthesis")
    ax.set_ylim(0, 0.5)
    ax.set_title("Not a claim: intelligibility (seeds 1 o, 2 s)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")

    fig.suptitle("Self-guidance claims, ours (tiny codecs, four flite voices, CPU, 2026-12-03) against the paper's",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(OUT, dpi=110)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
