"""Is a codec's output a frame-rate comb? A quick check of the failure mode of ISTFT-head codecs trained briefly.

    python scripts/frame_periodicity.py CODEC_DIR_OR_CHECKPOINT --manifest test.jsonl [--n 8]

When the head's phase is not yet coherent from frame to frame, overlap-add yields a signal that repeats every hop
(320 samples = 20 ms): harmonics of 50 Hz under the right spectral envelope, a flat buzz instead of the speaker's
pitch. Its signature is a normalized autocorrelation near 1 at a lag of one hop. This prints, as JSON, the mean
over the first N utterances of that autocorrelation for the input and for the resynthesis decoded from the codes
and from the continuous latent z_e, and the F0 correlation of each resynthesis with the input (over the utterances
where both have one: `f0_corr_utterances`).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codec.audio import load_audio  # noqa: E402
from codec.cli import positive_int, run_main  # noqa: E402
from codec.data import first_utterances  # noqa: E402
from codec.export import load_codec_or_checkpoint  # noqa: E402
from codec.model import CodecLoadError  # noqa: E402
from pipelines.metrics import autocorrelation_at, common_finite_means, pitch_scores  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("codec", type=Path, help="a codec folder or a codec.train checkpoint folder")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--n", type=positive_int, default=8)
    args = parser.parse_args(argv)
    utterances = first_utterances(args.manifest, args.n)
    codec, step = load_codec_or_checkpoint(args.codec)
    scores: dict[str, list[float]] = {}
    for utt in utterances:
        wav = load_audio(utt.audio, codec.sample_rate)
        outputs = {name: codec.reconstruct(torch.from_numpy(wav)[None], quantize=q)[0][0, : len(wav)].numpy()
                   for name, q in (("codes", True), ("z_e", False))}
        row = {"input_autocorr_at_hop": autocorrelation_at(wav, codec.hop_length)}
        for name, out in outputs.items():
            row[f"{name}_autocorr_at_hop"] = autocorrelation_at(out, codec.hop_length)
            row[f"{name}_f0_corr"] = pitch_scores(wav, out, codec.sample_rate)["f0_corr"]
        for key, value in row.items():
            scores.setdefault(key, []).append(value)
    f0, f0_n = common_finite_means({k: scores.pop(k) for k in ("codes_f0_corr", "z_e_f0_corr")})
    print(json.dumps({"codec": str(args.codec), "step": step, "utterances": len(scores["input_autocorr_at_hop"]),
                      **{k: round(float(np.mean(v)), 4) for k, v in scores.items()},
                      **{k: round(v, 4) for k, v in f0.items()}, "f0_corr_utterances": f0_n}))
    return 0


if __name__ == "__main__":
    run_main(main, (FileNotFoundError, ValueError, CodecLoadError))
