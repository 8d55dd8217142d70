"""Codec training speed: seconds per step and samples/s per preset, with and without self-guidance.

The step is codec/train.py's loop body, built from the same pieces (Accelerator from codec.trainloop, GeneratorForward,
Discriminators, the losses of codec/objective.py, both AdamW optimizers, gradient clipping) on a synthetic batch of
--batch segments of --segment-seconds (train.py's defaults: 8 x 1 s). Data loading is not timed.
FLOPs of one step (G forward + backward, D forward + backward twice as in the loop) are counted with
torch.utils.flop_counter.FlopCounterMode; on CUDA, MFU = FLOPs / step time / peak dense bf16 FLOP/s of the GPU.
"""
from __future__ import annotations

import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import (environment, log, maxrss_mb, peak_bf16_flops, peak_memory, precision_label, report,
                               setup_device, summarize, sync)
from codec.config import CodecConfig
from codec.discriminators import Discriminators
from codec.model import Codec
from codec.objective import GeneratorForward, discriminator_objective, generator_gan_losses, loss_weights
from codec.trainloop import adamw, build_accelerator

PRESETS = ("debug", "tiny", "small", "xcodec2")


def build_step(preset: str, sg: bool, batch: int, segment_seconds: float, device: torch.device, grad_clip: float = 1.0,
               mixed_precision: str = "auto", compile: bool = False):  # noqa: A002 (the CLI flag's name)
    """One training step of codec/train.py (adversarial phase: discriminator step, then generator step).

    compile=True runs the generator and the discriminators through torch.compile (the step's many element-wise
    chains fused, fewer launches); `step.eager` is then the same step on the uncompiled modules (same parameters
    and optimizers), which FlopCounterMode can see into."""
    accelerator = build_accelerator(mixed_precision, cpu=device.type == "cpu")
    torch.manual_seed(0)
    config = CodecConfig.preset(preset, sg=sg)
    weights = loss_weights(config)
    codec = Codec(config)
    disc = Discriminators(config.mpd_channels, config.mrd_channels)
    opt_g = adamw(codec.parameters(), lr=1e-4, betas=(0.8, 0.9))
    opt_d = adamw(disc.parameters(), lr=1e-4, betas=(0.8, 0.9))
    generator, disc, opt_g, opt_d = accelerator.prepare(GeneratorForward(codec), disc, opt_g, opt_d)
    generator.train(), disc.train()
    segment = max(1, round(segment_seconds * config.frame_rate)) * config.hop_length
    wav = (torch.randn(batch, segment) * 0.1).to(accelerator.device)
    lengths = torch.full((batch,), segment, dtype=torch.long, device=accelerator.device)

    def make_step(run_generator, run_disc):
        def step():
            out_g = run_generator(wav, lengths)
            losses = dict(out_g.losses)
            loss_d = discriminator_objective(run_disc, wav, out_g.fake)
            opt_d.zero_grad(set_to_none=True)
            accelerator.backward(loss_d)
            float(accelerator.clip_grad_norm_(disc.parameters(), grad_clip))
            opt_d.step()
            losses.update(generator_gan_losses(run_disc, wav, out_g.fake))
            loss_g = sum(weights[name] * value for name, value in losses.items())
            opt_g.zero_grad(set_to_none=True)
            accelerator.backward(loss_g)
            float(accelerator.clip_grad_norm_(generator.parameters(), grad_clip))
            opt_g.step()
            return {name: float(v.detach()) for name, v in losses.items()}  # the loop's .item() syncs, as train.py
        return step

    step = make_step(torch.compile(generator), torch.compile(disc)) if compile else make_step(generator, disc)
    step.eager = make_step(generator, disc) if compile else step

    n_params = {"generator": sum(p.numel() for p in codec.parameters()),
                "discriminators": sum(p.numel() for p in accelerator.unwrap_model(disc).parameters())}
    return step, n_params, segment / config.sample_rate


def count_flops(step) -> int:
    with FlopCounterMode(display=False) as counter:
        step.eager()
    return int(counter.get_total_flops())


