"""Dev mel loss (the training's own eval: 8 dev utterances, multi-scale mel L1) against decoder steps beyond the
bundled codec: the +8000-step control of docs/results/cepstral-2026-12-04, then the two arms of train.sh from it.

    .venv/bin/python docs/results/decoder-more-2026-12-05/plot.py
"""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent


def curve(folder: Path, offset: int) -> tuple[list[int], list[float]]:
    points = sorted((int(f.stem.split("_")[1]) + offset, json.loads(f.read_text())["eval/mel"])
                    for f in folder.glob("step_*.json"))
    return [p[0] for p in points], [p[1] for p in points]


fig, ax = plt.subplots(figsize=(7, 4))
x, y = curve(HERE / "runs/mel8k-eval", 0)
ax.plot(x, y, "o-", color="tab:gray", label="control: +8000 steps, LR 1e-4 (2026-12-04)")
for arm, colour, label in (("mel", "tab:blue", "then +10 000, LR 1e-4"), ("lr3e-4", "tab:orange", "then +10 000, LR 3e-4")):
    ax.plot(*curve(HERE / f"runs/{arm}-eval", 8000), "o-", color=colour, label=label)
ax.set_xlabel("decoder steps beyond the bundled codec (batch 8 x 1 s, tokenizer frozen)")
ax.set_ylabel("dev mel loss (8 utterances)")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
ax.set_title("More decoder training at fixed codes", fontsize=10)
fig.tight_layout()
out = HERE / "dev_mel_vs_steps.png"
fig.savefig(out, dpi=110)
print(out, file=sys.stderr)
