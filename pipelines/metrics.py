"""Evaluation metrics: WER with bootstrap CIs, PESQ, STOI, multi-scale mel distance, pitch, codebook usage, summaries.

All audio arguments are mono float32 `[T]` numpy arrays (torch tensors are accepted) at the given sample rate;
reference/degraded pairs of different lengths are trimmed to the shorter one.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import math
import warnings
from pathlib import Path
from typing import Callable, Sequence

import jiwer
import numpy as np
import torch

from codec.audio import log_mel_spectrogram, mel_cepstra, resample
from lm.normalize import normalize_text

# XCodec2 / DAC's multi-scale mel loss: 7 windows 32..2048 with 5..320 mel bins, hop = window / 4.
MEL_WINDOWS = (32, 64, 128, 256, 512, 1024, 2048)
MEL_BINS = (5, 10, 20, 40, 80, 160, 320)
# mel_distance x this = XCodec2's / DAC's mel loss on the same signals (log10 of the mel *magnitude*, power=1 and
# pow=1 in XCodec2's criterions/mel_loss.py and DAC's conf/base.yml, summed over the 7 scales): 7 / ln 10 ~ 3.04
XCODEC2_MEL_LOSS_FACTOR = len(MEL_WINDOWS) / math.log(10)


# ---------------------------------------------------------------------------------------------------------------
# Bootstrap and summaries
# ---------------------------------------------------------------------------------------------------------------


def _finite_1d(values, name: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        raise ValueError(f"{name}: no values")
    bad = int((~np.isfinite(arr)).sum())
    if bad:
        raise ValueError(f"{name}: {bad} of {arr.size} values are NaN or Inf; drop them first")
    return arr


def bootstrap_ci(values: Sequence[float] | np.ndarray, statistic: Callable = np.mean, n: int = 1000, seed: int = 0,
                 confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of `statistic` over per-item `values` `[N]` (items resampled with replacement).

    `statistic` is called as `statistic(samples [n, N], axis=1)` when it accepts `axis`, else once per resample.
    Returns (low, high); a single value gives (v, v). Raises ValueError for no values or NaN/Inf values.
    """
    arr = _finite_1d(values, "bootstrap_ci")
    if n < 1:
        raise ValueError(f"bootstrap_ci: n (resamples) must be >= 1, got {n}")
    if not 0 < confidence < 1:
        raise ValueError(f"bootstrap_ci: confidence must be in (0, 1), got {confidence}")
    if arr.size == 1:
        v = float(statistic(arr))
        return v, v
    rng = np.random.default_rng(seed)
    samples = arr[rng.integers(0, arr.size, size=(n, arr.size))]
    try:
        stats = np.asarray(statistic(samples, axis=1), dtype=np.float64)
        if stats.shape != (n,):
            raise TypeError
    except TypeError:
        stats = np.array([float(statistic(s)) for s in samples])
    alpha = (1 - confidence) / 2
    low, high = np.quantile(stats, [alpha, 1 - alpha])
    return float(low), float(high)


def common_finite_means(scores: dict[str, Sequence[float]]) -> tuple[dict[str, float], int]:
    """Each condition's mean over the utterances scored finite in every condition, and their number: a score that
    is NaN where a signal is unscoreable (F0 correlation with under 10 voiced frames) would otherwise average each
    condition over its own utterances. `scores`: condition -> [U] per-utterance scores, U the same for all."""
    table = np.array([list(values) for values in scores.values()], dtype=np.float64).reshape(len(scores), -1)
    keep = np.isfinite(table).all(0)
    means = table[:, keep].mean(1) if keep.any() else np.full(len(scores), np.nan)
    return {name: float(m) for name, m in zip(scores, means)}, int(keep.sum())


def summarize(values) -> dict[str, float]:
    """{'mean','std','median','p90','p99','n'} of any array (flattened), e.g. per-frame errors `[frames]`."""
    arr = _finite_1d(values, "summarize")
    p50, p90, p99 = np.percentile(arr, [50, 90, 99])
    return {"mean": float(arr.mean()), "std": float(arr.std()), "median": float(p50), "p90": float(p90),
            "p99": float(p99), "n": int(arr.size)}



