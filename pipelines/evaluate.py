"""Evaluation: codec reconstruction, TTS intelligibility, and the side-by-side comparison of several systems.

  python -m pipelines.evaluate codec   --codec DIR --manifest test.jsonl --out DIR [--asr pocketsphinx] [--max-utts N]
  python -m pipelines.evaluate tts     --model DIR --manifest test.jsonl --out DIR [--seed S]  (a TTS pipeline folder)
  python -m pipelines.evaluate compare --codec 16384=DIR --codec 16384+SG=DIR [--tts 16384=DIR ...]
                                       [--tts-codes NAME=CODEC_DIR:CODES] --manifest test.jsonl --out DIR

Every result is written as `results.json` (plus per-frame diagnostics in `frames.npz` for codecs) in its folder and
reused only for the same utterances, model (its files' sha256) and settings, and when newer than the manifest, so
a comparison can be re-run cheaply; a codec measured with
`--asr none` (the signal scores alone, fast) and judged later gets only its WER added, and a TTS system so
synthesised gets the codes it kept judged (not synthesised again). The ground-truth row
(the ASR on the original audio) is always computed beside the systems, and a TTS system that set utterances aside
gets the ground truth of its own utterances in a row beside it. A TTS evaluation keeps the codes it judged
(`codes.safetensors`); `--tts-codes` judges such codes again with their codec, so synthesis can run on one machine
(`--asr none --device cuda`) and the judging on another. Two names that give one folder (`16384+SG` and
`16384_SG`) are refused.

Broken entries never stop an evaluation: before anything runs, every file is decoded once and entries that are
unreadable, truncated, NaN/Inf, shorter than one frame of a codec compared or longer than --max-seconds
(default 60) are set aside, so all systems are scored
on the same utterances; TTS evaluation also sets aside transcripts with nothing speakable. Each appears once, with
its reason, under "Skipped entries" in report.md and "skipped" in results.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from codec.audio import resample, save_wav
from codec.checkpoint import atomic_file
from codec.cli import non_negative_float, positive_int, run_main
from codec.data import Manifest, UtteranceDataset, collate_padded, read_manifest, screen_manifest
from codec.export import folder_label
from codec.trainloop import write_json
from lm.identity import CodecIdentity
from lm.tokens import file_sha256
from pipelines.asr import ASR, load_asr
from pipelines.metrics import (bootstrap_ci, cepstral_distance, codebook_stats, grouped_mean_ci, mel_distance, pesq_scores, pitch_scores,
                               stoi_score, summarize, wer_normalizer, wer_of_utterances, wer_report)
from pipelines.plots import bar_chart_png, histogram_png, markdown_table, spectrogram_comparison_png

log = logging.getLogger("pipelines.evaluate")
N_AUDIO_SAMPLES = 3  # resynthesised / synthesised examples written beside each result
# 2: pitch scores; 3: decoded_from; 4: F0 after a 1.5 kHz low-pass, cepstra floored relatively; 5: hidden MSE at the
# last transformer block whatever tap the codec trained (it followed config.sg_tap). A cached result of another
# version is measured again
CODEC_RESULTS_VERSION = 5
UNQUANTIZED_SUFFIX = " (z_e)"  # the row of a codec decoded from its continuous latent (compare --unquantized)
UNQUANTIZED_FOLDER = "codec_unquantized"  # where those rows' results lie in a comparison folder
TTS_CODES_FILE = "codes.safetensors"  # beside each TTS result: the codes it judged
TTS_CODES_VERSION = 1


class EvaluationError(ValueError):
    """An evaluation that cannot give a figure (nothing left to judge); the message says why."""


def subset(manifest: Manifest, max_utts: int | None) -> Manifest:
    return manifest if max_utts is None else Manifest(manifest.path, manifest.utterances[:max_utts], manifest.skipped)


def mean_with_ci(values: list[float]) -> dict:
    arr = np.asarray([v for v in values if np.isfinite(v)], dtype=np.float64)
    if arr.size == 0:
        return {"mean": float("nan"), "ci": [float("nan"), float("nan")], "n": 0}
    low, high = bootstrap_ci(arr) if arr.size > 1 else (float(arr[0]), float(arr[0]))
    return {"mean": float(arr.mean()), "ci": [float(low), float(high)], "n": int(arr.size)}


def _batches(manifest: Manifest, sample_rate: int, batch_size: int):
    loader = DataLoader(UtteranceDataset(manifest, sample_rate), batch_size=batch_size, collate_fn=collate_padded)
    return tqdm(loader, desc="evaluating", unit="batch", leave=False)


def transcribe(asr: ASR, audios: list[np.ndarray], sample_rate: int) -> list[str]:
    """The ASR's texts for mono `[T]` signals at `sample_rate`, resampled to the rate the ASR takes."""
    if sample_rate != asr.sample_rate:
        audios = [resample(a, sample_rate, asr.sample_rate) for a in audios]
    return asr.transcribe(audios)


def evaluate_ground_truth(manifest: Manifest, asr: ASR, batch_size: int = 8) -> dict:
    """The ASR on the original audio: the floor any system's WER should be read against."""
    texts, hyps, ids = [], [], []
    for batch in _batches(manifest, asr.sample_rate, batch_size):
        audios = [a[:n].numpy() for a, n in zip(batch["audio"], batch["length"].tolist())]
        hyps += asr.transcribe(audios)
        texts += batch["text"]
        ids += batch["id"]
    return {"system": "ground truth", "n_utterances": len(texts), "wer": wer_report(texts, hyps, ids=ids)}


