"""A wider decoder grown from a trained one, starting from the trained one's output (to float rounding) (Net2Net's widening).

Each of the source decoder's channels becomes k copies side by side (channel c -> k*c ... k*c+k-1), each attention
head k heads of the same size, each MLP unit k units. A layer that produces channels copies its rows; a layer that
reads copied channels takes its columns divided by k, plus noise that sums to zero over the k copies: while the
copies are equal the noise cancels, so the wider decoder outputs what the source did (up to float rounding in
the reordered sums: 8.8e-8 at most on a debug codec, 2026-12-07), and it differs from
copy to copy, so the copies get different gradients and grow apart (without it they would stay equal for good, and
the extra width would be dead). The norms keep their statistics: RMSNorm and LayerNorm see each value k times, and
GroupNorm, with the same number of groups, k times the members of each source group.
"""
from __future__ import annotations

import re

import torch

from codec.config import CodecConfig
from codec.decoder import norm_groups

# The consumers' noise, relative to the spread of the weights it is added to (each copy's share W/k). It cancels at
# the start whatever its size; at 0.5 a 256 -> 512 decoder's copies differed by 14-32 % in their activations after
# 10 000 steps (docs/RESULTS.md, "Width as well").
NOISE_SCALE = 0.5

# parameter name -> (what its rows are, what its columns read); None: that axis is not widened
_RULES = [
    (r"fc_post\.weight", "stream", None),
    (r"backbone\.(embed|(prior|post)\.\d+\.conv[12])\.weight", "stream", "stream"),
    (r"backbone\.blocks\.\d+\.qkv\.weight", "qkv", "stream"),
    (r"backbone\.blocks\.\d+\.proj\.weight", "stream", "heads"),
    (r"backbone\.blocks\.\d+\.mlp\.0\.weight", "hidden", "stream"),
    (r"backbone\.blocks\.\d+\.mlp\.0\.bias", "hidden", None),
    (r"backbone\.blocks\.\d+\.mlp\.2\.weight", "stream", "hidden"),
    (r"head\.out\.weight", None, "stream"),
    # every other vector of the decoder: biases and norm scales of the residual stream
    (r"fc_post\.bias|backbone\.(embed|(prior|post)\.\d+\.conv[12])\.bias|backbone\.(prior|post)\.\d+\.norm[12]\."
     r"|backbone\.blocks\.\d+\.(attn_norm|mlp_norm)\.|backbone\.blocks\.\d+\.mlp\.2\.bias|backbone\.norm\.",
     "stream", None),
]


def width_factor(source: CodecConfig, target: CodecConfig) -> int:
    """k where target's decoder is k times as wide as source's (k >= 1); ValueError, with the reason, otherwise."""
    d, heads = source.decoder_dim, source.decoder_heads
    k, rest = divmod(target.decoder_dim, d)
    if k < 1 or rest:
        raise ValueError(f"a decoder {d} wide can be grown to a multiple of its width, not to {target.decoder_dim}")
    if target.decoder_heads != k * heads:
        raise ValueError(f"a decoder {d} wide with {heads} heads grows to {k * d} wide with {k * heads} heads (the "
                         f"head size kept), not {target.decoder_heads}")
    if k > 1 and norm_groups(d) != norm_groups(k * d):
        raise ValueError(f"decoder width {d}: its ResNet blocks' GroupNorm has {norm_groups(d)} groups and would have "
                         f"{norm_groups(k * d)} at {k * d}, which changes what it normalises")
    return k


def widen_decoder(weights: dict[str, torch.Tensor], source: CodecConfig, target: CodecConfig) -> dict[str, torch.Tensor]:
    """The weights (a source codec's state dict) with the decoder widened to target's width; the rest as given. The
    noise comes from torch's global generator (codec.train seeds it)."""
    k = width_factor(source, target)
    if k == 1:
        return dict(weights)
    d, head_size = source.decoder_dim, source.decoder_dim // source.decoder_heads
    new = torch.arange(k * d)
    heads = (new // head_size // k) * head_size + new % head_size  # new head j reads source head j // k
    maps = {"stream": new // k, "hidden": torch.arange(4 * k * d) // k, "heads": heads,
            "qkv": torch.cat([part * d + heads for part in range(3)])}
    widened = {}
    for name, w in weights.items():
        rule = next(((rows, cols) for pattern, rows, cols in _RULES if re.fullmatch(f"(?:{pattern}).*", name)), None)
        if rule is None:
            widened[name] = w
            continue
        rows, cols = rule
        if rows is not None:
            w = w.index_select(0, maps[rows])
        if cols is not None:
            w = _shared_columns(w, maps[cols], k)
        widened[name] = w.contiguous()
    return widened


def _shared_columns(w: torch.Tensor, index: torch.Tensor, k: int) -> torch.Tensor:
    """Columns (dim 1) index-selected and divided by k, plus noise summing to zero over the columns of one source."""
    share = w.index_select(1, index) / k
    noise = torch.randn(share.shape, dtype=share.dtype) * (NOISE_SCALE * share.std())
    per_source = torch.zeros(w.shape, dtype=noise.dtype).index_add_(1, index, noise) / k
    return share + noise - per_source.index_select(1, index)
