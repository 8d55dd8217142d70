"""Text -> speech: the codec and the speech LM behind one call.

    from pipelines import synthesize
    out = synthesize("Hello there.", model="exp/debug/tts", seed=0)   # {"audio": float32 [T], "sampling_rate": 16000}

A pipeline folder holds `pipeline.json` (format version, sampling defaults), `codec/` (Codec.save_pretrained) and
`lm/` (SpeechLM.save_pretrained, tokenizer included). Long text is split into sentences; the sentences of all
inputs are generated together, GENERATION_BATCH at a time, decoded, and joined with short pauses. `TTSPipeline.stream(text)` yields the
same speech sentence by sentence instead, for playback that starts after the first sentence.

Any input ends: generation stops at SPEECH_END, at the sampling length bound or at the LM's context, whichever
comes first, and one call takes at most MAX_TEXT_CHARACTERS characters (longer input: ValueError; call once per
part), so time and memory stay bounded. Empty, whitespace-only or unspeakable text (only punctuation, emoji, or
scripts the tokenizer cannot represent) raises ValueError naming the text.

Thread safety: a pipeline may be called from several threads at once. Calls on the same pipeline are serialized
by a per-pipeline lock (torch modules and the KV cache are not shareable mid-generation), and sampling draws
from per-row generators seeded by (seed, prompt), never from the global RNG, so a call gives the same audio
under the same seed whether the threads run at once or one after another (tests/test_reliability_inputs.py checks it).
For parallel throughput load one pipeline per thread, or pass several texts in one call (they are batched).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import numbers
import os
import re
import secrets
import threading
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from codec import Codec
from codec.checkpoint import atomic_directory, read_versioned_json, refuse_unknown_keys, require_replaceable
from lm.generate import SamplingConfig, generate_codes
from lm.model import SpeechLM
from lm.normalize import normalize_text
from lm.tokens import file_sha256

log = logging.getLogger("pipelines.tts")

PIPELINE_FORMAT_VERSION = 1
PIPELINE_FILE = "pipeline.json"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
# Longer sentences (in spoken words) are cut at commas, then every 25 words: the LM was trained on sentences, and
# its context holds the prompt and the speech together. With 40-word pieces the default model dropped words (TTS WER
# 0.654 against 0.441 with 25, 20 sentences of 40-50 words: docs/results/sentence-pieces-2026-12-07/).
MAX_SENTENCE_WORDS = 25
GENERATION_BATCH = 16  # sentences generated together (bounds memory for very long inputs)
MAX_TEXT_CHARACTERS = 20_000  # per call, all texts together: the audio of one call is held in memory


class PipelineLoadError(ValueError):
    """A pipeline folder that is missing, incomplete or mismatched; the message names the file."""


# A period after these ends no sentence ("Dr. Smith", "Jan. 3rd"); nor does one after a single letter ("J. Smith",
# "p.m.") or before a word in lower case or a number ("No. 5": "no" is not listed, "The answer is no." ends one).
_NON_FINAL_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "mt", "vs", "fig", "e.g", "i.e", "approx",
                            "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}


_CLOSING = "\"')]}\u2019\u201d\u00bb"  # closing quotes and brackets that may follow a sentence's end mark
_OPENING = "\"'([{\u2018\u201c\u00ab"  # and the opening ones a word may start with ('"Mr." Smith')
# the space after an end mark and up to two closing marks (fixed-width lookbehinds: the marks stay in the sentence)
_SENTENCE_BREAK = re.compile("(?:" + "|".join(r"(?<=[.!?;]" + f"[{re.escape(_CLOSING)}]" * n + ")" for n in range(3))
                             + r")\s+")


def _sentence_ends(piece: str, following: str) -> bool:
    """Whether the split between `piece` and `following` (cut after its final . ! ? ;, perhaps followed by closing
    quotes or brackets) ends a sentence."""
    closed = piece != piece.rstrip(_CLOSING)
    piece = piece.rstrip(_CLOSING)
    if not piece.endswith("."):
        # '"Is it?" she asked.': a quoted question or exclamation that the sentence goes on after
        return not (closed and following[:1].islower())
    last = piece.split()[-1].lstrip(_OPENING).rstrip(".").lower()
    initial = len(last.split(".")[-1]) == 1 and last[-1:].isalpha()
    return not (last in _NON_FINAL_ABBREVIATIONS or initial or following[:1].islower() or following[:1].isdigit())


def split_sentences(text: str) -> list[str]:
    """Split text into sentences (., !, ?, ;, line breaks), cutting very long ones at commas or every N words.
    A period after an abbreviation or an initial, or before a lower-case word or a number, does not split."""
    sentences = []
    for line in re.split(r"\n+", text):
        in_line = []
        for piece in _SENTENCE_BREAK.split(line.strip()):
            if in_line and not _sentence_ends(in_line[-1], piece):
                in_line[-1] += " " + piece
            elif piece:
                in_line.append(piece)
        sentences += in_line
    pieces = []
    for sentence in sentences:
        if _spoken_words(sentence) <= MAX_SENTENCE_WORDS:
            pieces.append(sentence)
            continue
        for clause in re.split(r"(?<=,)\s+", sentence):
            chunk: list[str] = []
            words = []
            for word in clause.split():
                spoken = normalize_text(word).split()
                # a written word longer than a piece (a 100-digit account number) goes in as its spoken words, which
                # can be cut like any others (the normalizer reads them back unchanged)
                words += spoken if len(spoken) > MAX_SENTENCE_WORDS else [word]
            for word in words:
                if chunk and _spoken_words(" ".join(chunk + [word])) > MAX_SENTENCE_WORDS:
                    pieces.append(" ".join(chunk))
                    chunk = []
                chunk.append(word)
            pieces.append(" ".join(chunk))
    return [p.strip() for p in pieces if p.strip()]


def _spoken_words(text: str) -> int:
    """Words as spoken, not as written: "$1,234,567.89" is one written word and thirteen spoken ones."""
    return len(normalize_text(text).split())


def _pause_seconds(value) -> float:
    """The pause between sentences as a float, checked when a pipeline is made: at the first synthesis a negative
    or NaN one would fail inside np.zeros with a message that names nothing."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (math.isfinite(value) and value >= 0):
        raise ValueError(f"pause_seconds {value!r}: must be a finite number >= 0")
    return float(value)


