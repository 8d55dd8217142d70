"""How high can a training step's MFU go on a GPU? A roofline of every operator the step dispatches, counted on a CPU.

`python -m benchmarks.roofline --preset xcodec2 --batch 32` (codec) or `--lm small --batch-tokens 65536` (LM).

Runs the step of `benchmarks/codec_train.py` or `benchmarks/lm_train.py` under bf16 autocast, as on a GPU, and
records each ATen operator it dispatches below autograd (forward, backward, optimizer): its FLOPs (the formulas of
torch.utils.flop_counter, the same count as the MFU figures: matmuls, convolutions, attention) and the bytes it
must move (every tensor it reads and writes, once; views move nothing). The step is recorded at two small batch
sizes and each operator's FLOPs and bytes extrapolated linearly to the asked one (both are affine in the batch at a
fixed segment or row length; the test checks a third size against its prediction), so no GPU and no GPU-sized
memory is needed. Then, for each GPU of `GPUS`, an operator takes at least max(FLOPs / peak, bytes / bandwidth):
- `eager_bound_s`: the sum over operators, each its own kernel reading and writing memory, as eager PyTorch runs
  them; `eager_mfu_ceiling` = counted FLOPs / that time / peak. No eager step of this model can do better, however
  good its kernels and however little host overhead it has.
- `eager_bound_l2_s`: the same with every operator that moves less than the GPU's L2 cache (50 MB) taken as free
  of memory traffic, as if its tensors never left the cache: `eager_mfu_ceiling_l2` holds even then.
- `fused_bound_s`: only the FLOP-counted operators and the optimizer's passes over the parameters (AdamW, the
  gradient norms and clipping: outside the model's graph, never fused into it), every element-wise chain, cast and
  reduction of the model fused away into them for free: `fused_mfu_ceiling` bounds what `torch.compile` can reach.
Both are optimistic (peak bf16 tensor-core rate at any shape and for every counted operator, no cache misses or
layout transposes, no launch cost), so a target above the eager ceiling cannot be met in eager mode at all.
Prints one JSON record and appends it to --out.
"""
from __future__ import annotations

import argparse
import math
from collections import defaultdict
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import flop_registry, shape_wrapper

from benchmarks import fixtures
from benchmarks.codec_train import PRESETS as CODEC_PRESETS
from benchmarks.codec_train import CPU_ATTENTION_FLOPS, build_step
from benchmarks.common import PEAK_BF16_FLOPS, emit, environment, report, setup_device
from benchmarks.lm_train import PRESETS as LM_PRESETS
from benchmarks.lm_train import build_step as build_lm_step
from lm.config import LMConfig
from lm.tokens import TokenStore

# HBM bandwidth per GPU (bytes/s), NVIDIA's datasheets; the peaks are common.PEAK_BF16_FLOPS's. Each has 50 MB of L2.
HBM_BANDWIDTH = {"H100 SXM": 3.35e12, "H100 NVL": 3.9e12, "H100 PCIe": 2.0e12, "H200": 4.8e12, "H200 NVL": 4.8e12}
L2_BYTES = 50e6
GPUS = ("H100 SXM", "H200")

# the optimizer's and the clipping's operators (fused AdamW, foreach norms and scaling): each a pass over every
# parameter, kept in the fused bound
_PARAMETER_PASSES = ("aten._fused_adam", "aten._foreach_")
_FLOPS = {**flop_registry, **{op: shape_wrapper(f) for op, f in CPU_ATTENTION_FLOPS.items()}}
# operators that only change metadata (or allocate without writing), whose schemas do not mark them as views
_NO_TRAFFIC = {"aten._unsafe_view", "aten.transpose_", "aten.t_", "aten.squeeze_", "aten.unsqueeze_",
               "aten.as_strided_", "aten.detach_", "aten.resize_", "aten.empty", "aten.empty_like",
               "aten.empty_strided", "aten.new_empty", "aten.new_empty_strided"}