def run(device: str = "cpu", presets=PRESETS, batch: int = 8, segment_seconds: float = 1.0, threads: int = 2,
        warmup: int = 2, repeats: int = 5, budget_s: float = 120.0, flops: bool = True, quick: bool = False,
        mixed_precision: str = "auto", compile: bool = False) -> dict:  # noqa: A002 (the CLI flag's name)
    if quick:
        presets, batch, segment_seconds, warmup, repeats = ("debug",), 2, 0.2, 1, 2
    dev = setup_device(device, threads)
    env = environment(device)
    peak, peak_key = peak_bf16_flops(device)
    precision = precision_label(build_accelerator(mixed_precision, cpu=dev.type == "cpu"))  # as build_step's resolves
    rows = []
    for name in presets:
        # Both variants are built first and their timed steps interleaved (off, on, off, on, ...): on a shared
        # machine both then see the same load, so the SG overhead ratio stays meaningful even when the absolute
        # step times are noisy.
        variants, built = {}, {}
        for sg in (False, True):
            row = {"preset": name, "sg": sg, "batch": batch, "segment_seconds": segment_seconds,
                   "precision": precision, "compiled": compile}
            variants[sg] = row
            try:
                with peak_memory(dev, row):
                    step, n_params, seg_s = build_step(name, sg, batch, segment_seconds, dev,
                                                       mixed_precision=mixed_precision, compile=compile)
                    row["parameters"] = n_params
                    t0 = time.perf_counter()
                    step()  # first warm-up step, also the cost estimate
                    sync(dev)
                    first = time.perf_counter() - t0
                    if compile:  # that step compiled: estimate from a compiled one
                        row["compile_s"] = round(first, 2)
                        t0 = time.perf_counter()
                        step()
                        sync(dev)
                        first = time.perf_counter() - t0
                built[sg] = (step, seg_s)
            except torch.OutOfMemoryError as e:
                row["skipped"] = f"out of memory: {str(e)[:200]}"
                continue
            if dev.type == "cpu" and 2 * first * (warmup - 1 + repeats) > budget_s:
                row["skipped"] = (f"one step took {first:.1f} s; {warmup - 1 + repeats} more of each SG variant exceed "
                                  f"--budget-s {budget_s:.0f} on {threads} CPU threads")
                log(f"codec-train {name} sg={sg}: skipped ({row['skipped']})")
                built.pop(sg)
        samples = {sg: [] for sg in built}
        try:
            for i in range(warmup - 1 + repeats):
                for sg, (step, _) in built.items():
                    sync(dev)
                    t0 = time.perf_counter()
                    step()
                    sync(dev)
                    if i >= warmup - 1:
                        samples[sg].append(time.perf_counter() - t0)
            for sg, (step, seg_s) in built.items():
                row = variants[sg]
                stats = summarize(samples[sg])
                if flops:
                    row["flops_per_step"] = count_flops(step)
                row.update({"step_s": stats, "samples_per_s": batch / stats["median"],
                            "audio_seconds_per_s": batch * seg_s / stats["median"]})
                if dev.type == "cuda":
                    row["peak_cuda_mb_both_variants"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
                row["peak_rss_mb"] = round(maxrss_mb(), 1)
                if "flops_per_step" in row:
                    row["achieved_flops"] = row["flops_per_step"] / stats["median"]
                    if peak:
                        row["mfu"] = row["achieved_flops"] / peak
                        row["mfu_peak_basis"] = f"{peak_key} dense bf16 {peak / 1e12:.1f} TFLOP/s"
                log(f"codec-train {name} sg={sg}: {stats['median']:.3f} s/step, {row['samples_per_s']:.1f} samples/s"
                    + (f", MFU {row['mfu']:.3f}" if "mfu" in row else ""))
        except torch.OutOfMemoryError as e:
            for sg in built:
                variants[sg]["skipped"] = f"out of memory: {str(e)[:200]}"
        rows += list(variants.values())
        if all("step_s" in variants[sg] for sg in (False, True)):
            paired = [on / off for off, on in zip(samples[False], samples[True])]
            rows.append({"preset": name, "sg_overhead_ratio": variants[True]["step_s"]["median"] /
                         variants[False]["step_s"]["median"], "sg_overhead_ratio_paired": summarize(paired)})
        del built
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    targets = [{"target": f"self-guidance adds <= 15% to a training step ({r['preset']})",
                "value": r["sg_overhead_ratio"], "met": r["sg_overhead_ratio"] <= 1.15}
               for r in rows if "sg_overhead_ratio" in r]
    return report("codec_train", env, {"presets": list(presets), "batch": batch, "segment_seconds": segment_seconds,
                                       "threads": threads, "warmup": warmup, "repeats": repeats, "budget_s": budget_s,
                                       "quick": quick, "mixed_precision": mixed_precision, "compile": compile},
                  rows, targets,
                  notes=["step = discriminator step + generator step (adversarial phase), synthetic batch, no data loading",
                         "sg_overhead_ratio = median step time with SG / without SG (same seed, same batch); SG-on and SG-off steps are "
                         "interleaved; sg_overhead_ratio_paired = statistics of on/off ratios of adjacent steps",
                         "FLOPs from FlopCounterMode over one full step (matmul/conv family only)"])
