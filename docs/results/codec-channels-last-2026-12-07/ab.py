"""Paired A/B of the acoustic encoder's layout on a CPU, one process, 2 threads: "nwc" (as committed: activations
channels-last after the input convolution, codec/encoder.py) against "ncw" ([B, C, T] throughout: the same code
with codec.encoder.channels_last made the identity), the arms alternating, order flipped every pair.

    .venv/bin/python docs/results/codec-channels-last-2026-12-07/ab.py [PAIRS] > ab.json

  infer   the `tiny` preset (random weights, seed 0): encode and decode of 10 s at batch 1 and 32, seconds per
          call, and encode + decode as times faster than real time (codec-infer's measure)
  train   benchmarks codec-train's `tiny` step (discriminator then generator step, batch 8 x 1 s, no SG),
          seconds per step (both arms step the same model in turn); the committed encoder keeps [B, C, T] under
          autograd, so "nwc" here is the encoder's forward with the layout switched on regardless (_forward_nwc):
          the measurement that kept training out of it
  codes   the bundled default model's codec: the codes of the first 40 test utterances of the default corpus
          (exp/default/data/test.jsonl, docs/results/fp16-packed-2026-12-07/bundle.sh renders it) under both
          layouts, and the fraction identical
"""
import json
import statistics
import sys
import time

import soundfile
import torch

from benchmarks.codec_train import build_step
from codec import encoder
from codec.config import CodecConfig
from codec.data import read_manifest
from codec.model import Codec

LAYOUTS = {"nwc": encoder.channels_last, "ncw": lambda x: x}
FORWARD = encoder.AcousticEncoder.forward


def _forward_nwc(self, wav, lengths):
    """AcousticEncoder.forward with the channels-last layout under autograd too."""
    padded = bool((lengths < wav.shape[-1]).any())
    x = encoder.apply_mask(self.input(wav.unsqueeze(1)), encoder.padding_mask(lengths, wav.shape[-1], padded))
    x = encoder.channels_last(x)
    for block in self.blocks:
        x, lengths = block(x, lengths, padded)
    x = self.output(self.act(x))
    return encoder.apply_mask(x, encoder.padding_mask(lengths, x.shape[-1], padded)).contiguous()


def layout(name: str) -> None:
    encoder.channels_last = LAYOUTS[name]


def training_layout(name: str) -> None:
    encoder.AcousticEncoder.forward = _forward_nwc if name == "nwc" else FORWARD


def paired(calls: dict, pairs: int, switch=layout) -> dict:
    """calls: name -> zero-argument function. Seconds per call of each arm, medians and paired ratio nwc / ncw."""
    out = {}
    for name, call in calls.items():
        times = {"ncw": [], "nwc": []}
        for i in range(pairs + 1):  # pair 0 warms up
            for arm in ("ncw", "nwc")[:: -1 if i % 2 else 1]:
                switch(arm)
                start = time.perf_counter()
                call()
                if i:
                    times[arm].append(time.perf_counter() - start)
        out[name] = {"ncw_s": statistics.median(times["ncw"]), "nwc_s": statistics.median(times["nwc"]),
                     "paired_ratio": statistics.median(b / a for a, b in zip(times["ncw"], times["nwc"]))}
        print(name, {k: round(v, 4) for k, v in out[name].items()}, file=sys.stderr, flush=True)
    return out


def main(pairs: int):
    torch.set_num_threads(2)
    torch.manual_seed(0)
    codec = Codec(CodecConfig.preset("tiny")).eval()
    results = {}
    with torch.inference_mode():
        calls = {}
        for batch in (1, 32):
            wav = torch.randn(batch, 160000) * 0.1
            codes, frames = codec.encode(wav)
            calls[f"encode_b{batch}"] = lambda wav=wav: codec.encode(wav)
            calls[f"decode_b{batch}"] = lambda codes=codes, frames=frames: codec.decode(codes, frames)
        results["infer"] = paired(calls, pairs)
        for batch in (1, 32):
            for arm in ("ncw", "nwc"):
                t = results["infer"][f"encode_b{batch}"][f"{arm}_s"] + results["infer"][f"decode_b{batch}"][f"{arm}_s"]
                results["infer"][f"x_real_time_b{batch}_{arm}"] = batch * 10.0 / t
    step, _, _ = build_step("tiny", sg=False, batch=8, segment_seconds=1.0, device=torch.device("cpu"))
    results["train"] = paired({"tiny_step_b8x1s": step}, pairs, training_layout)
    training_layout("ncw")
    bundled = Codec.from_pretrained("pipelines/default_model/codec").eval()
    same = total = 0
    with torch.inference_mode():
        for utterance in read_manifest("exp/default/data/test.jsonl").utterances[:40]:
            audio, rate = soundfile.read(utterance.audio, dtype="float32")
            wav = torch.from_numpy(audio)[None]
            coded = {}
            for arm in ("ncw", "nwc"):
                layout(arm)
                coded[arm] = bundled.encode(wav, sample_rate=rate)[0]
            same += int((coded["ncw"] == coded["nwc"]).sum())
            total += coded["ncw"].numel()
    layout("nwc")
    results["codes"] = {"utterances": 40, "codes": total, "identical": same, "fraction_identical": same / total}
    print("codes", results["codes"], file=sys.stderr)
    print(json.dumps({"threads": 2, "torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                      "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "pairs": pairs, **results}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
