"""The text side of the LM: normalize_text (-> optional espeak-ng phonemes) -> a small sentencepiece model.

The tokenizer trains on the normalized training transcripts, so TTS input goes through exactly the same
normalizer. Small corpora work: `hard_vocab_limit=False` lets sentencepiece stop below `vocab_size` when the text
has fewer distinct pieces, and `character_coverage=1.0` keeps every training character. Characters that still
cannot be represented (absent from the training text) are dropped with a warning instead of becoming <unk>.

Files (in a save_pretrained directory): tokenizer.model (sentencepiece) and tokenizer.json (settings, alphabet).
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import sentencepiece as spm

from codec.checkpoint import read_versioned_json, refuse_unknown_keys
from codec.cli import positive_int, run_main
from lm.normalize import normalize_text
from lm.phonemes import PhonemizerError, phonemize, phonemize_many

log = logging.getLogger(__name__)

TOKENIZER_FORMAT_VERSION = 1
MODEL_FILE, SETTINGS_FILE = "tokenizer.model", "tokenizer.json"


class TokenizerError(ValueError):
    pass


@dataclass(frozen=True)
class TextConfig:
    vocab_size: int = 512  # an upper bound: small corpora give fewer pieces
    model_type: str = "unigram"  # or "bpe"
    phonemes: bool = False  # train on and encode espeak-ng IPA instead of letters
    espeak_voice: str = "en-us"

    def __post_init__(self):
        if self.model_type not in ("unigram", "bpe"):
            raise TokenizerError(f"model_type {self.model_type!r}: expected 'unigram' or 'bpe'")


class TextTokenizer:
    def __init__(self, model_bytes: bytes, config: TextConfig, alphabet: str):
        self.config = config
        self.model_bytes = model_bytes
        self.alphabet = frozenset(alphabet)
        self.sp = spm.SentencePieceProcessor(model_proto=model_bytes)
        self._warned: set[str] = set()

    @property
    def size(self) -> int:
        return self.sp.get_piece_size()

    # -- training --------------------------------------------------------------------------------------------
    @classmethod
    def train(cls, texts: list[str], config: TextConfig = TextConfig()) -> "TextTokenizer":
        strings = [s for s in (normalize_text(t) for t in texts) if s]
        if config.phonemes:
            strings = [s for s in phonemize_many(strings, config.espeak_voice, disk_cache=True) if s]
        if not strings:
            raise TokenizerError("no training text left after normalization")
        alphabet = "".join(sorted(set("".join(strings)) - {" "}))
        # unk + the word-boundary piece + one piece per character is the least sentencepiece accepts.
        vocab_size = max(config.vocab_size, len(alphabet) + 2)
        # sentencepiece skips a sentence longer than max_sentence_length bytes (4192 by default): a character only
        # such a sentence holds would be in the alphabet, kept by encode(), and come out as <unk>
        longest = max(len(s.encode("utf-8")) for s in strings)
        model = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(strings), model_writer=model, vocab_size=vocab_size,
                model_type=config.model_type, character_coverage=1.0, hard_vocab_limit=False,
                normalization_rule_name="identity",  # normalize_text already did it; NFKC would alter IPA
                unk_id=0, bos_id=-1, eos_id=-1, pad_id=-1,  # the LM has its own specials
                num_threads=1, minloglevel=2, max_sentence_length=max(4192, longest + 1))
        except RuntimeError as e:
            raise TokenizerError(f"sentencepiece training failed on {len(strings)} sentences: {e}") from e
        return cls(model.getvalue(), config, alphabet)

    # -- use -------------------------------------------------------------------------------------------------
    def preprocess(self, text: str) -> str:
        """The string the pieces are taken from: normalized, phonemized if configured, unknown characters dropped."""
        return self.preprocess_many([text])[0]

    def preprocess_many(self, texts: list[str], disk_cache: bool = False) -> list[str]:
        """preprocess() of each text; with phonemes the espeak-ng calls run several at a time (a corpus of thousands
        of sentences is otherwise minutes of one subprocess after another at every start of a training run), and
        `disk_cache=True` (corpora, not users' text) keeps the answers on disk for the next start (lm.phonemes)."""
        reports: list[list[str]] = [[] for _ in texts]
        strings = [normalize_text(t, report=r) for t, r in zip(texts, reports)]
        if self.config.phonemes:
            voice = self.config.espeak_voice
            strings = ([phonemize(strings[0], voice)] if len(strings) == 1
                       else phonemize_many(strings, voice, disk_cache=disk_cache))
        return [self._known_characters(s, r, t) for s, r, t in zip(strings, reports, texts)]

    def encode_many(self, texts: list[str], disk_cache: bool = False) -> list[list[int]]:
        return [self.sp.encode(s) for s in self.preprocess_many(texts, disk_cache)]

    def _known_characters(self, s: str, dropped: list[str], text: str) -> str:
        kept = "".join(ch for ch in s if ch == " " or ch in self.alphabet)
        dropped += [ch for ch in s if ch != " " and ch not in self.alphabet]
        new = set(dropped) - self._warned
        if new:
            self._warned |= new
            log.warning("text tokenizer: dropping characters it cannot represent: %s (in %r)",
                        " ".join(sorted(new)), text[:80])
        return " ".join(kept.split())

    def encode(self, text: str) -> list[int]:
        return self.sp.encode(self.preprocess(text))

    def decode(self, ids: list[int]) -> str:
        return self.sp.decode(list(ids))

    # -- files -----------------------------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> None:
        directory = Path(directory)
        (directory / MODEL_FILE).write_bytes(self.model_bytes)
        settings = {"format_version": TOKENIZER_FORMAT_VERSION, **asdict(self.config),
                    "alphabet": "".join(sorted(self.alphabet)), "pieces": self.size}
        (directory / SETTINGS_FILE).write_text(json.dumps(settings, indent=2, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "TextTokenizer":
        directory = Path(directory)
        model_path, settings_path = directory / MODEL_FILE, directory / SETTINGS_FILE
        if not model_path.exists():
            raise TokenizerError(f"{model_path}: file not found")
        settings = read_versioned_json(settings_path, TOKENIZER_FORMAT_VERSION, TokenizerError)
        expected = {"format_version", *TextConfig.__dataclass_fields__, "alphabet", "pieces"}
        refuse_unknown_keys(settings_path, TokenizerError, {"": (settings, expected)})
        if missing := sorted(expected - set(settings)):
            raise TokenizerError(f"{settings_path}: missing keys {missing}")
        config = TextConfig(**{k: settings[k] for k in TextConfig.__dataclass_fields__})
        try:
            tokenizer = cls(model_path.read_bytes(), config, settings["alphabet"])
        except RuntimeError as e:
            raise TokenizerError(f"{model_path}: not a readable sentencepiece model ({e})") from None
        if tokenizer.size != settings["pieces"]:
            raise TokenizerError(f"{model_path}: has {tokenizer.size} pieces, {settings_path} says {settings['pieces']}")
        return tokenizer


def main(argv: list[str] | None = None) -> int:
    """python -m lm.text --manifest train.jsonl --out DIR [--vocab-size N] [--model-type bpe] [--phonemes]"""
    from codec.checkpoint import atomic_directory, require_replaceable
    from codec.data import read_manifest

    parser = argparse.ArgumentParser(prog="python -m lm.text", description="Train the text tokenizer on a manifest's transcripts.")
    parser.add_argument("--manifest", type=Path, required=True, action="append", help="repeat for several manifests")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--vocab-size", type=positive_int, default=TextConfig.vocab_size,
                        help="the most text pieces (a small corpus may give fewer; at least the corpus's distinct "
                             "characters + 2, which sentencepiece needs)")
    parser.add_argument("--model-type", choices=("unigram", "bpe"), default=TextConfig.model_type)
    parser.add_argument("--phonemes", action="store_true", help="train on espeak-ng IPA phonemes")
    args = parser.parse_args(argv)
    try:
        require_replaceable(args.out, SETTINGS_FILE, "tokenizer")
    except FileExistsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    texts = [u.text for m in args.manifest for u in read_manifest(m, verify_audio=False)]
    try:
        tokenizer = TextTokenizer.train(texts, TextConfig(args.vocab_size, args.model_type, args.phonemes))
    except PhonemizerError as e:  # espeak-ng missing or failing: its message names the text
        print(f"error: {e}", file=sys.stderr)
        return 2
    except TokenizerError as e:  # e.g. no text left: which manifests gave none
        print(f"error: {', '.join(map(str, args.manifest))}: {e}", file=sys.stderr)
        return 2
    with atomic_directory(args.out) as tmp:
        tokenizer.save(tmp)
    print(f"{args.out}: {tokenizer.size} pieces from {len(texts)} transcripts")
    return 0


if __name__ == "__main__":
    run_main(main, (FileNotFoundError,))
