"""Incremental decoding over a LlamaForCausalLM's own weights, with a preallocated (static) KV cache.

For a small model, transformers' forward spends most of a one-token step in Python: mask construction, cache
objects, hooks and a dozen module calls per layer (measured in docs/PERFORMANCE.md). This runs the same arithmetic
as `LlamaForCausalLM` (RMSNorm, rotary embedding, grouped-query SDPA, SwiGLU) with a handful of tensor ops per
layer, writes keys and values into fixed buffers instead of growing them with `torch.cat`, and computes logits
for the last position only. Its logits match transformers' to float rounding (tests/test_lm_units.py).

Left padding: `valid` marks, per row, the cache slots that hold real tokens; a slot is attended to when it is valid
and not in the future. A padding position attends to itself alone, so its (unused) keys and values stay finite.
"""
from __future__ import annotations

import time
from typing import NamedTuple

import torch
import torch.nn.functional as F
from transformers import LlamaForCausalLM


class Concatenated(NamedTuple):
    """Projection weights stacked along the output dimension (one matmul for several projections of one input)."""

    weight: torch.Tensor
    sizes: list[int]  # each projection's output size, to split the product


class StaticCacheDecoder:
    """Prefill then one-token steps for a batch of `batch` rows, at most `max_len` positions each.

    head_dtype (e.g. torch.bfloat16): compute the logits from a copy of the head's weight in that precision, made
    once here, instead of through the model's head module (whose forward hooks then do not run); None keeps the
    module. Logits come back in float32 either way.
    layer_dtype: likewise for the transformer layers' seven projections (q, k, v, o, gate, up, down): copies in that
    precision, made once here; their inputs are cast to it and their outputs back, so the residual stream, the
    norms, the attention and the KV cache keep the model's own precision. None uses the model's weights.
    """

    def __init__(self, model: LlamaForCausalLM, batch: int, max_len: int, head_dtype: torch.dtype | None = None,
                 layer_dtype: torch.dtype | None = None):
        config = model.config
        rope = getattr(config, "rope_parameters", None) or {"rope_type": "default"}
        if rope.get("rope_type", "default") != "default" or config.hidden_act != "silu" \
                or getattr(config, "attention_bias", False) or getattr(config, "mlp_bias", False):
            raise ValueError("StaticCacheDecoder supports plain Llama (default RoPE, SiLU, no biases): "
                             f"got rope {rope}, act {config.hidden_act}")
        self.model = model
        self.layers = model.model.layers
        self.heads, self.kv_heads = config.num_attention_heads, config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.eps = config.rms_norm_eps
        weight = model.model.embed_tokens.weight
        self.inv_freq = model.model.rotary_emb.inv_freq.to(weight.device, torch.float32)
        self.attention_scaling = model.model.rotary_emb.attention_scaling
        shape = (len(self.layers), batch, self.kv_heads, max_len, self.head_dim)
        self.keys = torch.zeros(shape, dtype=weight.dtype, device=weight.device)
        self.values = torch.zeros(shape, dtype=weight.dtype, device=weight.device)
        self.valid = torch.zeros(batch, max_len, dtype=torch.bool, device=weight.device)
        self.slots = torch.arange(max_len, device=weight.device)
        self.length = 0  # slots filled so far (the same for every row: padding is on the left)
        head = model.lm_head.weight
        self.head = None if head_dtype is None or head_dtype == head.dtype else head.detach().to(head_dtype)
        if layer_dtype == weight.dtype:
            layer_dtype = None
        self.projections = [self._projections(layer, layer_dtype) for layer in self.layers]

    @staticmethod
    def _projections(layer, dtype: torch.dtype | None) -> dict[str, "tuple[torch.Tensor, ...] | Concatenated"]:
        """A layer's projection weights in four groups, each applied to one input: the model's own weights (dtype
        None: no copy, which keeps a large model's memory), or copies in `dtype` with q/k/v and gate/up each
        concatenated into one matrix, so that a step makes 4 matmuls and 6 casts per layer instead of 7 and 8."""
        attn, mlp = layer.self_attn, layer.mlp
        groups = {"qkv": (attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight), "o": (attn.o_proj.weight,),
                  "gate_up": (mlp.gate_proj.weight, mlp.up_proj.weight), "down": (mlp.down_proj.weight,)}
        if dtype is None:
            return groups
        return {name: Concatenated(torch.cat(ws).detach().to(dtype), [w.shape[0] for w in ws])
                for name, ws in groups.items()}

    @staticmethod
    def _project(x: torch.Tensor, group, dtype: torch.dtype | None) -> tuple[torch.Tensor, ...]:
        """x through one group of `_projections` -> one output per original projection, cast to `dtype` (None:
        left in the weights' precision, for a following projection of the same group kind)."""
        if isinstance(group, Concatenated):  # one matmul, split after
            out = F.linear(x.to(group.weight.dtype), group.weight)
            return (out if dtype is None else out.to(dtype)).split(group.sizes, dim=-1)
        return tuple(F.linear(x, w) for w in group)

    def _norm(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        # LlamaRMSNorm: normalised in float32, cast back, then scaled (one fused op when already float32)
        if x.dtype == torch.float32:
            return F.rms_norm(x, weight.shape, weight, self.eps)
        return weight * F.rms_norm(x.float(), weight.shape, None, self.eps).to(x.dtype)

    def _rotary(self, positions: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        freqs = positions[..., None].float() * self.inv_freq  # [B, S, D/2]
        emb = torch.cat((freqs, freqs), dim=-1)[:, None]  # [B, 1, S, D]
        return (emb.cos() * self.attention_scaling).to(dtype), (emb.sin() * self.attention_scaling).to(dtype)

    @staticmethod
    def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        half = x.shape[-1] // 2
        return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin

    @torch.no_grad()
    def step(self, input_ids: torch.Tensor, positions: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Feed input_ids [B, S] at rotary positions [B, S] (real [B, S]: False on padding) -> last logits [B, V]."""
        width = input_ids.shape[1]
        start, end = self.length, self.length + width
        if end > self.valid.shape[1]:
            raise ValueError(f"StaticCacheDecoder: {end} positions exceed the cache of {self.valid.shape[1]}")
        self.valid[:, start:end] = real
        self.length = end
        # [B, 1, S, T]: valid past (and present) slots; each query also sees its own slot (finite padding rows)
        query_slots = self.slots[start:end, None]
        mask = self.valid[:, None, None, :end] & (self.slots[None, :end] <= query_slots)
        mask |= self.slots[None, :end] == query_slots

        def store(i, k, v):
            self.keys[i, :, :, start:end] = k
            self.values[i, :, :, start:end] = v
            return self.keys[i, :, :, :end], self.values[i, :, :, :end]

        return self._forward(input_ids, positions, mask, store)

    @torch.no_grad()
    def step_at(self, input_ids: torch.Tensor, positions: torch.Tensor, real: torch.Tensor, slot: torch.Tensor) -> torch.Tensor:
        """One token per row (input_ids, positions, real [B, 1]) into cache slot `slot` (a LongTensor [1]).

        The same arithmetic as `step`, with every shape fixed (attention spans the whole cache, masked) and the slot
        a tensor, so that one CUDA graph captured here replays for every step (GraphedStep). The caller advances
        `slot` and keeps it below max_len.
        """
        self.valid.index_copy_(1, slot, real)
        mask = self.valid[:, None, None, :] & (self.slots <= slot)
        mask |= self.slots == slot

        def store(i, k, v):
            self.keys[i].index_copy_(2, slot, k)
            self.values[i].index_copy_(2, slot, v)
            return self.keys[i], self.values[i]

        return self._forward(input_ids, positions, mask, store)

    def _forward(self, input_ids, positions, mask, store) -> torch.Tensor:
        batch, width = input_ids.shape
        hidden = self.model.model.embed_tokens(input_ids)
        dtype = hidden.dtype
        cos, sin = self._rotary(positions, dtype)
        for i, layer in enumerate(self.layers):
            w = self.projections[i]
            q, k, v = self._project(self._norm(hidden, layer.input_layernorm.weight), w["qkv"], dtype)
            q = q.view(batch, width, self.heads, self.head_dim).transpose(1, 2)
            k = k.view(batch, width, self.kv_heads, self.head_dim).transpose(1, 2)
            v = v.view(batch, width, self.kv_heads, self.head_dim).transpose(1, 2)
            q, k = self._rotate(torch.cat([q, k], dim=1), cos, sin).split([self.heads, self.kv_heads], dim=1)
            keys, values = store(i, k, v)
            out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, scale=layer.self_attn.scaling,
                                                 enable_gqa=self.heads != self.kv_heads)
            hidden = hidden + self._project(out.transpose(1, 2).reshape(batch, width, -1), w["o"], dtype)[0]
            # SwiGLU in the projections' precision: the down projection's input would be rounded to it anyway
            gate, up = self._project(self._norm(hidden, layer.post_attention_layernorm.weight), w["gate_up"], None)
            hidden = hidden + self._project(F.silu(gate) * up, w["down"], dtype)[0]
        last = self._norm(hidden[:, -1], self.model.model.norm.weight)
        if self.head is not None:
            return F.linear(last.to(self.head.dtype), self.head).float()
        return self.model.lm_head(last)  # the module, not its weight: forward hooks on the head still apply


def step_milliseconds(model: LlamaForCausalLM, batch: int, steps: int, head_dtype: torch.dtype | None = None,
                      layer_dtype: torch.dtype | None = None, prefill: int = 20) -> float:
    """Milliseconds per one-token step of a fresh StaticCacheDecoder of `batch` rows after a `prefill`-token prompt:
    what a weight precision costs on this machine at this batch size (making the copies is not timed).

    The token ids are fixed (a step's cost does not depend on them), so timing leaves every random state alone.
    """
    device = next(model.parameters()).device
    length = prefill + steps
    decoder = StaticCacheDecoder(model, batch, length, head_dtype=head_dtype, layer_dtype=layer_dtype)
    ids = (torch.arange(batch * length, device=device) % model.config.vocab_size).view(batch, length)
    positions = torch.arange(length, device=device).expand(batch, -1)
    real = torch.ones(batch, length, dtype=torch.bool, device=device)
    with torch.inference_mode():
        decoder.step(ids[:, :prefill], positions[:, :prefill], real[:, :prefill])
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        for s in range(prefill, length):
            decoder.step(ids[:, s : s + 1], positions[:, s : s + 1], real[:, s : s + 1])
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / steps * 1e3


class GraphedStep:
    """One-token steps of a StaticCacheDecoder replayed from a CUDA graph (after the prefill).

    At batch 1 a small LM's step is a few hundred tiny kernels whose launches, not their arithmetic, set the
    speed; a graph launches them all at once. Inputs are copied into fixed buffers, the graph replays `step_at`,
    and the logits land in a fixed buffer (valid until the next call). CUDA only. Forward hooks on the model run
    three times while the graph is made (two warm-up steps, then the capture) and never after: the kernels they
    launched at capture replay, their Python side effects do not.
    """

    def __init__(self, decoder: StaticCacheDecoder, batch: int):
        device = decoder.valid.device
        if device.type != "cuda":
            raise ValueError(f"GraphedStep needs a CUDA decoder, not {device}")
        self.decoder = decoder
        self.input_ids = torch.zeros(batch, 1, dtype=torch.long, device=device)
        self.positions = torch.zeros(batch, 1, dtype=torch.long, device=device)
        self.real = torch.ones(batch, 1, dtype=torch.bool, device=device)
        self.slot = torch.tensor([decoder.length], device=device)
        # Warm-up on a side stream (allocator and library state settle before capture), then capture. Both write
        # dummies into slot `decoder.length`, which the first real step overwrites.
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(2):
                decoder.step_at(self.input_ids, self.positions, self.real, self.slot)
        torch.cuda.current_stream().wait_stream(stream)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.logits = decoder.step_at(self.input_ids, self.positions, self.real, self.slot)

    def __call__(self, input_ids: torch.Tensor, positions: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Like StaticCacheDecoder.step for one token per row: [B, 1] each -> logits [B, V]."""
        decoder = self.decoder
        if decoder.length >= decoder.valid.shape[1]:
            raise ValueError(f"StaticCacheDecoder: {decoder.length + 1} positions exceed the cache of "
                             f"{decoder.valid.shape[1]}")
        self.input_ids.copy_(input_ids)
        self.positions.copy_(positions)
        self.real.copy_(real)
        self.slot.fill_(decoder.length)
        self.graph.replay()
        decoder.length += 1
        return self.logits
