"""Pieces shared by every training loop (codec and LM): accelerator set-up, logging, the resume decision.

The loops themselves stay explicit in `codec/train.py` and `lm/train.py`; only what would otherwise be copied
between them lives here.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from tqdm import tqdm


def build_accelerator(mixed_precision: str = "auto", cpu: bool = False, gradient_accumulation_steps: int = 1) -> Accelerator:
    """One Accelerator for CPU, one GPU and many: "auto" precision is bf16 on CUDA and fp32 on CPU."""
    use_cpu = cpu or not torch.cuda.is_available()
    if mixed_precision == "auto":
        mixed_precision = "no" if use_cpu else "bf16"
    return Accelerator(cpu=use_cpu, mixed_precision=mixed_precision,
                       gradient_accumulation_steps=gradient_accumulation_steps)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) identically on every process."""
    set_seed(seed)


class TrainLogger:
    """TensorBoard scalars plus a tqdm bar (steps/s, ETA) with the latest losses; silent on non-main ranks."""

    def __init__(self, accelerator: Accelerator, log_dir: str | os.PathLike, total_steps: int, start_step: int = 0,
                 desc: str = "train"):
        self.enabled = accelerator.is_main_process
        self.writer = None
        self.bar = None
        if self.enabled:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(log_dir))
            self.bar = tqdm(total=total_steps, initial=start_step, desc=desc, unit="step", dynamic_ncols=True,
                            disable=os.environ.get("TQDM_DISABLE") == "1")

    def log(self, step: int, scalars: dict[str, float], show: tuple[str, ...] = ()) -> None:
        if not self.enabled:
            return
        for name, value in scalars.items():
            if value is not None and math.isfinite(value):
                self.writer.add_scalar(name, value, step)
        if show:
            self.bar.set_postfix({k.split("/")[-1]: f"{scalars[k]:.3g}" for k in show if k in scalars}, refresh=False)

    def advance(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def write(self, message: str) -> None:
        if self.enabled:
            tqdm.write(message)

    def close(self) -> None:
        if self.enabled:
            self.bar.close()
            self.writer.flush()
            self.writer.close()


def write_json(path: str | os.PathLike, data: dict) -> None:
    """Write JSON atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def grad_norm(parameters) -> float:
    """L2 norm of all gradients (for logging; clipping uses accelerator.clip_grad_norm_)."""
    norms = [p.grad.detach().float().norm() for p in parameters if p.grad is not None]
    return float(torch.norm(torch.stack(norms))) if norms else 0.0
