"""Real inputs for the LM and TTS benchmarks, built once and cached under a work directory.

A synthetic corpus rendered by flite (pipelines.corpus.build_synth, as tests/conftest.py's synth_corpus), its
tokens extracted by a debug-preset codec with random weights (lm.extract.extract): the utterance and text lengths
are real, the code values are not (speed and padding do not depend on them). A text tokenizer trained on the
transcripts. Codes of another codebook size (e.g. the tiny codec's 4096) are mapped by modulo for generation prompts
only; lengths are what matters.
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import torch

DEFAULT_WORK = Path(os.environ.get("SGSPEECH_BENCH_WORK", "/tmp/sgspeech-bench"))


def corpus(work: Path = DEFAULT_WORK, utterances: int = 48) -> dict:
    from pipelines.corpus import build_synth

    out = Path(work) / f"synth-{utterances}"
    if (out / "train.jsonl").exists() and (out / "test.jsonl").exists():
        return {split: out / f"{split}.jsonl" for split in ("train", "dev", "test")}
    # build_synth prints a summary per manifest: to stderr, as every benchmark's log, so that stdout carries the
    # JSON records alone (`--out -`), also on the first run, which builds this corpus
    with contextlib.redirect_stdout(sys.stderr):
        return build_synth(out, ["slt", "rms"], max_utts=utterances, seed=0, dev_fraction=0.05, test_fraction=0.05)


def tokens(work: Path = DEFAULT_WORK, utterances: int = 48) -> Path:
    """A complete token directory of the corpus' training split (debug codec, random weights, seed 0)."""
    from codec.config import CodecConfig
    from codec.model import Codec
    from lm.extract import extract
    from lm.tokens import read_header

    manifests = corpus(work, utterances)
    out = Path(work) / f"tokens-debug-{utterances}"
    if (out / "tokens.json").exists() and read_header(out).get("complete"):
        return out
    torch.manual_seed(0)
    codec = Codec(CodecConfig.preset("debug")).eval()
    extract(codec, manifests["train"], out, batch_size=8, workers=0)
    return out


def tokenizer(work: Path = DEFAULT_WORK, utterances: int = 48):
    from lm.text import TextConfig, TextTokenizer
    from lm.tokens import TokenStore

    folder = Path(work) / f"tokenizer-{utterances}"
    if (folder / "tokenizer.model").exists():
        return TextTokenizer.load(folder)
    store = TokenStore(tokens(work, utterances))
    tok = TextTokenizer.train([e.text for e in store.entries], TextConfig(vocab_size=256))
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(folder)
    return TextTokenizer.load(folder)


def sentences(work: Path = DEFAULT_WORK, utterances: int = 48) -> list[str]:
    from lm.tokens import TokenStore

    return [e.text for e in TokenStore(tokens(work, utterances)).entries]


def decoder_precision(model, rows: int, sampling) -> str:
    """The precision lm.generate.generate_codes decodes a batch of `rows` in under `sampling`: its head's and its
    layers' (SamplingConfig's half-precision copies where lm.generate uses them, else the model's own weights).
    On a CPU with half_precision "where_faster" the answer is the verdict generate_codes measured for that batch
    size (remembered per process), so ask after a generation of that size."""
    from lm.generate import _compute_dtypes

    own = next(model.parameters())
    head, layers = _compute_dtypes(model, rows, sampling, own.device)

    def name(dtype):
        return str(own.dtype if dtype is None else dtype).removeprefix("torch.")

    return f"head {name(head)}, layers {name(layers)}"
