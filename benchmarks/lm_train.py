"""LM training speed: real tokens/s and model-FLOPs utilisation per preset, padding with and without packing.

Rows are lm/train.py's: PackedRows over a real token store (benchmarks/fixtures.py), rows_per_micro =
batch_tokens // row_length rows per step, collate_rows, token_loss_sum (imported from lm.train), AdamW(0.9, 0.95),
gradient clipping, under the Accelerator of codec.trainloop (bf16 autocast on CUDA, fp32 on CPU).

Padding fraction: pad tokens / all row tokens over one epoch of batches in the sampler's order, packed and unpacked.
FLOPs per real token = 6 * N_matmul + 12 * layers * hidden * mean causal context (attention scores and values,
forward + backward, within each utterance as the block-diagonal mask restricts it); N_matmul counts every Linear
weight including the (tied) lm_head. Pad tokens are computed but not counted (they are waste).
MFU = that FLOP rate / the GPU's peak dense bf16 FLOP/s (CUDA only).
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np
import torch

from benchmarks import fixtures
from benchmarks.common import (environment, log, peak_bf16_flops, peak_memory, precision_label, report,
                               setup_device, sync, time_fn)
from codec.trainloop import adamw, build_accelerator
from lm.config import LMConfig
from lm.model import SpeechLM, use_attention
from lm.packing import PackedRows, collate_rows
from lm.tokens import TokenStore
from lm.train import token_loss_sum

PRESETS = ("debug", "tiny", "small", "1b")


def epoch_batches(rows: PackedRows, rows_per_micro: int, pad: int, seed: int = 0) -> list[dict]:
    order = np.random.default_rng([seed, 0]).permutation(len(rows))
    return [collate_rows([rows[int(i)] for i in order[s : s + rows_per_micro]], pad)
            for s in range(0, len(order), rows_per_micro)]


def padding_fraction(batches: list[dict]) -> float:
    total = sum(b["input_ids"].numel() for b in batches)
    pad = sum(b["padding"] * b["input_ids"].numel() for b in batches)
    return pad / total


def flops_per_token(model, config: LMConfig, context: float) -> float:
    n_matmul = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    return 6 * n_matmul + 12 * config.num_layers * config.hidden_size * context


@dataclasses.dataclass
class LMStep:
    """One lm/train.py step on a fixed batch, ready to call (`step()` -> the step's summed loss)."""
    step: Callable[[], float]
    row: dict  # what decides the figure: preset, packing, row length, batch shape, real tokens, padding, ...
    context: float  # mean causal context of the batch's real tokens (for the FLOP count)
    config: LMConfig
    model: torch.nn.Module


def build_step(name: str, dev: torch.device, store: TokenStore, tokenizer, batch_tokens: int, packing: bool = True,
               codebook: int = 16384, mixed_precision: str = "auto", compile: bool = False,  # noqa: A002
               attention: str = "sdpa", row_length: int | None = None, full_rows: bool = False) -> LMStep:
    """The LM of preset `name` with AdamW under the Accelerator, and its step on the epoch's first batch_tokens of
    rows (wrapping around a corpus with fewer rows), padded to the longest row or, with full_rows, to the row
    length (a batch's shape then depends on its number of rows only)."""
    config = LMConfig.preset(name)
    if row_length is not None:
        config = dataclasses.replace(config, max_positions=row_length)
    rows_per_micro = max(1, batch_tokens // config.max_positions)
    accelerator = build_accelerator(mixed_precision, cpu=dev.type == "cpu")
    torch.manual_seed(0)
    # the LM's vocabulary follows the codebook of the codec it is paired with (the recipe's tiny LMs: 16384
    # and 65536); the store's debug-codec code values (< 256) are valid ids of any such vocabulary
    lm = SpeechLM.create(config, tokenizer, dataclasses.replace(store.identity, codebook_size=codebook))
    use_attention(lm.model, attention, accelerator.device)
    vocab = lm.vocab
    params = [p for p in lm.model.parameters() if p.requires_grad]
    optimizer = adamw(params, lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    # compiled: the step's many small kernels fused (the fixed batch shape compiles once, in the warm-up step)
    model, optimizer = accelerator.prepare(torch.compile(lm.model) if compile else lm.model, optimizer)
    model.train()
    rows = PackedRows(store, vocab, tokenizer, config.max_positions, pack=packing)
    batches = epoch_batches(rows, rows_per_micro, vocab.pad)
    # the timed batch: the epoch's first rows_per_micro rows, wrapping around a corpus with fewer rows
    # (48 utterances pack into ~4 rows of 2048: a larger --batch-tokens repeats them; speed ignores content)
    order = np.random.default_rng([0, 0]).permutation(len(rows))
    timed = collate_rows([rows[int(order[i % len(rows)])] for i in range(rows_per_micro)], vocab.pad,
                         width=config.max_positions if full_rows else 0)
    batch = {k: (v.to(accelerator.device) if torch.is_tensor(v) else v) for k, v in timed.items()}
    real_mask = batch["input_ids"] != vocab.pad
    row = {"preset": name, "packing": packing, "row_length": config.max_positions, "rows_per_step": rows_per_micro,
           "rows_repeated": rows_per_micro > len(rows),
           "batch_shape": list(batch["input_ids"].shape), "real_tokens_per_step": int(real_mask.sum()),
           "padding_fraction_epoch": padding_fraction(batches), "padding_fraction_step": batch["padding"],
           "utterances": len(store), "parameters": sum(p.numel() for p in params),
           "precision": precision_label(accelerator), "compiled": compile, "attention": attention}

    def step():
        loss_sum, count = token_loss_sum(model, batch)
        accelerator.backward(loss_sum / max(count, 1))
        accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss_sum.detach())

    context = float((batch["position_ids"].float() + 1)[real_mask].mean())
    return LMStep(step, row, context, config, accelerator.unwrap_model(model))


def run(device: str = "cpu", presets=PRESETS, batch_tokens: int = 8192, threads: int = 2, warmup: int = 1,
        repeats: int = 3, budget_s: float = 120.0, utterances: int = 48, codebook: int = 16384, quick: bool = False,
        mixed_precision: str = "auto", compile: bool = False,  # noqa: A002 (the CLI flag's name)
        attention: str = "sdpa", row_length: int | None = None, packings: tuple[bool, ...] = (True, False)) -> dict:
    if quick:
        presets, batch_tokens, warmup, repeats, utterances = ("debug",), 1024, 1, 2, 12
    dev = setup_device(device, threads)
    env = environment(device)
    peak, peak_key = peak_bf16_flops(device)
    store = TokenStore(fixtures.tokens(utterances=utterances))
    tokenizer = fixtures.tokenizer(utterances=utterances)
    rows_out = []
    for name in presets:
        for packing in packings:
            lm_step = step = None  # the previous row's model goes first: the larger presets fill a GPU
            if dev.type == "cuda":
                torch.cuda.empty_cache()
            lm_step = build_step(name, dev, store, tokenizer, batch_tokens, packing, codebook, mixed_precision, compile,
                                 attention, row_length)
            row, step = lm_step.row, lm_step.step
            try:
                with peak_memory(dev, row):
                    t0 = time.perf_counter()
                    step()
                    sync(dev)
                    first = time.perf_counter() - t0
                    if dev.type == "cpu" and first * (warmup - 1 + repeats) > budget_s:
                        row["skipped"] = (f"one step took {first:.1f} s; {warmup - 1 + repeats} more exceed --budget-s "
                                          f"{budget_s:.0f} on {threads} CPU threads")
                        log(f"lm-train {name} packing={packing}: skipped ({row['skipped']})")
                        rows_out.append(row)
                        continue
                    stats = time_fn(step, dev, warmup - 1, repeats)  # the first step above was warm-up 1
            except torch.OutOfMemoryError as e:
                row["skipped"] = f"out of memory: {str(e)[:200]}"
                rows_out.append(row)
                continue
            real_tokens = row["real_tokens_per_step"]
            fpt = flops_per_token(lm_step.model, lm_step.config, lm_step.context)
            row.update({"step_s": stats, "tokens_per_s": real_tokens / stats["median"],
                        "tokens_per_s_min": real_tokens / stats["max"], "tokens_per_s_max": real_tokens / stats["min"],
                        "flops_per_token": fpt, "mean_causal_context": lm_step.context,
                        "achieved_flops": fpt * real_tokens / stats["median"]})
            if peak:
                row["mfu"] = row["achieved_flops"] / peak
                row["mfu_peak_basis"] = f"{peak_key} dense bf16 {peak / 1e12:.1f} TFLOP/s"
            log(f"lm-train {name} packing={packing}: {row['tokens_per_s']:.0f} tok/s, padding "
                f"{row['padding_fraction_epoch']:.3f}" + (f", MFU {row['mfu']:.3f}" if "mfu" in row else ""))
            rows_out.append(row)
    return report("lm_train", env, {"presets": list(presets), "batch_tokens": batch_tokens, "threads": threads,
                                    "warmup": warmup, "repeats": repeats, "budget_s": budget_s,
                                    "utterances": utterances, "codebook": codebook, "quick": quick,
                                    "mixed_precision": mixed_precision, "compile": compile, "attention": attention,
                                    "row_length": row_length, "packings": list(packings)}, rows_out,
                  notes=["tokens_per_s counts real (non-pad) tokens, as lm/train.py's train/tokens_per_s",
                         "one fixed batch (the epoch's first) is timed; padding_fraction_epoch covers every batch",
                         "FLOPs/token = 6*N_matmul + 12*layers*hidden*mean causal context (forward+backward)"])
