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

import functools
import time
import weakref
from typing import NamedTuple

import torch
import torch.nn.functional as F
from transformers import LlamaForCausalLM


class Concatenated(NamedTuple):
    """Projection weights stacked along the output dimension (one matmul for several projections of one input)."""

    weight: torch.Tensor
    sizes: list[int]  # each projection's output size, to split the product


class PackedFloat16(NamedTuple):
    """Projection weights stacked like Concatenated, rounded to float16 and packed for fbgemm's matmul on x86 CPUs
    (quantized::linear_dynamic_fp16: float32 in, float32 arithmetic and out; only the weights are rounded)."""

    packed: object  # quantized::linear_prepack_fp16's opaque handle
    sizes: list[int]


def packed_float16_available() -> bool:
    """Whether this torch build packs float16 weights for the CPU under its present quantized engine (fbgemm: x86
    builds; not on ARM, nor under torch.backends.quantized.engine "qnnpack")."""
    return _packs_float16(torch.backends.quantized.engine)


@functools.cache
def _packs_float16(engine: str) -> bool:
    try:
        torch.ops.quantized.linear_dynamic_fp16(torch.ones(1, 8), torch.ops.quantized.linear_prepack_fp16(
            torch.ones(8, 8), None))
    except (AttributeError, RuntimeError, NotImplementedError):
        return False
    return True


# model -> {(head or layers, dtype): (the source weights' identity, the copies, the sources)}: on a CPU the copies
# are made once per model and precision, not once per decoder (packing the default model's head for fbgemm takes
# ~70 ms, a twentieth of a sentence's synthesis), and made again when a weight is replaced or changed in place (its
# address, layout or version counter moves). Not seen: a change through `.data` (it bypasses the version counter);
# forget_copies(model) after one. The sources are held (detached) so that no new weight can be given a freed one's
# address and pass for it; entries whose sources are no longer the model's are dropped by the next decoder made for
# the model, and all of a model's when it is decoded off the CPU. Weights made under inference_mode have no version
# counter: their copies are never kept.
_COPIES: "weakref.WeakKeyDictionary[LlamaForCausalLM, dict]" = weakref.WeakKeyDictionary()


def forget_copies(model: LlamaForCausalLM) -> None:
    """Drop the precision copies StaticCacheDecoder keeps for `model` (after changing its weights through `.data`)."""
    _COPIES.pop(model, None)


def _identity(weights: list[torch.Tensor]) -> tuple | None:
    """What tells the copies of `weights` still hold (None: weights whose changes cannot be told, never kept)."""
    if weights[0].device.type != "cpu" or any(w.is_inference() for w in weights):
        return None
    return tuple((w.data_ptr(), w.storage_offset(), w.stride(), w.shape, w.dtype, w._version) for w in weights)


