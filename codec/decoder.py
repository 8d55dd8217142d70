"""XCodec2's decoder: a Vocos-like backbone with transformer blocks, and an ISTFT head.

backbone: conv -> ResNet blocks -> transformer blocks (RoPE, RMSNorm, SiLU MLP, non-causal attention) -> ResNet
blocks -> LayerNorm, all on [B, C, F] with a frame mask. Normalisation statistics and attention skip padded
frames, so a batch of padded items decodes exactly like the items one by one.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def masked_group_norm(x: torch.Tensor, mask: torch.Tensor, norm: nn.GroupNorm) -> torch.Tensor:
    """GroupNorm of x [B, C, F] whose statistics use only frames where mask [B, 1, F] is 1."""
    b, c, f = x.shape
    g = norm.num_groups
    xg = x.reshape(b, g, c // g, f)
    m = mask.unsqueeze(1)  # [B, 1, 1, F]
    count = m.sum(dim=(2, 3), keepdim=True) * (c // g)
    mean = (xg * m).sum(dim=(2, 3), keepdim=True) / count
    var = (((xg - mean) * m) ** 2).sum(dim=(2, 3), keepdim=True) / count
    xg = (xg - mean) / torch.sqrt(var + norm.eps)
    return xg.reshape(b, c, f) * norm.weight[None, :, None] + norm.bias[None, :, None]


def norm_groups(dim: int) -> int:
    """GroupNorm groups of a ResNet block `dim` wide: the largest of 32, 16, ..., 1 that divides it."""
    return next(g for g in (32, 16, 8, 4, 2, 1) if dim % g == 0)


class ResnetBlock(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        groups = norm_groups(dim)
        self.norm1, self.norm2 = nn.GroupNorm(groups, dim, eps=1e-6), nn.GroupNorm(groups, dim, eps=1e-6)
        self.conv1, self.conv2 = nn.Conv1d(dim, dim, 3, padding=1), nn.Conv1d(dim, dim, 3, padding=1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(masked_group_norm(x, mask, self.norm1)) * mask)
        h = self.conv2(F.silu(masked_group_norm(h, mask, self.norm2)) * mask)
        return (x + h) * mask


def rotary(x: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding of x [B, H, F, D] (D even), positions 0..F-1."""
    d = x.shape[-1]
    inv_freq = 1.0 / (10000 ** (torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d))
    angles = torch.arange(x.shape[-2], device=x.device, dtype=torch.float32)[:, None] * inv_freq[None, :]
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class TransformerBlock(nn.Module):
    """Pre-norm block: RMSNorm -> RoPE self-attention; RMSNorm -> SiLU MLP (4x). Works on [B, F, C]."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.attn_norm, self.mlp_norm = nn.RMSNorm(dim, eps=1e-6), nn.RMSNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim, bias=False)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.SiLU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        """x [B, F, C]; key_mask [B, 1, 1, F] bool (True = a valid frame that may be attended to)."""
        b, f, c = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(b, f, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        h = F.scaled_dot_product_attention(rotary(q), rotary(k), v, attn_mask=key_mask)
        x = x + self.proj(h.transpose(1, 2).reshape(b, f, c))
        return x + self.mlp(self.mlp_norm(x))


class Backbone(nn.Module):
    def __init__(self, dim: int, depth: int, heads: int, resnet_blocks: int):
        super().__init__()
        self.embed = nn.Conv1d(dim, dim, 7, padding=3)
        self.prior = nn.ModuleList(ResnetBlock(dim) for _ in range(resnet_blocks))
        self.blocks = nn.ModuleList(TransformerBlock(dim, heads) for _ in range(depth))
        self.post = nn.ModuleList(ResnetBlock(dim) for _ in range(resnet_blocks))
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, tap: str | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """x [B, dim, F], mask [B, 1, F] -> (features [B, F, dim], tapped hidden features, each [B, F, dim]).

        tap: None (inference: nothing kept), "last_block" (the paper's self-guidance tap: the last transformer
        block's output), "all_blocks" (every transformer block) or "backbone" (the final, normalised output).
        """
        x = self.embed(x * mask) * mask
        for block in self.prior:
            x = block(x, mask)
        h = x.transpose(1, 2)
        key_mask = mask.bool().unsqueeze(1)  # [B, 1, 1, F]
        taps = []
        for i, block in enumerate(self.blocks):
            h = block(h, key_mask)
            if tap == "all_blocks" or (tap == "last_block" and i == len(self.blocks) - 1):
                taps.append(h)
        x = h.transpose(1, 2) * mask
        for block in self.post:
            x = block(x, mask)
        out = self.norm(x.transpose(1, 2))
        if tap == "backbone":
            taps.append(out)
        return out, taps


class ISTFTHead(nn.Module):
    """Backbone features [B, F, dim] -> waveform [B, F * hop]: a Linear predicts log-magnitude and phase.

    The inverse STFT uses "same" padding (as Vocos): frame t is centred on samples [t*hop, (t+1)*hop), the frame
    the encoder produced from them, and F frames give exactly F*hop samples. torch.istft's centred mode would
    leave the last hop unsynthesised and its uncentred mode rejects the zero-valued window edges (NOLA check),
    so the overlap-add is written out with F.fold.
    """

    def __init__(self, dim: int, n_fft: int, hop_length: int):
        super().__init__()
        self.n_fft, self.hop_length = n_fft, hop_length
        self.out = nn.Linear(dim, n_fft + 2)
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x [B, F, dim], mask [B, 1, F] -> [B, F * hop], zero past each item's frames.

        Padded frames are left out of the overlap-add and of its window envelope, so that the last valid samples
        of a padded item equal those of the item decoded alone.
        """
        log_mag, phase = self.out(x).float().transpose(1, 2).chunk(2, dim=1)  # each [B, n_fft/2+1, F]
        # Clipped so that an early, untrained step cannot overflow (Vocos and XCodec2 clip alike). The clip is also a
        # ceiling on loudness: a sinusoid of amplitude A has a Hann-windowed peak bin of A * n_fft / 4, so 100 is
        # A = 0.31 at n_fft 1280; flite speech at its own level exceeds it in ~2 % of frames, at peak 0.9 in ~21 %.
        mag = torch.exp(log_mag).clamp(max=1e2)
        spec = torch.polar(mag, phase)
        mask = mask.float()
        frames = torch.fft.irfft(spec, n=self.n_fft, dim=1) * self.window[None, :, None] * mask  # [B, n_fft, F]
        n = frames.shape[-1]
        size = (n - 1) * self.hop_length + self.n_fft
        fold = dict(output_size=(1, size), kernel_size=(1, self.n_fft), stride=(1, self.hop_length))
        audio = F.fold(frames, **fold)[:, 0, 0]
        envelope = F.fold(self.window.pow(2)[None, :, None] * mask, **fold)[:, 0, 0]
        pad = (self.n_fft - self.hop_length) // 2
        audio, envelope = audio[:, pad:pad + n * self.hop_length], envelope[:, pad:pad + n * self.hop_length]
        valid = mask.repeat_interleave(self.hop_length, dim=-1)[:, 0]
        return audio / envelope.clamp(min=1e-11) * valid
