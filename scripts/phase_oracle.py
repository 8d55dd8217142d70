"""Is it the magnitude or the phase? Swap the two between a codec's output and its input, and ask the ASR judge.

    python scripts/phase_oracle.py CODEC_DIR_OR_CHECKPOINT --manifest test.jsonl [--n 30] [--out result.json]

An ISTFT-head codec predicts, per 20 ms frame, a log-magnitude and a phase (n_fft = 4 hops, Hann) and overlap-adds
them. When its resynthesis is unintelligible, this tells which of the two is to blame, by swapping them, in the
head itself, with the input's STFT taken in the head's framing:

  input                      the original
  input mag + zero phase     what a head that never learned phase would give from perfect magnitudes
  codec                      the resynthesis decoded from the codes
  codec mag + input phase    the head's predicted magnitudes with the true phase (an oracle)
  input mag + codec phase    the true magnitudes with the head's predicted phase

(the input's own magnitude and phase through the head give back the input: `head_inverse_max_abs_error`)
and prints, as JSON, per condition: corpus WER (pocketsphinx, with 95% CI), mean STOI, autocorrelation at one
hop (near 1 = a 50 Hz frame-rate comb) and F0 correlation with the input.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codec import Codec  # noqa: E402
from codec.audio import load_audio  # noqa: E402
from codec.cli import positive_int, run_main  # noqa: E402
from codec.data import first_utterances  # noqa: E402
from codec.export import load_codec_or_checkpoint  # noqa: E402
from codec.model import CodecLoadError  # noqa: E402
from codec.trainloop import write_json  # noqa: E402
from pipelines.asr import PocketSphinxASR  # noqa: E402
from pipelines.evaluate import transcribe  # noqa: E402
from pipelines.metrics import autocorrelation_at, common_finite_means, pitch_scores, stoi_score, wer_report  # noqa: E402
from pipelines.plots import spectrogram_comparison_png  # noqa: E402


def _decode_capturing_head(codec: Codec, wav: np.ndarray) -> tuple[np.ndarray, tuple, torch.Tensor]:
    """Resynthesize `wav` [T] -> (audio [T], the ISTFT head's inputs (features, mask), its Linear output
    [F, n_fft + 2] = log-magnitude | phase)."""
    captured = {}
    handles = [codec.head.register_forward_pre_hook(lambda module, args: captured.update(inputs=args)),
               codec.head.out.register_forward_hook(lambda module, args, out: captured.update(out=out[0].clone()))]
    try:
        with torch.no_grad():
            audio = codec.reconstruct(torch.from_numpy(wav)[None])[0][0, : len(wav)].numpy()
    finally:
        for handle in handles:
            handle.remove()
    return np.pad(audio, (0, len(wav) - len(audio))), captured["inputs"], captured["out"]


def _head_from(codec: Codec, head_inputs: tuple, spectra: torch.Tensor, length: int) -> np.ndarray:
    """The head's overlap-add of `spectra` [F, n_fft + 2] (log-magnitude | phase) in place of its prediction -> [T]."""
    handle = codec.head.out.register_forward_hook(lambda module, args, out: spectra[None].to(out.dtype))
    try:
        with torch.no_grad():
            audio = codec.head(*head_inputs)[0, :length].numpy()
    finally:
        handle.remove()
    return np.pad(audio, (0, length - len(audio)))


def _input_spectrum(wav: np.ndarray, n_fft: int, hop: int, frames: int) -> torch.Tensor:
    """The input's STFT [n_fft/2+1, frames] in the head's framing (frame t centred on samples [t*hop, (t+1)*hop))."""
    left = (n_fft - hop) // 2
    right = max(0, (frames - 1) * hop + n_fft - left - len(wav))
    x = torch.nn.functional.pad(torch.from_numpy(wav).float(), (left, right))
    return torch.stft(x, n_fft, hop, window=torch.hann_window(n_fft), center=False, return_complex=True)[:, :frames]


