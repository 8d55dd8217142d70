"""How hard does self-guidance pull against the mel loss? The two losses' gradients, measured apart, on training batches.

    python scripts/sg_gradient.py CODEC_DIR_OR_CHECKPOINT --train-manifest train.jsonl [--fresh-codebook-size 16384]
        [--seed 1] [--batches 4] [--sg-weight 5] [--sg-loss centered] [--batch-size 8] [--segment-seconds 1.0]

For each of the first N batches that `codec.train` with this --seed feeds (the same crops, in the same order), the
generator's gradient of the weighted mel loss (15 * mel) and of the weighted SG loss (sg_weight * sg) are taken
separately, and one JSON line per batch gives their norms and cosine, over all trained weights and for the
tokenizer (encoder + quantizer: what decides the codes) and the decoder apart. The norm of their sum is what the
training logs as grad_norm/generator before clipping (without the GAN), so a fine-tune's first logged step checks
this script. A codec trained with further generator losses (phase, cepstral, semantic, VQ commitment) is refused:
their gradients would be in the logged norm and not here. With --fresh-codebook-size the codec is first given a fresh quantizer of that size exactly as
`codec.train --init-from DIR --codebook-size N --seed S` builds it (its first step), otherwise the codec is
measured as it is (a fine-tune's final folder, or a checkpoint). A last line holds the means over the batches.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codec import Codec  # noqa: E402
from codec.cli import positive_float, positive_int, run_main  # noqa: E402
from codec.config import SG_LOSSES  # noqa: E402
from codec.data import CropDataset, ResumableSampler, collate_padded, read_manifest  # noqa: E402
from codec.export import load_codec_or_checkpoint  # noqa: E402
from codec.model import CodecLoadError  # noqa: E402
from codec.objective import GeneratorForward, loss_weights  # noqa: E402
from codec.train import build_config, parse_args, seed_everything  # noqa: E402


def codec_to_measure(args: argparse.Namespace) -> Codec:
    """The codec under test with SG on (args.sg_weight, args.sg_loss), built as `codec.train --init-from` builds it
    (the same option parsing, seeding and weight loading): with a fresh quantizer of args.fresh_codebook_size, or
    with every weight of the source."""
    seed_everything(args.seed)  # codec.train's order: seed, load the source, build the new codec, load into it
    source, _ = load_codec_or_checkpoint(args.codec)
    train_argv = ["--init-from", args.codec, "--train-manifest", args.train_manifest, "--out", "unused", "--sg",
                  "--sg-weight", str(args.sg_weight), "--sg-loss", args.sg_loss, "--seed", str(args.seed)]
    fresh = args.fresh_codebook_size is not None
    if fresh:
        train_argv += ["--codebook-size", str(args.fresh_codebook_size)]
    return Codec(build_config(parse_args(train_argv), source)).load_grown(source, fresh_quantizer=fresh)


def flat(grads: list[torch.Tensor | None], params: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(grads, params)])


def norm64(g: torch.Tensor) -> float:
    """The Euclidean norm of a flat gradient, accumulated in float64: a float32 reduction over millions of weights
    reads low (by 4e-4 over the 4.4 M of `tiny`, ~1.5e-3 over the default codec's), below the training's logged
    norm (clip_grad_norm_, which combines per-tensor norms)."""
    return float(torch.linalg.vector_norm(g, dtype=torch.float64))


def compare(g_mel: torch.Tensor, g_sg: torch.Tensor) -> dict:
    mel, sg = norm64(g_mel), norm64(g_sg)
    cosine = float(torch.dot(g_mel.double(), g_sg.double())) / max(mel * sg, 1e-30)
    return {"mel_norm": mel, "sg_norm": sg, "sg_to_mel": sg / max(mel, 1e-30), "cosine": cosine,
            "sum_norm": norm64(g_mel + g_sg)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("codec", help="codec folder or codec.train checkpoint folder")
    p.add_argument("--train-manifest", required=True)
    p.add_argument("--fresh-codebook-size", type=positive_int, help="measure the first step of a fine-tune to this size")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batches", type=positive_int, default=4)
    p.add_argument("--batch-size", type=positive_int, default=8)
    p.add_argument("--segment-seconds", type=positive_float, default=1.0)
    p.add_argument("--sg-weight", type=float, default=5.0)
    p.add_argument("--sg-loss", choices=SG_LOSSES, default="centered")
    args = p.parse_args(argv)

    codec = codec_to_measure(args)
    weights = loss_weights(codec.config)
    others = sorted(set(weights) - {"mel", "sg", "adv", "fm"})  # the GAN's are off in a fine-tune's first steps
    if others:
        raise ValueError(f"{args.codec}: trained with the further losses {', '.join(others)}, whose gradients this "
                         f"script leaves out (its norms would not add up to the logged grad_norm)")
    forward = GeneratorForward(codec).train()
    named = [(n, p) for n, p in codec.named_parameters() if p.requires_grad]
    params = [p for _, p in named]
    # per element of the flattened gradient: does it belong to a tokenizer weight?
    in_tokenizer = torch.cat([torch.full((p.numel(),), codec.is_tokenizer_weight(n)) for n, p in named])

    # codec.train's data: the same crops in the same order for this seed (ResumableSampler from step 0)
    segment = max(1, round(args.segment_seconds * codec.config.frame_rate)) * codec.config.hop_length
    data = CropDataset(read_manifest(args.train_manifest), codec.sample_rate, segment, seed=args.seed)
    if not len(data):
        raise ValueError(f"manifest {args.train_manifest}: no usable utterance in it")
    batches = iter(DataLoader(data, args.batch_size, sampler=ResumableSampler(len(data), args.seed),
                              collate_fn=collate_padded))
    rows = []
    for index in range(args.batches):
        batch = next(batches)
        out = forward(batch["audio"], batch["length"])
        g_mel = flat(torch.autograd.grad(weights["mel"] * out.losses["mel"], params, retain_graph=True,
                                         allow_unused=True), params)
        g_sg = flat(torch.autograd.grad(weights["sg"] * out.losses["sg"], params, allow_unused=True), params)
        row = {"batch": index + 1, "mel": float(out.losses["mel"].detach()), "sg": float(out.losses["sg"].detach()),
               "all": compare(g_mel, g_sg), "tokenizer": compare(g_mel[in_tokenizer], g_sg[in_tokenizer]),
               "decoder": compare(g_mel[~in_tokenizer], g_sg[~in_tokenizer])}
        rows.append(row)
        print(json.dumps(row), flush=True)
    mean = {part: {k: float(np.mean([r[part][k] for r in rows])) for k in rows[0][part]}
            for part in ("all", "tokenizer", "decoder")}
    print(json.dumps({"codec": args.codec, "fresh_codebook_size": args.fresh_codebook_size, "seed": args.seed,
                      "batches": args.batches, "sg_weight": args.sg_weight, "sg_loss": args.sg_loss, "mean": mean}))


if __name__ == "__main__":
    run_main(main, (FileNotFoundError, ValueError, CodecLoadError))
