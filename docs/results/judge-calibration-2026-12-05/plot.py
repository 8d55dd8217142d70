"""WER (pocketsphinx) against the cepstral and mel distance to the input: the judge's calibration rows (the input
with a smooth random envelope error of 1-6 dB) and the codecs of the cepstral run, on the same 100 test utterances.

    .venv/bin/python docs/results/judge-calibration-2026-12-05/plot.py
"""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
calibration = json.loads((HERE / "bundle-test100.json").read_text())["conditions"]
report = json.loads((ROOT / "docs/results/cepstral-2026-12-04/test/results.json").read_text())
truth = report["ground_truth"]["wer"]["wer"]

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, key, label in ((axes[0], "cepstral_distance", "cepstral distance to the input"),
                       (axes[1], "mel_distance", "mel distance to the input")):
    rows = [(0.0, calibration["input"]["wer"], "input")] + [
        (c[key], c["wer"], name.removeprefix("input, ")) for name, c in calibration.items() if "jitter" in name]
    ax.plot([r[0] for r in rows], [r[1] for r in rows], "o-", color="tab:gray", label="input + envelope jitter")
    for x, y, name in rows[1:]:
        ax.annotate(name.removeprefix("jitter "), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=8)
    for (name, r), colour in zip(report["codecs"].items(), ("tab:blue", "tab:orange", "tab:green")):
        ax.plot(r[key]["mean"], r["wer"]["wer"], "s", color=colour, label=f"codec: {name}")
    ax.axhline(truth + 0.02, color="tab:red", lw=0.8, ls="--", label="ground truth + 2 points")
    ax.set_xlabel(label)
    ax.grid(alpha=0.3)
axes[0].set_ylabel("WER (pocketsphinx, 100 test utterances)")
axes[1].legend(fontsize=8)
fig.suptitle("What a distortion's size costs the judge: structureless envelope errors vs the codecs", fontsize=10)
fig.tight_layout()
out = HERE / "wer_vs_distance.png"
fig.savefig(out, dpi=110)
print(out, file=sys.stderr)
