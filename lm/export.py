"""A training checkpoint -> an LM folder (config.json + model.safetensors + tokenizer), e.g. to evaluate or package a
run mid-way, as codec.export does for codecs.

    python -m lm.export exp/tiny/lm/16384/checkpoints/step_00002000 exp/tiny/lm/16384/at_2000
    python -m pipelines.package --codec CODEC_DIR --lm exp/tiny/lm/16384/at_2000 --out exp/tiny/tts/16384-at-2000

A checkpoint holds the weights and the optimizer; the rest comes from its run's folder (the checkpoint's
grandparent): train_config.json (the preset and row length), tokenizer/ (the text tokenizer), and the codec from a
model the run saved (best/ or final/) or else from the header of the training tokens it names. The optimizer
and RNG states are left behind.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from codec.checkpoint import FORMAT_VERSION as CHECKPOINT_FORMAT
from codec.checkpoint import cwd_relative, read_versioned_json, require_replaceable
from codec.export import STATE_FILE
from lm.identity import CodecIdentity
from lm.model import WEIGHTS_FILE, LMLoadError, SpeechLM, load_weights
from lm.text import TextTokenizer
from lm.tokens import open_tokens
from lm.train import lm_config_for


def lm_from_checkpoint(checkpoint: str | Path) -> tuple[SpeechLM, int]:
    """The LM of an lm.train checkpoint folder and its step; LMLoadError names what is missing or wrong."""
    checkpoint = Path(checkpoint)
    run = checkpoint.resolve().parent.parent
    for path in (checkpoint / STATE_FILE, checkpoint / WEIGHTS_FILE, run / "train_config.json",
                 run / "tokenizer" / "tokenizer.model"):
        if not path.is_file():
            raise LMLoadError(f"{path}: missing (not an lm.train checkpoint folder, in its run's checkpoints/?)")
    state = read_versioned_json(checkpoint / STATE_FILE, CHECKPOINT_FORMAT, LMLoadError)
    try:
        settings = json.loads((run / "train_config.json").read_text())
        config = lm_config_for(settings["preset"], settings["row_length"])
        identity = _codec_identity(run, settings["tokens"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, OSError) as e:
        raise LMLoadError(f"{run / 'train_config.json'}: cannot rebuild the run's LM from it ({e})") from None
    tokenizer = TextTokenizer.load(run / "tokenizer")
    lm = SpeechLM.create(config, tokenizer, identity)
    load_weights(lm.model, checkpoint / WEIGHTS_FILE, run / "train_config.json")
    return lm, int(state["step"])


def _codec_identity(run: Path, tokens: str) -> CodecIdentity:
    """The codec the run trained on: from a model it saved (final/ or best/: no token store needed, wherever the
    command runs), else from the header of its training tokens (their path as the run was given it)."""
    for saved in (run / "final" / "config.json", run / "best" / "config.json"):
        if saved.is_file():
            return CodecIdentity.from_dict(json.loads(saved.read_text())["codec"])
    return open_tokens(tokens).identity


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m lm.export", description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", help="a checkpoint folder, e.g. <run>/checkpoints/step_00002000")
    parser.add_argument("out", help="the LM folder to write (config.json + model.safetensors + tokenizer)")
    args = parser.parse_args(argv)
    try:
        lm, step = lm_from_checkpoint(args.checkpoint)
        require_replaceable(args.out, "config.json", "LM")
    except (LMLoadError, FileExistsError) as e:
        parser.exit(2, f"lm.export: {e}\n")
    lm.save_pretrained(args.out)
    print(f"LM of step {step} of {cwd_relative(Path(args.checkpoint).resolve().parent.parent)} -> {args.out}")
    return Path(args.out)


if __name__ == "__main__":
    main()
