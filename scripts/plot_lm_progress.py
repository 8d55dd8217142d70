"""One LM run's progress in one PNG: its dev loss (from lm.train's log) and the TTS WER of checkpoints along it.

  python scripts/plot_lm_progress.py --log exp/default/lm-big.log --log exp/default/lm-big-4000.log \\
      --wer "test split=1400:test-big-results.json" --wer "test split=4000:test-big4000-results.json" ... \\
      --ground-truth "test split=0.237" --out docs/default_lm_progress.png

`--wer LABEL=STEP:RESULTS_JSON` takes a TTS system's results.json of `pipelines.evaluate compare` (its WER and CI);
points with one label form one line. `--ground-truth LABEL=WER` draws the judge's WER on the real recordings.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DEV_LINE = re.compile(r"step (\d+): dev loss ([0-9.]+) nats/token")


def dev_losses(logs: list[Path]) -> dict[int, float]:
    """Dev loss by step from lm.train logs; a later log overrides an earlier one's step (a resumed run)."""
    losses = {}
    for log in logs:
        for step, loss in DEV_LINE.findall(log.read_text(errors="replace")):
            losses[int(step)] = float(loss)
    return dict(sorted(losses.items()))


def wer_points(specs: list[str]) -> dict[str, list[tuple[int, float, float, float]]]:
    """{label: [(step, wer, ci_low, ci_high), ...]} from LABEL=STEP:RESULTS_JSON arguments."""
    lines: dict[str, list] = {}
    for spec in specs:
        label, _, rest = spec.partition("=")
        step, _, path = rest.partition(":")
        if not (label and step.isdigit() and path):
            raise SystemExit(f"--wer {spec!r}: expected LABEL=STEP:RESULTS_JSON")
        if not Path(path).is_file():
            raise SystemExit(f"--wer {spec!r}: {path}: file not found")
        result = json.loads(Path(path).read_text())
        if "wer" not in result:
            raise SystemExit(f"--wer {spec!r}: {path} holds no WER (a TTS system's results.json of a judged compare)")
        wer = result["wer"]
        lines.setdefault(label, []).append((int(step), wer["wer"], *wer["wer_ci"]))
    return {label: sorted(points) for label, points in lines.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log", type=Path, action="append", default=[], help="lm.train log (repeat, oldest first)")
    parser.add_argument("--wer", action="append", default=[], metavar="LABEL=STEP:RESULTS_JSON")
    parser.add_argument("--ground-truth", action="append", default=[], metavar="LABEL=WER")
    parser.add_argument("--title", default="")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not args.log and not args.wer:
        parser.error("nothing to draw: give --log and/or --wer")
    for spec in args.ground_truth:
        label, _, wer = spec.partition("=")
        try:
            float(wer)
        except ValueError:
            parser.error(f"--ground-truth {spec!r}: expected LABEL=WER, WER a number")
    if missing := [log for log in args.log if not log.is_file()]:
        parser.error(f"--log {missing[0]}: file not found")

    fig, (ax_loss, ax_wer) = plt.subplots(1, 2, figsize=(11, 4))
    losses = dev_losses(args.log)
    ax_loss.plot(list(losses), list(losses.values()), marker="o")
    ax_loss.set(xlabel="step", ylabel="dev loss (nats/token)", title="dev loss")
    ax_loss.grid(alpha=0.3)
    colors = {}
    for label, points in wer_points(args.wer).items():
        steps, wers, lows, highs = zip(*points)
        line = ax_wer.errorbar(steps, wers, yerr=[[w - lo for w, lo in zip(wers, lows)],
                                                 [hi - w for w, hi in zip(wers, highs)]], marker="o", capsize=3,
                               label=f"{label}: TTS")
        colors[label] = line[0].get_color()
    for spec in args.ground_truth:
        label, _, wer = spec.partition("=")
        ax_wer.axhline(float(wer), linestyle="--", color=colors.get(label, "gray"), label=f"{label}: ground truth")
    ax_wer.set(xlabel="step", ylabel="WER (pocketsphinx), 95% CI", title="TTS WER of checkpoints", ylim=(0, None))
    ax_wer.grid(alpha=0.3)
    ax_wer.legend(fontsize=8)
    if args.title:
        fig.suptitle(args.title)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
