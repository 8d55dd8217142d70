"""How high can a training step's MFU go on a GPU? A roofline of every operator the step dispatches, counted on a CPU.

`python -m benchmarks.roofline --preset xcodec2 --batch 32` (codec) or `--lm small --batch-tokens 65536` (LM).

Runs the step of `benchmarks/codec_train.py` or `benchmarks/lm_train.py` under bf16 autocast, as on a GPU, and
records each ATen operator it dispatches below autograd (forward, backward, optimizer): its FLOPs (the formulas of
torch.utils.flop_counter, the same count as the MFU figures: matmuls, convolutions, attention) and the bytes it
must move (every tensor it reads and writes, once; views move nothing). The step is recorded at two small batch
sizes and each operator's FLOPs and bytes extrapolated linearly to the asked one (both are affine in the batch at a
fixed segment or row length; the test checks a third size against its prediction), so no GPU and no GPU-sized
memory is needed (the LM's rows are padded to the row length for that, so that its batches differ in their number
of rows only). Then, for each GPU of `GPUS`, an operator takes at least max(FLOPs / peak, bytes / bandwidth):
- `eager_bound_s`: the sum over operators, each its own kernel reading its inputs from HBM and writing its outputs
  there, as eager PyTorch runs them; `eager_mfu_ceiling` = counted FLOPs / that time / peak. These operators cannot
  do better, however good their kernels and however little host overhead, unless the cache serves them (next).
- `eager_bound_l2_s`: the same with 50 MB (the GPU's L2 cache) taken off every operator's traffic, as if each
  found that much of its tensors in the cache: the most the cache could save; `eager_mfu_ceiling_l2` holds even
  then. (The plain eager bound takes all traffic from HBM, so a cache can beat it.)
- `fused_bound_s`: only the FLOP-counted operators and the optimizer's passes over the parameters (AdamW, the
  gradient norms and clipping: outside the model's graph, never fused into it), every element-wise chain, cast and
  reduction of the model fused away into them for free: `fused_mfu_ceiling` bounds what `torch.compile` can reach.
All are optimistic about everything but memory (peak bf16 tensor-core rate at any shape and for every counted
operator, no layout transposes, no launch cost): a target above `eager_mfu_ceiling_l2` is out of reach of these
operators, however they are launched.
For the LM each ceiling is also given on the useful FLOPs `benchmarks lm-train` divides for its MFU (`*_useful`:
6N + causal attention over the real tokens), beside the executed ones (sdpa computes every masked pair).
Prints one JSON record and appends it to --out (default benchmarks/profiles/roofline.jsonl, beside the profiles).
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
from benchmarks.lm_train import flops_per_token
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
# operators whose destination is written, never read (out= arguments are too, by their schema)
_WRITE_ONLY = {"aten.copy_", "aten.fill_", "aten.zero_"}
# arguments an operator reads for their shape, dtype or device only (or a few gathered elements of: the NLL's
# log-probabilities, one per target)
_SHAPE_ONLY = {"aten.zeros_like": ("self",), "aten.ones_like": ("self",), "aten.full_like": ("self",),
               "aten.new_zeros": ("self",), "aten.new_ones": ("self",), "aten.new_full": ("self",),
               "aten.nll_loss_forward": ("self",), "aten.nll_loss_backward": ("self",)}


def tensor_bytes(t: torch.Tensor) -> int:
    """Bytes of the distinct elements t addresses: a broadcast (stride 0) dimension once, not per repeat, and
    overlapping windows (unfold, STFT frames) once: the smaller of the element count and the memory span."""
    if t.numel() == 0:
        return 0
    dims = [(n, abs(s)) for n, s in zip(t.shape, t.stride()) if s != 0]
    span = 1 + sum((n - 1) * s for n, s in dims)
    return min(math.prod(n for n, _ in dims), span) * t.element_size()


def _tensors(tree) -> dict[int, torch.Tensor]:
    return {id(t): t for t in tree_flatten(tree)[0] if isinstance(t, torch.Tensor)}


def traffic(func, args: tuple, kwargs: dict, out) -> int:
    """Bytes an operator must read and write: each distinct tensor it reads once, each it writes once (an in-place
    operator reads and writes its tensor; copy_, fill_ and out= destinations are only written); views move
    nothing."""
    name, schema = str(func._overloadpacket), func._schema
    if name in _NO_TRAFFIC or any(r.alias_info is not None and not r.alias_info.is_write for r in schema.returns):
        return 0
    bound = {**{a.name: v for a, v in zip(schema.arguments, args)}, **kwargs}
    mutated = {}  # written in place: self of add_, out=, the tensor lists of _foreach_*_ and fused AdamW
    for a in schema.arguments:
        # fused AdamW marks its gradients mutable for an optional grad_scale's unscale only: it reads them
        if a.alias_info is not None and a.alias_info.is_write and a.name in bound and not (
                name.startswith("aten._fused_adam") and a.name == "grads"):
            mutated.update(_tensors(bound[a.name]))
    write_only = mutated if name in _WRITE_ONLY else _tensors([bound.get(a.name) for a in schema.arguments if a.is_out])
    shape_only = _tensors([bound.get(arg) for arg in _SHAPE_ONLY.get(name, ())])
    reads = {k: t for k, t in _tensors((args, kwargs)).items() if k not in write_only and k not in shape_only}
    writes = {**_tensors(out), **mutated}
    return sum(map(tensor_bytes, reads.values())) + sum(map(tensor_bytes, writes.values()))


class OpRecorder(TorchDispatchMode):
    """Records (operator, FLOPs, bytes moved) for every ATen operator dispatched below autograd."""

    def __init__(self):
        super().__init__()
        self.ops: list[tuple[str, int, int]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        count = _FLOPS.get(func) or _FLOPS.get(func._overloadpacket)
        self.ops.append((str(func._overloadpacket), int(count(*args, **kwargs, out_val=out)) if count else 0,
                         traffic(func, args, kwargs, out)))
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
        at = lambda names: names[first] if first < len(names) else "the end"  # noqa: E731
        raise ValueError(f"the step dispatches other operators at batch {size_a} and {size_b} ({len(names_a)} "
                         f"against {len(names_b)}; operator {first} is {at(names_a)} against {at(names_b)}): "
                         "not extrapolable")
    scale = (size - size_a) / (size_b - size_a)
    return [(name, fa + (fb - fa) * scale, ba + (bb - ba) * scale)
            for (name, fa, ba), (_, fb, bb) in zip(ops_a, ops_b)]


def roofline(ops: list, peak: float, bandwidth: float, top: int = 12, l2: float = L2_BYTES) -> dict:
    """The bounds of the module doc for one GPU, and the operators that cost most under the eager bound."""
    flops = sum(f for _, f, _ in ops)
    eager = sum(max(f / peak, b / bandwidth) for _, f, b in ops)
    eager_l2 = sum(max(f / peak, max(b - l2, 0.0) / bandwidth) for _, f, b in ops)
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
           work: Path = fixtures.DEFAULT_WORK, length: int | None = None) -> tuple[list, int, float]:
    """The LM training step's operators (packed rows of `length` tokens, default the preset's; sdpa) at
    `batch_tokens`, extrapolated from `rows` rows per step; -> (operators, the rows they stand for, the useful FLOPs
    of that step as `benchmarks lm-train` counts them for its MFU: 6N + causal attention over its real tokens)."""
    dev = torch.device("cpu")
    length = length or row_length(preset)
    store, tokenizer = TokenStore(fixtures.tokens(work, utterances)), fixtures.tokenizer(work, utterances)
    # every row padded to the row length, so that the batches' shapes differ in their number of rows only (padded
    # to their longest row, 2 and 3 rows of `small` were 1978 and 2024 tokens wide, 32 rows 2048)
    build = lambda n: build_lm_step(preset, dev, store, tokenizer, n * length, mixed_precision="bf16",  # noqa: E731
                                    row_length=length, full_rows=True)
    target_rows = max(1, batch_tokens // length)
    ops = extrapolate(*(record(build(n).step) for n in rows), *rows, target_rows)
    target = build(target_rows)  # built, not run: its batch's real tokens and context
    useful = flops_per_token(target.model, target.config, target.context) * target.row["real_tokens_per_step"]
    return ops, target_rows, useful


def row_length(preset: str) -> int:
    """Tokens per packed row of an LM preset."""
    return LMConfig.preset(preset).max_positions


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", choices=CODEC_PRESETS, help="codec preset (default tiny)")
    p.add_argument("--batch", type=int, help="codec: segments per step (default 32, the recipes' GPU batch)")
    p.add_argument("--segment-seconds", type=float, help="codec: seconds per segment (default 1)")
    p.add_argument("--sg", action=argparse.BooleanOptionalAction, help="codec: with self-guidance (default on)")
    p.add_argument("--lm", choices=LM_PRESETS, help="the LM training step of this LM preset instead of a codec's")
    p.add_argument("--batch-tokens", type=int, help="--lm: row tokens per step, in whole rows (default 65536)")
    p.add_argument("--row-length", type=int, help="--lm: tokens per packed row (default: the preset's context)")
    # the names hold spaces: "H100 SXM", or H100-SXM
    p.add_argument("--gpus", nargs="+", type=lambda name: name.replace("-", " "), choices=sorted(HBM_BANDWIDTH),
                   default=list(GPUS))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default="benchmarks/profiles/roofline.jsonl",
                   help="file to append the record to (- = none)")
    args = p.parse_args()
    codec_flags = [f"--{k.replace('_', '-')}" for k in ("preset", "batch", "segment_seconds", "sg")
                   if getattr(args, k) is not None]
    if args.lm and codec_flags:
        p.error(f"{', '.join(codec_flags)}: codec options, not for --lm")
    lm_flags = [f"--{k.replace('_', '-')}" for k in ("batch_tokens", "row_length") if getattr(args, k) is not None]
    if not args.lm and lm_flags:
        p.error(f"{', '.join(lm_flags)}: --lm options")
    defaults = {"preset": "tiny", "batch": 32, "segment_seconds": 1.0, "sg": True, "batch_tokens": 65536}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.batch < 1 or args.batch_tokens < 1 or args.segment_seconds <= 0:
        p.error("--batch, --batch-tokens and --segment-seconds must be positive")
    if args.lm:
        args.row_length = args.row_length or row_length(args.lm)
        if not 1 <= args.row_length <= args.batch_tokens:
            p.error(f"--row-length {args.row_length}: from 1 to --batch-tokens ({args.batch_tokens})")
    setup_device("cpu", args.threads)
    env = environment("cpu")
    useful = None
    if args.lm:
        ops, rows, useful = lm_ops(args.lm, args.batch_tokens, length=args.row_length)
        what = {"lm": args.lm, "rows_per_step": rows, "row_length": args.row_length, "attention": "sdpa",
                "useful_flops": useful}
    else:
        ops = codec_ops(args.preset, args.sg, args.batch, args.segment_seconds)
        what = {"preset": args.preset, "sg": args.sg, "batch": args.batch, "segment_seconds": args.segment_seconds}
    rows_out = []
    for gpu in args.gpus:
        peak = PEAK_BF16_FLOPS[gpu]
        row = {**what, "gpu": gpu, "peak_bf16_flops": peak, "hbm_bandwidth": HBM_BANDWIDTH[gpu],
               **roofline(ops, peak, HBM_BANDWIDTH[gpu])}
        if useful:  # the LM's MFU counts useful FLOPs, not the executed ones (the dense-mask attention of sdpa)
            row.update({ceiling + "_useful": useful / row[bound] / peak for ceiling, bound in (
                ("eager_mfu_ceiling", "eager_bound_s"), ("eager_mfu_ceiling_l2", "eager_bound_l2_s"),
                ("fused_mfu_ceiling", "fused_bound_s"))})
        rows_out.append(row)
    record_ = report("roofline", env, vars(args), rows_out,
                     notes=["operators recorded on this CPU under bf16 autocast, extrapolated to the batch",
                            "bound per operator: max(FLOPs / peak bf16, bytes / HBM bandwidth)",
                            "eager: every operator its own kernel, all traffic from HBM; eager_l2: 50 MB (the L2) "
                            "taken off each operator's traffic; fused: only the FLOP-counted operators and the "
                            "optimizer's passes over the parameters"])
    emit(record_, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