def grouped_mean_ci(values, group_sizes, n: int = 1000, seed: int = 0,
                    confidence: float = 0.95) -> tuple[float, float]:
    """Bootstrap CI of the mean of per-frame `values` [F] that come in consecutive groups (utterances) of
    `group_sizes` [G] (summing to F): groups, not frames, are resampled, since frames of one utterance are
    correlated. Each resample's statistic is sum(values of drawn groups) / sum(their sizes)."""
    arr = _finite_1d(values, "grouped_mean_ci")
    sizes = np.asarray(group_sizes, dtype=np.int64).reshape(-1)
    if sizes.sum() != arr.size or (sizes < 1).any():
        raise ValueError(f"grouped_mean_ci: group sizes must be >= 1 and sum to {arr.size} values, "
                         f"got {sizes.size} sizes summing to {int(sizes.sum())}")
    sums = np.add.reduceat(arr, np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    if sizes.size == 1:
        v = float(sums[0] / sizes[0])
        return v, v
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, sizes.size, size=(n, sizes.size))
    stats = sums[draw].sum(1) / sizes[draw].sum(1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(stats, [alpha, 1 - alpha])
    return float(low), float(high)


# ---------------------------------------------------------------------------------------------------------------
# WER
# ---------------------------------------------------------------------------------------------------------------


def _edit_counts(ref: str, hyp: str) -> tuple[int, int, int]:
    """(substitutions, deletions, insertions) between two normalized strings."""
    ref_words, hyp_words = ref.split(), hyp.split()
    if not ref_words:
        return 0, 0, len(hyp_words)
    if not hyp_words:
        return 0, len(ref_words), 0
    out = jiwer.process_words(ref, hyp)
    return out.substitutions, out.deletions, out.insertions


def wer_report(references: list[str], hypotheses: list[str], n_bootstrap: int = 1000, seed: int = 0,
               ids: list[str] | None = None) -> dict:
    """Word error rates of `hypotheses` against `references` (one pair per utterance), both normalized first.

    Both sides go through `lm.normalize.normalize_text` (lower case, numbers spelled out, punctuation dropped),
    then jiwer aligns words. Returned keys:
      wer / wer_ci              corpus WER = total (S + D + I) / total reference words, with a 95% bootstrap CI
      mean_utterance_wer / _ci  mean of per-utterance WERs (Seed-TTS-eval's convention), with a 95% bootstrap CI
      n_utterances, n_reference_words, substitutions, deletions, insertions
      n_empty_references        utterances whose normalized reference has no words
      per_utterance             [{reference, hypothesis (normalized), wer, errors, n_words, S, D, I}], each with
                                its utterance's `id` where `ids` are given (pairing by id: one sentence may be
                                read by several voices)
    Empty references: their hypothesis words count as insertions in the corpus WER (numerator only); their own
    WER is undefined, so per_utterance[i]['wer'] is None and they are left out of the per-utterance mean.
    CIs resample utterances (`n_bootstrap` times, `seed`). Raises ValueError for mismatched lengths, no
    utterances, or only empty references.
    """
    if isinstance(references, str) or isinstance(hypotheses, str):
        raise ValueError("wer_report: references and hypotheses must be lists of strings, not a single string")
    references, hypotheses = list(references), list(hypotheses)
    if len(references) != len(hypotheses):
        raise ValueError(f"wer_report: {len(references)} references but {len(hypotheses)} hypotheses")
    if ids is not None and len(ids) != len(references):
        raise ValueError(f"wer_report: {len(ids)} ids for {len(references)} references")
    if not references:
        raise ValueError("wer_report: no utterances")
    if n_bootstrap < 1:
        raise ValueError(f"wer_report: n_bootstrap must be >= 1, got {n_bootstrap}")
    rows = []
    for i, (ref, hyp) in enumerate(zip(references, hypotheses)):
        if not isinstance(ref, str) or not isinstance(hyp, str):
            raise ValueError(f"wer_report: pair #{i} is not two strings ({type(ref).__name__}, {type(hyp).__name__})")
        ref_n, hyp_n = normalize_text(ref), normalize_text(hyp)
        s, d, ins = _edit_counts(ref_n, hyp_n)
        n_words = len(ref_n.split())
        rows.append({"reference": ref_n, "hypothesis": hyp_n, "wer": (s + d + ins) / n_words if n_words else None,
                     "errors": s + d + ins, "n_words": n_words, "substitutions": s, "deletions": d,
                     "insertions": ins, **({} if ids is None else {"id": str(ids[i])})})
    return {**_wer_summary(rows, n_bootstrap, seed), "normalizer": wer_normalizer()}


@functools.cache
def wer_normalizer() -> str:
    """Which text normalisation a WER was counted under: the sha256 (16 hex digits) of `lm/normalize.py`, whose
    `normalize_text` both sides go through. A cached judgement of another is judged again (pipelines.evaluate)."""
    return hashlib.sha256(Path(inspect.getsourcefile(normalize_text)).read_bytes()).hexdigest()[:16]


def wer_of_utterances(report: dict, ids: list[str], n_bootstrap: int = 1000, seed: int = 0) -> dict:
    """A `wer_report` restricted to the utterances `ids` (its per_utterance rows, re-aggregated with new CIs): the
    ground truth of exactly the sentences a system was judged on. Raises ValueError where the report holds no ids
    or lacks some of them."""
    rows = report["per_utterance"]
    if any("id" not in r for r in rows):
        raise ValueError("wer_of_utterances: the report's utterances carry no ids (made without ids=)")
    by_id = {r["id"]: r for r in rows}
    missing = [uid for uid in ids if uid not in by_id]
    if missing:
        raise ValueError(f"wer_of_utterances: {len(missing)} of the {len(ids)} ids are not in the report "
                         f"(e.g. {missing[0]!r})")
    if not ids:
        raise ValueError("wer_of_utterances: no utterances")
    return {**_wer_summary([by_id[uid] for uid in ids], n_bootstrap, seed),
            **({"normalizer": report["normalizer"]} if "normalizer" in report else {})}


def _wer_summary(rows: list[dict], n_bootstrap: int, seed: int) -> dict:
    errors = np.array([r["errors"] for r in rows], dtype=np.float64)
    words = np.array([r["n_words"] for r in rows], dtype=np.float64)
    if words.sum() == 0:
        raise ValueError(f"wer_report: all {len(rows)} references are empty after normalization; WER is undefined")
    per_utt = np.array([r["wer"] for r in rows if r["wer"] is not None], dtype=np.float64)

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(rows), size=(n_bootstrap, len(rows)))
    boot_words = words[idx].sum(axis=1)
    keep = boot_words > 0  # a resample made only of empty references has no WER
    boot = errors[idx].sum(axis=1)[keep] / boot_words[keep]
    wer_ci = tuple(float(x) for x in np.quantile(boot, [0.025, 0.975]))
    return {
        "wer": float(errors.sum() / words.sum()),
        "wer_ci": wer_ci,
        "mean_utterance_wer": float(per_utt.mean()),
        "mean_utterance_wer_ci": bootstrap_ci(per_utt, np.mean, n=n_bootstrap, seed=seed),
        "n_utterances": len(rows),
        "n_reference_words": int(words.sum()),
        "substitutions": int(sum(r["substitutions"] for r in rows)),
        "deletions": int(sum(r["deletions"] for r in rows)),
        "insertions": int(sum(r["insertions"] for r in rows)),
        "n_empty_references": int((words == 0).sum()),
        "per_utterance": rows,
    }


