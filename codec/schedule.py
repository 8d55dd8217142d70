"""Learning rate as a pure function of the step (so a resumed run needs no scheduler state)."""
from __future__ import annotations

import math


def lr_at(step: int, base_lr: float, warmup_steps: int, total_steps: int, min_lr_ratio: float = 0.1) -> float:
    """Linear warm-up over `warmup_steps`, then cosine decay to `base_lr * min_lr_ratio` at `total_steps`."""
    if warmup_steps > 0 and step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return base_lr * min_lr_ratio
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return base_lr * (min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def ramp_at(step: int, ramp_steps: int) -> float:
    """A loss weight's factor at `step`: rising linearly from 1 / ramp_steps to 1 over `ramp_steps` steps (1 from the
    first step when ramp_steps <= 0)."""
    if ramp_steps <= 0:
        return 1.0
    return min(1.0, (step + 1) / ramp_steps)


def set_lr(optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
