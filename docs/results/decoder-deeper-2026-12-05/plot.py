"""Dev mel loss (the training's own eval: 8 dev utterances, multi-scale mel L1) against decoder steps beyond the
bundled codec of 2026-11-29: the +8000-step control (docs/results/cepstral-2026-12-04), the LR 3e-4 arm of
docs/results/decoder-more-2026-12-05 (the bundled decoder since), then the arms of train.sh from it.

    .venv/bin/python docs/results/decoder-deeper-2026-12-05/plot.py
"""
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
BEFORE = HERE.parent / "decoder-more-2026-12-05/runs"


def curve(folder: Path, offset: int) -> tuple[list[int], list[float]]:
    points = sorted((int(f.stem.split("_")[1]) + offset, json.loads(f.read_text())["eval/mel"])
                    for f in folder.glob("step_*.json"))
    return [p[0] for p in points], [p[1] for p in points]


fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(*curve(BEFORE / "mel8k-eval", 0), "o-", color="tab:gray", label="+8000 steps, LR 1e-4 (2026-12-04)")
ax.plot(*curve(BEFORE / "lr3e-4-eval", 8000), "o-", color="tab:orange", label="+10 000, LR 3e-4 (bundled)")
for arm, colour, label in (("same", "tab:blue", "+10 000, LR 3e-4, 6 blocks"),
                           ("deep12", "tab:green", "+10 000, LR 3e-4, grown to 12 blocks"),
                           ("wide512", "tab:red", "+10 000, LR 3e-4, grown to 512 wide")):
    if not (HERE / f"runs/{arm}-eval").is_dir():  # an arm still training
        continue
    ax.plot(*curve(HERE / f"runs/{arm}-eval", 18000), "o-", color=colour, label=label)
ax.set_xlabel("decoder steps beyond the 2026-11-29 codec (batch 8 x 1 s, tokenizer frozen)")
ax.set_ylabel("dev mel loss (8 utterances)")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
ax.set_title("Decoder length, depth or width at fixed codes", fontsize=10)
fig.tight_layout()
out = HERE / "dev_mel_vs_steps.png"
fig.savefig(out, dpi=110)
print(out, file=sys.stderr)
