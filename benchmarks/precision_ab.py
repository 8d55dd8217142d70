"""Paired A/B of the LM's one-token step by weight precision (sampling.head_dtype / layer_dtype), in one process.

    python -m benchmarks.precision_ab [--pipeline DIR | --preset tiny] [--batches 1,2,4,8,16] [--rounds 12]
        [--steps 100] [--threads 2] [--out FILE]

Half-precision copies of the weights halve the bytes a step reads, which is what a memory-bound matrix-vector
step on CPU costs; but a CPU without bf16 matrix instructions converts bfloat16 copies on every call, which costs
more than it saves once the step is a matrix product of several rows. float16 copies on an x86 CPU are packed for
fbgemm instead (float32 inputs, no conversion per call; lm.decoding.PackedFloat16). Where the crossovers lie is a
property of the machine, so this measures them: for each batch size, StaticCacheDecoder steps (prefill of 20
tokens, then --steps one-token steps at fixed ids) with float32 weights, a bfloat16 head, bfloat16 head and layers,
and float16 head and layers, the arms interleaved round by round so that drift on a shared machine hits all of
them; the ratio to float32 is taken per round. Prints one JSON record (the suite's shape) and appends it to --out.
"""
from __future__ import annotations

import argparse
import statistics

import torch

from benchmarks.common import emit, environment, log, report, setup_device
from codec.cli import positive_int
from lm.decoding import step_milliseconds

ARMS = {"float32": {}, "bf16 head": {"head_dtype": torch.bfloat16},
        "bf16 head+layers": {"head_dtype": torch.bfloat16, "layer_dtype": torch.bfloat16},
        "fp16 head+layers": {"head_dtype": torch.float16, "layer_dtype": torch.float16}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.precision_ab", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pipeline", help="a TTS pipeline folder (its LM); default: a random-weight --preset LM")
    p.add_argument("--preset", default="tiny")
    p.add_argument("--codebook", type=positive_int, default=16384, help="vocabulary of the random-weight LM")
    p.add_argument("--batches", default="1,2,4,8,16")
    p.add_argument("--rounds", type=positive_int, default=12)
    p.add_argument("--steps", type=positive_int, default=100)
    p.add_argument("--threads", type=positive_int, default=2)
    p.add_argument("--out", default=None, help="results file to append to (default: the suite's; '-' = none)")
    args = p.parse_args(argv)
    dev = setup_device("cpu", args.threads)
    env = environment("cpu")
    if args.pipeline:
        from pipelines.tts import TTSPipeline

        lm = TTSPipeline.from_pretrained(args.pipeline).lm
    else:
        from benchmarks.lm_generate import build_lm

        lm = build_lm(args.preset, args.codebook, 12, dev)
    model = lm.model.eval()
    rows = []
    with torch.inference_mode():
        for batch in [int(b) for b in args.batches.split(",")]:
            times = {name: [] for name in ARMS}
            for r in range(args.rounds + 1):  # round 0 is warm-up
                for name, arm in ARMS.items():
                    t = step_milliseconds(model, batch, args.steps, **arm)
                    if r:
                        times[name].append(t)
            base = times["float32"]
            for name, ts in times.items():
                ratios = sorted(t / b for t, b in zip(ts, base))
                rows.append({"batch": batch, "arm": name, "ms_per_step_median": statistics.median(ts),
                             "ms_per_step_min": min(ts), "paired_ratio_to_float32": statistics.median(ratios),
                             "paired_ratio_q1": ratios[len(ratios) // 4], "paired_ratio_q3": ratios[3 * len(ratios) // 4]})
                log(f"batch {batch:3d} {name:17s} {rows[-1]['ms_per_step_median']:7.2f} ms/step, "
                    f"x{rows[-1]['paired_ratio_to_float32']:.2f} of float32")
    params = {k: v for k, v in vars(args).items() if k != "out"}
    params["lm"] = args.pipeline or f"random weights, preset {args.preset}, codebook {args.codebook}"
    emit(report("precision_ab", env, params, rows), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
