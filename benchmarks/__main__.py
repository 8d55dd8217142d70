"""`python -m benchmarks {all,codec-infer,codec-train,lm-train,lm-generate,tts,peers} --device cpu|cuda [--quick]`."""
from __future__ import annotations

import argparse
import contextlib
import sys
import traceback

from benchmarks.common import emit, log
from codec.cli import non_negative_int, positive_float, positive_int
from codec.trainloop import MIXED_PRECISION_HELP, MIXED_PRECISIONS
from lm.model import ATTENTION_KINDS, attention_problem


def _csv(kind):
    return lambda s: tuple(kind(x) for x in s.split(",") if x)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("benchmark", choices=("all", "codec-infer", "codec-train", "lm-train", "lm-generate", "tts", "peers"))
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--quick", action="store_true", help="debug sizes, short inputs, few repeats (CI smoke run)")
    p.add_argument("--threads", type=positive_int, default=2, help="torch CPU threads (default 2)")
    p.add_argument("--out", default=None, help="results file to append to (default benchmarks/results.jsonl; - = none)")
    p.add_argument("--repeats", type=positive_int, help="timed repeats (default per benchmark)")
    p.add_argument("--warmup", type=non_negative_int, help="warm-up runs (default per benchmark)")
    p.add_argument("--compile", action="store_true", help="codec-infer: torch.compile encoder, backbone and head first; "
                   "codec-train: the generator and the discriminators; lm-train: the model")
    p.add_argument("--batch-tokens", type=positive_int, help="lm-train: tokens per step (default 8192)")
    p.add_argument("--attention", choices=ATTENTION_KINDS,
                   help="lm-train: attention kernel (default sdpa; flex_attention needs CUDA)")
    p.add_argument("--row-length", type=positive_int, help="lm-train: packed row length (default the preset's max_positions)")
    p.add_argument("--packing", choices=("both", "packed", "unpacked"), default="both",
                   help="lm-train: which rows to time (default both; one alone keeps a capped GPU call to one compile)")
    p.add_argument("--train-batch", type=positive_int, help="codec-train: utterances per step (default 8)")
    p.add_argument("--sg", choices=("both", "off", "on"), default="both",
                   help="codec-train: which self-guidance variants to time (default both, which gives the SG "
                        "overhead; one alone keeps a capped GPU call to one compile)")
    p.add_argument("--mixed-precision", choices=MIXED_PRECISIONS, default="auto",
                   help="codec-train, lm-train: " + MIXED_PRECISION_HELP)
    p.add_argument("--budget-s", type=positive_float, help="CPU: skip (recorded) configurations estimated to take longer")
    p.add_argument("--presets", type=_csv(str), help="codec presets (codec-infer, codec-train, peers) / LM presets "
                                                     "(lm-train, lm-generate) for a single benchmark")
    p.add_argument("--codec-presets", type=_csv(str), help="codec presets for `all` (default per benchmark)")
    p.add_argument("--lm-presets", type=_csv(str), help="LM presets for `all`")
    p.add_argument("--batches", type=_csv(positive_int), help="batch sizes (codec-infer, lm-generate, peers)")
    p.add_argument("--seconds", type=positive_float, help="utterance seconds (codec-infer, peers; default 10)")
    p.add_argument("--new-tokens", type=positive_int, help="lm-generate: new tokens per row (default 200)")
    p.add_argument("--codebook", type=positive_int, help="lm-train, lm-generate: codebook of the codec the random-weights LM's "
                                                "vocabulary follows (default 16384, the default model's)")
    p.add_argument("--frames", type=positive_int, help="tts: codes per sentence (default 150 = 3 s)")
    p.add_argument("--pipeline", help="tts, lm-generate: a trained pipeline folder (e.g. pipelines/default_model, "
                                      "the default model) instead of random weights")
    p.add_argument("--precision", choices=("float32", "bfloat16"),
                   help="tts: the LM's layer projections and head in this precision at any batch (SamplingConfig "
                        "layer_dtype, head_dtype, half_precision='always'); default: the pipeline's own settings "
                        "(random weights: float32)")
    p.add_argument("--natural", action="store_true", help="tts with --pipeline: keep the model's own stopping "
                                                          "(the audio it really makes) instead of --frames per sentence")
    p.add_argument("--peers-python", help="peers: the separate venv's python (default /tmp/peers-venv/bin/python)")
    args = p.parse_args(argv)
    if args.attention and attention_problem(args.attention, args.device):
        p.error(f"--{attention_problem(args.attention, args.device)}")
    if args.natural and not args.pipeline:
        p.error("--natural needs --pipeline: an untrained model has no natural length")
    if args.quick and (args.repeats is not None or args.warmup is not None):
        p.error("--quick sets its own repeats and warm-up (a smoke run); leave out --repeats/--warmup, or --quick")
    # Preset names checked before any work: an unknown one used to fail only when its turn came, after the presets
    # before it had been timed, and the record (those rows included) was never written.
    from codec.config import PRESETS as CODEC_PRESETS
    from lm.config import PRESETS as LM_PRESETS

    codec_benchmarks, lm_benchmarks = ("codec-infer", "codec-train", "peers"), ("lm-train", "lm-generate")
    for option, names, known in (
            ("--presets", args.presets if args.benchmark in codec_benchmarks else None, CODEC_PRESETS),
            ("--presets", args.presets if args.benchmark in lm_benchmarks else None, LM_PRESETS),
            ("--codec-presets", args.codec_presets, CODEC_PRESETS), ("--lm-presets", args.lm_presets, LM_PRESETS)):
        unknown = [n for n in names or () if n not in known]
        if unknown:
            p.error(f"{option}: unknown preset(s) {', '.join(map(repr, unknown))} for {args.benchmark}; "
                    f"choose from {', '.join(sorted(known))}")
    if args.presets and args.benchmark not in codec_benchmarks + lm_benchmarks:
        p.error(f"--presets does not apply to {args.benchmark}"
                + (" (use --codec-presets / --lm-presets)" if args.benchmark == "all" else ""))

    def kw(name, **extra):
        d = {"device": args.device, "threads": args.threads, "quick": args.quick}
        for key in ("repeats", "warmup"):
            if getattr(args, key) is not None:
                d[key] = getattr(args, key)
        codec_p = args.presets if args.benchmark != "all" else args.codec_presets
        lm_p = args.presets if args.benchmark != "all" else args.lm_presets
        if name in ("codec-infer", "codec-train", "peers") and codec_p:
            d["presets"] = codec_p
        if name in ("lm-train", "lm-generate") and lm_p:
            d["presets"] = lm_p
        if args.budget_s is not None and name in ("codec-infer", "codec-train", "lm-train"):
            d["budget_s"] = args.budget_s
        if args.batches and name in ("codec-infer", "lm-generate", "peers"):
            d["batches"] = args.batches
        if name in ("codec-train", "lm-train"):
            d["mixed_precision"] = args.mixed_precision
        if args.compile and name in ("codec-infer", "codec-train", "lm-train"):
            d["compile"] = True
        if args.batch_tokens is not None and name == "lm-train":
            d["batch_tokens"] = args.batch_tokens
        if args.attention is not None and name == "lm-train":
            d["attention"] = args.attention
        if args.row_length is not None and name == "lm-train":
            d["row_length"] = args.row_length
        if name == "lm-train":
            d["packings"] = {"both": (True, False), "packed": (True,), "unpacked": (False,)}[args.packing]
        if name == "codec-train":
            d["sg_variants"] = {"both": (False, True), "off": (False,), "on": (True,)}[args.sg]
        if args.train_batch is not None and name == "codec-train":
            d["batch"] = args.train_batch
        if args.seconds is not None and name in ("codec-infer", "peers"):
            d["seconds"] = args.seconds
        if args.new_tokens is not None and name == "lm-generate":
            d["new_tokens"] = args.new_tokens
        if args.codebook is not None and name in ("lm-train", "lm-generate"):
            d["codebook"] = args.codebook
        if args.pipeline and name == "lm-generate":
            d["pipeline"] = args.pipeline
        if name == "tts":
            if args.frames is not None:
                d["frames"] = args.frames
            if args.pipeline:
                d["pipeline"] = args.pipeline
            d["natural"] = args.natural
            d["precision"] = args.precision
        if name == "peers" and args.peers_python:
            d["peers_python"] = args.peers_python
        return {**d, **extra}

    from benchmarks import codec_infer, codec_train, lm_generate, lm_train, peers, tts

    modules = {"codec-infer": codec_infer, "codec-train": codec_train, "lm-train": lm_train,
               "lm-generate": lm_generate, "tts": tts, "peers": peers}
    names = list(modules) if args.benchmark == "all" else [args.benchmark]
    failed = []
    for name in names:
        log(f"== benchmark {name} ({args.device}{', quick' if args.quick else ''})")
        try:
            # stdout carries the JSON records alone (`--out -`): whatever a benchmark or a library prints goes to
            # stderr with the logs
            with contextlib.redirect_stdout(sys.stderr):
                record = modules[name].run(**kw(name))
            emit(record, args.out)
        except Exception as e:  # one broken benchmark must not hide the others' figures
            if args.benchmark != "all" and isinstance(e, (ValueError, FileNotFoundError)):
                log(f"error: {e}")  # settings it cannot run with (--row-length below every utterance ...): named
                return 2
            if args.benchmark != "all":
                raise
            failed.append(name)
            log(traceback.format_exc())
    if failed:
        log(f"failed: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
