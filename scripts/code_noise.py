"""How a codec's decoding degrades when some of its codes are wrong: the errors a speech LM's sampling makes.

    python scripts/code_noise.py --codec NAME=DIR [--codec ...] --manifest test.jsonl [--max-utts 100] \
        [--noise neighbour:0.1 --noise uniform:0.1 ...] [--asr pocketsphinx] [--seed 0] --out DIR

Each utterance is encoded, then a fraction of its frames (drawn with the seed: the same frames for every codec)
get a wrong code, and the codes are decoded and judged by the ASR against the transcript:
  neighbour  the code one FSQ level away in one dimension drawn at random (a near miss, the kind of error a
             speech LM sampling at a low temperature makes most);
  uniform    a code drawn uniformly from the codebook (a wild miss).
Rate 0 (`--noise clean:0`) is the plain resynthesis. Writes, per noise, a folder laid out like a
`pipelines.evaluate compare` report, OUT/KIND_RATE/codec/NAME/results.json (WER with its CI and per-utterance word
errors, the mean mel distance to the clean decode), so that codecs run into the same OUT, in one process or
several, compare pair by pair with `scripts/paired_wer.py OUT/uniform_0.15 BASE:OTHER`; and a markdown table on
stdout. FSQ codecs only (neighbours are defined on its grid).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codec import Codec  # noqa: E402
from codec.cli import positive_int, run_main  # noqa: E402
from codec.data import UtteranceDataset, read_manifest, screen_manifest  # noqa: E402
from codec.model import CodecLoadError  # noqa: E402
from codec.trainloop import write_json  # noqa: E402
from pipelines.asr import ASRError, load_asr  # noqa: E402
from pipelines.evaluate import _slug, transcribe  # noqa: E402
from pipelines.metrics import mel_distance, wer_report  # noqa: E402

KINDS = ("clean", "neighbour", "uniform")


def corrupt(codes: torch.Tensor, quantizer, kind: str, rate: float, generator: torch.Generator) -> torch.Tensor:
    """codes [F] -> codes [F] with round(rate * F) frames (drawn by `generator`) replaced as `kind` says."""
    frames = codes.shape[0]
    picked = torch.randperm(frames, generator=generator)[: int(round(rate * frames))]
    if kind == "clean" or len(picked) == 0:
        return codes.clone()
    out = codes.clone()
    if kind == "uniform":
        out[picked] = torch.randint(0, quantizer.codebook_size, (len(picked),), generator=generator)
        return out
    levels = quantizer.fsq._levels.cpu()
    half = levels // 2
    grid = torch.round(quantizer.lookup(codes[picked]).cpu() * half).long()  # integer levels [P, d]
    low, high = -half, levels - 1 - half  # FSQ's integer range per dimension (even sizes: one more below zero)
    dims = torch.randint(0, len(levels), (len(picked),), generator=generator)
    steps = torch.where(torch.rand(len(picked), generator=generator) < 0.5, -1, 1)
    rows = torch.arange(len(picked))
    moved = grid[rows, dims] + steps
    # at an edge of the grid the only neighbour is on the other side
    moved = torch.where((moved < low[dims]) | (moved > high[dims]), grid[rows, dims] - steps, moved)
    grid[rows, dims] = moved
    out[picked] = quantizer.fsq.codes_to_indices((grid.float() / half).to(quantizer.fsq._levels.device)).long().cpu()
    return out


def parse_noise(text: str) -> tuple[str, float]:
    kind, _, rate = text.partition(":")
    if kind not in KINDS or not rate:
        raise argparse.ArgumentTypeError(f"--noise {text!r}: expected KIND:RATE with KIND one of {', '.join(KINDS)}")
    value = float(rate)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"--noise {text!r}: the rate is a fraction of frames, in [0, 1]")
    return kind, value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--codec", action="append", required=True, metavar="NAME=DIR")
    p.add_argument("--manifest", required=True)
    p.add_argument("--max-utts", type=positive_int, default=100)
    p.add_argument("--noise", action="append", type=parse_noise, metavar="KIND:RATE")
    p.add_argument("--asr", default="pocketsphinx")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    noises = args.noise or [("clean", 0.0), ("neighbour", 0.1), ("uniform", 0.1)]
    codecs = [item.partition("=")[::2] for item in args.codec]
    for item, (name, directory) in zip(args.codec, codecs):
        if not name or not directory:
            p.error(f"--codec {item!r}: expected NAME=DIR")
    manifest = screen_manifest(read_manifest(args.manifest), 60.0, decode=True, limit=args.max_utts)
    if not len(manifest):
        raise ValueError(f"manifest {args.manifest}: no usable utterance in it")
    asr = load_asr(args.asr)
    results = {}
    for item, (name, directory) in zip(args.codec, codecs):
        codec = Codec.from_pretrained(directory)
        if not hasattr(codec.quantizer, "fsq"):
            sys.exit(f"--codec {item}: not an FSQ codec (neighbours are defined on the FSQ grid)")
        data = UtteranceDataset(manifest, codec.sample_rate)
        texts, codes, clean = [], [], []
        with torch.inference_mode():
            for i in range(len(data)):
                utt = data[i]
                audio = torch.as_tensor(utt["audio"])[None]
                c, frames = codec.encode(audio)
                codes.append(c[0, : int(frames[0])])
                clean.append(codec.decode(codes[-1][None])[0].numpy())
                texts.append(utt["text"])
            for kind, rate in noises:
                generator = torch.Generator().manual_seed(args.seed)  # the same frames for every codec
                audios = [codec.decode(corrupt(c, codec.quantizer, kind, rate, generator)[None])[0].numpy() for c in codes]
                report = wer_report(texts, transcribe(asr, audios, codec.sample_rate))
                mel = float(np.mean([mel_distance(ref, deg, codec.sample_rate) for ref, deg in zip(clean, audios)]))
                results.setdefault(name, {})[f"{kind}:{rate:g}"] = {"wer": report, "mel_distance_to_clean": mel}
                write_json(Path(args.out) / f"{kind}_{rate:g}" / "codec" / _slug(name) / "results.json",
                           {"system": name, "model": directory, "noise": f"{kind}:{rate:g}", "seed": args.seed,
                            "manifest": args.manifest, "n_utterances": len(texts), "wer": report,
                            "mel_distance_to_clean": mel})
                print(f"{name} {kind}:{rate:g}: WER {report['wer']:.3f} {report['wer_ci']}, mel to clean {mel:.3f}",
                      file=sys.stderr)
    keys = [f"{k}:{r:g}" for k, r in noises]
    print("| codec | " + " | ".join(f"WER {k}" for k in keys) + " |")
    print("|---|" + "---|" * len(keys))
    for name, rows in results.items():
        cells = [f"{rows[k]['wer']['wer']:.3f} [{rows[k]['wer']['wer_ci'][0]:.3f}, {rows[k]['wer']['wer_ci'][1]:.3f}]"
                 for k in keys]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    run_main(main, (FileNotFoundError, ValueError, CodecLoadError, ASRError))
