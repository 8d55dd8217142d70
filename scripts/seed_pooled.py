"""One effect measured at several seeds: each seed's paired difference, their mean, and the spread between seeds.

    python scripts/seed_pooled.py REPORT_DIR BASE:OTHER [BASE:OTHER ...] [--metric pesq_wb ... | --metric wer]

Each BASE:OTHER is one replicate of the same comparison (e.g. plain 16384 : 16384 + SG at seed 0, then at seed 1),
all scored by `pipelines.evaluate compare` on the same utterances. Per replicate: mean over utterances of
OTHER - BASE with its bootstrap CI; pooled: the mean of the replicates' differences, utterance by utterance, with
the utterances resampled together across replicates. That CI still holds only the utterances' sampling: with a few
seeds the seed-to-seed variance cannot be estimated, so the spread (largest minus smallest replicate) is printed
beside it; an effect smaller than the spread is not shown by the CI alone. One JSON line per metric.
Every replicate is averaged over the same utterances: those whose score is finite for every system named (a clip
too short for PESQ or STOI is NaN for all alike; a pitch score's NaNs depend on the system, so adding a replicate
can drop utterances from the others' means: "utterances" in the output says how many are left).
`--metric wer` pools the ASR judgement the same way: each replicate's corpus WER difference (errors / reference
words, as scripts/paired_wer.py), pooled as the replicates' error differences averaged utterance by utterance.
With exactly two replicates the row also holds their contrast, the second's difference minus the first's, utterance
by utterance, with its CI: the interaction when the two replicates are one effect under two conditions (SG's effect
with a 12-block decoder minus its effect with a 6-block one), not seeds.
A side of a pair may name several systems joined by "+" (e.g. `plain-s3+null-s3:sg-s3`; a system scored under
a name holding "+", such as 16384+SG, is itself): their mean score per utterance (for WER, their mean errors) stands as one system — two twin runs without SG averaged into one
baseline, whose own run-to-run drift is then half as large in variance.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codec.cli import run_main  # noqa: E402
from pipelines.claims import paired_ci, parse_pairs, per_utterance, same_utterances, word_errors  # noqa: E402


def _parts(report: Path, name: str) -> list[str]:
    """The systems "A+B+..." names: itself where compare scored a system of that very name (the README's
    "16384+SG"), else its parts; refused where both exist, as it cannot say which is meant."""
    from pipelines.evaluate import _slug

    parts = name.split("+")
    if len(parts) == 1 or not (report / "codec" / _slug(name)).is_dir():
        return parts
    if all((report / "codec" / _slug(part)).is_dir() for part in parts):
        raise ValueError(f"{name!r}: both a system of {report} and the mean of its systems {parts}; rename one "
                         f"in pipelines.evaluate compare")
    return [name]


def scores(report: Path, name: str, metric: str) -> tuple[list[str], np.ndarray]:
    """(utterance ids, per-utterance `metric` [U]) of one system, or the mean of "A+B+..."'s systems."""
    ids, values = None, []
    for part in _parts(report, name):
        rows = per_utterance(report, part)
        if ids is not None and rows["id"] != ids:
            raise ValueError(f"{part!r} was not scored on the same utterances as {name.split('+')[0]!r}")
        ids = rows["id"]
        if metric not in rows:
            known = ", ".join(k for k in rows if k != "id")
            raise ValueError(f"--metric {metric}: not scored per utterance for {part!r} (there: {known}, or wer)")
        values.append(np.asarray(rows[metric], float))
    return ids, np.mean(values, axis=0)


def errors(report: Path, name: str) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """word_errors of one system, or of "A+B+..." with the systems' errors averaged per utterance."""
    parts = _parts(report, name)
    judged = [word_errors(report, part) for part in parts]
    for part, (keys, _, _) in zip(parts, judged):
        if not same_utterances(keys, judged[0][0]):
            raise ValueError(f"{part!r} was not judged on the same utterances as {name.split('+')[0]!r}")
    return judged[0][0], np.mean([e for _, e, _ in judged], axis=0), judged[0][2]


def seed_pooled(report: Path, pairs: list[tuple[str, str]], metric: str) -> dict:
    """[R] replicate differences OTHER - BASE of `metric`, their pooled mean with CI, and their spread."""
    ids, diffs = None, []
    for base, other in pairs:
        (ids_a, a), (ids_b, b) = scores(report, base, metric), scores(report, other, metric)
        for name, name_ids in ((base, ids_a), (other, ids_b)):
            if ids is None:
                ids = name_ids
            elif name_ids != ids:
                raise ValueError(f"{name!r} was not scored on the same utterances as {pairs[0][0]!r}")
        diffs.append(b - a)
    d = np.stack(diffs)  # [R, U]
    d = d[:, np.isfinite(d).all(0)]
    mean_ci = lambda x: list(paired_ci(lambda idx: x[idx].mean(-1), len(x)))  # noqa: E731
    replicates = [{"base": base, "other": other, "difference": float(row.mean()), "difference_ci": mean_ci(row)}
                  for (base, other), row in zip(pairs, d)]
    means = d.mean(1)
    row = {"metric": metric, "replicates": replicates, "pooled": float(d.mean()), "pooled_ci": mean_ci(d.mean(0)),
           "spread": float(means.max() - means.min()), "utterances": int(d.shape[1])}
    if len(d) == 2:
        row.update(contrast=float((d[1] - d[0]).mean()), contrast_ci=mean_ci(d[1] - d[0]))
    return row


def seed_pooled_wer(report: Path, pairs: list[tuple[str, str]]) -> dict:
    """[R] replicate corpus-WER differences OTHER - BASE, their pooled mean with CI, and their spread."""
    references, words, diffs = None, None, []
    for base, other in pairs:
        judged = {}
        for name in (base, other):
            keys, name_errors, n_words = errors(report, name)
            if references is None:
                references, words = keys, n_words
            elif not same_utterances(keys, references):
                raise ValueError(f"{name!r} was not judged on the same utterances as {pairs[0][0]!r}")
            judged[name] = name_errors
        diffs.append(judged[other] - judged[base])
    d = np.stack(diffs)  # [R, U] word errors OTHER - BASE
    wer_ci = lambda x: list(paired_ci(lambda idx: x[idx].sum(-1) / words[idx].sum(-1), len(words)))  # noqa: E731
    replicates = [{"base": base, "other": other, "difference": float(row.sum() / words.sum()),
                   "difference_ci": wer_ci(row)} for (base, other), row in zip(pairs, d)]
    per_replicate = d.sum(1) / words.sum()
    row = {"metric": "wer", "replicates": replicates, "pooled": float(d.mean(0).sum() / words.sum()),
           "pooled_ci": wer_ci(d.mean(0)), "spread": float(per_replicate.max() - per_replicate.min()),
           "utterances": len(words)}
    if len(d) == 2:
        row.update(contrast=float((d[1] - d[0]).sum() / words.sum()), contrast_ci=wer_ci(d[1] - d[0]))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", type=Path)
    parser.add_argument("pairs", nargs="+", metavar="BASE:OTHER")
    parser.add_argument("--metric", action="append",
                        help="per-utterance metric, or wer (repeat); default pesq_wb, pesq_nb, stoi")
    args = parser.parse_args(argv)
    pairs = parse_pairs(parser, args.pairs, "BASE:OTHER")
    for metric in args.metric or ["pesq_wb", "pesq_nb", "stoi"]:
        row = seed_pooled_wer(args.report, pairs) if metric == "wer" else seed_pooled(args.report, pairs, metric)
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    run_main(main, (FileNotFoundError, ValueError))