class StaticCacheDecoder:
    """Prefill then one-token steps for a batch of `batch` rows, at most `max_len` positions each.

    head_dtype (e.g. torch.bfloat16): compute the logits from a copy of the head's weight in that precision, made
    once here, instead of through the model's head module (whose forward hooks then do not run); None keeps the
    module. Logits come back in float32 either way.
    layer_dtype: likewise for the transformer layers' seven projections (q, k, v, o, gate, up, down): copies in that
    precision; their inputs are cast to it and their outputs back, so the residual stream, the norms, the attention
    and the KV cache keep the model's own precision. None uses the model's weights.
    float16 copies on a CPU are packed for fbgemm where this build has it (packed_float16_available): there the
    inputs stay float32 and only the weights are rounded, and on CPUs without half-precision units this reads
    the weights far faster than a float16 or bfloat16 matmul, which converts them on every call (docs/
    PERFORMANCE.md). On a CPU the copies are kept per model and precision across decoders, until a weight changes.
    """

    def __init__(self, model: LlamaForCausalLM, batch: int, max_len: int, head_dtype: torch.dtype | None = None,
                 layer_dtype: torch.dtype | None = None):
        config = model.config
        rope = getattr(config, "rope_parameters", None) or {"rope_type": "default"}
        if rope.get("rope_type", "default") != "default" or model.model.rotary_emb.attention_scaling != 1.0 \
                or config.hidden_act != "silu" or getattr(config, "attention_bias", False) \
                or getattr(config, "mlp_bias", False):
            raise ValueError("StaticCacheDecoder supports plain Llama (default RoPE unscaled, SiLU, no biases): got "
                             f"rope {rope} (attention scaling {model.model.rotary_emb.attention_scaling}), act "
                             f"{config.hidden_act}")
        self.model = model
        self.layers = model.model.layers
        self.heads, self.kv_heads = config.num_attention_heads, config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.eps = config.rms_norm_eps
        weight = model.model.embed_tokens.weight
        inv_freq = model.model.rotary_emb.inv_freq.to(weight.device, torch.float32)
        self.inv_freq = torch.cat((inv_freq, inv_freq))  # [D]: rotary angles are repeated over both halves
        # rotate_half(x) = [-x2, x1] = [x2, x1] * [-1, 1]: the sign goes into sin, once a step (_rotary)
        self.rotate_sign = torch.cat((-torch.ones_like(inv_freq), torch.ones_like(inv_freq)))
        shape = (len(self.layers), batch, self.kv_heads, max_len, self.head_dim)
        self.keys = torch.zeros(shape, dtype=weight.dtype, device=weight.device)
        self.values = torch.zeros(shape, dtype=weight.dtype, device=weight.device)
        self.layer_keys, self.layer_values = self.keys.unbind(0), self.values.unbind(0)  # views made once, not per step
        self.valid = torch.zeros(batch, max_len, dtype=torch.bool, device=weight.device)
        self.slots = torch.arange(max_len, device=weight.device)
        self.length = 0  # slots filled so far (the same for every row: padding is on the left)
        head = model.lm_head.weight
        groups = [self._groups(layer) for layer in self.layers]
        sources = {"head": [head], "layers": [w for layer in groups for ws in layer.values() for w in ws]}
        identities = {kind: _identity(weights) for kind, weights in sources.items()}
        kept = _COPIES.get(model, {})
        for key in [key for key, entry in kept.items() if entry[0] != identities[key[0]]]:
            del kept[key]  # made from weights the model no longer has (or has off the CPU): let go

        def copies(kind: str, dtype: torch.dtype, make):
            if identities[kind] is None:
                return make()
            entry = _COPIES.setdefault(model, {}).get((kind, dtype))
            if entry is None:
                entry = _COPIES[model][kind, dtype] = (identities[kind], make(), [w.detach() for w in sources[kind]])
            return entry[1]

        self.head = None
        if head_dtype is not None and head_dtype != head.dtype:
            self.head = copies("head", head_dtype, lambda: self._copy([head], head_dtype))
        self.projections = groups
        if layer_dtype is not None and layer_dtype != weight.dtype:
            self.projections = copies("layers", layer_dtype, lambda: [self._copy_layer(layer, layer_dtype)
                                                                      for layer in groups])

    @staticmethod
    def _groups(layer) -> dict[str, tuple[torch.Tensor, ...]]:
        """A layer's projection weights in four groups, each applied to one input. Copies in a precision (`_copy`)
        concatenate each group into one matrix, so that a step makes 4 matmuls and 6 casts per layer instead of 7
        and 8; without copies the model's own weights serve (which keeps a large model's memory)."""
        attn, mlp = layer.self_attn, layer.mlp
        return {"qkv": (attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight), "o": (attn.o_proj.weight,),
                "gate_up": (mlp.gate_proj.weight, mlp.up_proj.weight), "down": (mlp.down_proj.weight,)}

    @staticmethod
    def _copy_layer(group: dict[str, tuple[torch.Tensor, ...]], dtype: torch.dtype) -> dict:
        """A layer's groups (`_groups`) copied in `dtype`, each one matrix, with q and k as one projection: rotary
        embedding treats them alike, so they stay side by side ([B, S, H + KV, D])."""
        q, k, v = group["qkv"]
        return {name: StaticCacheDecoder._copy((torch.cat((q, k)), v) if name == "qkv" else weights, dtype)
                for name, weights in group.items()}

    @staticmethod
    def _copy(weights, dtype: torch.dtype) -> "Concatenated | PackedFloat16":
        stacked, sizes = torch.cat(weights).detach(), [w.shape[0] for w in weights]
        if dtype == torch.float16 and (largest := stacked.abs().max().item()) > torch.finfo(torch.float16).max:
            # fbgemm would clamp it without a word, a float16 matmul make it inf
            raise ValueError(f"StaticCacheDecoder: a weight of magnitude {largest:g} is beyond float16's range "
                             "(65504): use bfloat16 or float32 copies for this model")
        if dtype == torch.float16 and stacked.device.type == "cpu" and packed_float16_available():
            return PackedFloat16(torch.ops.quantized.linear_prepack_fp16(stacked.float(), None), sizes)
        return Concatenated(stacked.to(dtype), sizes)

    @staticmethod
    def _project(x: torch.Tensor, group, dtype: torch.dtype | None) -> tuple[torch.Tensor, ...]:
        """x through one group of weights (`_groups`, or its `_copy`) -> one output per original projection, cast to
        `dtype` (None: left in the weights' precision, for a following projection of the same group kind)."""
        if isinstance(group, (Concatenated, PackedFloat16)):  # one matmul, split after
            out = _linear(x, group)
            if dtype is not None and out.dtype != dtype:  # (a cast to the same dtype still costs a dispatch)
                out = out.to(dtype)
            # split_with_sizes, not split: Tensor.split's Python wrapper costs more than the split (~5 us)
            return (out,) if len(group.sizes) == 1 else out.split_with_sizes(group.sizes, dim=-1)
        return tuple(F.linear(x, w) for w in group)

    def _norm(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        # LlamaRMSNorm: normalised in float32, cast back, then scaled (one fused op when already float32)
        if x.dtype == torch.float32:
            return F.rms_norm(x, weight.shape, weight, self.eps)
        return weight * F.rms_norm(x.float(), weight.shape, None, self.eps).to(x.dtype)

    def _rotary(self, positions: torch.Tensor, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        angles = positions[:, :, None, None].float() * self.inv_freq  # [B, S, 1, D]
        cos, sin = angles.cos(), angles.sin() * self.rotate_sign  # sin with its first half negated (rotate_half's sign)
        return (cos, sin) if dtype == torch.float32 else (cos.to(dtype), sin.to(dtype))

    def _queries_keys_values(self, x: torch.Tensor, group, dtype: torch.dtype):
        """x [B, S, hidden] -> q and k side by side [B, S, H + KV, D], and v [B, S, KV * D]."""
        if isinstance(group, (Concatenated, PackedFloat16)):  # q and k one projection (_copy_layer)
            qk, v = self._project(x, group, dtype)
        else:
            q, k, v = self._project(x, group, dtype)
            qk = torch.cat((q, k), dim=-1)
        return qk.view(*x.shape[:2], -1, self.head_dim), v

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
            keys, values = self.layer_keys[i], self.layer_values[i]
            keys.narrow(2, start, width).copy_(k)
            values.narrow(2, start, width).copy_(v)
            return keys.narrow(2, 0, end), values.narrow(2, 0, end)

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
            keys, values = self.layer_keys[i], self.layer_values[i]
            keys.index_copy_(2, slot, k)
            values.index_copy_(2, slot, v)
            return keys, values

        return self._forward(input_ids, positions, mask, store)

    def _forward(self, input_ids, positions, mask, store) -> torch.Tensor:
        batch, width = input_ids.shape
        hidden = self.model.model.embed_tokens(input_ids)
        dtype = hidden.dtype
        cos, sin = self._rotary(positions, dtype)
        for i, layer in enumerate(self.layers):
            w = self.projections[i]
            qk, v = self._queries_keys_values(self._norm(hidden, layer.input_layernorm.weight), w["qkv"], dtype)
            # rotary embedding, q and k in one piece: x cos + rotate_half(x) sin, with rotate_half's sign in sin
            # (_rotary) and its halves swapped by one flip; then [B, H + KV, S, D]. Two products and a sum, as
            # transformers rounds them (addcmul would round once: other numbers, in half precision visibly so)
            swapped = qk.view(batch, width, -1, 2, self.head_dim // 2).flip(3).view_as(qk)
            q, k = (qk * cos + swapped * sin).transpose(1, 2).split_with_sizes([self.heads, self.kv_heads], dim=1)
            v = v.view(batch, width, self.kv_heads, self.head_dim).transpose(1, 2)
            keys, values = store(i, k, v)
            out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, scale=layer.self_attn.scaling,
                                                 enable_gqa=self.heads != self.kv_heads)
            hidden = hidden + self._project(out.transpose(1, 2).reshape(batch, width, -1), w["o"], dtype)[0]
            # SwiGLU in the projections' precision: the down projection's input would be rounded to it anyway
            gate, up = self._project(self._norm(hidden, layer.post_attention_layernorm.weight), w["gate_up"], None)
            hidden = hidden + self._project(F.silu(gate) * up, w["down"], dtype)[0]
        last = self._norm(hidden[:, -1], self.model.model.norm.weight)
        if self.head is not None:
            return _linear(last, self.head).float()
        return self.model.lm_head(last).float()  # the module, not its weight: forward hooks on the head still apply


def _linear(x: torch.Tensor, copy: "Concatenated | PackedFloat16") -> torch.Tensor:
    if isinstance(copy, PackedFloat16):
        return _packed_float16_linear()(x if x.dtype == torch.float32 else x.float(), copy.packed)
    return F.linear(x if x.dtype == copy.weight.dtype else x.to(copy.weight.dtype), copy.weight)


@functools.cache
def _packed_float16_linear():
    """quantized::linear_dynamic_fp16 without torch.ops' Python wrapper, which looks through the arguments for fake
    script objects on every call (~5 us, 25 calls a step for the default model; measured in docs/PERFORMANCE.md)."""
    op = torch.ops.quantized.linear_dynamic_fp16.default
    return getattr(op, "op", op)


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
