"""`SpeechLM`: the LlamaForCausalLM together with everything needed to use it correctly.

A save_pretrained directory holds
  config.json        format version, LMConfig, the vocabulary layout and the codec identity;
  model.safetensors  the Llama weights;
  tokenizer.model / tokenizer.json  the text tokenizer with its normalizer/phoneme settings (lm/text.py).
from_pretrained(dir, codec=...) refuses a codec whose fingerprint differs from the one the LM was trained on.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_model, save_model
from transformers import LlamaForCausalLM

from codec.checkpoint import atomic_directory, read_versioned_json, refuse_unknown_keys, require_replaceable
from lm.config import LMConfig
from lm.identity import CodecIdentity
from lm.text import TextTokenizer
from lm.vocab import Vocabulary

LM_FORMAT_VERSION = 1
CONFIG_FILE, WEIGHTS_FILE = "config.json", "model.safetensors"


class LMLoadError(ValueError):
    """A save_pretrained directory that cannot be used; the message names the file."""


def build_llama(config: LMConfig, vocab: Vocabulary) -> LlamaForCausalLM:
    llama_config = config.llama_config(vocab.size, vocab.pad)
    llama_config._attn_implementation = "sdpa"
    # No cache unless asked for (generation does): transformers only turns restarting position_ids into the
    # block-diagonal mask of packed rows when there is no cache, so a default cache would silently let packed
    # utterances attend to each other.
    llama_config.use_cache = False
    return LlamaForCausalLM(llama_config)


# How training computes attention over packed rows (both honour the block-diagonal mask of restarting position_ids):
# sdpa materialises a dense [row, row] mask, so its kernel works on every (query, key) pair of a row - a 2048-token
# row of ~250-token utterances is ~90 % masked-out work; flex_attention (torch FlexAttention) skips the blocks that
# are masked whole. Saved models do not record it: generation always runs sdpa on its static cache.
ATTENTION_KINDS = ("sdpa", "flex_attention")


def attention_problem(kind: str, device: str | torch.device, training: bool = True) -> str | None:
    """Why `kind` cannot run (train, if `training`) on `device`, or None: FlexAttention has no backward on CPU."""
    if kind not in ATTENTION_KINDS:
        return f"attention {kind!r}: choose from {', '.join(ATTENTION_KINDS)}"
    if kind == "flex_attention" and training and torch.device(device).type != "cuda":
        return (f"attention flex_attention: torch {torch.__version__} has no FlexAttention backward on "
                f"{torch.device(device).type}; train with sdpa there")
    return None


def use_attention(model: LlamaForCausalLM, kind: str, device: str | torch.device, training: bool = True) -> None:
    """Switch `model`'s attention kernel (ATTENTION_KINDS); ValueError where attention_problem names one."""
    problem = attention_problem(kind, device, training)
    if problem:
        raise ValueError(problem)
    model.set_attn_implementation(kind)


