"""Is the self-guidance tap's scale running away? Hidden MSE against the scale it is measured in, per checkpoint.

    python scripts/hidden_energy.py CODEC_DIR_OR_CHECKPOINT [...] --manifest dev.jsonl [--n 8] [--tap last_block]

The "last_block" tap is the decoder's raw residual stream; the final norm after it makes the output blind to its
scale, so nothing but the SG loss itself ties that scale down. For each codec (a codec folder or a codec.train
checkpoint folder) this prints one JSON line with, over the first N utterances, the mean per-frame
hidden_energy ||h_e||^2, hidden_mse ||h_e - h_q||^2, their ratio (relative_hidden_mse) and the share of the energy
that is the same on every frame (constant_share). A hidden_energy that multiplies from one checkpoint to the next
while the relative MSE falls and the constant share nears 1 is a residual stream running away, the prelude of the
SG blow-ups in docs/RESULTS.md; the absolute hidden MSE alone cannot tell that from a worse fit.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codec import Codec  # noqa: E402
from codec.audio import load_audio  # noqa: E402
from codec.config import SG_TAPS  # noqa: E402
from codec.cli import positive_int, run_main  # noqa: E402
from codec.data import first_utterances  # noqa: E402
from codec.export import load_codec_or_checkpoint  # noqa: E402
from codec.model import CodecLoadError  # noqa: E402


@torch.inference_mode()
def hidden_scale(codec: Codec, waves: list) -> dict:
    """Per-frame means over all frames of `waves` (1-D float arrays at the codec's rate), and constant_share: the
    part of the tap's energy in each utterance's time-constant vector (its mean over frames) - the same offset on
    every frame, which says nothing about the speech - and the hidden MSE relative to the rest (mse_relative_to_varying)."""
    energy = mse = constant = frames = 0.0
    for wav in waves:
        wav = torch.as_tensor(wav)[None]
        diag = codec.diagnose(wav, tap=codec.config.sg_tap)  # at the codec's own tap, or --tap (main)
        energy += float(diag["hidden_energy"].sum())
        mse += float(diag["hidden_mse"].sum())
        frames += int(diag["frame_lengths"].sum())
        lat = codec.encode_latents(wav, torch.tensor([wav.shape[-1]]))
        for h in codec.backbone(codec.decoder_input(lat.z_e), lat.mask, codec.config.sg_tap)[1]:
            constant += h.shape[1] * float((h[0].mean(0) ** 2).sum())
    return {"frames": int(frames), "hidden_energy": energy / frames, "hidden_mse": mse / frames,
            "relative_hidden_mse": mse / max(energy, 1e-12), "constant_share": constant / max(energy, 1e-12),
            # the error against the part of the features that carries the speech (what varies from frame to frame)
            "mse_relative_to_varying": mse / max(energy - constant, 1e-12)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("codecs", type=Path, nargs="+", help="codec folders or codec.train checkpoint folders")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--n", type=positive_int, default=8)
    parser.add_argument("--tap", choices=SG_TAPS, help="measure at this tap instead of each codec's own SG tap "
                        "(e.g. last_block for a codec trained with the backbone tap)")
    args = parser.parse_args(argv)
    utterances = first_utterances(args.manifest, args.n)
    loaded: dict[int, list] = {}  # the utterances at each codec's own sample rate, read once per rate
    for path in args.codecs:
        codec, step = load_codec_or_checkpoint(path)
        if args.tap:
            codec.config = dataclasses.replace(codec.config, sg_tap=args.tap)
        if codec.sample_rate not in loaded:
            loaded[codec.sample_rate] = [load_audio(u.audio, codec.sample_rate) for u in utterances]
        waves = loaded[codec.sample_rate]
        row = hidden_scale(codec.eval(), waves)
        print(json.dumps({"codec": str(path), "step": step, "tap": codec.config.sg_tap, "utterances": len(waves),
                          **{k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()}}), flush=True)
    return 0


if __name__ == "__main__":
    run_main(main, (FileNotFoundError, ValueError, CodecLoadError))
