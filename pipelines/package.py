"""Bundle a trained codec and LM into one TTS pipeline folder (pipeline.json + codec/ + lm/).

  python -m pipelines.package --codec exp/tiny/codec/16384-sg/final --lm exp/tiny/lm/16384-sg/final --out exp/tiny/tts/16384-sg

The LM must have been trained on this codec's tokens: a mismatched pair is refused (codec fingerprints differ).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMPUTE_DTYPES = ("float32", "bfloat16", "float16")  # lm.generate.COMPUTE_DTYPES (not imported: --help stays fast)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.package", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codec", type=Path, required=True)
    parser.add_argument("--lm", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--head-dtype", default="float32", choices=COMPUTE_DTYPES,
                        help="precision of the LM's logit projection at synthesis (sampling.head_dtype; bfloat16 "
                             "or float16 halve the bytes a CPU step reads there; float16 is the faster on x86 CPUs "
                             "without half-precision units)")
    parser.add_argument("--layer-dtype", default="float32", choices=COMPUTE_DTYPES,
                        help="precision of the LM layers' projections at synthesis (sampling.layer_dtype; the "
                             "residual stream, norms, attention and KV cache stay float32)")
    parser.add_argument("--lm-dtype", default="float32", choices=("float32", "float16"),
                        help="precision the LM's weights are stored in (float16: half the bytes; loaded as float32)")
    parser.add_argument("--codec-decoder-dtype", default="float32", choices=("float32", "float16"),
                        help="precision the codec's decoder-side weights are stored in (float16: half their bytes; "
                             "loaded as float32); its tokenizer's stay float32, so the codes do not change")
    parser.add_argument("--temperature", type=float, default=None,
                        help="the pipeline's sampling temperature (sampling.temperature; default: SamplingConfig's; "
                             "any call can still override it)")
    parser.add_argument("--max-frames-per-text-token", type=float, default=None,
                        help="the pipeline's length bound per text token (sampling.max_frames_per_text_token; "
                             "default: SamplingConfig's): a row that never emits SPEECH_END stops there")
    args = parser.parse_args(argv)
    import torch

    from codec import Codec
    from codec.model import CodecLoadError
    from lm.identity import CodecMismatchError
    from lm.generate import SamplingConfig
    from lm.model import LMLoadError, SpeechLM
    from lm.text import TokenizerError
    from codec.checkpoint import require_replaceable
    from pipelines.tts import TTSPipeline

    try:
        codec = Codec.from_pretrained(args.codec)
        lm = SpeechLM.from_pretrained(args.lm, codec=codec)
    except (CodecLoadError, LMLoadError, TokenizerError, CodecMismatchError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    chosen = {key: value for key, value in [("temperature", args.temperature),
                                            ("max_frames_per_text_token", args.max_frames_per_text_token)]
              if value is not None}
    try:
        sampling = SamplingConfig(head_dtype=args.head_dtype, layer_dtype=args.layer_dtype, **chosen)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        require_replaceable(args.out, "pipeline.json", "TTS pipeline")
    except FileExistsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    pipeline = TTSPipeline(codec, lm, sampling)
    print(pipeline.save_pretrained(args.out, lm_dtype=getattr(torch, args.lm_dtype),
                                   codec_decoder_dtype=getattr(torch, args.codec_decoder_dtype)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
