"""How well trained LMs predict held-out speech tokens: bits per second of audio, utterance by utterance.

  python -m lm.score --lm 65536=exp/tiny/lm/65536/final:exp/tiny/tokens/65536/test \\
                     --lm 16384=exp/tiny/lm/16384/final:exp/tiny/tokens/16384/test --reference 65536 \\
                     [--unigram 65536-unigram=exp/tiny/tokens/65536/train:exp/tiny/tokens/65536/test] [--out DIR]

Each LM scores the token directory extracted with its own codec from the same manifest. The score of an
utterance is the negative log2-likelihood of its speech codes and SPEECH_END given its text (the targets of
training, lm/vocab.py), divided by its duration: bits per second of audio is comparable across codebook sizes,
per-token loss is not. Utterances are scored one per row, so the LMs can be compared utterance by utterance:
the CIs (bootstrap over utterances) of each LM's rate and of its paired difference to --reference. An utterance
longer than an LM's context is not scored, by it nor (the comparison being paired) by the others; each such
omission is reported. A --unigram row scores the utterances the LMs scored with the training split's code
frequencies alone: the floor any LM must beat.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

from codec.cli import positive_int, run_main
from lm.model import SpeechLM
from lm.packing import PackedRows, collate_rows
from lm.tokens import TokenStore, TokenStoreError
from lm.train import token_losses
from pipelines.metrics import bootstrap_ci


@torch.no_grad()
def score_utterances(lm: SpeechLM, store: TokenStore, batch_size: int = 8) -> list[dict]:
    """One record per utterance of `store` that fits the LM's context: {"id", "seconds", "bits", "targets"}."""
    lm.check_codec(store.identity, f"the tokens in {store.directory}")
    rows = PackedRows(store, lm.vocab, lm.tokenizer, lm.config.max_positions, pack=False)
    lm.model.eval()
    records = []
    for start in range(0, len(rows), batch_size):
        indices = range(start, min(start + batch_size, len(rows)))
        batch = collate_rows([rows[i] for i in indices], lm.vocab.pad)
        device = next(lm.model.parameters()).device
        nats, targets = token_losses(lm.model, {k: v.to(device) for k, v in batch.items() if k != "padding"})
        for i, n, t in zip(indices, nats.tolist(), targets.tolist()):
            entry = store.entries[rows.rows[i][0]]
            records.append({"id": entry.id, "seconds": entry.length / store.identity.frame_rate,
                            "bits": n / math.log(2), "targets": int(t)})
    return records


def unigram_scores(train: TokenStore, store: TokenStore, smoothing: float = 0.5) -> list[dict]:
    """score_utterances' records under a context-free baseline: code frequencies (and SPEECH_END's, once per
    utterance) counted on `train`, add-`smoothing` over the codebook. What an LM must beat to use any context."""
    train.identity.require_same(store.identity, f"the training tokens {train.directory}", f"the tokens {store.directory}")
    size = store.identity.codebook_size
    counts = np.zeros(size + 1, dtype=np.float64)  # the last entry: SPEECH_END
    for i in range(len(train)):
        counts[:size] += np.bincount(train[i], minlength=size)
    counts[size] = len(train)
    log2p = np.log2(counts + smoothing) - np.log2(counts.sum() + smoothing * (size + 1))
    return [{"id": e.id, "seconds": e.length / store.identity.frame_rate,
             "bits": float(-log2p[store[i]].sum() - log2p[size]), "targets": e.length + 1}
            for i, e in enumerate(store.entries)]


def _rate(bits: np.ndarray, seconds: np.ndarray):
    """Bits per second of all the audio together (a ratio of sums), as a bootstrap statistic over utterances."""
    # bootstrap_ci resamples the values it is given; given utterance indices, the statistic sums both arrays
    # over the same resampled utterances.
    def statistic(idx, axis=None):
        idx = np.asarray(idx).astype(np.int64)  # bootstrap_ci hands its values over as floats
        return bits[idx].sum(axis=axis) / seconds[idx].sum(axis=axis)
    return statistic


def compare(scores: dict[str, list[dict]], reference: str | None = None) -> dict:
    """Per LM: bits/s [95% CI], bits per target token; against `reference`, the paired difference [95% CI]."""
    names = list(scores)
    ids = [r["id"] for r in scores[names[0]]]
    for name in names[1:]:
        if [r["id"] for r in scores[name]] != ids:
            raise ValueError(f"LM {name!r} scored other utterances than {names[0]!r}: extract its tokens from the "
                             f"same manifest (and check that no utterance was skipped for one codec only)")
    if reference is not None and reference not in scores:
        raise ValueError(f"--reference {reference!r} is not one of the LMs {names}")
    seconds = np.array([r["seconds"] for r in scores[names[0]]])
    index = np.arange(len(ids))
    summary = {"utterances": len(ids), "seconds": float(seconds.sum()), "reference": reference, "lms": {}}
    for name in names:
        bits = np.array([r["bits"] for r in scores[name]])
        row = {"bits_per_second": float(bits.sum() / seconds.sum()),
               "bits_per_second_ci": bootstrap_ci(index, _rate(bits, seconds)),
               "bits_per_token": float(bits.sum() / sum(r["targets"] for r in scores[name]))}
        if reference is not None and name != reference:
            diff = bits - np.array([r["bits"] for r in scores[reference]])
            row["difference"] = float(diff.sum() / seconds.sum())
            row["difference_ci"] = bootstrap_ci(index, _rate(diff, seconds))
        summary["lms"][name] = row
    return summary


