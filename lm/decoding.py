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

import torch
import torch.nn.functional as F
from transformers import LlamaForCausalLM


class StaticCacheDecoder:
    """Prefill then one-token steps for a batch of `batch` rows, at most `max_len` positions each.

    head_dtype (e.g. torch.bfloat16): compute the logits from a copy of the head's weight in that precision, made
    once here, instead of through the model's head module (whose forward hooks then do not run); None keeps the
    module. Logits come back in float32 either way.
    """

    def __init__(self, model: LlamaForCausalLM, batch: int, max_len: int, head_dtype: torch.dtype | None = None):
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
        cos, sin = self._rotary(positions, hidden.dtype)
        for i, layer in enumerate(self.layers):
            attn = layer.self_attn
            x = self._norm(hidden, layer.input_layernorm.weight)
            q = F.linear(x, attn.q_proj.weight).view(batch, width, self.heads, self.head_dim).transpose(1, 2)
            k = F.linear(x, attn.k_proj.weight).view(batch, width, self.kv_heads, self.head_dim).transpose(1, 2)
            v = F.linear(x, attn.v_proj.weight).view(batch, width, self.kv_heads, self.head_dim).transpose(1, 2)
            q, k = self._rotate(torch.cat([q, k], dim=1), cos, sin).split([self.heads, self.kv_heads], dim=1)
            keys, values = store(i, k, v)
            out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, scale=attn.scaling,
                                                 enable_gqa=self.heads != self.kv_heads)
            hidden = hidden + F.linear(out.transpose(1, 2).reshape(batch, width, -1), attn.o_proj.weight)
            mlp = layer.mlp
            x = self._norm(hidden, layer.post_attention_layernorm.weight)
            hidden = hidden + F.linear(F.silu(F.linear(x, mlp.gate_proj.weight)) * F.linear(x, mlp.up_proj.weight),
                                       mlp.down_proj.weight)
        last = self._norm(hidden[:, -1], self.model.model.norm.weight)
        if self.head is not None:
            return F.linear(last.to(self.head.dtype), self.head).float()
        return self.model.lm_head(last)  # the module, not its weight: forward hooks on the head still apply


class GraphedStep:
    """One-token steps of a StaticCacheDecoder replayed from a CUDA graph (after the prefill).

    At batch 1 a small LM's step is a few hundred tiny kernels whose launches, not their arithmetic, set the
    speed; a graph launches them all at once. Inputs are copied into fixed buffers, the graph replays `step_at`,
    and the logits land in a fixed buffer (valid until the next call). CUDA only. Forward hooks on the model run
    once, at capture: the kernels they launched replay, their Python side effects do not.
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
