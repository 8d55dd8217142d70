"""Paired WER differences between codecs (or TTS systems) of one `pipelines.evaluate compare` folder.

    python scripts/paired_wer.py REPORT_DIR BASE:OTHER [BASE:OTHER ...] [--folder codec|tts] [--pool REPORT_DIR ...]

Both systems were judged on the same utterances, so the difference of their corpus WERs (OTHER - BASE, errors /
reference words) is bootstrapped over utterances pair by pair: a much tighter CI than the two separate ones in the
report. Names are as given to `compare` (--codec NAME=DIR); `ground_truth` is the judge's own row on the input
(e.g. `ground_truth:NAME`: what the system costs over it). Prints one JSON line per pair. `--pool` adds the
utterances of further compare folders that judged the same two systems (e.g. other test sets) into one bootstrap.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codec.cli import run_main  # noqa: E402
from pipelines.claims import paired_ci, parse_pairs, same_utterances, word_errors  # noqa: E402


def paired_wer(report: Path | list[Path], base: str, other: str, folder: str = "codec") -> dict:
    """OTHER - BASE over the utterances of `report` (or of several reports, pooled)."""
    reports = [report] if isinstance(report, Path) else list(report)
    seen = {}
    for r in reports:  # a folder given twice would count its utterances twice and narrow the CI by sqrt(2)
        if r.resolve() in seen:
            raise ValueError(f"{r}: the same compare folder as {seen[r.resolve()]}, given twice")
        seen[r.resolve()] = r

    def pooled(name: str) -> tuple[list[tuple], np.ndarray, np.ndarray]:
        parts = [word_errors(r, name, folder) for r in reports]
        keys = [(uid, f"{k}|{ref}") for k, (part_keys, _, _) in enumerate(parts) for uid, ref in part_keys]
        return keys, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])

    keys_a, errors_a, words = pooled(base)
    keys_b, errors_b, _ = pooled(other)
    if not same_utterances(keys_a, keys_b):
        raise ValueError(f"{base!r} and {other!r} were not judged on the same utterances")
    low, high = paired_ci(lambda idx: (errors_b[idx].sum(1) - errors_a[idx].sum(1)) / words[idx].sum(1), len(words))
    return {"base": base, "other": other, "wer_base": errors_a.sum() / words.sum(),
            "wer_other": errors_b.sum() / words.sum(), "difference": (errors_b.sum() - errors_a.sum()) / words.sum(),
            "difference_ci": [low, high], "utterances": len(words)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", type=Path)
    parser.add_argument("pairs", nargs="+", metavar="BASE:OTHER")
    parser.add_argument("--folder", choices=("codec", "tts"), default="codec")
    parser.add_argument("--pool", type=Path, action="append", default=[], metavar="REPORT_DIR",
                        help="pool the utterances of this compare folder too (repeat)")
    args = parser.parse_args(argv)
    for pair in parse_pairs(parser, args.pairs, "BASE:OTHER"):
        row = paired_wer([args.report, *args.pool], *pair, folder=args.folder)
        row["difference_ci"] = [round(v, 4) for v in row["difference_ci"]]
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}))
    return 0


if __name__ == "__main__":
    run_main(main, (FileNotFoundError, ValueError))