def _resynthesised(codec, manifest: Manifest, batch_size: int, quantize: bool):
    """Per batch of the manifest: (batch, codes [B, F], frame lengths [B], resynthesis [B, T] on the CPU)."""
    for batch in _batches(manifest, codec.sample_rate, batch_size):
        codes, frame_lengths = codec.encode(batch["audio"], batch["length"])
        if quantize:
            wav = codec.decode(codes, frame_lengths).cpu()
        else:
            wav = codec.reconstruct(batch["audio"], batch["length"], quantize=False)[0].cpu()
        yield batch, codes, frame_lengths, wav


def judge_codec(codec, manifest: Manifest, asr: ASR, batch_size: int = 8, quantize: bool = True) -> dict:
    """The ASR's WER report on the codec's resynthesis alone: what a result measured with `asr=None` lacks (the
    decode is deterministic, so the signal scores already measured stand)."""
    texts, hyps, ids = [], [], []
    for batch, _, _, wav in _resynthesised(codec, manifest, batch_size, quantize):
        hyps += transcribe(asr, [wav[row, :n].numpy() for row, n in enumerate(batch["length"].tolist())],
                           codec.sample_rate)
        texts += batch["text"]
        ids += batch["id"]
    return wer_report(texts, hyps, ids=ids)


def evaluate_codec(codec, manifest: Manifest, asr: ASR | None, out_dir: str | Path, batch_size: int = 8,
                   quantize: bool = True) -> dict:
    """Resynthesise `manifest` through `codec`; PESQ, STOI, mel distance, pitch (F0 correlation, gross pitch error,
    voicing error), WER, codebook use, per-frame diagnostics. quantize=False scores the decoder on the continuous
    latent z_e instead of the codes (`Codec.reconstruct`): the fidelity this codec would have without rounding.

    Writes out_dir/results.json, out_dir/frames.npz (per-frame quantization error and hidden MSE, and the frames
    of each utterance), out_dir/per_utterance.json (the signal and pitch scores per utterance, in manifest order),
    a histogram PNG of both diagnostics, and a few resynthesised wavs. The diagnostics' CIs resample utterances.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    per_utt = {"pesq_wb": [], "pesq_nb": [], "stoi": [], "mel_distance": [], "cepstral_distance": [], "f0_corr": [],
               "gross_pitch_error": [], "voicing_error": []}
    all_codes, qe, hidden, energy, texts, resynth, ids = [], [], [], [], [], [], []
    for batch, codes, frame_lengths, wav in _resynthesised(codec, manifest, batch_size, quantize):
        diag = codec.diagnose(batch["audio"], batch["length"])
        for row, n in enumerate(batch["length"].tolist()):
            ref, deg = batch["audio"][row, :n].numpy(), wav[row, :n].numpy()
            per_utt["stoi"].append(stoi_score(ref, deg, codec.sample_rate))
            per_utt["mel_distance"].append(mel_distance(ref, deg, codec.sample_rate))
            per_utt["cepstral_distance"].append(cepstral_distance(ref, deg, codec.sample_rate))
            for key, value in {**pesq_scores(ref, deg, codec.sample_rate), **pitch_scores(ref, deg, codec.sample_rate)}.items():
                per_utt[key].append(value)
            f = int(frame_lengths[row])
            all_codes.append(codes[row, :f].cpu().numpy())
            qe.append(diag["quantization_error"][row, :f].cpu().numpy())
            hidden.append(diag["hidden_mse"][row, :f].cpu().numpy())
            energy.append(diag["hidden_energy"][row, :f].cpu().numpy())
            resynth.append(deg)
        texts += batch["text"]
        ids += batch["id"]
    frame_counts = np.array([len(q) for q in qe])
    qe, hidden, energy = np.concatenate(qe), np.concatenate(hidden), np.concatenate(energy)
    np.savez_compressed(out_dir / "frames.npz", quantization_error=qe, hidden_mse=hidden, frame_counts=frame_counts)
    # per-utterance scores in manifest order, so that two codecs can be compared pair by pair (pipelines.claims)
    write_json(out_dir / "per_utterance.json", {"id": ids, **per_utt})
    histogram_png({"quantization error": qe}, out_dir / "quantization_error.png", "||z_e - z_q||^2 per frame")
    histogram_png({"hidden MSE": hidden}, out_dir / "hidden_mse.png", "||h_e - h_q||^2 per frame")
    _save_samples(out_dir, ids, resynth, codec.sample_rate)
    result = {
        "kind": "codec",
        "results_version": CODEC_RESULTS_VERSION,
        "decoded_from": "codes" if quantize else "z_e",
        "n_utterances": len(texts),
        **{key: mean_with_ci(values) for key, values in per_utt.items()},
        "codebook": codebook_stats(np.concatenate(all_codes), codec.codebook_size),
        "quantization_error": {**summarize(qe), "ci": grouped_mean_ci(qe, frame_counts)},
        "hidden_mse": {**summarize(hidden), "ci": grouped_mean_ci(hidden, frame_counts)},
        # ||h_e||^2 at the tap: hidden MSE is measured in its scale, which training may change (Codec.diagnose)
        "hidden_energy": {**summarize(energy), "ci": grouped_mean_ci(energy, frame_counts)},
        "hidden_tap": "last_block",  # the paper's, for every codec (Codec.diagnose's default)
    }
    if asr is not None:
        result["wer"] = wer_report(texts, transcribe(asr, resynth, codec.sample_rate), ids=ids)
    return result


def evaluate_tts(pipeline, manifest: Manifest, asr: ASR | None, out_dir: str | Path, seed: int = 0,
                 batch_size: int = 8) -> dict:
    """Synthesise the manifest's sentences with a TTS pipeline and score them with the ASR against their text.

    Transcripts with nothing speakable (empty, or only characters the text tokenizer cannot represent) are left
    out and listed under "skipped" with that reason. The generated codes are kept in `out_dir/codes.safetensors`
    (`evaluate_tts_codes` judges them again, anywhere, with the same codec); asr=None synthesises without judging.
    """
    out_dir = Path(out_dir)
    encoded = pipeline.lm.tokenizer.encode_many([u.text for u in manifest], disk_cache=True)  # a corpus
    speakable = [u for u, ids in zip(manifest, encoded) if u.text.strip() and ids]
    kept = {id(u) for u in speakable}
    skipped = [{"id": u.id, "reason": f"transcript {u.text[:40]!r} has nothing speakable for this TTS"}
               for u in manifest if id(u) not in kept]
    manifest = Manifest(manifest.path, speakable)
    texts = [u.text for u in manifest]
    codes = []
    for start in tqdm(range(0, len(texts), batch_size), desc="synthesising", unit="batch", leave=False):
        codes += pipeline.generate(texts[start : start + batch_size], seed=seed + start)
    save_tts_codes(out_dir / TTS_CODES_FILE, manifest, codes, pipeline.codec, pipeline.pause_seconds, seed)
    audios = [o["audio"] for o in pipeline.render(codes)]
    return {"kind": "tts", "seed": seed, **_judge_tts(manifest, audios, asr, out_dir, pipeline.sample_rate),
            "skipped": skipped}


def save_tts_codes(path: Path, manifest: Manifest, codes: list[list[torch.Tensor]], codec, pause_seconds: float,
                   seed: int) -> None:
    """Per utterance the codes of its sentences (`TTSPipeline.generate`), with the codec's fingerprint."""
    from safetensors.torch import save_file

    tensors = {f"{u.id}/{k}": c.to(torch.int32).contiguous() for u, sentences in zip(manifest, codes)
               for k, c in enumerate(sentences)}
    meta = {"format_version": str(TTS_CODES_VERSION), "codec_fingerprint": codec.fingerprint(),
            "codec_identity": json.dumps(CodecIdentity.of(codec).to_dict()),
            "pause_seconds": repr(float(pause_seconds)), "seed": str(seed),
            "sentences": json.dumps({u.id: len(sentences) for u, sentences in zip(manifest, codes)}),
            "texts": json.dumps({u.id: u.text for u in manifest})}  # what each was spoken from
    with atomic_file(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)


