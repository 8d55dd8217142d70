"""What the hardware computes natively: whether half precision is a speed-up or a conversion tax.

On CUDA, bfloat16 and float16 run on tensor cores. On an x86 CPU they do only with the right units: bfloat16 with
AVX512-BF16 or AMX, float16 with AMX-FP16. Without them (e.g. AVX2 or plain AVX512) oneDNN converts half-precision
operands to float32 on every call, which pays for a memory-bound matrix-vector product (fewer bytes read) but
costs more than it saves on anything compute-bound: training steps and batched decoding (docs/PERFORMANCE.md).
"""
from __future__ import annotations

import platform
from pathlib import Path

import torch

_CPU_PROBES = {torch.bfloat16: ("_is_avx512_bf16_supported", "_is_amx_tile_supported"),
               torch.float16: ("_is_amx_fp16_supported",)}


def has_half_precision_units(dtype: torch.dtype, device: torch.device | str = "cpu") -> bool:
    """True where `device` multiplies `dtype` (torch.bfloat16 / torch.float16) in hardware; False for float32.

    CPU: torch.cpu's private ISA probes (present since torch 2.3); a build without them counts as no units.
    CUDA: tensor cores of `device`'s compute capability, float16 from 7.0 (Volta), bfloat16 from 8.0 (Ampere);
    older GPUs emulate bfloat16 (torch.cuda.is_bf16_supported() counts that too), which is slower than float32.
    """
    device = torch.device(device)
    if dtype not in _CPU_PROBES:
        return False
    if device.type == "cuda":
        major, _ = torch.cuda.get_device_capability(device)
        return major >= (7 if dtype == torch.float16 else 8)
    if device.type != "cpu":
        return False
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in _CPU_PROBES[dtype])


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), or what the platform module knows elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
