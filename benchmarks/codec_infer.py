"""Codec inference speed: encode and decode real-time factor (compute seconds per second of audio) per preset.

Random weights (speed does not depend on training), random audio and codes, utterances of --seconds (10 s),
batch 1 and 32. CPU: --threads threads (2), fp32. CUDA: bf16 autocast. A configuration whose estimated cost
(from its batch-1 time) exceeds --budget-s seconds is skipped with the reason recorded, never silently.
--compile runs the encoder, decoder backbone and ISTFT head through torch.compile (inductor) first; the compile
time (the first encode + decode) is recorded per preset and is not in the timings.
"""
from __future__ import annotations

import contextlib
import time

import torch

from benchmarks.common import environment, inverse, log, peak_memory, report, scaled, setup_device, time_fn
from codec.config import CodecConfig
from codec.model import Codec

PRESETS = ("debug", "tiny", "small", "xcodec2")


def autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def compile_codec(codec: Codec, device: torch.device, seconds: float) -> float:
    """torch.compile the encoder, backbone and head in place; returns the seconds of the first (compiling) call."""
    for name in ("encoder", "backbone", "head"):
        setattr(codec, name, torch.compile(getattr(codec, name)))
    wav = torch.randn(1, int(seconds * codec.sample_rate), device=device) * 0.1
    start = time.perf_counter()
    with torch.inference_mode(), autocast(device):
        codes, frames = codec.encode(wav)
        codec.decode(codes, frames)
    return time.perf_counter() - start


def run(device: str = "cpu", presets=PRESETS, batches=(1, 32), seconds: float = 10.0, threads: int = 2,
        warmup: int = 1, repeats: int = 3, budget_s: float = 150.0, quick: bool = False, compile: bool = False) -> dict:
    if quick:
        presets, batches, seconds, warmup, repeats = [p for p in presets if p == "debug"] or presets[:1], (1, 4), 1.0, 1, 2
    dev = setup_device(device, threads)
    env = environment(device)
    rows = []
    for name in presets:
        torch.manual_seed(0)
        codec = Codec(CodecConfig.preset(name)).to(dev).eval()
        params = sum(p.numel() for p in codec.parameters())
        compile_s = compile_codec(codec, dev, seconds) if compile else None
        per_item_s = None  # batch-1 encode+decode seconds, for the skip estimate
        for batch in sorted(batches):
            row = {"preset": name, "batch": batch, "seconds_per_item": seconds, "parameters": params,
                   "precision": "bf16-autocast" if dev.type == "cuda" else "fp32", "compiled": compile,
                   "compile_s": compile_s}
            audio_s = batch * seconds
            if per_item_s is not None and dev.type == "cpu":
                estimate = per_item_s * batch * (warmup + repeats)
                if estimate > budget_s:
                    row["skipped"] = (f"estimated {estimate:.0f} s of compute ({per_item_s:.2f} s per item x {batch} x "
                                      f"{warmup + repeats} runs) exceeds --budget-s {budget_s:.0f} on {threads} CPU threads")
                    log(f"codec-infer {name} b{batch}: skipped ({row['skipped']})")
                    rows.append(row)
                    continue
            wav = torch.randn(batch, int(seconds * codec.sample_rate), device=dev) * 0.1
            frames = int(codec.num_frames(wav.shape[-1]))
            codes = torch.randint(0, codec.codebook_size, (batch, frames), device=dev)
            try:
                with peak_memory(dev, row):
                    with autocast(dev):
                        enc = time_fn(lambda: codec.encode(wav), dev, warmup, repeats)
                        dec = time_fn(lambda: codec.decode(codes), dev, warmup, repeats)
            except torch.OutOfMemoryError as e:
                row["skipped"] = f"out of memory: {str(e)[:200]}"
                rows.append(row)
                continue
            row.update({"encode_s": enc, "decode_s": dec, "encode_rtf": scaled(enc, 1 / audio_s),
                        "decode_rtf": scaled(dec, 1 / audio_s),
                        "encode_x_realtime": inverse(enc, audio_s)["median"],
                        "decode_x_realtime": inverse(dec, audio_s)["median"],
                        "encode_decode_x_realtime": audio_s / (enc["median"] + dec["median"])})
            if batch == 1:
                per_item_s = enc["median"] + dec["median"]
            log(f"codec-infer {name} b{batch}: encode RTF {row['encode_rtf']['median']:.4f}, "
                f"decode RTF {row['decode_rtf']['median']:.4f}, enc+dec {row['encode_decode_x_realtime']:.1f}x real time")
            rows.append(row)
            del wav, codes
        del codec
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    targets = []
    tiny = next((r for r in rows if r["preset"] == "tiny" and r["batch"] == 1 and "skipped" not in r), None)
    if tiny is not None and dev.type == "cpu":
        targets.append({"target": "codec tiny encode+decode >= 50x real time on 2 CPU threads (batch 1)",
                        "value": tiny["encode_decode_x_realtime"], "met": tiny["encode_decode_x_realtime"] >= 50})
    return report("codec_infer", env, {"presets": list(presets), "batches": list(batches), "seconds": seconds,
                                       "threads": threads, "warmup": warmup, "repeats": repeats, "budget_s": budget_s,
                                       "quick": quick, "compile": compile}, rows, targets,
                  notes=["RTF = compute seconds / audio seconds (lower is better); x_realtime = 1 / RTF.",
                         "peak_rss_mb is per row where peak_rss_scope is 'block', the process peak so far where 'process'; "
                         "peak_cuda_mb is per row."])
