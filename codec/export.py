"""A training checkpoint -> a codec folder (config.json + model.safetensors), e.g. to evaluate a run mid-way.

    python -m codec.export exp/tiny/codec/16384-sg/checkpoints/step_00006000 exp/tiny/codec/16384-sg/at_6000
    python -m pipelines.evaluate codec --codec exp/tiny/codec/16384-sg/at_6000 --manifest test.jsonl --out ...

The checkpoint's own trainer_state.json names the codec config it was trained with, so no options are needed; the
discriminators and optimizer states are left behind. The result loads with Codec.from_pretrained. Beside it,
exported_from.json names the training run and step it came from, so that a codec trained on from the export
(`codec.train --init-from`) keeps its history: pipelines.model_card follows that chain back.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from safetensors.torch import load_file

from codec.checkpoint import FORMAT_VERSION as CHECKPOINT_FORMAT
from codec.checkpoint import cwd_relative, read_versioned_json, require_replaceable
from codec.config import CodecConfig, ConfigError
from codec.model import Codec, CodecLoadError
from codec.objective import GeneratorForward
from codec.trainloop import write_json

GENERATOR_FILE = "generator.safetensors"
STATE_FILE = "trainer_state.json"
PROVENANCE_FILE = "exported_from.json"


def folder_label(path: str | Path) -> str:
    """A model folder's name for people: its own, or for a run's final/ or best/ its run's
    (exp/codec-16384-sg/final -> codec-16384-sg)."""
    path = Path(path)
    # "." and ".." (and "exp/run/..") have no name of their own: theirs is the folder they resolve to. An empty label
    # or ".." would put a system's results in its parent's folder (pipelines.evaluate joins it to a path).
    name = path.name if path.name not in ("", ".", "..") else path.resolve().name or str(path.resolve())
    if name in ("final", "best") and path.resolve().parent.name:
        return path.resolve().parent.name
    return name


def codec_from_checkpoint(checkpoint: str | Path) -> tuple[Codec, int]:
    """The generator of a codec.train checkpoint folder and its step; CodecLoadError names what is wrong."""
    checkpoint = Path(checkpoint)
    state_path, weights_path = checkpoint / STATE_FILE, checkpoint / GENERATOR_FILE
    for path in (state_path, weights_path):
        if not path.is_file():
            raise CodecLoadError(f"{path}: missing (not a codec.train checkpoint folder?)")
    state = read_versioned_json(state_path, CHECKPOINT_FORMAT, CodecLoadError)  # a checkpoint of another format
    try:
        config = CodecConfig.from_dict(state["codec_config"], source=str(state_path))
    except (KeyError, TypeError, ConfigError) as e:
        raise CodecLoadError(f"{state_path}: no readable codec config ({e})") from e
    generator = GeneratorForward(Codec(config))
    try:
        weights = load_file(str(weights_path))
    except Exception as e:  # safetensors raises its own error types for truncated or foreign files
        raise CodecLoadError(f"{weights_path}: not a readable safetensors file ({e})") from e
    expected = generator.state_dict()
    missing, unexpected = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
    # checked here: load_state_dict would raise on a wrong shape as if the file itself were unreadable
    wrong = sorted(k for k in set(expected) & set(weights) if expected[k].shape != weights[k].shape)
    if missing or unexpected or wrong:
        raise CodecLoadError(f"{weights_path}: weights do not match the config in {state_path} "
                             f"(missing {missing[:5]}, unexpected {unexpected[:5]}, wrong shape {wrong[:5]})")
    generator.load_state_dict(weights)
    return generator.codec.eval(), int(state.get("step", -1))


def load_codec_or_checkpoint(path: str | Path) -> tuple[Codec, int | None]:
    """A codec folder (step None) or a codec.train checkpoint folder (with its step), for the diagnostic scripts."""
    path = Path(path)
    if (path / STATE_FILE).exists():
        return codec_from_checkpoint(path)
    return Codec.from_pretrained(path), None


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m codec.export", description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", help="a checkpoint folder, e.g. <run>/checkpoints/step_00006000")
    parser.add_argument("out", help="the codec folder to write (config.json + model.safetensors)")
    args = parser.parse_args(argv)
    try:
        codec, step = codec_from_checkpoint(args.checkpoint)
    except CodecLoadError as e:
        parser.exit(2, f"codec.export: {e}\n")
    try:
        require_replaceable(args.out, "config.json", "codec")
    except FileExistsError as e:
        parser.exit(2, f"codec.export: {e}\n")
    out = codec.save_pretrained(args.out)
    checkpoint = cwd_relative(args.checkpoint)
    run = checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else None
    write_json(out / PROVENANCE_FILE, {"format_version": 1, "run": str(run) if run else None,
                                       "checkpoint": str(checkpoint), "step": step})
    print(f"codec of step {step} -> {out}")
    return out


if __name__ == "__main__":
    main()
