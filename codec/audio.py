"""Audio I/O and spectrograms without torchaudio: soundfile reads, soxr resamples, torch.stft computes mels.

torchaudio is deliberately absent: its wheels fail to load against CPU builds of torch and then break
`import transformers`.
"""
from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import torch


class AudioError(ValueError):
    """An audio file (or array) that cannot be used; the message names the file and the reason."""


def load_audio(path: str | os.PathLike, sample_rate: int | None = None) -> np.ndarray:
    """Read any file soundfile reads (wav, flac, ogg, mp3, ...) as mono float32 `[T]`.

    Channels are averaged; the signal is resampled to `sample_rate` when given. Raises AudioError naming the
    file for a missing, unreadable or empty file, non-audio bytes, a broken header, a WAV cut short, no samples
    (also after resampling), or NaN/Inf samples.
    """
    path = _existing_file(path)
    try:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, EOFError) as e:
        raise AudioError(f"{path}: not a readable audio file ({e})") from None
    return _checked_mono(data, file_rate, sample_rate, name=str(path))


def _existing_file(path: str | os.PathLike) -> Path:
    """`path` as a Path once it is known to be a non-empty regular file that is whole where its header tells (a
    WAV); else AudioError with the reason (an OSError such as a denied folder or a name too long is one too)."""
    path = Path(path)
    try:
        if not path.exists():
            raise AudioError(f"{path}: file not found")
        if path.is_dir():
            raise AudioError(f"{path}: is a directory, not an audio file")
        size = path.stat().st_size
        if size == 0:
            raise AudioError(f"{path}: empty file (0 bytes)")
        end = _wav_data_end(path)
    except OSError as e:
        raise AudioError(f"{path}: cannot be read ({e.strerror or e})") from None
    # libsndfile reads the frames a WAV cut short still holds (a copy or a disk that filled up): its header would
    # pass half a sentence as the whole
    if end is not None and end > size:
        raise AudioError(f"{path}: cut short ({size} bytes; its data ends at byte {end})")
    return path


