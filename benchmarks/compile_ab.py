"""Paired A/B of eager against torch.compile for a codec preset's encode and decode (CPU or CUDA), in one process.

    python -m benchmarks.compile_ab [--preset tiny] [--seconds 10] [--pairs 12] [--threads 2] [--device cpu]

Separate `codec-infer` runs with and without --compile differ by less than the drift between runs on a shared
machine; here the two codecs (same weights) are timed alternately, order flipped every pair, and the ratio is
taken per pair. Prints one JSON record (the suite's shape: env, params, results): compile time, whether the codes are identical, the largest output
difference, median times, the median paired ratio (compiled / eager) for encode and decode.
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
import time

import torch

from benchmarks.codec_infer import autocast, compile_codec
from benchmarks.common import environment, report, setup_device, sync
from codec.cli import positive_float, positive_int
from codec.config import CodecConfig
from codec.model import Codec


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.compile_ab", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="tiny")
    p.add_argument("--seconds", type=positive_float, default=10.0)
    p.add_argument("--pairs", type=positive_int, default=12)
    p.add_argument("--threads", type=positive_int, default=2)
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    args = p.parse_args(argv)
    dev = setup_device(args.device, args.threads)
    env = environment(args.device)
    torch.manual_seed(0)
    eager = Codec(CodecConfig.preset(args.preset)).to(dev).eval()
    compiled = copy.deepcopy(eager)
    compile_s = compile_codec(compiled, dev, args.seconds)
    wav = torch.randn(1, int(args.seconds * eager.sample_rate), device=dev) * 0.1
    # every call in the precision the codec was compiled in (bf16 autocast on CUDA, as codec-infer times it):
    # another one would time a recompiled graph, or compare the eager codec at one precision to the compiled at another
    with autocast(dev):
        codes, frames = eager.encode(wav)
        audio_diff = eager.decode(codes, frames) - compiled.decode(codes, frames)
        result = {"codes_equal": bool(torch.equal(codes, compiled.encode(wav)[0])),
                  "audio_max_abs_diff": float(audio_diff.abs().max())}
        calls = {"encode": lambda codec: codec.encode(wav), "decode": lambda codec: codec.decode(codes, frames)}
        times = {(op, kind): [] for op in calls for kind in ("eager", "compiled")}
        for i in range(args.pairs + 2):  # the first two pairs are warm-up
            for op, call in calls.items():
                order = [("eager", eager), ("compiled", compiled)][:: -1 if i % 2 else 1]
                for kind, codec in order:
                    start = time.perf_counter()
                    call(codec)
                    sync(dev)
                    if i >= 2:
                        times[op, kind].append(time.perf_counter() - start)
    for op in calls:
        eager_t, comp_t = times[op, "eager"], times[op, "compiled"]
        result[op] = {"eager_median_s": statistics.median(eager_t), "compiled_median_s": statistics.median(comp_t),
                      "paired_ratio": statistics.median(c / e for c, e in zip(comp_t, eager_t))}
    total = {k: result["encode"][f"{k}_median_s"] + result["decode"][f"{k}_median_s"] for k in ("eager", "compiled")}
    result["x_realtime"] = {k: args.seconds / v for k, v in total.items()}
    precision = "bf16-autocast" if dev.type == "cuda" else "fp32"
    print(json.dumps(report("compile_ab", env, vars(args), [{"compile_s": compile_s, "precision": precision, **result}])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