def tensor_bytes(t: torch.Tensor) -> int:
    """Bytes of the distinct elements of t: a broadcast (stride 0) dimension is read once, not per repeat."""
    return math.prod(n for n, s in zip(t.shape, t.stride()) if s != 0) * t.element_size()


class OpRecorder(TorchDispatchMode):
    """Records (operator, FLOPs, bytes moved) for every ATen operator dispatched below autograd."""

    def __init__(self):
        super().__init__()
        self.ops: list[tuple[str, int, int]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = str(func._overloadpacket)
        view = any(r.alias_info is not None and not r.alias_info.is_write for r in func._schema.returns)
        moved = 0
        if not view and name not in _NO_TRAFFIC:
            # each tensor read once (x * x reads x once) and each written once; an in-place operator reads and
            # writes the same tensor
            for tensors in tree_flatten((args, kwargs))[0], tree_flatten(out)[0]:
                distinct = {id(t): t for t in tensors if isinstance(t, torch.Tensor)}
                moved += sum(tensor_bytes(t) for t in distinct.values())
        count = _FLOPS.get(func) or _FLOPS.get(func._overloadpacket)
        self.ops.append((name, int(count(*args, **kwargs, out_val=out)) if count else 0, moved))
        return out


def record(step) -> list[tuple[str, int, int]]:
    """The operators of one call of `step` (after one call outside the recorder: optimizer state exists, caches
    are warm, as in every later step)."""
    step()
    with OpRecorder() as recorder:
        step()
    return recorder.ops


def extrapolate(ops_a: list, ops_b: list, size_a: int, size_b: int, size: int) -> list[tuple[str, float, float]]:
    """Each operator's FLOPs and bytes at batch `size`, from the same step recorded at sizes a < b (affine in it)."""
    names_a, names_b = [o[0] for o in ops_a], [o[0] for o in ops_b]
    if names_a != names_b:
        first = next((i for i, (x, y) in enumerate(zip(names_a, names_b)) if x != y), min(len(names_a), len(names_b)))
        raise ValueError(f"the step dispatches other operators at batch {size_a} and {size_b} ({len(names_a)} "
                         f"against {len(names_b)}; first difference at operator {first}): not extrapolable")
    scale = (size - size_a) / (size_b - size_a)
    return [(name, fa + (fb - fa) * scale, ba + (bb - ba) * scale)
            for (name, fa, ba), (_, fb, bb) in zip(ops_a, ops_b)]


def roofline(ops: list, peak: float, bandwidth: float, top: int = 12, l2: float = L2_BYTES) -> dict:
    """The bounds of the module doc for one GPU, and the operators that cost most under the eager bound."""
    flops = sum(f for _, f, _ in ops)
    eager = sum(max(f / peak, b / bandwidth) for _, f, b in ops)
    eager_l2 = sum(max(f / peak, b / bandwidth if b >= l2 else 0.0) for _, f, b in ops)
    fused = sum(max(f / peak, b / bandwidth) for name, f, b in ops if f > 0 or name.startswith(_PARAMETER_PASSES))
    by_op = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for name, f, b in ops:
        entry = by_op[name]
        entry[0] += 1
        entry[1] += f
        entry[2] += b
        entry[3] += max(f / peak, b / bandwidth)
    ranked = sorted(by_op.items(), key=lambda kv: -kv[1][3])[:top]
    return {"counted_flops": flops, "bytes_moved": sum(b for _, _, b in ops), "operators": len(ops),
            "eager_bound_s": eager, "eager_mfu_ceiling": flops / eager / peak if eager else None,
            "eager_bound_l2_s": eager_l2, "eager_mfu_ceiling_l2": flops / eager_l2 / peak if eager_l2 else None,
            "fused_bound_s": fused, "fused_mfu_ceiling": flops / fused / peak if fused else None,
            "memory_bound_share_of_eager": (sum(b / bandwidth for _, f, b in ops if b / bandwidth >= f / peak) / eager
                                            if eager else None),
            "top_operators": [{"op": name, "calls": n, "flops": f, "bytes": b, "bound_s": t,
                               "share_of_eager": t / eager} for name, (n, f, b, t) in ranked]}


def codec_ops(preset: str, sg: bool, batch: int, segment_seconds: float, sizes: tuple[int, int] = (2, 3)) -> list:
    """The codec training step's operators at `batch`, extrapolated from `sizes` (batch 1 differs: views where
    larger batches copy)."""
    dev = torch.device("cpu")
    recorded = [record(build_step(preset, sg, n, segment_seconds, dev, mixed_precision="bf16")[0]) for n in sizes]
    return extrapolate(*recorded, *sizes, batch)


def lm_ops(preset: str, batch_tokens: int, rows: tuple[int, int] = (2, 3), utterances: int = 48,
           work: Path = fixtures.DEFAULT_WORK) -> tuple[list, int]:
    """The LM training step's operators (packed rows of the preset's length, sdpa) at `batch_tokens`, extrapolated
    from `rows` rows per step; -> (operators, the rows they stand for)."""
    dev = torch.device("cpu")
    store, tokenizer = TokenStore(fixtures.tokens(work, utterances)), fixtures.tokenizer(work, utterances)
    steps = [build_lm_step(preset, dev, store, tokenizer, n * row_length(preset), mixed_precision="bf16")
             for n in rows]
    target_rows = max(1, batch_tokens // row_length(preset))
    return extrapolate(*(record(s.step) for s in steps), *rows, target_rows), target_rows


def row_length(preset: str) -> int:
    """Tokens per packed row of an LM preset."""
    return LMConfig.preset(preset).max_positions


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="tiny", choices=CODEC_PRESETS, help="codec preset (unless --lm)")
    p.add_argument("--lm", choices=LM_PRESETS, help="the LM training step of this LM preset instead")
    p.add_argument("--batch", type=int, default=32, help="codec: segments per step (default: the recipes' GPU batch)")
    p.add_argument("--segment-seconds", type=float, default=1.0)
    p.add_argument("--sg", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--batch-tokens", type=int, default=65536, help="--lm: row tokens per step")
    p.add_argument("--gpus", nargs="+", choices=sorted(HBM_BANDWIDTH), default=list(GPUS))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=None, help="results file to append to (default benchmarks/results.jsonl; - = none)")
    args = p.parse_args()
    if args.batch < 1 or args.batch_tokens < 1 or args.segment_seconds <= 0:
        p.error("--batch, --batch-tokens and --segment-seconds must be positive")
    setup_device("cpu", args.threads)
    env = environment("cpu")
    if args.lm:
        ops, rows = lm_ops(args.lm, args.batch_tokens)
        what = {"lm": args.lm, "rows_per_step": rows, "row_length": row_length(args.lm), "attention": "sdpa"}
    else:
        ops = codec_ops(args.preset, args.sg, args.batch, args.segment_seconds)
        what = {"preset": args.preset, "sg": args.sg, "batch": args.batch, "segment_seconds": args.segment_seconds}
    rows_out = [{**what, "gpu": gpu, "peak_bf16_flops": PEAK_BF16_FLOPS[gpu], "hbm_bandwidth": HBM_BANDWIDTH[gpu],
                 **roofline(ops, PEAK_BF16_FLOPS[gpu], HBM_BANDWIDTH[gpu])} for gpu in args.gpus]
    record_ = report("roofline", env, vars(args), rows_out,
                     notes=["operators recorded on this CPU under bf16 autocast, extrapolated to the batch",
                            "bound per operator: max(FLOPs / peak bf16, bytes / HBM bandwidth)",
                            "eager: every operator its own kernel; fused: only the FLOP-counted operators and the "
                            "optimizer's passes over the parameters"])
    emit(record_, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
