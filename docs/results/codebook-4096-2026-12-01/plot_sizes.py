"""Codebook size against fidelity and the hidden MSE, with and without SG (seventeenth session): all codecs of the
family fine-tuned from the bundled codec for 2500 steps (16384 and 8192 from ../codebook-8192-2026-11-29, 4096 and
the re-run of plain 16384 and plain 4096 at seed 1 from here), beside the paper's hidden-MSE ratios.

    .venv/bin/python docs/results/codebook-4096-2026-12-01/plot_sizes.py   # writes sizes.png beside itself
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

here = Path(__file__).resolve().parent
earlier = here.parent / "codebook-8192-2026-11-29"
codecs = {**json.loads((earlier / "results.json").read_text())["codecs"],
          **{f"{name} (re-run)" if name == "bq-16384" else name: row
             for name, row in json.loads((here / "results.json").read_text())["codecs"].items()}}
ratios = {**json.loads((earlier / "claims-sg-seeds" / "claims.json").read_text())["hidden_mse"],
          **json.loads((here / "claims" / "claims.json").read_text())["hidden_mse"]}
# seed 0 and seed 1 arms: (no SG, SG) per size; the paper's (no SG, SG) hidden MSE means from its table
arms = {0: {16384: ("bq-16384", "bq-16384-sgc"), 8192: ("bq-8192", "bq-8192-sgc"), 4096: ("bq-4096", "bq-4096-sgc")},
        1: {16384: ("bq-16384-s1", "bq-16384-sgc-s1"), 8192: ("bq-8192-s1", "bq-8192-sgc-s1"), 4096: ("bq-4096-s1", None)}}
paper = {65536: (9.44, 5.85), 16384: (13.55, 4.96), 8192: (23.61, 4.20)}


def point(ax, x, row, color, filled):
    mean, (lo, hi) = row["mean"], row["ci"]
    ax.errorbar(x, mean, yerr=[[mean - lo], [hi - mean]], fmt="o", color=color, capsize=3,
                markerfacecolor=color if filled else "white")


fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
for metric, ax, title in (("pesq_wb", axes[0], "PESQ-WB, 100 test utterances\n(CIs unpaired; the paired differences are in RESULTS.md)"),
                          ("hidden_mse", axes[1], "hidden MSE per frame, last block")):
    for seed, sizes in arms.items():
        for size, (plain, sg) in sizes.items():
            shift = 1.04 if seed else 1.0  # seed 1 a little to the right
            point(ax, size * shift, codecs[plain][metric], "C0", seed == 0)
            if sg:  # plain 4096 ran at seed 1 without its SG arm
                point(ax, size * shift, codecs[sg][metric], "C3", seed == 0)
    point(ax, 16384 * 0.96, codecs["bq-16384 (re-run)"][metric], "C2", True)
    ax.set(xscale="log", title=title, xlabel="codebook size")
    ax.set_xticks([4096, 8192, 16384], ["4096", "8192", "16384"])
axes[0].plot([], [], "o", color="C0", label="no SG (filled: seed 0, hollow: seed 1)")
axes[0].plot([], [], "o", color="C3", label="SG, centered, λ 5")
axes[0].plot([], [], "o", color="C2", label="no SG, seed 0 re-run (2026-12-01)")
axes[0].legend(fontsize=7)
ax = axes[2]
for seed, sizes in arms.items():
    for size, (plain, sg) in sizes.items():
        if not sg:
            continue
        row = ratios[f"{plain} -> {sg}"]
        ax.errorbar(size * (1.04 if seed else 1.0), row["ratio"], fmt="o", color="C3", capsize=3,
                    yerr=[[row["ratio"] - row["ratio_ci"][0]], [row["ratio_ci"][1] - row["ratio"]]],
                    markerfacecolor="C3" if seed == 0 else "white")
ax.plot(list(paper), [sg / plain for plain, sg in paper.values()], "s--", color="k", label="the paper (its table)")
ax.plot([], [], "o", color="C3", label="ours [95% CI] (hollow: seed 1)")
ax.axhline(1.0, color="k", lw=0.8)
ax.set(xscale="log", ylim=(0, 1.1), title="hidden MSE, SG / no SG (claim 2)", xlabel="codebook size")
ax.set_xticks([4096, 8192, 16384, 65536], ["4096", "8192", "16384", "65536"])
ax.legend(fontsize=7)
for ax in axes:
    ax.minorticks_off()  # the log axis's minor labels (6x10^3 ...) overprint the sizes
    ax.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(here / "sizes.png", dpi=110)
print(here / "sizes.png")