class TTSPipeline:
    def __init__(self, codec: Codec, lm: SpeechLM, sampling: SamplingConfig = SamplingConfig(), pause_seconds: float = 0.15):
        lm.check_codec(codec, "the pipeline's codec")
        pause_seconds = _pause_seconds(pause_seconds)
        self.codec, self.lm, self.sampling, self.pause_seconds = codec.eval(), lm, sampling, pause_seconds
        self._lock = threading.Lock()  # one generation at a time per pipeline: torch modules share buffers

    @property
    def sample_rate(self) -> int:
        return self.codec.sample_rate

    # -- persistence ---------------------------------------------------------------------------------------
    def save_pretrained(self, directory: str | os.PathLike, lm_dtype: torch.dtype | None = None,
                        codec_decoder_dtype: torch.dtype | None = None) -> Path:
        """lm_dtype: store the LM's weights in that precision (SpeechLM.save_pretrained); codec_decoder_dtype: the
        codec's decoder side (Codec.save_pretrained; its tokenizer stays float32)."""
        require_replaceable(directory, PIPELINE_FILE, "TTS pipeline")  # replaced whole: refused over anything else
        with atomic_directory(directory) as tmp:
            self.codec.save_pretrained(tmp / "codec", decoder_dtype=codec_decoder_dtype)
            self.lm.save_pretrained(tmp / "lm", dtype=lm_dtype)
            (tmp / PIPELINE_FILE).write_text(json.dumps({
                "format_version": PIPELINE_FORMAT_VERSION, "sampling": dataclasses.asdict(self.sampling),
                "pause_seconds": self.pause_seconds}, indent=2))
        return Path(directory)

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike, device: str | torch.device = "cpu") -> "TTSPipeline":
        directory = Path(directory)
        path = directory / PIPELINE_FILE
        if not directory.is_dir():
            raise PipelineLoadError(f"{directory}: TTS model folder not found")
        saved = read_versioned_json(path, PIPELINE_FORMAT_VERSION, PipelineLoadError,
                                    f" (is {directory} a TTS pipeline folder with codec/ and lm/?)")
        refuse_unknown_keys(path, PipelineLoadError, {"": (saved, {"format_version", "sampling", "pause_seconds"})})
        if not isinstance(saved.get("sampling", {}), dict):
            raise PipelineLoadError(f"{path}: bad sampling settings (expected an object of SamplingConfig fields, "
                                    f"got {saved['sampling']!r})")
        try:  # TypeError: an unknown field; ValueError: a field's value
            sampling = SamplingConfig.from_saved(saved.get("sampling", {}))
        except (TypeError, ValueError) as e:
            raise PipelineLoadError(f"{path}: bad sampling settings ({e})") from None
        try:
            pause_seconds = _pause_seconds(saved.get("pause_seconds", 0.15))
        except ValueError as e:
            raise PipelineLoadError(f"{path}: {e}") from None
        codec = Codec.from_pretrained(directory / "codec", map_location=device)
        lm = SpeechLM.from_pretrained(directory / "lm", codec=codec, device=device)
        return cls(codec, lm, sampling, pause_seconds)

    # -- synthesis -----------------------------------------------------------------------------------------
    def __call__(self, texts: str | list[str], seed: int | None = None, **sampling) -> dict | list[dict]:
        """Speak one text (-> {"audio": float32 [T], "sampling_rate"}) or a list of texts (-> a list of those).

        `seed` makes sampling reproducible (None draws a fresh one); keyword arguments override SamplingConfig
        fields (temperature, top_k, top_p, repetition_penalty, ...). A text gives the same audio alone or in a batch
        with float32 layers and head (half precision rounds by batch: lm/generate.py).
        """
        single = isinstance(texts, str)
        outputs = self.render(self.generate(texts, seed, **sampling))
        return outputs[0] if single else outputs

    def generate(self, texts: str | list[str], seed: int | None = None, **sampling) -> list[list[torch.Tensor]]:
        """The codes `__call__` would speak: per text, one LongTensor [T_s] per sentence (T_s may be 0).

        `render` (or `render_codes` with the same codec) turns them into the same audio; keeping them lets a TTS
        run be judged later, or elsewhere, without the LM (pipelines.evaluate --tts-codes).
        """
        texts = [texts] if isinstance(texts, str) else texts
        sentences, owner = self._sentences(texts)
        config, seed = self._sampling_config(sampling), self._seed(seed)
        codes = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(sentences), GENERATION_BATCH):
                chunk = sentences[start : start + GENERATION_BATCH]
                codes += [c.cpu() for c in generate_codes(self.lm.model, self.lm.vocab, self.lm.tokenizer, chunk,
                                                          config, seed)]
        return [[c for c, o in zip(codes, owner) if o == i] for i in range(len(texts))]

    def stream(self, text: str, seed: int | None = None, **sampling) -> Iterator[dict]:
        """Speak `text` sentence by sentence: yields {"audio": float32 [T_s], "sampling_rate"} per sentence as soon
        as it is decoded, every sentence after the first led by the pause, so playback can start after one
        sentence's synthesis instead of the whole text's. With float32 layers and head, joined, the pieces are
        `self(text, seed)`'s audio (sampling is seeded per sentence; the decoder's padding in a batch changes the
        samples by float rounding only); so with the bundled model's float16 copies on an x86 CPU, which compute in
        float32. With half-precision arithmetic (SamplingConfig.layer_dtype / head_dtype bfloat16, or float16 off
        x86 and on GPUs) the logits' rounding depends on the batch, so a sentence may sample differently at batch 1
        than inside the call's batch: the same voice and text, not the same samples. Each sentence runs at batch 1,
        so a long text takes longer in all than one call.
        """
        if not isinstance(text, str):
            raise TypeError(f"stream speaks one text: expected a str, got {type(text).__name__}")
        sentences, _ = self._sentences([text])
        config, seed = self._sampling_config(sampling), self._seed(seed)
        pause = np.zeros(int(self.pause_seconds * self.sample_rate), np.float32)
        for k, sentence in enumerate(sentences):
            with self._lock, torch.inference_mode():
                codes = generate_codes(self.lm.model, self.lm.vocab, self.lm.tokenizer, [sentence], config, seed)
                audio = _decode(self.codec, [codes[0].cpu()])[0]
            yield {"audio": np.concatenate([pause, audio]) if k else audio, "sampling_rate": self.sample_rate}

    def _sentences(self, texts) -> tuple[list[str], list[int]]:
        """The speakable sentences of all texts, in order, and the index of the text each belongs to."""
        if not isinstance(texts, (list, tuple)):
            raise TypeError(f"expected a str or a list of str, got {type(texts).__name__}")
        total = sum(len(t) for t in texts if isinstance(t, str))
        if total > MAX_TEXT_CHARACTERS:
            raise ValueError(f"{total} characters of text in one call, more than MAX_TEXT_CHARACTERS = "
                             f"{MAX_TEXT_CHARACTERS} (the whole audio is held in memory): synthesize it in parts")
        sentences, owner = [], []
        for i, text in enumerate(texts):
            which = "text" if len(texts) == 1 else f"text {i}"  # an index only where there are several
            if not isinstance(text, str):
                raise TypeError(f"{which}: expected a str, got {type(text).__name__}")
            if not text.strip():
                raise ValueError(f"{which}: empty or whitespace-only text; give something to say")
            pieces = split_sentences(text)
            parts = [s for s, ids in zip(pieces, self.lm.tokenizer.encode_many(pieces)) if ids]
            if not parts:
                raise ValueError(f"{which} ({text[:40]!r}): nothing speakable is left after normalization")
            sentences += parts
            owner += [i] * len(parts)
        return sentences, owner

    def _sampling_config(self, overrides: dict) -> SamplingConfig:
        # Names are checked here, values by SamplingConfig (ValueError naming the field): a TypeError caught from
        # replace() would also call a known option with a bad value (temperature="hot") unknown.
        known = {f.name for f in dataclasses.fields(SamplingConfig)}
        if unknown := sorted(set(overrides) - known):
            raise TypeError(f"unknown sampling option {', '.join(unknown)}: choose from {', '.join(sorted(known))}")
        return dataclasses.replace(self.sampling, **overrides)

    @staticmethod
    def _seed(seed: int | None) -> int:
        if seed is None:
            return secrets.randbelow(2**31)
        # int() would take 1.9 and "1" for seed 1 without a word, and fail on nan with a message naming no seed
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not -(2**63) <= seed < 2**63:
            raise ValueError(f"seed {seed!r}: must be a whole number from -2**63 to 2**63 - 1 (None: a fresh random "
                             "one)")
        return int(seed)

    def render(self, codes: list[list[torch.Tensor]]) -> list[dict]:
        """Audio for `generate`'s codes: per text {"audio": float32 [T], "sampling_rate"}."""
        with self._lock:
            return render_codes(self.codec, codes, self.pause_seconds)


