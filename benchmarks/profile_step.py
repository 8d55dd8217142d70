"""Where a training step spends its time: `python -m benchmarks.profile_step --preset xcodec2 --device cuda` (codec),
`python -m benchmarks.profile_step --lm small --batch-tokens 65536 [--attention flex_attention] [--compile]` (LM).

Runs the step of `benchmarks/codec_train.py` (discriminator step + generator step, the loop's syncs) or of
`benchmarks/lm_train.py` (one packed batch of lm/train.py: loss, backward, clipping, AdamW) under
`torch.profiler` and answers the question the MFU figures raise: is the step bound by the device or by the host?
- `device_busy_fraction` = summed GPU kernel time per profiled step / median wall time of as many unprofiled
  steps (CUDA only; the profiler's overhead slows the host, so the profiled wall, `wall_s_per_step_profiled`, as
  the denominator would understate it). Near 1: the kernels are the cost, make them faster (fusion, bigger tiles); far below 1: the
  host cannot launch work fast enough, make fewer launches (CUDA graphs, torch.compile, larger batches).
- `dispatched_ops_per_step` / `kernels_per_step`: ATen operators the host dispatched (counted below autograd, the
  same on any device), kernels the GPU ran.
- the top operators by self time (device time on CUDA, CPU time on CPU) as a table in `--out`/profile_<...>.txt.
Prints one JSON record (as every benchmark) and appends it to --out/profile.jsonl.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils._python_dispatch import TorchDispatchMode

from benchmarks import fixtures
from benchmarks.codec_train import build_step
from benchmarks.common import emit, environment, report, setup_device, sync, time_fn
from benchmarks.lm_train import build_step as build_lm_step
from lm.model import ATTENTION_KINDS, attention_problem
from lm.tokens import TokenStore


class _OpCounter(TorchDispatchMode):
    """Counts the ATen operators a step dispatches below autograd: what the host launches, forward and backward,
    on any device (on CUDA each is one or a few kernels)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


def profile_codec_step(preset: str, device: str, sg: bool = True, batch: int = 8, segment_seconds: float = 1.0,
                       steps: int = 3, warmup: int = 2, threads: int = 2, top: int = 25,
                       compile: bool = False) -> tuple[dict, str]:  # noqa: A002 (the CLI flag's name)
    """-> (result row, table text) for `steps` profiled codec training steps after `warmup` unprofiled ones."""
    dev = setup_device(device, threads)
    step, n_params, _ = build_step(preset, sg, batch, segment_seconds, dev, compile=compile)
    row = {"preset": preset, "sg": sg, "batch": batch, "segment_seconds": segment_seconds, "parameters": n_params,
           "compiled": compile}
    return profile_step(step, dev, row, steps, warmup, top)


def profile_lm_step(preset: str, device: str, batch_tokens: int = 65536, attention: str = "sdpa",
                    compile: bool = False, steps: int = 3, warmup: int = 2, threads: int = 2,  # noqa: A002
                    top: int = 25, utterances: int = 48, work: Path = fixtures.DEFAULT_WORK) -> tuple[dict, str]:
    """-> (result row, table text) for `steps` profiled LM training steps (packed rows) after `warmup` ones, on the
    token fixture of `benchmarks lm-train`."""
    dev = setup_device(device, threads)
    store = TokenStore(fixtures.tokens(work, utterances))
    lm_step = build_lm_step(preset, dev, store, fixtures.tokenizer(work, utterances), batch_tokens, compile=compile,
                            attention=attention)
    return profile_step(lm_step.step, dev, dict(lm_step.row), steps, warmup, top)


def profile_step(step, dev: torch.device, row: dict, steps: int, warmup: int, top: int) -> tuple[dict, str]:
    """Runs `step` warmup times, `steps` times timed, once under the op counter, then `steps` times under
    torch.profiler."""
    wall = time_fn(step, dev, warmup, steps)
    with _OpCounter() as counter:
        step()
    sync(dev)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == "cuda" else [])
    with profile(activities=activities) as prof:
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        sync(dev)
        profiled_wall = time.perf_counter() - t0
    events = prof.key_averages()
    row.update({"steps": steps, "wall_s_per_step": wall["median"],
                "wall_s_per_step_profiled": profiled_wall / steps, "dispatched_ops_per_step": counter.count})
    if dev.type == "cuda":
        kernels = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
        busy_us = sum(e.time_range.elapsed_us() for e in kernels)  # overlapping kernels would count twice
        row.update({"kernels_per_step": len(kernels) / steps, "device_busy_s_per_step": busy_us / 1e6 / steps,
                    "device_busy_fraction": busy_us / 1e6 / steps / wall["median"]})
        sort_by = "self_device_time_total"  # the name since torch 2.4 (was self_cuda_time_total)
    else:
        sort_by = "self_cpu_time_total"
    table = events.table(sort_by=sort_by, row_limit=top)
    return row, table


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="tiny", help="codec preset to profile (unless --lm)")
    p.add_argument("--lm", metavar="PRESET", help="profile the LM training step of this LM preset instead")
    p.add_argument("--batch-tokens", type=int, default=65536, help="--lm: row tokens per step")
    p.add_argument("--attention", choices=ATTENTION_KINDS, default="sdpa", help="--lm: attention kernel")
    p.add_argument("--compile", action="store_true", help="torch.compile the codec's generator and discriminators (--lm: the model)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--sg", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--segment-seconds", type=float, default=1.0)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default="benchmarks/profiles", help="folder for profile.jsonl and the tables")
    args = p.parse_args()
    if args.lm and attention_problem(args.attention, args.device):
        p.error(f"--{attention_problem(args.attention, args.device)}")
    # the environment as the profile starts (its threads set first): its loadavg_start was taken after the
    # profile, the same as loadavg_end, which hid the load the profile started under
    setup_device(args.device, args.threads)
    env = environment(args.device)
    if args.lm:
        row, table = profile_lm_step(args.lm, args.device, args.batch_tokens, args.attention, args.compile,
                                     args.steps, args.warmup, args.threads)
        name = (f"profile_lm_{args.lm}_{args.batch_tokens}_{args.attention}{'_compiled' if args.compile else ''}"
                f"_{args.device}.txt")
    else:
        row, table = profile_codec_step(args.preset, args.device, args.sg, args.batch, args.segment_seconds,
                                        args.steps, args.warmup, args.threads, compile=args.compile)
        name = f"profile_{args.preset}_{'sg' if args.sg else 'nosg'}{'_compiled' if args.compile else ''}_{args.device}.txt"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(table)
    row["table"] = name
    record = report("profile_lm_step" if args.lm else "profile_codec_step", env, vars(args), [row],
                    notes=["dispatched_ops_per_step: one step counted with a TorchDispatchMode (outside the profile)",
                           "wall_s_per_step: median of unprofiled steps; wall_s_per_step_profiled: the same steps "
                           "under the profiler (slower: its overhead)",
                           "device_busy_fraction = summed kernel time per profiled step / wall_s_per_step (CUDA only)"])
    emit(record, out / "profile.jsonl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