def conditions(codec: Codec, wav: np.ndarray) -> tuple[dict[str, np.ndarray], float]:
    """The signals of the module docstring, each [T] float32 clipped to [-1, 1], and the head-inverse check.

    The head's synthesis is linear in the spectrum, so input magnitudes enter scaled down by `scale` (the head
    clips magnitudes at 100, which a loud bin of the input can exceed) and the audio is scaled back up. The encoder
    and backbone run once; each swap re-runs only the head.
    """
    scale = 16.0
    n_fft, hop = codec.head.n_fft, codec.head.hop_length
    codec_audio, head_inputs, head_out = _decode_capturing_head(codec, wav)
    bins = n_fft // 2 + 1
    spec = _input_spectrum(wav, n_fft, hop, head_out.shape[0]).T  # [F, bins]
    in_log_mag, in_phase = torch.log((spec.abs() / scale).clamp(min=1e-9)), torch.angle(spec)
    codec_log_mag, codec_phase = head_out[:, :bins], head_out[:, bins:]

    def with_spectra(log_mag: torch.Tensor, phase: torch.Tensor, gain: float) -> np.ndarray:
        return gain * _head_from(codec, head_inputs, torch.cat([log_mag, phase], dim=-1), len(wav))

    through_head = with_spectra(in_log_mag, in_phase, scale)
    signals = {
        "input": wav,
        "input mag + zero phase": with_spectra(in_log_mag, torch.zeros_like(in_phase), scale),
        "codec": codec_audio,
        "codec mag + input phase": with_spectra(codec_log_mag, in_phase, 1.0),
        "input mag + codec phase": with_spectra(in_log_mag, codec_phase, scale),
    }
    check = float(np.max(np.abs(through_head - wav)))
    return {k: np.clip(v, -1.0, 1.0).astype(np.float32) for k, v in signals.items()}, check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("codec", type=Path, help="a codec folder or a codec.train checkpoint folder")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--n", type=positive_int, default=30)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--png", type=Path, default=None,
                        help="spectrograms of every condition for the first utterance (fine enough to show harmonics)")
    args = parser.parse_args(argv)
    utterances = first_utterances(args.manifest, args.n)
    codec, step = load_codec_or_checkpoint(args.codec)
    signals: dict[str, list[np.ndarray]] = {}
    texts, checks = [], []
    for utt in utterances:
        wav = load_audio(utt.audio, codec.sample_rate)
        signals_of_utt, check = conditions(codec, wav)
        for name, signal in signals_of_utt.items():
            signals.setdefault(name, []).append(signal)
        texts.append(utt.text)
        checks.append(check)
    if args.png is not None:
        spectrogram_comparison_png({name: audios[0] for name, audios in signals.items()}, codec.sample_rate,
                                   args.png, title=f"{utterances[0].id}: magnitude / phase swaps in the ISTFT head",
                                   n_fft=2048, hop_length=160, n_mels=160)
    asr = PocketSphinxASR()
    result = {"codec": str(args.codec), "step": step, "manifest": str(args.manifest), "utterances": len(texts),
              "stft": {"n_fft": codec.head.n_fft, "hop": codec.head.hop_length, "window": "hann"},
              "head_inverse_max_abs_error": round(max(checks), 6), "conditions": {}}
    inputs = signals["input"]
    # STOI and F0 correlation are NaN where unscoreable: every condition is averaged over the same utterances
    stoi, stoi_n = common_finite_means({name: [stoi_score(a, b, codec.sample_rate) for a, b in zip(inputs, audios)]
                                        for name, audios in signals.items()})
    f0, f0_n = common_finite_means({name: [pitch_scores(a, b, codec.sample_rate)["f0_corr"]
                                           for a, b in zip(inputs, audios)] for name, audios in signals.items()})
    result.update(stoi_utterances=stoi_n, f0_corr_utterances=f0_n)
    for name, audios in signals.items():
        wer = wer_report(texts, transcribe(asr, audios, codec.sample_rate))
        result["conditions"][name] = {
            "wer": round(wer["wer"], 4), "wer_ci": [round(x, 4) for x in wer["wer_ci"]],
            "stoi": round(stoi[name], 4),
            "autocorr_at_hop": round(float(np.mean([autocorrelation_at(a, codec.hop_length) for a in audios])), 4),
            "f0_corr": round(f0[name], 4),
        }
        print(f"{name:26s} {json.dumps(result['conditions'][name])}", file=sys.stderr)
    if args.out is not None:
        write_json(args.out, result)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    run_main(main, (FileNotFoundError, ValueError, CodecLoadError))