def pipeline_sha256(directory: str | os.PathLike) -> str:
    """sha256 (hex) of a TTS folder's model files (pipeline.json, codec/, lm/), not of a card beside them: the same
    for a copy or a moved folder, so that a measurement made on one can be matched to the other."""
    directory = Path(directory)
    files = [directory / PIPELINE_FILE] + sorted(f for part in ("codec", "lm") for f in (directory / part).rglob("*")
                                                  if f.is_file())
    listing = "".join(f"{f.relative_to(directory).as_posix()}\0{file_sha256(f)}\n" for f in files)
    return hashlib.sha256(listing.encode()).hexdigest()


def render_codes(codec: Codec, codes: list[list[torch.Tensor]], pause_seconds: float = 0.15) -> list[dict]:
    """Decode per-text lists of sentence codes ([T_s] each) with `codec` and join each text's sentences with
    `pause_seconds` of silence: per text {"audio": float32 [T], "sampling_rate"} (TTSPipeline's output)."""
    flat = [c for text in codes for c in text]
    audio = []
    with torch.inference_mode():
        for start in range(0, len(flat), GENERATION_BATCH):
            audio += _decode(codec, flat[start : start + GENERATION_BATCH])
    pause = np.zeros(int(pause_seconds * codec.sample_rate), np.float32)
    outputs, k = [], 0
    for text in codes:
        mine, k = audio[k : k + len(text)], k + len(text)
        joined = [x for j, a in enumerate(mine) for x in ((pause, a) if j else (a,))]
        outputs.append({"audio": np.concatenate(joined or [pause[:0]]).astype(np.float32),
                        "sampling_rate": codec.sample_rate})
    return outputs