def markdown(summary: dict) -> str:
    ref = summary["reference"]
    lines = [f"{summary['utterances']} utterances, {summary['seconds']:.1f} s of audio",
             "", "| LM | bits/s [95% CI] | bits/token |" + (f" vs {ref}: bits/s [95% CI] |" if ref else ""),
             "|---|---|---|" + ("---|" if ref else "")]
    for name, row in summary["lms"].items():
        lo, hi = row["bits_per_second_ci"]
        line = f"| {name} | {row['bits_per_second']:.1f} [{lo:.1f}, {hi:.1f}] | {row['bits_per_token']:.3f} |"
        if ref:
            line += (f" {row['difference']:+.1f} [{row['difference_ci'][0]:+.1f}, {row['difference_ci'][1]:+.1f}] |"
                     if "difference" in row else " - |")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _name_and_two_paths(spec: str) -> tuple[str, Path, Path]:
    name, sep, paths = spec.partition("=")
    first, sep2, second = paths.rpartition(":")
    if not (sep and sep2 and name and first and second):
        raise argparse.ArgumentTypeError(f"{spec!r}: expected NAME=PATH:PATH")
    return name, Path(first), Path(second)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lm.score", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lm", type=_name_and_two_paths, action="append", default=[], metavar="NAME=LM_DIR:TOKENS_DIR")
    p.add_argument("--unigram", type=_name_and_two_paths, action="append", default=[],
                   metavar="NAME=TRAIN_TOKENS:TOKENS_DIR", help="a context-free baseline row (code frequencies of "
                   "TRAIN_TOKENS) scored on TOKENS_DIR")
    p.add_argument("--reference", help="the LM the others are compared with (paired, utterance by utterance)")
    p.add_argument("--batch-size", type=positive_int, default=8)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--out", type=Path, help="write scores.json (per utterance) and summary.{json,md} here")
    args = p.parse_args(argv)
    names = [name for name, _, _ in args.lm + args.unigram]
    if not names or len(set(names)) != len(names):
        p.error(f"give --lm or --unigram entries with distinct names, got {names}")
    scores, too_long = {}, set()
    for name, lm_dir, tokens in args.lm:
        lm, store = SpeechLM.from_pretrained(lm_dir, device=args.device), TokenStore(tokens)
        scores[name] = score_utterances(lm, store, args.batch_size)
        if len(scores[name]) < len(store):
            print(f"--lm {name}: {len(store) - len(scores[name])} of the {len(store)} utterances in {tokens} are "
                  f"longer than its context ({lm.config.max_positions} tokens): not scored", file=sys.stderr)
            too_long |= {e.id for e in store.entries} - {r["id"] for r in scores[name]}
    # The LMs are compared utterance by utterance: one too long for any LM's context (a smaller preset's, or a codec's
    # of a higher frame rate) is left out of every row, or compare() would refuse LMs that merely differ in context.
    for name in scores:
        kept = [r for r in scores[name] if r["id"] not in too_long]
        if len(kept) < len(scores[name]):
            print(f"--lm {name}: {len(scores[name]) - len(kept)} utterances left out, too long for another LM's "
                  f"context", file=sys.stderr)
            scores[name] = kept
    # A baseline has no context limit, but the rows are compared utterance by utterance: it scores what the LMs did.
    scored_by_lms = set.intersection(*({r["id"] for r in s} for s in scores.values())) if scores else None
    for name, train_tokens, tokens in args.unigram:
        scores[name] = unigram_scores(TokenStore(train_tokens), TokenStore(tokens))
        if scored_by_lms is not None:
            kept = [r for r in scores[name] if r["id"] in scored_by_lms]
            if len(kept) < len(scores[name]):
                print(f"--unigram {name}: scored on the {len(kept)} utterances the LMs scored, not the other "
                      f"{len(scores[name]) - len(kept)} in {tokens}", file=sys.stderr)
            scores[name] = kept
    if empty := [name for name, rows in scores.items() if not rows]:  # compare() would say "bootstrap_ci: no values"
        p.error(f"{', '.join(empty)}: no utterance left to score (an empty token store, or every utterance too long "
                f"for an LM's context or left out by another row)")
    try:
        summary = compare(scores, args.reference)
    except ValueError as e:
        p.error(str(e))
    text = markdown(summary)
    print(text, end="")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "scores.json").write_text(json.dumps(scores, indent=1))
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
        (args.out / "summary.md").write_text(text)
    return 0


if __name__ == "__main__":
    from lm.identity import CodecMismatchError
    from lm.model import LMLoadError
    from lm.phonemes import PhonemizerError

    run_main(main, (FileNotFoundError, LMLoadError, TokenStoreError, CodecMismatchError, PhonemizerError))
