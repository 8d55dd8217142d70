"""Bar charts of scripts/hidden_energy.py rows: per codec and tap, the hidden MSE against the speech-dependent part
of the features (mse_relative_to_varying) and the tap's energy.

    python scripts/plot_hidden_energy.py ROWS.jsonl [...] --out figure.png [--label PATH=NAME ...]

Rows are grouped by codec (in the order first seen) and by tap; --label gives a codec path a short name.
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_rows(paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        if not path.is_file():
            raise SystemExit(f"{path}: file not found")
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as e:
                    raise SystemExit(f"{path}:{n}: not a JSON row of hidden_energy.py ({e})")
    if not rows:
        raise SystemExit(f"{', '.join(map(str, paths))}: no rows (hidden_energy.py prints one JSON line per codec)")
    missing = [r for r in rows if not {"codec", "tap", "mse_relative_to_varying", "hidden_energy"} <= set(r)]
    if missing:
        raise SystemExit(f"rows without codec/tap/mse_relative_to_varying/hidden_energy: {missing[0]}")
    return rows


def plot(rows: list[dict], labels: dict[str, str], out: Path) -> Path:
    codecs = list(dict.fromkeys(r["codec"] for r in rows))
    taps = list(dict.fromkeys(r["tap"] for r in rows))
    value = {(r["codec"], r["tap"]): r for r in rows}  # a later row for the same codec and tap wins
    fig, axes = plt.subplots(2, 1, figsize=(max(7.0, 1.6 * len(codecs) + 2), 7.5))
    width = 0.8 / len(taps)
    for panel, (key, title) in zip(axes, (("mse_relative_to_varying", "hidden MSE / time-varying energy"),
                                          ("hidden_energy", "tap energy ||h_e||^2 per frame"))):
        for t, tap in enumerate(taps):
            xs = [i + (t - (len(taps) - 1) / 2) * width for i in range(len(codecs))]
            ys = [value[c, tap][key] if (c, tap) in value else float("nan") for c in codecs]
            bars = panel.bar(xs, ys, width, label=tap)
            panel.bar_label(bars, fmt="%.4g", fontsize=7)
        names = [textwrap.fill(labels.get(c, Path(c).name), 16) for c in codecs]
        panel.set_xticks(range(len(codecs)), names, fontsize=8)
        panel.set_title(title, fontsize=10)
        panel.legend(title="tap", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--label", action="append", default=[], metavar="PATH=NAME")
    args = parser.parse_args(argv)
    if bad := [item for item in args.label if not all(item.partition("=")[::2])]:
        parser.error(f"--label {bad[0]!r}: expected PATH=NAME")
    labels = dict(item.split("=", 1) for item in args.label)
    print(plot(read_rows(args.rows), labels, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