def require_codes_of(codec, codes_path: Path) -> None:
    """ValueError unless `codes_path` is a TTS codes file that `codec` decodes: generated for it, or for a codec
    sharing its tokenizer (a decoder fine-tuned with --freeze-tokenizer)."""
    from safetensors import safe_open

    try:
        with safe_open(str(codes_path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as e:  # safetensors raises its own error types for truncated or foreign files
        raise ValueError(f"{codes_path}: not a readable safetensors file ({e})") from None
    if meta.get("format_version") != str(TTS_CODES_VERSION):
        raise ValueError(f"{codes_path}: not a TTS codes file of format {TTS_CODES_VERSION} "
                         f"(format_version {meta.get('format_version')!r})")
    # files written before the identity was kept hold the full fingerprint only: the very same codec
    same_codes = (CodecIdentity.from_dict(json.loads(meta["codec_identity"])).same_codes(CodecIdentity.of(codec))
                  if "codec_identity" in meta else meta["codec_fingerprint"] == codec.fingerprint())
    if not same_codes:
        raise ValueError(f"{codes_path}: generated for codec {meta['codec_fingerprint'][:16]}, not for the given "
                         f"one ({codec.fingerprint()[:16]}): decode with the pipeline's own codec, or one that "
                         f"shares its tokenizer (a decoder fine-tuned with --freeze-tokenizer)")


def evaluate_tts_codes(codec, codes_path: str | Path, manifest: Manifest, asr: ASR | None, out_dir: str | Path) -> dict:
    """Judge codes that `evaluate_tts` kept (another run, another machine): decode them with `codec`, which must be
    the one they were generated for or share its tokenizer (a decoder fine-tuned from it with --freeze-tokenizer;
    checked by fingerprints), and score them as evaluate_tts does. Utterances of the manifest without recorded
    codes, or whose codes were generated for another text, are listed under "skipped"."""
    from safetensors import safe_open

    from pipelines.tts import render_codes

    codes_path, out_dir = Path(codes_path), Path(out_dir)
    require_codes_of(codec, codes_path)
    with safe_open(str(codes_path), framework="pt") as f:
        meta = f.metadata()
        counts = json.loads(meta["sentences"])
        recorded = {uid: [f.get_tensor(f"{uid}/{k}").long() for k in range(n)] for uid, n in counts.items()}
    spoken = json.loads(meta.get("texts", "{}"))  # files written before the texts were kept: not checked
    skipped = [{"id": u.id, "reason": f"no codes recorded for it in {codes_path}"} for u in manifest
               if u.id not in recorded]
    skipped += [{"id": u.id, "reason": f"its codes in {codes_path} speak another text ({spoken[u.id][:40]!r}), "
                                       f"not {u.text[:40]!r}"}
                for u in manifest if u.id in recorded and spoken.get(u.id, u.text) != u.text]
    manifest = Manifest(manifest.path, [u for u in manifest if u.id in recorded and spoken.get(u.id, u.text) == u.text])
    if not manifest.utterances:
        reasons = "; ".join(f"{s['id']}: {s['reason']}" for s in skipped[:3])
        raise EvaluationError(f"{codes_path}: none of its codes can be judged on this manifest "
                              f"({len(skipped)} utterances set aside, e.g. {reasons})")
    audios = [o["audio"] for o in render_codes(codec, [recorded[u.id] for u in manifest], float(meta["pause_seconds"]))]
    return {"kind": "tts", "seed": int(meta["seed"]), "codes": str(codes_path),
            **_judge_tts(manifest, audios, asr, out_dir, codec.sample_rate), "skipped": skipped}


def _save_samples(out_dir: Path, ids: list[str], audios: list[np.ndarray], sample_rate: int) -> None:
    """The first N_AUDIO_SAMPLES outputs as out_dir/samples/<id>.wav, in place of an earlier run's (whose wavs of
    other utterances would otherwise be read as this run's)."""
    for stale in (out_dir / "samples").glob("*.wav"):
        stale.unlink()
    for uid, audio in list(zip(ids, audios))[:N_AUDIO_SAMPLES]:
        save_wav(out_dir / "samples" / f"{uid}.wav", audio, sample_rate)


def _judge_tts(manifest: Manifest, audios: list[np.ndarray], asr: ASR | None, out_dir: Path, sample_rate: int) -> dict:
    if not audios:  # summarize() would fail with "no values"
        raise EvaluationError(f"{out_dir}: no utterance left to judge (each was set aside: see the reasons logged)")
    _save_samples(out_dir, [u.id for u in manifest], audios, sample_rate)
    result = {"n_utterances": len(audios), "duration_seconds": summarize([len(a) / sample_rate for a in audios])}
    if asr is not None:
        result["wer"] = wer_report([u.text for u in manifest], transcribe(asr, audios, sample_rate),
                                   ids=[u.id for u in manifest])
    return result


# ---------------------------------------------------------------------------------------------------------------
# Cached runs and the comparison report
# ---------------------------------------------------------------------------------------------------------------


def _newest_mtime(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return max((p.stat().st_mtime for p in files), default=0.0)


def _audio_stamp(path: str) -> list:
    """Size and modification time of an audio file: one replaced in place (the same path) reads as another."""
    try:
        st = os.stat(path)
    except OSError:
        return ["missing"]
    return [st.st_size, st.st_mtime_ns]


def _inputs(manifest: Manifest, model: Path | None = None, model_sha256: str | None = None, audio: bool = True,
            **settings) -> dict:
    """What a result was measured on, kept in its results.json: the utterances (ids, audio paths, texts, and with
    `audio` each audio file's size and modification time: a result that reads the recordings is measured again when
    one is replaced), the model folder, the sha256 of the model's files (a folder replaced by another model, even
    with older file times, is measured again) and the settings that change it (a TTS seed). A cached result is
    reused only for the same inputs."""
    digest = hashlib.sha256()
    for u in manifest:
        stamp = _audio_stamp(u.audio) if audio else []
        digest.update(json.dumps([u.id, str(Path(u.audio).resolve()), u.text, *stamp]).encode() + b"\n")
    out = {"utterances": digest.hexdigest()[:16], "model": None if model is None else str(Path(model).resolve())}
    if model_sha256 is not None:
        out["model_sha256"] = model_sha256[:16]
    return {**out, **settings}


def _files_sha256(*paths: Path) -> str:
    """sha256 of files by name and content (the codec's config and weights, a codes file)."""
    listing = "".join(f"{Path(f).name}\0{file_sha256(f) if Path(f).is_file() else 'missing'}\n" for f in paths)
    return hashlib.sha256(listing.encode()).hexdigest()


def _codec_files(codec_dir: Path) -> list[Path]:
    from codec.model import CONFIG_FILE, WEIGHTS_FILE

    return [Path(codec_dir) / CONFIG_FILE, Path(codec_dir) / WEIGHTS_FILE]


def _judge(asr: ASR | None) -> str | None:
    return None if asr is None else getattr(asr, "name", type(asr).__name__)


def _cached(out_dir: Path, inputs: dict, sources: list[Path]) -> dict | None:
    """A previous result of the same inputs (`_inputs`: the model files by their sha256), unless a `sources` file
    (the manifest) changed since. A model folder's other files (a card written beside the weights) do not count."""
    path = out_dir / "results.json"
    if not path.exists():
        return None
    result = json.loads(path.read_text())
    if result.get("inputs") != inputs:
        return None
    if any(path.stat().st_mtime < _newest_mtime(src) for src in sources if src is not None and src.exists()):
        return None
    return result


def _judged_by(result: dict, asr: ASR | None) -> bool:
    """Whether a result holds the judgement now asked for: the same ASR's WER under the same text normalisation
    (pipelines.metrics.wer_normalizer), or none asked (asr=None)."""
    return asr is None or ("wer" in result and result.get("judge") == _judge(asr)
                           and result["wer"].get("normalizer") == wer_normalizer())


def run_codec(name: str, codec_dir: Path, manifest: Manifest, asr: ASR | None, out_dir: Path, batch_size: int = 8,
              quantize: bool = True) -> dict:
    from codec import Codec

    inputs = _inputs(manifest, codec_dir, _files_sha256(*_codec_files(codec_dir)),
                     decoded_from="codes" if quantize else "z_e")
    result = _cached(out_dir, inputs, [manifest.path])
    if result is not None and result.get("results_version") != CODEC_RESULTS_VERSION:
        result = None  # computed by code that measured less (e.g. before the pitch scores): measure again
    if result is None:
        codec = Codec.from_pretrained(codec_dir)
        # the per-utterance and per-frame files are written before the judging: a run that fails there must not
        # leave them beside an earlier results.json, which would then be reused with another run's files
        (out_dir / "results.json").unlink(missing_ok=True)
        result = {"system": name, "model": str(codec_dir), "fingerprint": codec.fingerprint(), "inputs": inputs,
                  "judge": _judge(asr), **evaluate_codec(codec, manifest, asr, out_dir, batch_size, quantize)}
        write_json(out_dir / "results.json", result)
    elif not _judged_by(result, asr):  # measured with --asr none or another judge: the signal scores stand
        result["wer"] = judge_codec(Codec.from_pretrained(codec_dir), manifest, asr, batch_size, quantize)
        result["judge"] = _judge(asr)
        write_json(out_dir / "results.json", result)
    log.info("%s: %s", name, out_dir / "results.json")
    return result


def run_tts(name: str, model_dir: Path, manifest: Manifest, asr: ASR | None, out_dir: Path, seed: int = 0,
            device: str = "cpu") -> dict:
    from pipelines.tts import TTSPipeline, pipeline_sha256

    # the recordings are not read (only the texts), and the text normaliser is part of the TTS front end
    inputs = _inputs(manifest, model_dir, pipeline_sha256(model_dir), audio=False, seed=seed,
                     normalizer=wer_normalizer())
    result = _cached(out_dir, inputs, [manifest.path])
    codes = out_dir / TTS_CODES_FILE
    if (result is not None and not _judged_by(result, asr) and codes.is_file()
            and result.get("codes_sha256") == file_sha256(codes)):
        # synthesised without this judge (--asr none, or another ASR): the codes it kept are judged, not made again
        from codec import Codec

        judged = evaluate_tts_codes(Codec.from_pretrained(model_dir / "codec", map_location=device), codes, manifest,
                                    asr, out_dir)
        result.update(wer=judged["wer"], judge=_judge(asr))
        write_json(out_dir / "results.json", result)
    elif result is None or not _judged_by(result, asr):
        pipeline = TTSPipeline.from_pretrained(model_dir, device=device)
        result = {"system": name, "model": str(model_dir), "inputs": inputs, "judge": _judge(asr),
                  **evaluate_tts(pipeline, manifest, asr, out_dir, seed), "codes_sha256": file_sha256(codes)}
        write_json(out_dir / "results.json", result)
    log.info("%s: %s", name, out_dir / "results.json")
    return result


def run_tts_codes(name: str, codec_dir: Path, codes_path: Path, manifest: Manifest, asr: ASR | None,
                  out_dir: Path) -> dict:
    from codec import Codec

    inputs = _inputs(manifest, codec_dir, _files_sha256(*_codec_files(codec_dir), Path(codes_path)), audio=False,
                     codes=str(Path(codes_path).resolve()))
    result = _cached(out_dir, inputs, [manifest.path])
    if result is None or not _judged_by(result, asr):
        codec = Codec.from_pretrained(codec_dir)
        result = {"system": name, "model": str(codec_dir), "inputs": inputs, "judge": _judge(asr),
                  **evaluate_tts_codes(codec, codes_path, manifest, asr, out_dir)}
        write_json(out_dir / "results.json", result)
    log.info("%s: %s", name, out_dir / "results.json")
    return result


def run_ground_truth(manifest: Manifest, asr: ASR, out_dir: Path) -> dict:
    inputs = _inputs(manifest)
    result = _cached(out_dir, inputs, [manifest.path])
    if result is None or not _judged_by(result, asr):
        result = {"inputs": inputs, "judge": _judge(asr), **evaluate_ground_truth(manifest, asr)}
        write_json(out_dir / "results.json", result)
    return result


def _truth_of_judged(truth: dict, result: dict) -> dict | None:
    """The ground truth's WER over the utterances a TTS result was judged on, where it set some aside (unspeakable
    text, codes missing): None where it judged all of the ground truth's, or nothing is judged."""
    if "wer" not in truth or "wer" not in result:
        return None
    judged, truths = ([u.get("id") for u in r["wer"]["per_utterance"]] for r in (result, truth))
    if None in judged or None in truths or judged == truths:
        return None  # (results judged before utterances carried ids cannot be paired: their count column tells)
    return wer_of_utterances(truth["wer"], judged)


def _wer_cells(result: dict) -> dict:
    if "wer" not in result:
        return {}
    w = result["wer"]
    return {"WER": w["wer"], "WER 95% CI": w["wer_ci"], "utt-mean WER": w["mean_utterance_wer"]}


# a signal metric that is NaN for an utterance could not score it (e.g. PESQ of a silent output); its mean is over
# the rest, which favours the system that failed there, so the report says so beside the table
_SIGNAL_METRICS = {"pesq_wb": "PESQ-WB", "pesq_nb": "PESQ-NB", "stoi": "STOI", "mel_distance": "mel dist",
                   "cepstral_distance": "cep dist"}


def _unscored_notes(results: dict[str, dict]) -> list[str]:
    notes = [f"- {name}: {label} is the mean of {r[key]['n']} of {r['n_utterances']} utterances (the others could "
             f"not be scored; the evaluation's warnings say why)"
             for name, r in results.items() for key, label in _SIGNAL_METRICS.items()
             if key in r and r[key]["n"] < r["n_utterances"]]
    return notes + [""] if notes else []


def comparison_report(codecs: dict[str, Path], tts: dict[str, Path], manifest: Manifest, asr: ASR | None,
                      out_dir: Path, seed: int = 0, batch_size: int = 8, unquantized: bool = False,
                      tts_codes: dict[str, tuple[Path, Path]] | None = None, device: str = "cpu") -> Path:
    """Evaluate every system (reusing cached results), then write report.md, PNG plots and results.json.

    unquantized=True adds, per codec, a row "NAME (z_e)" decoded from the continuous latent (the rounding-free
    bound; its codebook and diagnostic cells are the same encoder's, so they are left out of that row).
    tts_codes: NAME -> (codec folder, codes file kept by an earlier TTS evaluation): judged as a TTS row.
    asr=None measures without the ASR (no WER cells, no ground-truth row).
    """
    require_distinct_folders({"codec": list(codecs), "tts": [*tts, *(tts_codes or {})]})
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = run_ground_truth(manifest, asr, out_dir / "ground_truth") if asr is not None else {}
    codec_results = {n: run_codec(n, d, manifest, asr, out_dir / "codec" / _slug(n), batch_size) for n, d in codecs.items()}
    bounds = {}
    if unquantized:
        bounds = {n + UNQUANTIZED_SUFFIX: run_codec(n + UNQUANTIZED_SUFFIX, d, manifest, asr,
                                                    out_dir / UNQUANTIZED_FOLDER / _slug(n), batch_size, quantize=False)
                  for n, d in codecs.items()}
    tts_results = {n: run_tts(n, d, manifest, asr, out_dir / "tts" / _slug(n), seed, device) for n, d in tts.items()}
    tts_results.update({n: run_tts_codes(n, c, f, manifest, asr, out_dir / "tts" / _slug(n))
                        for n, (c, f) in (tts_codes or {}).items()})

    lines = [f"# Comparison on {manifest.path} ({len(manifest)} utterances)", ""]
    skipped = [(uid, reason) for uid, reason in manifest.skipped]
    skipped += [(f"{s['id']} (TTS {n})", s["reason"]) for n, r in tts_results.items() for s in r.get("skipped", [])]
    if codec_results:
        rows = [{"system": "ground truth", **_wer_cells(truth)}] if asr is not None else []
        for name, r in {**codec_results, **bounds}.items():
            row = {"system": name, "PESQ-WB": r["pesq_wb"]["mean"], "PESQ-NB": r["pesq_nb"]["mean"],
                   "STOI": r["stoi"]["mean"], "mel dist": r["mel_distance"]["mean"],
                   # results cached before the cepstral distance existed leave its cell empty
                   "cep dist": r.get("cepstral_distance", {}).get("mean"), **_wer_cells(r),
                   "F0 corr": r["f0_corr"]["mean"], "GPE": r["gross_pitch_error"]["mean"],
                   "V/UV err": r["voicing_error"]["mean"]}
            if name in codec_results:
                energy = r.get("hidden_energy", {}).get("mean")
                row.update({"usage": r["codebook"]["usage"], "perplexity": r["codebook"]["perplexity"],
                            "QE mean": r["quantization_error"]["mean"], "QE std": r["quantization_error"]["std"],
                            "hidden MSE mean": r["hidden_mse"]["mean"], "hidden MSE std": r["hidden_mse"]["std"],
                            # results written before hidden_energy existed leave these cells empty
                            "hidden energy": energy,
                            "relative hidden MSE": None if energy is None else r["hidden_mse"]["mean"] / energy})
            rows.append(row)
        judged = ["WER", "WER 95% CI", "utt-mean WER"] if asr is not None else []  # --asr none: no WER columns
        columns = ["system", "PESQ-WB", "PESQ-NB", "STOI", "mel dist", "cep dist", *judged, "F0 corr",
                   "GPE", "V/UV err", "usage",
                   "perplexity", "QE mean", "QE std", "hidden MSE mean", "hidden MSE std", "hidden energy",
                   "relative hidden MSE"]
        lines += ["## Codec reconstruction", "", markdown_table(rows, columns), ""]
        lines += _unscored_notes({**codec_results, **bounds})
        table = [{"system": n, "pesq_wb": r["pesq_wb"]["mean"], "pesq_ci": r["pesq_wb"]["ci"],
                  "stoi": r["stoi"]["mean"], "stoi_ci": r["stoi"]["ci"]} for n, r in {**codec_results, **bounds}.items()]
        bar_chart_png(table, "pesq_wb", out_dir / "pesq_wb.png", ci_keys="pesq_ci", title="PESQ-WB (95% CI)")
        bar_chart_png(table, "stoi", out_dir / "stoi.png", ci_keys="stoi_ci", title="STOI (95% CI)")
        frames = {n: np.load(out_dir / "codec" / _slug(n) / "frames.npz") for n in codec_results}
        histogram_png({n: f["quantization_error"] for n, f in frames.items()}, out_dir / "quantization_error.png",
                      "quantization error ||z_e - z_q||^2 per 20 ms frame")
        histogram_png({n: f["hidden_mse"] for n, f in frames.items()}, out_dir / "hidden_mse.png",
                      "hidden-feature MSE ||h_e - h_q||^2 per 20 ms frame")
        lines += ["![PESQ-WB](pesq_wb.png) ![STOI](stoi.png)", "",
                  "![quantization error](quantization_error.png) ![hidden MSE](hidden_mse.png)", ""]
        lines += _spectrograms(codecs, manifest, out_dir)
    if tts_results:
        rows = [{"system": "ground truth", **_wer_cells(truth), "utterances": truth.get("n_utterances")}]
        for name, r in tts_results.items():
            same = _truth_of_judged(truth, r)
            if same is not None:  # the system set some utterances aside: the ground truth of the rest beside it
                r["ground_truth_same_utterances"] = same
                rows.append({"system": f"ground truth of {name}'s utterances", **_wer_cells({"wer": same}),
                             "utterances": same["n_utterances"]})
            rows.append({"system": name, **_wer_cells(r), "utterances": r["n_utterances"],
                         "mean seconds": r["duration_seconds"]["mean"]})
        judged = ["WER", "WER 95% CI", "utt-mean WER"] if asr is not None else []
        lines += ["## TTS intelligibility", "", markdown_table(rows, ["system", *judged, "utterances", "mean seconds"]), ""]
        if asr is not None:
            table = [{"system": n, "wer": r["wer"]["wer"], "wer_ci": r["wer"]["wer_ci"]} for n, r in tts_results.items()]
            bar_chart_png(table, "wer", out_dir / "tts_wer.png", ci_keys="wer_ci", title="TTS WER (95% CI)")
            lines += ["![TTS WER](tts_wer.png)", ""]
    if skipped:
        lines += [f"## Skipped entries ({len(skipped)})", ""] + [f"- `{uid}`: {reason}" for uid, reason in skipped] + [""]
    lines += [f"ASR judge: {_judge(asr)}. WER after the shared text normalizer; CIs by bootstrap over utterances."
              if asr is not None else "No ASR judge (--asr none): no WER."]
    write_json(out_dir / "results.json", {"ground_truth": truth, "codecs": codec_results,
                                          "codecs_unquantized": bounds, "tts": tts_results,
                                          "skipped": [{"id": uid, "reason": reason} for uid, reason in skipped]})
    report = out_dir / "report.md"
    report.write_text("\n".join(lines) + "\n")
    return report


def _spectrograms(codecs: dict[str, Path], manifest: Manifest, out_dir: Path, n: int = 2) -> list[str]:
    """Ground truth vs each codec's resynthesis for the first utterances (the paper's case studies)."""
    from codec import Codec

    loaded = {name: Codec.from_pretrained(d) for name, d in codecs.items()}
    lines = []
    rate = 16000  # every row is drawn at one rate, whatever each codec's own
    dataset = UtteranceDataset(Manifest(manifest.path, manifest.utterances[:n]), rate)
    for i in range(len(dataset)):
        item = dataset[i]
        rows = {"ground truth": item["audio"].numpy()}
        for name, codec in loaded.items():
            audio = torch.from_numpy(resample(item["audio"].numpy(), rate, codec.sample_rate))
            codes, flen = codec.encode(audio[None])
            rows[name] = resample(codec.decode(codes, flen)[0].cpu().numpy(), codec.sample_rate, rate)[: item["length"]]
        path = out_dir / f"spectrogram_{_slug(item['id'])}.png"
        spectrogram_comparison_png(rows, rate, path, title=item["text"][:80])
        lines += [f"![spectrograms of {item['id']}]({path.name})", ""]
    return lines


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def require_distinct_folders(names: dict[str, list[str]]) -> None:
    """ValueError when two systems' names give one folder (`_slug`): the second's results would overwrite the
    first's, and any later comparison of the two would compare one with itself. `names`: folder -> system names."""
    for folder, systems in names.items():
        seen: dict[str, str] = {}
        for name in systems:
            if _slug(name) in seen:
                raise ValueError(f"systems {seen[_slug(name)]!r} and {name!r} would share the folder {folder}/{_slug(name)} "
                                 f"(every character but letters, digits and -_. becomes _): rename one")
            seen[_slug(name)] = name


def _frame_seconds(codec_dir: Path) -> float | None:
    """One frame of the codec in `codec_dir`, in seconds (the shortest audio it encodes); None when its config cannot
    be read (loading the codec says why)."""
    from codec.config import CodecConfig
    from codec.model import CONFIG_FILE

    try:
        config = CodecConfig.from_dict(json.loads((Path(codec_dir) / CONFIG_FILE).read_text()))
    except Exception:  # a missing or broken config: Codec.from_pretrained reports it where the codec is loaded
        return None
    return config.hop_length / config.sample_rate


def _system_name(name: str, flag: str, item: str, taken: dict) -> str:
    """`name` once it can name a system of its own: given once (a second was kept in place of the first, which
    vanished from the report), and not "." or ".." (its results folder would be the report's own, or above it)."""
    if name in taken:
        raise SystemExit(f"error: {flag} {item}: a second system named {name!r}: give each its own name")
    if _slug(name).strip(".") == "":
        raise SystemExit(f"error: {flag} {item}: {name!r} cannot name a system (its results folder would be "
                         f"{_slug(name) or 'empty'}): give it a name")
    return name


def _named_dirs(items: list[str], flag: str) -> dict[str, Path]:
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep:
            name, path = folder_label(item), item
        if not Path(path).is_dir():
            raise SystemExit(f"error: {flag} {item}: folder {path} not found")
        out[_system_name(name, flag, item, out)] = Path(path)
    return out


def _codes_with_codecs(items: list[str]) -> dict[str, tuple[Path, Path]]:
    out = {}
    for item in items:
        name, sep, rest = item.partition("=")
        codec_dir, sep2, codes = rest.rpartition(":")
        if not sep or not sep2 or not name:
            raise SystemExit(f"error: --tts-codes {item}: expected NAME=CODEC_DIR:CODES_FILE")
        if not Path(codec_dir).is_dir():
            raise SystemExit(f"error: --tts-codes {item}: codec folder {codec_dir} not found")
        if not Path(codes).is_file():
            raise SystemExit(f"error: --tts-codes {item}: codes file {codes} not found")
        out[_system_name(name, "--tts-codes", item, out)] = (Path(codec_dir), Path(codes))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("codec", "tts", "compare"):
        p = sub.add_parser(name)
        p.add_argument("--manifest", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--asr", default="pocketsphinx",
                       help="'pocketsphinx', a local transformers ASR folder, or 'none' (measure without judging)")
        p.add_argument("--max-utts", type=positive_int, default=None)
        p.add_argument("--seed", type=int, default=0, help="TTS: the sampling seed (a codec's evaluation draws nothing)")
        p.add_argument("--batch-size", type=positive_int, default=8)
        p.add_argument("--max-seconds", type=non_negative_float, default=60.0,
                       help="set aside longer utterances (each is encoded whole; 0 = no limit; a judge's shorter "
                            "window, Whisper's 30 s, lowers it)")
        if name != "tts":
            p.add_argument("--unquantized", action="store_true",
                           help="also score each codec decoded from its continuous latent z_e (no rounding)")
        if name == "codec":
            p.add_argument("--codec", type=Path, required=True)
        elif name == "tts":
            p.add_argument("--model", type=Path, required=True)
        else:
            p.add_argument("--codec", action="append", default=[], metavar="NAME=DIR")
            p.add_argument("--tts", action="append", default=[], metavar="NAME=DIR")
            p.add_argument("--tts-codes", action="append", default=[], metavar="NAME=CODEC_DIR:CODES",
                           help="judge the codes an earlier TTS evaluation kept (its tts/NAME/codes.safetensors) "
                                "with that pipeline's codec folder, or a decoder fine-tuned from it with "
                                "--freeze-tokenizer, as a TTS row")
        if name != "codec":
            p.add_argument("--device", default="cpu", help="where the TTS pipelines synthesise (cpu, cuda)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    tts_codes = {}
    if args.command == "codec":
        codecs, tts = _named_dirs([str(args.codec)], "--codec"), {}
    elif args.command == "tts":
        codecs, tts = {}, _named_dirs([str(args.model)], "--model")
    else:
        codecs, tts, tts_codes = (_named_dirs(args.codec, "--codec"), _named_dirs(args.tts, "--tts"),
                                  _codes_with_codecs(args.tts_codes))
        if not codecs and not tts and not tts_codes:
            parser.error("compare needs at least one --codec, --tts or --tts-codes")
        try:  # before anything is measured: these would fail only after the ground truth's judging
            require_distinct_folders({"codec": list(codecs), "tts": [*tts, *tts_codes]})
            for name, (codec_dir, codes) in tts_codes.items():
                from codec import Codec

                require_codes_of(Codec.from_pretrained(codec_dir), codes)
        except ValueError as e:
            parser.error(str(e))
    asr = None if args.asr.lower() == "none" else load_asr(args.asr)
    # a clip shorter than one frame of a codec cannot be encoded, one longer than the judge's window (Whisper: 30 s)
    # cannot be judged: set aside with the broken entries, not a crash in the middle of the run
    frames = [s for s in map(_frame_seconds, codecs.values()) if s is not None]
    max_seconds = min((s for s in (args.max_seconds or None, getattr(asr, "max_seconds", None)) if s), default=None)
    manifest = screen_manifest(read_manifest(args.manifest), max_seconds, decode=True, limit=args.max_utts,
                               min_seconds=max(frames, default=None))
    if not manifest.utterances:  # before any folder is made
        reasons = "; ".join(f"{uid}: {reason}" for uid, reason in manifest.skipped[:2])
        raise EvaluationError(f"manifest {args.manifest}: no usable utterances ({len(manifest.skipped)} set aside, "
                              f"e.g. {reasons})")
    # A single system is a comparison of one: the ground-truth row always stands beside it.
    with torch.inference_mode():  # scoped: callers in the same process (tests, notebooks) keep their grad mode
        print(comparison_report(codecs, tts, manifest, asr, args.out, args.seed, args.batch_size,
                                getattr(args, "unquantized", False), tts_codes, getattr(args, "device", "cpu")))
    return 0

if __name__ == "__main__":
    from codec.model import CodecLoadError
    from pipelines.asr import ASRError
    from pipelines.tts import PipelineLoadError

    from codec.data import EmptyManifestError

    run_main(main, (FileNotFoundError, CodecLoadError, PipelineLoadError, ASRError, EvaluationError, EmptyManifestError))