def _wav_data_end(path: Path) -> int | None:
    """Where a RIFF or RF64 WAV's data chunk says its samples end (bytes from the start); None for another format, a
    header too short to tell (libsndfile names that), or a size a recorder left as a placeholder (0, ~4 GiB)."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:] != b"WAVE":
            return None
        offset, data64 = 12, None
        for _ in range(64):  # the chunks before the samples: fmt, fact, LIST, ds64 (RF64's 64-bit sizes), ...
            f.seek(offset)
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            kind, chunk_size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if kind == b"ds64":
                data64 = int.from_bytes(f.read(16)[8:16].ljust(8, b"\0"), "little")  # riffSize, then dataSize
            if kind == b"data":
                if head[:4] == b"RF64" and chunk_size == 0xFFFFFFFF:
                    chunk_size = data64 or 0
                if chunk_size == 0 or (head[:4] == b"RIFF" and chunk_size >= 0x7F000000):
                    return None
                return offset + 8 + chunk_size
            offset += 8 + chunk_size + (chunk_size & 1)  # chunks are padded to an even size
    return None


def to_mono(audio: np.ndarray, file_rate: int, sample_rate: int | None = None, name: str = "audio") -> np.ndarray:
    """Array version of `load_audio`'s checks: `[T]` or `[T, C]` samples -> mono float32 `[T]` at `sample_rate`.

    Integer PCM (scipy.io.wavfile's int16, int32, uint8) is scaled to [-1, 1) as soundfile reads it."""
    audio = np.asarray(audio)
    if audio.dtype.kind in "iu":
        info = np.iinfo(audio.dtype)
        if audio.dtype not in (np.uint8, np.int8, np.int16, np.int32):  # PCM's kinds (WAV's only unsigned is 8-bit)
            raise AudioError(f"{name}: {audio.dtype} samples: expected float, or PCM of int8/16/32 or uint8")
        offset = 128 if audio.dtype == np.uint8 else 0
        audio = (audio.astype(np.float64) - offset) / (-info.min if offset == 0 else 128)
    elif audio.dtype.kind != "f":
        raise AudioError(f"{name}: {audio.dtype} samples: expected float or integer PCM")
    audio = audio.astype(np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.ndim != 2:
        raise AudioError(f"{name}: expected samples shaped [T] or [T, channels], got {audio.shape}")
    if audio.shape[1] > audio.shape[0]:
        # torch's channels-first layout [channels, T] would be read as a few samples of thousands of channels
        raise AudioError(f"{name}: {audio.shape} has more channels than samples: expected [T, channels], "
                         f"not [channels, T] (transpose it)")
    return _checked_mono(audio, file_rate, sample_rate, name)


def _checked_mono(data: np.ndarray, file_rate: int, sample_rate: int | None, name: str) -> np.ndarray:
    if data.shape[0] == 0:
        raise AudioError(f"{name}: contains no samples")
    if not np.isfinite(data).all():
        raise AudioError(f"{name}: contains NaN or Inf samples")
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if sample_rate is not None and file_rate != sample_rate:
        mono = resample(mono, file_rate, sample_rate)
        if mono.shape[0] == 0:  # a click of a sample or two at 48 kHz is nothing at 16 kHz
            raise AudioError(f"{name}: {data.shape[0]} sample(s) at {file_rate} Hz leave none at {sample_rate} Hz")
    return np.ascontiguousarray(mono, dtype=np.float32)


def resample(audio: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """High-quality (soxr) resampling of mono float32 audio `[T]`."""
    if orig_rate == target_rate:
        return audio.astype(np.float32, copy=False)
    return soxr.resample(audio.astype(np.float32, copy=False), orig_rate, target_rate, quality="HQ").astype(np.float32)


def save_wav(path: str | os.PathLike, audio: np.ndarray | torch.Tensor, sample_rate: int) -> None:
    """Write mono audio `[T]` (or `[1, T]`) as 16-bit PCM wav, clipped to [-1, 1]; parent folders are created."""
    if isinstance(audio, torch.Tensor):
        audio = audio.detach().float().cpu().numpy()
    if sum(size > 1 for size in np.shape(audio)) > 1:
        # flattened, a batch [B, T] or stereo audio would be written as one clip of its rows (or channels) in turn
        raise AudioError(f"{path}: expected mono audio [T], got shape {np.shape(audio)}: write one clip at a time")
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if not np.isfinite(audio).all():
        raise AudioError(f"{path}: refusing to write NaN or Inf samples")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        sf.write(str(path), np.clip(audio, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
    except sf.LibsndfileError:
        try:  # libsndfile says "System error" where it cannot open the file: Python's open names the reason
            open(path, "ab").close()
        except OSError as e:
            raise e from None
        raise


def audio_info(path: str | os.PathLike, check_end: bool = False) -> tuple[int, int]:
    """(frames, sample_rate) from the header; AudioError if the header cannot be read.

    check_end: also decode the last frames the header promises, which a file cut short (a download or copy that
    stopped, its header intact) does not hold; under a millisecond a file, where decoding all of it would take
    seconds."""
    path = _existing_file(path)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as e:
        raise AudioError(f"{path}: not a readable audio file ({e})") from None
    if info.frames <= 0:
        raise AudioError(f"{path}: contains no samples")
    if check_end:
        tail = min(int(info.frames), 64)
        try:
            with sf.SoundFile(str(path)) as f:
                f.seek(int(info.frames) - tail)
                got = len(f.read(tail, dtype="float32"))
        except (sf.LibsndfileError, RuntimeError) as e:
            raise AudioError(f"{path}: cut short or damaged: its last samples cannot be decoded ({e})") from None
        if got < tail:
            raise AudioError(f"{path}: cut short: the header promises {info.frames} samples, the data ends before")
    return int(info.frames), int(info.samplerate)


# ---------------------------------------------------------------------------------------------------------------
# Mel spectrograms
# ---------------------------------------------------------------------------------------------------------------


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    # Slaney's scale (librosa's default): linear below 1 kHz, logarithmic above.
    # np.where, not masked assignment: torch.compile traces this (inside the mel loss) and cannot compile a
    # data-dependent mask
    f = np.asarray(f, dtype=np.float64)
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1000.0) / 1000.0) / (math.log(6.4) / 27.0), f / (200.0 / 3))


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((math.log(6.4) / 27.0) * (np.maximum(m, 15.0) - 15.0)), m * (200.0 / 3))


@functools.lru_cache(maxsize=64)
def mel_filterbank(n_fft: int, n_mels: int, sample_rate: int, f_min: float = 0.0, f_max: float | None = None) -> torch.Tensor:
    """Slaney-normalised triangular filters `[n_mels, n_fft // 2 + 1]` (the same as librosa.filters.mel)."""
    f_max = sample_rate / 2 if f_max is None else f_max
    # (the bins of an odd n_fft stop short of Nyquist: rfftfreq's; an even one keeps the values it always had)
    fft_freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1) if n_fft % 2 == 0 else np.fft.rfftfreq(n_fft, 1 / sample_rate)
    mel_points = _mel_to_hz(np.linspace(_hz_to_mel(np.array([f_min]))[0], _hz_to_mel(np.array([f_max]))[0], n_mels + 2))
    widths = np.diff(mel_points)
    ramps = mel_points[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_points[2 : n_mels + 2] - mel_points[:n_mels]))[:, None]
    # cached: made under inference mode (a first call from evaluation or synthesis), it would be an inference tensor,
    # which a later training step in the same process could not save for backward
    with torch.inference_mode(False):
        return torch.from_numpy(weights.astype(np.float32))


