"""Speech recognisers behind one small interface, for intelligibility (WER) scoring of codec and TTS output.

    asr = load_asr("pocketsphinx")             # CMU PocketSphinx, its US-English model ships in the pip package
    asr = load_asr("/models/whisper-small")    # any local transformers Whisper / seq2seq or CTC checkpoint
    texts = asr.transcribe([wav_16k, ...])      # mono float32 [T] at asr.sample_rate -> one str each

Nothing is downloaded: transformers checkpoints are opened with `local_files_only=True`.

Benchmark (renders fortunes with flite, transcribes them, prints the real-time factor and the WER report):

    python -m pipelines.asr --asr pocketsphinx --voice slt --n 20
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch


class ASRError(RuntimeError):
    """A recogniser that cannot be built or an input it cannot take; the message names the thing and the reason."""


@runtime_checkable
class ASR(Protocol):
    """A speech recogniser: `transcribe` maps mono float32 audio `[T]` at `sample_rate` Hz to one text each;
    `name` says which recogniser it is (reports print it, and cached results judged by another are judged again)."""

    sample_rate: int
    name: str

    def transcribe(self, audios: list[np.ndarray]) -> list[str]:
        ...


def _check_audios(audios: list[np.ndarray], who: str) -> list[np.ndarray]:
    if isinstance(audios, np.ndarray):
        raise ASRError(f"{who}.transcribe expects a list of 1-D arrays, got a single array {audios.shape}; "
                       "wrap it in a list")
    out = []
    for i, audio in enumerate(audios):
        if isinstance(audio, torch.Tensor):
            audio = audio.detach().cpu().numpy()
        audio = np.asarray(audio, dtype=np.float32)
        if audio.ndim != 1:
            raise ASRError(f"{who}: audio #{i} must be mono [T], got shape {audio.shape}")
        if not np.isfinite(audio).all():
            raise ASRError(f"{who}: audio #{i} contains NaN or Inf samples")
        out.append(audio)
    return out


# ---------------------------------------------------------------------------------------------------------------
# PocketSphinx
# ---------------------------------------------------------------------------------------------------------------


class PocketSphinxASR:
    """CMU PocketSphinx with the US-English acoustic model, dictionary and 3-gram LM bundled in the pip package.

    Input: mono float32 `[T]` at 16 kHz in [-1, 1] (converted to int16). Output: lower-case words, no fillers.
    One decoder is built once and reused (guarded by a lock: a pocketsphinx decoder is not thread-safe).
    Pass `hmm`, `lm`, `dict` paths to use another model; extra keyword arguments go to `pocketsphinx.Config`.
    """

    sample_rate = 16000

    def __init__(self, hmm: str | None = None, lm: str | None = None, dict: str | None = None,  # noqa: A002
                 **config):
        try:
            from pocketsphinx import Config, Decoder
        except ImportError as e:  # pragma: no cover - a declared dependency
            raise ASRError(f"PocketSphinxASR: the pocketsphinx package is not importable ({e}); "
                           "install it with `pip install pocketsphinx`") from None
        kwargs = {"loglevel": "FATAL", **config}
        for key, value in (("hmm", hmm), ("lm", lm), ("dict", dict)):
            if value is not None:
                if not os.path.exists(value):
                    raise ASRError(f"PocketSphinxASR: {key} path {value} not found")
                kwargs[key] = str(value)
        custom = {k: v for k, v in kwargs.items() if k != "loglevel"}
        self.name = "pocketsphinx" + (f" {json.dumps(custom, sort_keys=True)}" if custom else "")
        try:
            cfg = Config(**kwargs)
            self._decoder = Decoder(cfg)
        except Exception as e:  # pocketsphinx raises RuntimeError/ValueError with terse messages
            raise ASRError(f"PocketSphinxASR: cannot build the decoder with {kwargs} ({e})") from None
        rate = int(self._decoder.config["samprate"])
        if rate != self.sample_rate:
            raise ASRError(f"PocketSphinxASR: the model expects {rate} Hz audio; only 16 kHz models are supported")
        self._lock = threading.Lock()

    def transcribe(self, audios: list[np.ndarray]) -> list[str]:
        """Decode each mono float32 `[T]` 16 kHz signal as one utterance -> list of lower-case strings (maybe '')."""
        audios = _check_audios(audios, "PocketSphinxASR")
        texts = []
        with self._lock:
            for audio in audios:
                if audio.size == 0:
                    texts.append("")
                    continue
                pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()
                self._decoder.start_utt()
                self._decoder.process_raw(pcm, no_search=False, full_utt=True)
                self._decoder.end_utt()
                hyp = self._decoder.hyp()
                texts.append(hyp.hypstr.lower().strip() if hyp is not None else "")
        return texts


# ---------------------------------------------------------------------------------------------------------------
# transformers checkpoints
# ---------------------------------------------------------------------------------------------------------------


def _asr_kind(config) -> str:
    """'ctc' or 'seq2seq' from a transformers config (architectures first, then model_type); ASRError otherwise."""
    from transformers.models.auto import modeling_auto as auto

    ctc = set(auto.MODEL_FOR_CTC_MAPPING_NAMES.values())
    seq2seq = set(auto.MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES.values())
    architectures = list(getattr(config, "architectures", None) or [])
    for arch in architectures:
        if arch in ctc or arch.endswith("ForCTC"):
            return "ctc"
        if arch in seq2seq:
            return "seq2seq"
    if not architectures:  # a config without `architectures`: fall back on the model type
        if config.model_type in auto.MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES:
            return "seq2seq"
    raise ASRError(f"model_type {config.model_type!r} with architectures {architectures or 'unset'} is not a "
                   "speech recogniser: expected a CTC head (e.g. Wav2Vec2ForCTC, HubertForCTC) or a speech "
                   "seq2seq model (e.g. WhisperForConditionalGeneration)")


def _folder_sha256(directory: Path) -> str:
    """sha256 of the files directly in `directory` (a save_pretrained folder: config, weights, processor files), by
    name and content."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class TransformersASR:
    """A local transformers ASR checkpoint: Whisper-style seq2seq (generate) or CTC (greedy argmax) models.

    `model_dir` holds config.json, the weights and the processor files (feature extractor + tokenizer), as written
    by `save_pretrained`. The kind is chosen from the config's architecture. Inputs are mono float32 `[T]` at
    `self.sample_rate` (the feature extractor's rate); they are batched `batch_size` at a time, longest first.
    Output: the model's text, stripped (case as the model writes it; WER scoring normalizes).
    `language` (e.g. "en") is passed to multilingual Whisper's generate; `generate_kwargs` go to generate.
    """

    def __init__(self, model_dir: str | os.PathLike, device: str | torch.device | None = None, batch_size: int = 8,
                 dtype: torch.dtype = torch.float32, language: str | None = None,
                 generate_kwargs: dict | None = None):
        from transformers import AutoConfig, AutoModelForCTC, AutoModelForSpeechSeq2Seq, AutoProcessor

        model_dir = Path(model_dir)
        if not model_dir.exists():
            raise ASRError(f"TransformersASR: model directory {model_dir} not found")
        if not model_dir.is_dir():
            raise ASRError(f"TransformersASR: {model_dir} is not a directory (expected a save_pretrained folder)")
        if not (model_dir / "config.json").exists():
            raise ASRError(f"TransformersASR: {model_dir} has no config.json, so it is not a transformers checkpoint")
        if batch_size < 1:
            raise ASRError(f"TransformersASR: batch_size must be >= 1, got {batch_size}")
        try:
            config = AutoConfig.from_pretrained(model_dir, local_files_only=True)
        except Exception as e:
            raise ASRError(f"TransformersASR: {model_dir}/config.json cannot be read ({e})") from None
        try:
            self.kind = _asr_kind(config)
        except ASRError as e:
            raise ASRError(f"TransformersASR: {model_dir}: {e}") from None
        try:
            self.processor = AutoProcessor.from_pretrained(model_dir, local_files_only=True)
        except Exception as e:
            raise ASRError(f"TransformersASR: {model_dir}: cannot load the processor (feature extractor + "
                           f"tokenizer) ({e})") from None
        if not hasattr(self.processor, "feature_extractor") or not hasattr(self.processor, "batch_decode"):
            raise ASRError(f"TransformersASR: {model_dir}: the processor {type(self.processor).__name__} lacks a "
                           "feature extractor or a tokenizer; save both with the model")
        auto_cls = AutoModelForCTC if self.kind == "ctc" else AutoModelForSpeechSeq2Seq
        try:
            self.model = auto_cls.from_pretrained(model_dir, local_files_only=True, dtype=dtype)
        except Exception as e:
            raise ASRError(f"TransformersASR: {model_dir}: cannot load the {self.kind} model weights ({e})") from None
        self.device = torch.device(device if device is not None else ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model.to(self.device).eval()
        self.dtype = dtype
        self.batch_size = batch_size
        self.sample_rate = int(self.processor.feature_extractor.sampling_rate)
        self.model_dir = model_dir
        self.generate_kwargs = dict(generate_kwargs or {})
        if language is not None:
            self.generate_kwargs.setdefault("language", language)
        # the folder's name and its contents by sha256, not its path: another model saved in the same folder is
        # another judge (results it judged are judged again), the same model elsewhere is the same judge; and the
        # settings that change the text
        self.name = f"transformers {model_dir.resolve().name} {_folder_sha256(model_dir)[:16]}" + (
            f" {json.dumps(self.generate_kwargs, sort_keys=True, default=str)}" if self.generate_kwargs else "")
        self.max_seconds = None  # the longest audio it takes (None: any); evaluations set longer utterances aside
        if self.kind == "seq2seq" and hasattr(self.processor.feature_extractor, "chunk_length"):
            self.max_seconds = float(self.processor.feature_extractor.chunk_length)  # Whisper: 30 s windows

    @torch.inference_mode()
    def transcribe(self, audios: list[np.ndarray]) -> list[str]:
        """Transcribe mono float32 `[T]` signals at `self.sample_rate` -> one stripped string each ('' for empty)."""
        audios = _check_audios(audios, "TransformersASR")
        if self.max_seconds is not None:
            for i, audio in enumerate(audios):
                if len(audio) > self.max_seconds * self.sample_rate:
                    raise ASRError(f"TransformersASR ({self.model_dir}): audio #{i} lasts "
                                   f"{len(audio) / self.sample_rate:.1f} s, longer than the model's "
                                   f"{self.max_seconds:.0f} s window; segment it first")
        texts = [""] * len(audios)
        order = sorted((i for i, a in enumerate(audios) if a.size > 0), key=lambda i: -len(audios[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = [audios[i] for i in idx]
            decoded = self._ctc(batch) if self.kind == "ctc" else self._seq2seq(batch)
            for i, text in zip(idx, decoded):
                texts[i] = text.strip()
        return texts

    def _features(self, batch: list[np.ndarray], **kwargs) -> dict[str, torch.Tensor]:
        inputs = self.processor(batch, sampling_rate=self.sample_rate, return_tensors="pt", **kwargs)
        out = {}
        for key, value in inputs.items():
            if isinstance(value, torch.Tensor):
                value = value.to(self.device)
                if value.is_floating_point():
                    value = value.to(self.dtype)
                out[key] = value
        return out

    def _ctc(self, batch: list[np.ndarray]) -> list[str]:
        if len(batch) > 1 and not getattr(self.processor.feature_extractor, "return_attention_mask", False):
            # A model that takes no attention mask (Wav2Vec2-base: group norm over the whole input) would normalise
            # and group-norm each utterance together with its batch's padding: its transcript would depend on its
            # batch-mates. Such models transcribe one utterance at a time.
            return [text for audio in batch for text in self._ctc([audio])]
        inputs = self._features(batch, padding=True)
        logits = self.model(**inputs).logits  # [B, frames, vocab]
        ids = logits.argmax(dim=-1)
        # Frames computed from padding carry no speech: blank them out so they cannot add tokens.
        lengths = torch.tensor([len(a) for a in batch], device=ids.device)
        if hasattr(self.model, "_get_feat_extract_output_lengths"):
            valid = self.model._get_feat_extract_output_lengths(lengths).clamp(max=ids.shape[1])
            pad_id = self.processor.tokenizer.pad_token_id
            if pad_id is not None:
                mask = torch.arange(ids.shape[1], device=ids.device)[None, :] >= valid[:, None]
                ids = ids.masked_fill(mask, pad_id)
        return self.processor.batch_decode(ids.cpu())

    def _seq2seq(self, batch: list[np.ndarray]) -> list[str]:
        inputs = self._features(batch, return_attention_mask=True)
        generated = self.model.generate(**inputs, **self.generate_kwargs)
        if not isinstance(generated, torch.Tensor):  # a ModelOutput when return_dict_in_generate is set
            generated = generated.sequences
        return self.processor.batch_decode(generated.cpu(), skip_special_tokens=True)


def load_asr(name_or_dir: str | os.PathLike, **kwargs) -> ASR:
    """'pocketsphinx' -> PocketSphinxASR(**kwargs); a checkpoint directory -> TransformersASR(dir, **kwargs)."""
    if str(name_or_dir).lower() == "pocketsphinx":
        return PocketSphinxASR(**kwargs)
    path = Path(name_or_dir)
    if path.is_dir():
        return TransformersASR(path, **kwargs)
    raise ASRError(f"ASR {str(name_or_dir)!r}: neither 'pocketsphinx' nor an existing transformers checkpoint "
                   "directory")


# ---------------------------------------------------------------------------------------------------------------
# Benchmark CLI
# ---------------------------------------------------------------------------------------------------------------


def benchmark(asr: ASR, texts: list[str], voice: str = "slt", work_dir: Path | None = None) -> dict:
    """Render `texts` with flite `voice`, transcribe them one call per utterance, and return RTF + WER report.

    rtf = total decode seconds / total audio seconds (model loading excluded).
    """
    from codec.audio import load_audio
    from pipelines.corpus import render
    from pipelines.metrics import wer_report

    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        audios = []
        for i, text in enumerate(texts):
            path = Path(tmp) / f"{i:04d}.wav"
            render(voice, text, path)
            audios.append(load_audio(path, asr.sample_rate))
    hyps, decode_s = [], 0.0
    for audio in audios:
        t0 = time.perf_counter()
        hyps.extend(asr.transcribe([audio]))
        decode_s += time.perf_counter() - t0
    audio_s = sum(len(a) for a in audios) / asr.sample_rate
    report = wer_report(texts, hyps)
    return {"voice": voice, "n": len(texts), "audio_seconds": audio_s, "decode_seconds": decode_s,
            "rtf": decode_s / audio_s, "wer": report["wer"], "wer_ci": report["wer_ci"],
            "mean_utterance_wer": report["mean_utterance_wer"], "mean_utterance_wer_ci": report["mean_utterance_wer_ci"],
            "pairs": [{"reference": r, "hypothesis": h} for r, h in zip(texts, hyps)]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.asr", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--asr", default="pocketsphinx", help="'pocketsphinx' or a transformers checkpoint folder")
    parser.add_argument("--voice", default="slt", help="flite voice (or espeak:<voice>)")
    parser.add_argument("--n", type=int, default=20, help="how many fortune sentences")
    parser.add_argument("--seed", type=int, default=0, help="which fortunes (a seeded draw)")
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    args = parser.parse_args(argv)
    from pipelines.corpus import fortune_sentences

    sentences = fortune_sentences()
    pick = np.random.default_rng(args.seed).choice(len(sentences), size=min(args.n, len(sentences)), replace=False)
    try:
        asr = load_asr(args.asr)
    except ASRError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    result = benchmark(asr, [sentences[i] for i in pick], args.voice)
    for pair in result["pairs"]:
        print(f"REF: {pair['reference']}\nHYP: {pair['hypothesis']}\n")
    print(f"{args.asr} on {result['n']} flite {args.voice} fortunes ({result['audio_seconds']:.1f} s audio): "
          f"RTF {result['rtf']:.3f}, corpus WER {result['wer']:.3f} "
          f"[{result['wer_ci'][0]:.3f}, {result['wer_ci'][1]:.3f}], per-utterance mean WER "
          f"{result['mean_utterance_wer']:.3f} [{result['mean_utterance_wer_ci'][0]:.3f}, "
          f"{result['mean_utterance_wer_ci'][1]:.3f}]")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
