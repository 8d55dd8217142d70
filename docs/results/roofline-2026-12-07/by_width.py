"""Where the `xcodec2` step's element-wise multiplications move their bytes: the traffic of `aten.mul` (as
benchmarks.roofline counts it) by the output's dtype and channel width (dimension 1), SG off, batch 3 x 1 s (the
shares hold at any batch: every activation scales with it). From the repository's root:
OMP_NUM_THREADS=2 .venv/bin/python docs/results/roofline-2026-12-07/by_width.py"""
from collections import Counter

import torch
from torch.utils._pytree import tree_flatten

from benchmarks.codec_train import build_step
from benchmarks.roofline import OpRecorder, traffic


class ByWidth(OpRecorder):
    def __init__(self):
        super().__init__()
        self.bytes = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if str(func._overloadpacket) == "aten.mul":
            first = tree_flatten(out)[0][0]
            width = first.shape[1] if first.dim() > 1 else None
            self.bytes[(str(first.dtype).removeprefix("torch."), width)] += traffic(func, args, kwargs, out)
        return out


step = build_step("xcodec2", False, 3, 1.0, torch.device("cpu"), mixed_precision="bf16")[0]
step()
with ByWidth() as rec:
    step()
total = sum(rec.bytes.values())
encoder = sum(b for (_, width), b in rec.bytes.items() if width in (48, 96, 192, 384, 768))
print(f"aten.mul: {total / 1e9:.2f} GB at batch 3; at the encoder's widths (48-768 channels): {encoder / total:.1%}")
for (dtype, width), b in rec.bytes.most_common(12):
    print(f"  {dtype:9s} width {width}: {b / 1e9:.2f} GB ({b / total:.1%})")