def log_mel_spectrogram(
    wav: torch.Tensor,
    sample_rate: int,
    n_fft: int = 1024,
    hop_length: int = 256,
    n_mels: int = 80,
    win_length: int | None = None,
    f_min: float = 0.0,
    f_max: float | None = None,
    center: bool = True,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Natural-log magnitude mel spectrogram of `[B, T]` (or `[T]`) audio -> `[B, n_mels, frames]`.

    frames = T // hop_length + 1 with `center=True`. Differentiable; runs on wav's device and dtype float32.
    """
    squeeze = wav.dim() == 1
    if squeeze:
        wav = wav[None]
    if wav.dim() != 2:
        raise ValueError(f"log_mel_spectrogram expects audio [B, T] or [T], got shape {tuple(wav.shape)}")
    win_length = win_length or n_fft
    wav = wav.float()
    window = torch.hann_window(win_length, device=wav.device)
    spec = torch.stft(wav, n_fft, hop_length, win_length, window, center=center, pad_mode="reflect" if wav.shape[-1] > n_fft // 2 else "constant", return_complex=True)
    magnitude = spec.abs()
    fb = mel_filterbank(n_fft, n_mels, sample_rate, f_min, f_max).to(wav.device)
    mel = torch.matmul(fb, magnitude)
    out = torch.log(torch.clamp(mel, min=eps))
    return out[0] if squeeze else out


# A speech recogniser's front end (Kaldi's and HTK's usual 16 kHz settings): 25 ms window, 10 ms hop, 40 mel filters
# over 20-7600 Hz, the first 13 cepstra
CEPSTRAL_FRONT_END = dict(n_fft=512, win_length=400, hop_length=160, n_mels=40, f_min=20.0, f_max=7600.0)
N_CEPSTRA = 13


def dct_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """The orthonormal DCT-II as an [n_out, n_in] matrix (rows: cosines of increasing frequency)."""
    n = torch.arange(n_in, dtype=torch.float64)
    k = torch.arange(n_out, dtype=torch.float64)[:, None]
    basis = torch.cos(torch.pi * k * (2 * n + 1) / (2 * n_in)) * (2 / n_in) ** 0.5
    basis[0] /= 2 ** 0.5
    return basis.float()


def mel_cepstra(wav: torch.Tensor, sample_rate: int, floor_db: float | None = None) -> torch.Tensor:
    """Mean-normalised mel cepstra (MFCC 0-12 of CEPSTRAL_FRONT_END, each utterance's mean over time removed, as
    a recogniser's cepstral mean normalisation does) of [B, T] audio -> [B, 13, frames].

    The log mel energies are floored at 1e-5 (the training loss's floor), or with `floor_db` at that many dB below
    each utterance's loudest: a floor that moves with the gain, so that a fixed gain changes nothing even where
    there is digital silence (a fixed floor made one cost 0.16 at gain 0.5 with pauses of exact zeros)."""
    if floor_db is None:
        log_mel = log_mel_spectrogram(wav, sample_rate, **CEPSTRAL_FRONT_END)  # [B, 40, N]
    else:
        log_mel = log_mel_spectrogram(wav, sample_rate, eps=1e-12, **CEPSTRAL_FRONT_END)
        log_mel = torch.maximum(log_mel, log_mel.amax(dim=(-2, -1), keepdim=True) - floor_db / 20 * math.log(10))
    cepstra = torch.einsum("cm,bmn->bcn", dct_matrix(N_CEPSTRA, log_mel.shape[1]).to(log_mel.device), log_mel)
    return cepstra - cepstra.mean(-1, keepdim=True)