# ---------------------------------------------------------------------------------------------------------------
# Signal metrics
# ---------------------------------------------------------------------------------------------------------------


def _pair(ref, deg, name: str) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for label, x in (("ref", ref), ("deg", deg)):
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"{name}: {label} must be mono [T], got shape {x.shape}")
        if x.size == 0:
            raise ValueError(f"{name}: {label} has no samples")
        if not np.isfinite(x).all():
            raise ValueError(f"{name}: {label} contains NaN or Inf samples")
        out.append(x)
    n = min(len(out[0]), len(out[1]))
    return out[0][:n], out[1][:n]


def pesq_scores(ref, deg, sample_rate: int) -> dict[str, float]:
    """ITU-T P.862 PESQ of degraded `deg [T]` against `ref [T]` -> {'pesq_wb', 'pesq_nb'} (MOS-LQO).

    Wide-band is scored at 16 kHz and narrow-band at 8 kHz (both resampled from `sample_rate` as needed); maxima
    are about 4.64 (WB) and 4.55 (NB). Where PESQ cannot score the pair — no speech in the reference, a signal
    shorter than its 0.25 s minimum, or a degraded signal without measurable power (digital silence: PESQ's level
    alignment divides by it, and the library crashes on the NaN) — it returns NaN with a warning that names the
    cause (averages leave NaN out and count what they kept: `pipelines.evaluate.mean_with_ci`'s `n`); other PESQ
    failures raise ValueError with PESQ's reason.
    """
    from pesq import BufferTooShortError, NoUtterancesError, PesqError, pesq

    ref, deg = _pair(ref, deg, "pesq_scores")
    out = {}
    for key, rate, mode in (("pesq_wb", 16000, "wb"), ("pesq_nb", 8000, "nb")):
        r, d = resample(ref, sample_rate, rate), resample(deg, sample_rate, rate)
        try:
            out[key] = float(pesq(rate, r.astype(np.float64), d.astype(np.float64), mode))
        except (NoUtterancesError, BufferTooShortError) as e:
            why = "found no speech in the reference" if isinstance(e, NoUtterancesError) else "needs at least 0.25 s"
            warnings.warn(f"pesq_scores: PESQ-{mode.upper()} {why} ({len(ref) / sample_rate:.2f} s); returning NaN",
                          RuntimeWarning, stacklevel=2)
            out[key] = float("nan")
        except ValueError as e:
            if "NaN" not in str(e):  # not the level alignment's division by a zero power
                raise
            warnings.warn(f"pesq_scores: PESQ-{mode.upper()} cannot level-align a degraded signal without measurable "
                          f"power (peak {float(np.abs(deg).max()):.1e}, {len(ref) / sample_rate:.2f} s; the reference "
                          f"peaks at {float(np.abs(ref).max()):.1e}); returning NaN", RuntimeWarning, stacklevel=2)
            out[key] = float("nan")
        except PesqError as e:
            raise ValueError(f"pesq_scores: PESQ-{mode.upper()} failed on {len(ref) / sample_rate:.2f} s of audio "
                             f"({type(e).__name__}: {e})") from None
    return out


