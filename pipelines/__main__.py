"""python -m pipelines "text" -o out.wav [--model DIR] [--seed N]
python -m pipelines --text-file lines.txt -o out_dir/ [--model DIR] [--seed N]   (one wav per non-empty line)
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from codec.audio import save_wav


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description="Speak text with a TTS pipeline.")
    parser.add_argument("text", nargs="?", help="the text to speak")
    parser.add_argument("--text-file", type=Path, help="a file with one text per line: one wav per line")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output wav (or folder with --text-file)")
    parser.add_argument("--model", type=Path, default=None, help="a TTS pipeline folder (default: the bundled model)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--temperature", type=float, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if (args.text is None) == (args.text_file is None):
        parser.error("give either a text or --text-file")
    from pipelines.tts import PipelineLoadError, load_pipeline

    try:
        pipeline = load_pipeline(args.model)
    except (PipelineLoadError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.text_file is not None:
        texts = [line.strip() for line in args.text_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        targets = [args.out / f"{i:04d}.wav" for i in range(1, len(texts) + 1)]
    else:
        texts, targets = [args.text], [args.out]
    sampling = {} if args.temperature is None else {"temperature": args.temperature}
    start = time.perf_counter()
    try:
        outputs = pipeline(texts, seed=args.seed, **sampling)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    seconds = 0.0
    for target, out in zip(targets, outputs):
        save_wav(target, out["audio"], out["sampling_rate"])
        seconds += len(out["audio"]) / out["sampling_rate"]
        print(target)
    print(f"{seconds:.2f} s of audio in {elapsed:.2f} s (real-time factor {elapsed / max(seconds, 1e-9):.3f})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