class SpeechLM:
    def __init__(self, model: LlamaForCausalLM, config: LMConfig, vocab: Vocabulary, tokenizer: TextTokenizer,
                 codec: CodecIdentity):
        if tokenizer.size != vocab.text_size:
            raise ValueError(f"tokenizer has {tokenizer.size} pieces, the vocabulary expects {vocab.text_size}")
        if codec.codebook_size != vocab.codebook_size:
            raise ValueError(f"codec codebook {codec.codebook_size} != vocabulary codebook {vocab.codebook_size}")
        self.model, self.config, self.vocab, self.tokenizer, self.codec = model, config, vocab, tokenizer, codec

    @classmethod
    def create(cls, config: LMConfig, tokenizer: TextTokenizer, codec: CodecIdentity) -> "SpeechLM":
        vocab = Vocabulary(text_size=tokenizer.size, codebook_size=codec.codebook_size)
        return cls(build_llama(config, vocab), config, vocab, tokenizer, codec)

    def check_codec(self, codec, where: str = "the codec given") -> None:
        """Raise CodecMismatchError unless `codec` (a Codec or CodecIdentity) is the one this LM was trained on."""
        other = codec if isinstance(codec, CodecIdentity) else CodecIdentity.of(codec)
        self.codec.require_same(other, "this LM", where)

    def save_pretrained(self, directory: str | os.PathLike, dtype: torch.dtype | None = None) -> None:
        """dtype (e.g. torch.float16): store the weights in that precision (half the bytes); from_pretrained loads
        them into the model's own float32 parameters either way."""
        model = self.model if dtype is None else copy.deepcopy(self.model).to(dtype)  # deepcopy keeps the tying
        require_replaceable(directory, CONFIG_FILE, "LM")  # replaced whole: a folder of something else is refused
        with atomic_directory(directory) as tmp:
            config = {"format_version": LM_FORMAT_VERSION, "architecture": "LlamaForCausalLM",
                      "lm": self.config.to_dict(), "vocabulary": self.vocab.to_dict(), "codec": self.codec.to_dict()}
            (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2))
            save_model(model, str(tmp / WEIGHTS_FILE))  # handles the tied embedding/lm_head weights
            self.tokenizer.save(tmp)

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike, codec=None, device: str | torch.device = "cpu") -> "SpeechLM":
        directory = Path(directory)
        config_path, weights_path = directory / CONFIG_FILE, directory / WEIGHTS_FILE
        hint = f" (is {directory} an LM save_pretrained directory?)"
        if not config_path.is_file() and (directory / "trainer_state.json").is_file():
            raise LMLoadError(f"{directory}: a training checkpoint, not an LM folder: export it first "
                              f"(python -m lm.export {directory} OUT)")
        saved = read_versioned_json(config_path, LM_FORMAT_VERSION, LMLoadError, hint)
        if not weights_path.exists():
            raise LMLoadError(f"{weights_path}: file not found{hint}")
        if saved.get("architecture") != "LlamaForCausalLM":
            raise LMLoadError(f"{config_path}: architecture {saved.get('architecture')!r}, this code builds "
                              f"'LlamaForCausalLM'")
        try:
            config, vocab = LMConfig.from_dict(saved["lm"]), Vocabulary.from_dict(saved["vocabulary"])
            identity = CodecIdentity.from_dict(saved["codec"])
        except (KeyError, TypeError, ValueError) as e:
            raise LMLoadError(f"{config_path}: incomplete or inconsistent ({e!r})") from None
        refuse_unknown_keys(config_path, LMLoadError, {
            "": (saved, {"format_version", "architecture", "lm", "vocabulary", "codec"}),
            "lm": (saved["lm"], {f.name for f in dataclasses.fields(LMConfig)}),
            "vocabulary": (saved["vocabulary"], set(vocab.to_dict())),
            "codec": (saved["codec"], {f.name for f in dataclasses.fields(CodecIdentity)})})
        tokenizer = TextTokenizer.load(directory)
        model = build_llama(config, vocab)
        load_weights(model, weights_path, config_path, device)
        lm = cls(model.to(device).eval(), config, vocab, tokenizer, identity)
        if codec is not None:
            lm.check_codec(codec)
        return lm


def load_weights(model: torch.nn.Module, weights_path: Path, config_path: Path, device: str | torch.device = "cpu") -> None:
    """Load a safetensors file into `model` (tied weights included); LMLoadError where it is unreadable or its
    tensors do not match the model that `config_path` describes."""
    try:  # the header first: an unreadable file and weights of another shape get different messages
        with safe_open(str(weights_path), "pt") as f:
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError) as e:
        raise LMLoadError(f"{weights_path}: unreadable or truncated ({e})") from None
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    wrong = sorted(k for k in shapes.keys() & expected.keys() if shapes[k] != expected[k])
    if wrong:
        raise LMLoadError(f"{weights_path}: weights do not match {config_path} (wrong shape: "
                          + ", ".join(f"{k} {shapes[k]} vs {expected[k]}" for k in wrong[:3]) + ")")
    try:
        missing, unexpected = load_model(model, str(weights_path), strict=False, device=str(device))
    except (SafetensorError, OSError, RuntimeError) as e:
        raise LMLoadError(f"{weights_path}: unreadable or truncated ({e})") from None
    if missing or unexpected:
        raise LMLoadError(f"{weights_path}: weights do not match {config_path} "
                          f"(missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]})")
