"""python -m pipelines "text" -o out.wav [--model DIR] [--seed N]
python -m pipelines --text-file lines.txt -o out_dir/ [--model DIR] [--seed N]
    (one wav per non-empty line, named by its line number: line 3 -> out_dir/0003.wav. A line that cannot be
    spoken is reported by its number and skipped, the others are still written: exit status 1 then.)
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from codec.audio import save_wav


def read_lines(path: Path) -> list[tuple[int, str]]:
    """The non-empty lines of a text file as (line number, stripped text)."""
    text = path.read_text(encoding="utf-8-sig")  # -sig: a BOM (Notepad) is not text
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def line_chunks(lines: list[tuple[int, str]], max_lines: int, max_characters: int) -> list[list[tuple[int, str]]]:
    """Consecutive lines grouped into calls of at most `max_lines` lines and `max_characters` characters (a longer
    line goes alone, for the pipeline to refuse by name)."""
    chunks, size = [[]], 0
    for line in lines:
        if chunks[-1] and (len(chunks[-1]) == max_lines or size + len(line[1]) > max_characters):
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line[1])
    return [c for c in chunks if c]


class _CannotWrite(Exception):
    """The output wav could not be written; the message names it."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description="Speak text with a TTS pipeline.")
    parser.add_argument("text", nargs="?", help="the text to speak")
    parser.add_argument("--text-file", type=Path, help="a file with one text per line: one wav per line")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output wav (or folder with --text-file)")
    parser.add_argument("--model", type=Path, default=None, help="a TTS pipeline folder (default: the bundled model)")
    parser.add_argument("--seed", type=int, default=0,
                        help="sampling seed: a run repeated with the same seed gives the same audio (default 0)")
    parser.add_argument("--temperature", type=float, default=None,
                        help="sampling temperature, 0 = greedy (default: the model's own, its pipeline.json's "
                             "sampling.temperature)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if (args.text is None) == (args.text_file is None):
        parser.error("give either a text or --text-file")
    if args.text_file is not None:  # read before the model is loaded: a wrong path fails at once
        try:
            lines = read_lines(args.text_file)
        except (OSError, UnicodeDecodeError) as e:
            print(f"error: --text-file {args.text_file}: {e}", file=sys.stderr)
            return 2
        if not lines:
            print(f"error: --text-file {args.text_file}: no text in it", file=sys.stderr)
            return 2
    if args.text_file is None and args.out.is_dir():  # checked before the model loads and the text is spoken
        parser.error(f"-o {args.out}: a folder; one text is written to a .wav file (--text-file writes a folder)")
    if args.text_file is None and args.out.suffix.lower() != ".wav":  # it would hold WAV data under another name
        parser.error(f"-o {args.out}: the output is 16-bit PCM WAV; give it a .wav name")
    if args.text_file is not None and args.out.exists() and not args.out.is_dir():
        parser.error(f"-o {args.out}: an existing file; --text-file writes one wav per line into a folder")
    if args.text_file is not None and not args.out.exists() and args.out.suffix.lower() == ".wav":
        # a folder named like a file is what a user who expects one wav would get
        parser.error(f"-o {args.out}: a .wav name; --text-file writes one wav per line into a folder: give a folder")
    folder = args.out if args.text_file is not None else args.out.parent
    existing = next(p for p in (folder.absolute(), *folder.absolute().parents) if p.exists())
    writable_file = args.text_file is None and args.out.is_file() and os.access(args.out, os.W_OK)  # overwritten
    if existing.is_dir() and not writable_file and not os.access(existing, os.W_OK | os.X_OK):  # said before speaking
        parser.error(f"-o {args.out}: {existing} is not writable (permission denied)")
    if args.temperature is not None:  # checked before the model loads; with --text-file every line would be refused
        from lm.generate import SamplingConfig

        try:
            SamplingConfig(temperature=args.temperature)
        except ValueError as e:
            parser.error(f"--temperature: {e}")
    from codec.model import CodecLoadError
    from lm.phonemes import PhonemizerError
    from pipelines.tts import GENERATION_BATCH, MAX_TEXT_CHARACTERS, load_pipeline

    try:
        pipeline = load_pipeline(args.model)
    except (CodecLoadError, OSError, ValueError) as e:  # PipelineLoadError and the LM's errors are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 2
    sampling = {} if args.temperature is None else {"temperature": args.temperature}
    start, seconds = time.perf_counter(), 0.0

    def write(target: Path, out: dict) -> None:
        nonlocal seconds
        try:
            save_wav(target, out["audio"], out["sampling_rate"])
        except (OSError, RuntimeError, ValueError) as e:  # RuntimeError: soundfile's LibsndfileError
            raise _CannotWrite(f"cannot write {target}: {e}") from None
        seconds += len(out["audio"]) / out["sampling_rate"]
        print(target)

    # An unwritable -o or a missing espeak-ng fails every text alike: one error line and status 2, no traceback.
    try:
        if args.text_file is None:
            try:
                out = pipeline(args.text, seed=args.seed, **sampling)
            except ValueError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
            write(args.out, out)
            skipped = []
        else:
            # in calls of a few lines, each line's wav written as soon as its call returns; a call refused for one of
            # its lines is redone line by line, so that only that line is lost
            skipped = []
            for chunk in line_chunks(lines, GENERATION_BATCH, MAX_TEXT_CHARACTERS):
                try:
                    outputs = pipeline([text for _, text in chunk], seed=args.seed, **sampling)
                except ValueError:
                    outputs = None
                for k, (number, text) in enumerate(chunk):
                    out = outputs[k] if outputs is not None else None
                    if out is None:
                        try:
                            out = pipeline(text, seed=args.seed, **sampling)
                        except ValueError as e:
                            print(f"skipped line {number} of {args.text_file}: {e}", file=sys.stderr)
                            skipped.append(number)
                            continue
                    write(args.out / f"{number:04d}.wav", out)
    except (_CannotWrite, PhonemizerError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    print(f"{seconds:.2f} s of audio in {elapsed:.2f} s (real-time factor {elapsed / max(seconds, 1e-9):.3f})",
          file=sys.stderr)
    if skipped:
        print(f"{len(skipped)} of {len(lines)} lines skipped (lines {', '.join(map(str, skipped))})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
