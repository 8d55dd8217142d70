"""PESQ-WB of the fine-tuned family against codebook size (nineteenth session): every arm at every seed, plain and
with SG, and lines through the mean over seeds 1 and 2 (the seeds every arm has), from the report's results.json.

    .venv/bin/python docs/results/codebook-65536-2026-12-02/plot_ladder.py   # writes ladder.png beside itself
    .venv/bin/python docs/results/codebook-65536-2026-12-02/plot_ladder.py OTHER/results.json  # OTHER/ladder.png

Seed 0 of plain 16384 is drawn hollow: its fresh quantizer starts within 8% of the bundled codec's own, so that run is
nearly a continuation of the starting codec and sits higher than a new quantizer would; seed 0 stays out of the lines.
"""
import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("results", nargs="?", type=Path, default=Path(__file__).resolve().parent / "results.json",
                    help="a compare report's results.json; ladder.png is written beside it")
parser.add_argument("--title", default="Fine-tuned from the bundled codec, 2500 steps: PESQ-WB by codebook size")
args = parser.parse_args()
results_path = args.results
here = results_path.parent
results = json.loads(results_path.read_text())["codecs"]
MARKERS = "os^D"  # by seed
LINE_SEEDS = (1, 2)
name_pattern = re.compile(r"^bq-(\d+)(-sgc)?(?:-s(\d+))?$")

arms = defaultdict(dict)  # (size, with_sg) -> {seed: PESQ-WB mean}
for name, row in results.items():
    match = name_pattern.match(name)
    if match:
        size, sg, seed = int(match.group(1)), bool(match.group(2)), int(match.group(3) or 0)
        arms[(size, sg)][seed] = row["pesq_wb"]["mean"]
if not arms:
    sys.exit(f"{results_path}: no bq-<size>[-sgc][-s<seed>] codecs in it")

fig, ax = plt.subplots(figsize=(7.5, 4.8))
for sg, colour, offset, label in ((False, "C0", -0.06, "no SG"), (True, "C1", 0.06, "SG (centered, λ5, last block)")):
    sizes = sorted(size for size, with_sg in arms if with_sg == sg)
    if any(seed not in arms[(size, sg)] for size in sizes for seed in LINE_SEEDS):
        sys.exit(f"every arm needs seeds {LINE_SEEDS} for the lines: {sorted(arms.items())}")
    for size in sizes:
        for seed, value in sorted(arms[(size, sg)].items()):
            hollow = size == 16384 and not sg and seed == 0
            ax.scatter(size * 2 ** offset, value, marker=MARKERS[seed], s=36, zorder=3,
                       facecolors="none" if hollow else colour, edgecolors=colour)
    means = [sum(arms[(s, sg)][seed] for seed in LINE_SEEDS) / len(LINE_SEEDS) for s in sizes]
    ax.plot([s * 2 ** offset for s in sizes], means, "-", color=colour, lw=1.5, label=f"{label}: mean of seeds 1, 2")
for seed in sorted({seed for by_seed in arms.values() for seed in by_seed}):
    ax.scatter([], [], marker=MARKERS[seed], color="grey", label=f"seed {seed}")
if 0 in arms.get((16384, False), {}):
    ax.scatter([], [], marker="o", facecolors="none", edgecolors="grey", label="seed 0 of 16384: nearly a continuation")
ax.set_xscale("log", base=2)
ax.set_xticks([4096, 16384, 65536], ["4096", "16384", "65536"])
ax.set(xlabel="codebook size (FSQ)", ylabel="PESQ-WB, 100 test utterances (mean)",
       title=args.title)
ax.grid(alpha=0.3)
ax.legend(fontsize=7, loc="lower right")
fig.tight_layout()
fig.savefig(here / "ladder.png", dpi=110)
print(here / "ladder.png")
