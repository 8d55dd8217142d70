"""The grid's scores as one markdown table: an arm per row, each cell seed by seed ("s1 / s2") and their mean.

    python grid_table.py REPORT_DIR [REPORT_DIR ...] [--seeds 1 2]

Each REPORT_DIR is a `pipelines.evaluate compare` folder holding codecs named v4L-<size>[-sgc]-s<seed> (as train.sh
names them), all scored on the same utterances; a codec in several is taken from the first. Arms missing at some seed
show only the seeds they have. WER is pocketsphinx's corpus WER on the codec's resynthesis; QE and hidden MSE are the
per-frame means of the codec report.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

ARMS = ["65536", "65536-sgc", "16384", "16384-sgc", "8192", "8192-sgc", "4096", "4096-sgc"]
COLUMNS = [("PESQ-WB", lambda c: c["pesq_wb"]["mean"], 3), ("PESQ-NB", lambda c: c["pesq_nb"]["mean"], 3),
           ("STOI", lambda c: c["stoi"]["mean"], 3), ("WER", lambda c: c["wer"]["wer"], 3),
           ("QE", lambda c: c["quantization_error"]["mean"], 3), ("hidden MSE", lambda c: c["hidden_mse"]["mean"], 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", type=Path, nargs="+")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    reports = [json.loads((report / "results.json").read_text()) for report in args.reports]
    codecs = {}
    for results in reversed(reports):
        codecs.update(results["codecs"])
    print("| codebook | SG | seeds | " + " | ".join(name for name, _, _ in COLUMNS) + " |")
    print("|---|---|---|" + "---|" * len(COLUMNS))
    utterances = set()
    for arm in ARMS:
        found = [(s, codecs[f"v4L-{arm}-s{s}"]) for s in args.seeds if f"v4L-{arm}-s{s}" in codecs]
        if not found:
            continue
        cells = []
        for _, value, digits in COLUMNS:
            values = [value(c) for _, c in found]
            text = " / ".join(f"{v:.{digits}f}" for v in values)
            if len(values) > 1:
                text += f" (**{sum(values) / len(values):.{digits}f}**)"
            cells.append(text)
        size, sg = arm.split("-")[0], "yes" if arm.endswith("-sgc") else "no"
        seeds = ", ".join(str(s) for s, _ in found)
        utterances.update(c["n_utterances"] for _, c in found)
        print(f"| {size} | {sg} | {seeds} | " + " | ".join(cells) + " |")
    wer = reports[0]["ground_truth"]["wer"]["wer"]
    print(f"\nGround truth (the same {', '.join(map(str, sorted(utterances)))} utterances): WER {wer:.3f}.")


if __name__ == "__main__":
    main()