def _decode(codec: Codec, codes: list[torch.Tensor]) -> list[np.ndarray]:
    lengths = torch.tensor([len(c) for c in codes])
    if bool((lengths == 0).any()):
        log.warning("%d sentence(s) ended before any speech token: they are silent", int((lengths == 0).sum()))
    out = [np.zeros(0, np.float32)] * len(codes)
    keep = [i for i, n in enumerate(lengths.tolist()) if n > 0]
    if keep:
        device = next(codec.parameters()).device
        padded = torch.zeros(len(keep), int(lengths.max()), dtype=torch.long)
        for row, i in enumerate(keep):
            padded[row, : lengths[i]] = codes[i]
        wav = codec.decode(padded.to(device), lengths[keep].to(device)).float().cpu().numpy()
        for row, i in enumerate(keep):
            out[i] = wav[row, : int(lengths[i]) * codec.hop_length]
    return out


@lru_cache(maxsize=4)
def _load_cached(directory: str) -> TTSPipeline:
    return TTSPipeline.from_pretrained(directory)


def load_pipeline(model: str | os.PathLike | TTSPipeline | None = None) -> TTSPipeline:
    """A TTSPipeline from a folder (loaded once and cached), a loaded pipeline, or None for the default model."""
    if isinstance(model, TTSPipeline):
        return model
    if model is None:
        if not (DEFAULT_MODEL_DIR / PIPELINE_FILE).exists():
            raise PipelineLoadError(
                f"the bundled default model is missing ({DEFAULT_MODEL_DIR} has no {PIPELINE_FILE}: an install "
                "without package data?). `recipes/run.sh --preset default` trains one and installs it there; or pass "
                "model='exp/<preset>/tts/<variant>' (--model DIR).")
        model = DEFAULT_MODEL_DIR
    return _load_cached(str(Path(model).resolve()))


def synthesize(text: str | list[str], model: str | os.PathLike | TTSPipeline | None = None, seed: int | None = None,
               **sampling) -> dict | list[dict]:
    """Speak `text`: {"audio": np.ndarray float32 [T], "sampling_rate": int} (a list of those for a list of texts)."""
    return load_pipeline(model)(text, seed=seed, **sampling)