def stoi_score(ref, deg, sample_rate: int, extended: bool = False) -> float:
    """Short-Time Objective Intelligibility (pystoi; resamples to 10 kHz internally) of `deg [T]` vs `ref [T]`.

    1.0 for identical signals; `extended=True` gives ESTOI. NaN with a warning where the reference has under 30
    speech frames of 25.6 ms once its silences are dropped (~0.4 s): pystoi's own answer there, 1e-5, is no score.
    """
    from pystoi import stoi

    ref, deg = _pair(ref, deg, "stoi_score")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        score = float(stoi(ref.astype(np.float64), deg.astype(np.float64), sample_rate, extended=extended))
    if any("Not enough STFT frames" in str(w.message) for w in caught):
        warnings.warn(f"stoi_score: under 30 speech frames in the reference ({len(ref) / sample_rate:.2f} s, "
                      "silences dropped); returning NaN", RuntimeWarning, stacklevel=2)
        return float("nan")
    return score


def mel_distance(ref, deg, sample_rate: int, windows: Sequence[int] = MEL_WINDOWS,
                 n_mels: Sequence[int] = MEL_BINS) -> float:
    """Multi-scale log-mel L1 distance between `ref [T]` and `deg [T]`: 0 for identical signals.

    For each (window, mel bins) pair — by default XCodec2's 7 scales, windows 32..2048, 5..320 bins, hop =
    window / 4 — the mean absolute difference of natural-log mel magnitudes (codec.audio.log_mel_spectrogram,
    floor 1e-5, Slaney filters); the result is the mean over scales. XCodec2's mel loss (and DAC's, up to its STFT
    padding) sums the scales and takes log10 of the same mel magnitudes, not of power, so with the default scales
    it is this value x XCODEC2_MEL_LOSS_FACTOR = 7 / ln(10) ~ 3.04.
    """
    if len(windows) != len(n_mels):
        raise ValueError(f"mel_distance: {len(windows)} windows but {len(n_mels)} mel-bin counts")
    ref, deg = _pair(ref, deg, "mel_distance")
    x = torch.from_numpy(np.stack([ref, deg]))
    total = 0.0
    for win, mels in zip(windows, n_mels):
        spec = log_mel_spectrogram(x, sample_rate, n_fft=win, hop_length=max(1, win // 4), n_mels=mels)
        total += float((spec[0] - spec[1]).abs().mean())
    return total / len(windows)


def cepstral_distance(ref, deg, sample_rate: int) -> float:
    """Mean absolute difference of the mean-normalised mel cepstra (MFCC 0-12, 40 filters; windows of 400 and hops
    of 160 samples, a recogniser's 25 ms / 10 ms at 16 kHz, shorter at higher rates; see codec.audio.mel_cepstra) of
    `ref [T]` and `deg [T]`: 0 for identical signals and blind to a fixed gain (each signal's mel energies floored
    at 80 dB below its own loudest, so digital silence scales with it). It measures the smoothed spectral envelope
    that a speech recogniser's front end keeps, not the fine structure; compare it only between systems of one
    sample rate."""
    ref, deg = _pair(ref, deg, "cepstral_distance")
    cepstra = mel_cepstra(torch.from_numpy(np.stack([ref, deg])), sample_rate, floor_db=80.0)
    return float((cepstra[0] - cepstra[1]).abs().mean())


def _low_passed(audio: np.ndarray, sample_rate: int, cutoff: float, width: float = 300.0) -> np.ndarray:
    """Zero-phase low-pass by FFT: bins below cutoff - width/2 kept, above cutoff + width/2 removed, a raised-cosine
    ramp between (a brick wall would ring)."""
    spectrum = np.fft.rfft(audio)
    freqs = np.fft.rfftfreq(len(audio), 1.0 / sample_rate)
    ramp = np.clip((freqs - (cutoff - width / 2)) / width, 0.0, 1.0)
    return np.fft.irfft(spectrum * 0.5 * (1 + np.cos(np.pi * ramp)), n=len(audio))


def f0_track(audio, sample_rate: int, hop_seconds: float = 0.02, window_seconds: float = 0.064,
             fmin: float = 60.0, fmax: float = 400.0, voicing_threshold: float = 0.45,
             silence_db: float = -35.0) -> np.ndarray:
    """F0 in Hz per frame of `audio [T]` (NaN where unvoiced) by normalised autocorrelation: `[frames]`.

    A frame is voiced when its autocorrelation peak in the lag range of [fmin, fmax] exceeds `voicing_threshold`
    (of the lag-0 value) and its RMS is within `silence_db` of the loudest frame. Plain autocorrelation, no
    smoothing: good enough to tell whether a codec carries the pitch contour, not a reference pitch tracker. The
    signal is low-passed at 1.5 kHz first: at whole-sample lags the high harmonics of a period that is not a whole
    number of samples stop lining up, and a lag of two or three periods won (94 of 321 steady pulse trains of 80-400
    Hz at 16 kHz read at half or a third of their pitch without it, none with it).
    """
    audio = _low_passed(_pair(audio, audio, "f0_track")[0].astype(np.float64), sample_rate, 1500.0)
    win, hop = int(round(window_seconds * sample_rate)), int(round(hop_seconds * sample_rate))
    if len(audio) < win:
        audio = np.pad(audio, (0, win - len(audio)))
    frames = np.lib.stride_tricks.sliding_window_view(audio, win)[::hop]
    frames = (frames - frames.mean(axis=1, keepdims=True)) * np.hanning(win)
    rms = np.sqrt((frames ** 2).mean(axis=1))
    ac = np.fft.irfft(np.abs(np.fft.rfft(frames, 2 * win, axis=1)) ** 2, axis=1)[:, :win]
    low, high = int(sample_rate // fmax), min(win - 1, int(np.ceil(sample_rate / fmin)))
    lags = low + np.argmax(ac[:, low:high + 1], axis=1)
    peak = np.take_along_axis(ac, lags[:, None], axis=1)[:, 0] / np.maximum(ac[:, 0], 1e-12)
    loud = rms > rms.max() * 10 ** (silence_db / 20) if rms.max() > 0 else np.zeros(len(rms), dtype=bool)
    return np.where(loud & (peak > voicing_threshold), sample_rate / lags, np.nan)


def pitch_scores(ref, deg, sample_rate: int, min_frames: int = 10) -> dict[str, float]:
    """How well `deg [T]` keeps the pitch of `ref [T]` (f0_track on both, frame by frame):

    f0_corr            Pearson correlation of F0 over the frames voiced in both (NaN if fewer than `min_frames`,
                       or where either F0 is constant over them: a steady tone has no contour to correlate);
    gross_pitch_error  the share of those frames whose F0 is off by more than 20 % (NaN likewise);
    voicing_error      the share of all frames voiced in one signal and not in the other.
    """
    ref, deg = _pair(ref, deg, "pitch_scores")
    f_ref, f_deg = f0_track(ref, sample_rate), f0_track(deg, sample_rate)
    n = min(len(f_ref), len(f_deg))
    f_ref, f_deg = f_ref[:n], f_deg[:n]
    v_ref, v_deg = np.isfinite(f_ref), np.isfinite(f_deg)
    both = v_ref & v_deg
    out = {"f0_corr": float("nan"), "gross_pitch_error": float("nan"), "voicing_error": float(np.mean(v_ref != v_deg))}
    if both.sum() >= min_frames:
        a, b = f_ref[both], f_deg[both]
        if a.std() > 0 and b.std() > 0:
            out["f0_corr"] = float(np.corrcoef(a, b)[0, 1])
        out["gross_pitch_error"] = float(np.mean(np.abs(b - a) > 0.2 * a))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Codebooks
# ---------------------------------------------------------------------------------------------------------------


def autocorrelation_at(audio, lag: int) -> float:
    """Normalized autocorrelation of `audio [T]` at `lag` samples, in [-1, 1]. At a lag of one codec hop it flags a
    frame-rate comb (an ISTFT head whose phase is not coherent across frames repeats itself every hop): near 1
    for such output, near 0 for speech whose pitch period does not divide the hop (scripts/frame_periodicity.py)."""
    x = _finite_1d(audio, "autocorrelation_at")
    if not 0 < lag < len(x):
        raise ValueError(f"autocorrelation_at: lag {lag} outside (0, {len(x)})")
    x = x - x.mean()
    return float((x[lag:] * x[:-lag]).sum() / max(float((x * x).sum()), 1e-12))


def codebook_stats(codes, codebook_size: int) -> dict[str, float]:
    """Usage of a codebook from code indices (any shape, flattened) in [0, codebook_size).

    Returns {'usage': fraction of entries used at least once, 'n_used', 'n_codes', 'entropy_bits': entropy of the
    code histogram in bits, 'perplexity': 2**entropy_bits = exp(entropy in nats)}. A uniform histogram over all
    entries has perplexity = codebook_size; a single repeated code has perplexity 1.
    """
    if codebook_size < 1:
        raise ValueError(f"codebook_stats: codebook_size must be >= 1, got {codebook_size}")
    if isinstance(codes, torch.Tensor):
        codes = codes.detach().cpu().numpy()
    arr = np.asarray(codes).reshape(-1)
    if arr.size == 0:
        raise ValueError("codebook_stats: no codes")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.mod(arr, 1) == 0):
            raise ValueError(f"codebook_stats: codes must be integers, got dtype {arr.dtype} with fractions")
        arr = arr.astype(np.int64)
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= codebook_size:
        raise ValueError(f"codebook_stats: codes span [{lo}, {hi}], outside [0, {codebook_size})")
    counts = np.bincount(arr, minlength=codebook_size)
    p = counts[counts > 0] / arr.size
    entropy_bits = float(-(p * np.log2(p)).sum())
    return {"usage": float((counts > 0).sum() / codebook_size), "n_used": int((counts > 0).sum()),
            "n_codes": int(arr.size), "entropy_bits": entropy_bits, "perplexity": float(2.0 ** entropy_bits)}


__all__ = ["bootstrap_ci", "grouped_mean_ci", "summarize", "wer_report", "pesq_scores", "stoi_score", "mel_distance", "cepstral_distance", "codebook_stats",
           "f0_track", "pitch_scores",
           "MEL_WINDOWS", "MEL_BINS", "XCODEC2_MEL_LOSS_FACTOR"]
