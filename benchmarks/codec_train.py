"""Codec training speed: seconds per step and samples/s per preset, with and without self-guidance.

The step is codec/train.py's loop body, built from the same pieces (Accelerator from codec.trainloop, GeneratorForward,
Discriminators, the losses of codec/objective.py, both AdamW optimizers, gradient clipping) on a synthetic batch of
--batch segments of --segment-seconds (train.py's defaults: 8 x 1 s). Data loading is not timed.
FLOPs of one step (G forward + backward, D forward + backward twice as in the loop) are counted with
torch.utils.flop_counter.FlopCounterMode; on CUDA, MFU = FLOPs / step time / peak dense bf16 FLOP/s of the GPU.
"""
from __future__ import annotations

import gc
import time

import torch
from torch.utils.flop_counter import FlopCounterMode, sdpa_backward_flop_count, sdpa_flop_count

from benchmarks.common import (environment, log, peak_bf16_flops, peak_memory, precision_label, report,
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
    # its own generator: the same batch for both SG variants whatever their initialisation draws
    wav = (torch.randn(batch, segment, generator=torch.Generator().manual_seed(0)) * 0.1).to(accelerator.device)
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


# torch's FlopCounterMode has formulas for the CUDA attention kernels (flash, efficient, cuDNN) but not for the one
# that F.scaled_dot_product_attention runs on a CPU, so the decoder's attention counted on CUDA and not on a CPU; the
# same formulas, mapped onto the CPU kernel, count it alike on both.
CPU_ATTENTION_FLOPS = {
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu:
        lambda q, k, v, *args, out_shape=None, **kwargs: sdpa_flop_count(q, k, v),
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward:
        lambda grad_out, q, k, v, *args, out_shape=None, **kwargs: sdpa_backward_flop_count(grad_out, q, k, v),
}


def count_flops(step) -> int:
    """FLOPs of one eager step: matmuls, convolutions and attention (forward and backward); not FFTs (the STFTs of
    the discriminators and losses, the ISTFT head's irfft: ~0.01-0.2 % of the count), nor element-wise ops."""
    with FlopCounterMode(display=False, custom_mapping=CPU_ATTENTION_FLOPS) as counter:
        step.eager()
    return int(counter.get_total_flops())


def _timed(step, dev) -> float:
    sync(dev)
    t0 = time.perf_counter()
    step()
    sync(dev)
    return time.perf_counter() - t0


def measure_variant(row: dict, dev: torch.device, batch: int, segment_seconds: float, warmup: int, repeats: int,
                    budget_s: float, threads: int, flops: bool, mixed_precision: str,
                    compile: bool) -> None:  # noqa: A002 (the CLI flag's name)
    """Builds the step of one SG variant (row["preset"], row["sg"]), warms it up, times it and fills the row (or
    row["skipped"] with the reason, when its steps would exceed the CPU budget).

    Everything the variant allocates (models, gradients, optimizer state) is local here and gone when this returns,
    so the row's peak memory is this variant's alone, never the other variant's or the previous preset's."""
    with peak_memory(dev, row):
        step, n_params, seg_s = build_step(row["preset"], row["sg"], batch, segment_seconds, dev,
                                           mixed_precision=mixed_precision, compile=compile)
        row["parameters"] = n_params
        first = _timed(step, dev)  # first warm-up step, also the cost estimate
        if compile:  # that step compiled: estimate from a compiled one
            row["compile_s"] = round(first, 2)
            first = _timed(step, dev)
        if dev.type == "cpu" and 2 * first * (warmup - 1 + repeats) > budget_s:
            row["skipped"] = (f"one step took {first:.1f} s; {warmup - 1 + repeats} more of each SG variant exceed "
                              f"--budget-s {budget_s:.0f} on {threads} CPU threads")
            return
        for _ in range(warmup - 1):
            step()
        samples = [_timed(step, dev) for _ in range(repeats)]
        if flops:
            row["flops_per_step"] = count_flops(step)
    stats = summarize(samples)
    row.update({"step_s": stats, "samples_per_s": batch / stats["median"],
                "audio_seconds_per_s": batch * seg_s / stats["median"]})


def release(dev: torch.device, compiled: bool) -> None:
    """Frees what a measured variant left: its objects hold reference cycles (the Accelerator's), which only the
    collector frees; torch.compile's caches of its modules; on CUDA the allocator's cached blocks."""
    if compiled:
        torch.compiler.reset()
    gc.collect()
    if dev.type == "cuda":
        torch.cuda.empty_cache()


def run(device: str = "cpu", presets=PRESETS, batch: int = 8, segment_seconds: float = 1.0, threads: int = 2,
        warmup: int = 2, repeats: int = 5, budget_s: float = 120.0, flops: bool = True, quick: bool = False,
        mixed_precision: str = "auto", compile: bool = False,  # noqa: A002 (the CLI flag's name)
        sg_variants: tuple[bool, ...] = (False, True)) -> dict:
    if quick:
        presets, batch, segment_seconds, warmup, repeats = ("debug",), 2, 0.2, 1, 2
    dev = setup_device(device, threads)
    env = environment(device)
    peak, peak_key = peak_bf16_flops(device)
    precision = precision_label(build_accelerator(mixed_precision, cpu=dev.type == "cpu"))  # as build_step's resolves
    rows = []
    for name in presets:
        # One variant at a time (built, warmed up, timed, freed), so that each row's peak memory is its own. Both
        # variants train on the same batch (build_step's own seeded generator) after the same warm-up.
        variants = {}
        for sg in sg_variants:
            row = variants[sg] = {"preset": name, "sg": sg, "batch": batch, "segment_seconds": segment_seconds,
                                  "precision": precision, "compiled": compile}
            try:
                measure_variant(row, dev, batch, segment_seconds, warmup, repeats, budget_s, threads, flops,
                                mixed_precision, compile)
            except torch.OutOfMemoryError as e:
                row["skipped"] = f"out of memory: {str(e)[:200]}"
            release(dev, compile)
            if "skipped" in row:
                log(f"codec-train {name} sg={sg}: skipped ({row['skipped']})")
                continue
            if "flops_per_step" in row:
                row["achieved_flops"] = row["flops_per_step"] / row["step_s"]["median"]
                if peak:
                    row["mfu"] = row["achieved_flops"] / peak
                    row["mfu_peak_basis"] = f"{peak_key} dense bf16 {peak / 1e12:.1f} TFLOP/s"
            log(f"codec-train {name} sg={sg}: {row['step_s']['median']:.3f} s/step, {row['samples_per_s']:.1f} "
                "samples/s" + (f", MFU {row['mfu']:.3f}" if "mfu" in row else ""))
        rows += list(variants.values())
        if all(sg in variants and "step_s" in variants[sg] for sg in (False, True)):
            on, off = variants[True]["step_s"], variants[False]["step_s"]
            # the variants run one after the other: a load that changes between them moves the medians' ratio; the
            # fastest steps' ratio is the least touched by it (a quick run under load read 2.57 by medians while
            # SG's fastest step beat the plain one's)
            rows.append({"preset": name, "sg_overhead_ratio": on["median"] / off["median"],
                         "sg_overhead_ratio_fastest": on["min"] / off["min"]})
    targets = [{"target": f"self-guidance adds <= 15% to a training step ({r['preset']})",
                "value": r["sg_overhead_ratio"], "met": r["sg_overhead_ratio"] <= 1.15}
               for r in rows if "sg_overhead_ratio" in r]
    return report("codec_train", env, {"presets": list(presets), "batch": batch, "segment_seconds": segment_seconds,
                                       "threads": threads, "warmup": warmup, "repeats": repeats, "budget_s": budget_s,
                                       "quick": quick, "mixed_precision": mixed_precision, "compile": compile,
                                       "sg_variants": list(sg_variants)},
                  rows, targets,
                  notes=["step = discriminator step + generator step (adversarial phase), synthetic batch, no data loading",
                         "sg_overhead_ratio = median step time with SG / without SG (same seed, same batch, same "
                         "warm-up); the variants run one after the other, each alone in memory (peak_cuda_mb is the "
                         "variant's own: build, steps and the FLOP count); sg_overhead_ratio_fastest = the ratio of "
                         "their fastest steps, the least moved by a load that changes between the two",
                         "FLOPs from FlopCounterMode over one full step: matmuls, convolutions, attention (forward "
                         "and backward); not FFTs (STFT/ISTFT, ~0.01-0.2 %) nor element-wise ops"])
