"""Dev mel loss (the training's own eval: 8 dev utterances, multi-scale mel L1) against decoder steps beyond the
bundled codec of 2026-11-29: the +8000-step control (docs/results/cepstral-2026-12-04), the LR 3e-4 arm of
docs/results/decoder-more-2026-12-05 (the bundled decoder since), then the arms of train.sh from it; beside it, the
training mel loss of the first 1000 steps of the wide arm at two learning rates against the `same` arm's.

    .venv/bin/python docs/results/decoder-deeper-2026-12-05/plot.py
"""
import gzip
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


def train_mel(name: str, steps: int = 1000, window: int = 100) -> tuple[list[int], list[float]]:
    """Running mean of the training mel loss over `window` steps (the arms see the same batches: same seed)."""
    with gzip.open(HERE / f"runs/{name}.metrics.jsonl.gz", "rt") as f:
        mel = [r["mel"] for r in map(json.loads, f) if "mel" in r and r["step"] <= steps]
    means = [sum(mel[i - window:i]) / window for i in range(window, len(mel) + 1)]
    return list(range(window, len(mel) + 1)), means


fig, (ax, early) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
ax.plot(*curve(BEFORE / "mel8k-eval", 0), "o-", color="tab:gray", label="+8000 steps, LR 1e-4 (2026-12-04)")
ax.plot(*curve(BEFORE / "lr3e-4-eval", 8000), "o-", color="tab:orange", label="+10 000, LR 3e-4 (bundled)")
for arm, colour, label in (("same", "tab:blue", "+10 000, LR 3e-4, 6 blocks"),
                           ("deep12", "tab:green", "+10 000, LR 3e-4, grown to 12 blocks"),
                           ("wide512", "tab:red", "+10 000, LR 1.5e-4, grown to 512 wide")):
    if not (HERE / f"runs/{arm}-eval").is_dir():  # an arm still training
        continue
    ax.plot(*curve(HERE / f"runs/{arm}-eval", 18000), "o-", color=colour, label=label)
ax.set_xlabel("decoder steps beyond the 2026-11-29 codec (batch 8 x 1 s, tokenizer frozen)")
ax.set_ylabel("dev mel loss (8 utterances)")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
ax.set_title("Decoder length, depth or width at fixed codes", fontsize=10)
for name, colour, label in (("same", "tab:blue", "6 blocks, 256 wide, LR 3e-4"),
                            ("wide512-lr3e-4-stopped", "tab:purple", "512 wide, LR 3e-4 (stopped)"),
                            ("wide512", "tab:red", "512 wide, LR 1.5e-4")):
    if (HERE / f"runs/{name}.metrics.jsonl.gz").exists():
        early.plot(*train_mel(name), color=colour, label=label)
early.set_xlabel("steps of the arm")
early.set_ylabel("training mel loss (mean of the last 100 steps)")
early.grid(alpha=0.3)
early.legend(fontsize=8)
early.set_title("The wide arm's first 1000 steps", fontsize=10)
fig.tight_layout()
out = HERE / "dev_mel_vs_steps.png"
fig.savefig(out, dpi=110)
print(out, file=sys.stderr)
