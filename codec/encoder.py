"""Acoustic encoder of BigCodec / XCodec2: waveform [B, T] -> features [B, encoder_dim, T / hop].

An input conv, then one block per stride (residual units with dilations 1, 3, 9 and SnakeBeta activations, then
a strided conv that doubles the channels), then SnakeBeta and an output conv. Every layer's output is zeroed past
each item's valid length: a padded item in a batch then sees exactly the zeros a lone item sees at its end, so
batched encoding equals one-by-one encoding.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """[B, C, T] stored time-major ([B, T, C] in memory): the layout Conv1d below runs channels-last."""
    return x.transpose(1, 2).contiguous().transpose(1, 2)


def is_channels_last(x: torch.Tensor) -> bool:
    """Whether x [B, C, T] (C > 1) is stored time-major, as `channels_last` leaves it."""
    return x.dim() == 3 and x.shape[1] > 1 and x.stride(1) == 1 and x.stride(2) == x.shape[1]


class Conv1d(nn.Conv1d):
    """nn.Conv1d that runs a channels-last input (`channels_last`) as a 2-D convolution over [B, C, 1, T] in
    torch.channels_last, and returns it channels-last. On a CPU, oneDNN runs the encoder's thin layers (8-32
    channels at up to the sample rate) much faster that way than over [B, C, T] (docs/PERFORMANCE.md); any other
    input is convolved as nn.Conv1d does. The parameters are nn.Conv1d's: checkpoints are unchanged."""

    def _conv_forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        if self.padding_mode != "zeros" or isinstance(self.padding, str) or not is_channels_last(x):
            return super()._conv_forward(x, weight, bias)
        out = F.conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, self.stride[0]), (0, self.padding[0]),
                       (1, self.dilation[0]), self.groups)
        return out.squeeze(2)


def wn_conv1d(*args, **kwargs) -> Conv1d:
    return weight_norm(Conv1d(*args, **kwargs))


def length_mask(lengths: torch.Tensor, size: int) -> torch.Tensor:
    """Valid positions `[B, 1, size]` (float 1/0) for per-item `lengths` [B]."""
    return (torch.arange(size, device=lengths.device)[None, :] < lengths[:, None]).unsqueeze(1).float()


def padding_mask(lengths: torch.Tensor, size: int, padded: bool) -> torch.Tensor | None:
    """length_mask, or None when no item is padded: multiplying by ones would be a wasted pass over the audio."""
    return length_mask(lengths, size) if padded else None


def apply_mask(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return x if mask is None else x * mask


class SnakeBeta(nn.Module):
    """x + 1/beta * sin^2(alpha * x) per channel, alpha and beta kept as logs (BigVGAN); SnakeBeta(0) = 0."""

    def __init__(self, channels: int):
        super().__init__()
        self.log_alpha = nn.Parameter(torch.zeros(1, channels, 1))
        self.log_beta = nn.Parameter(torch.zeros(1, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        alpha, inv_beta = self.log_alpha.exp(), 1.0 / (self.log_beta.exp() + 1e-9)  # [1, C, 1]: cheap
        if torch.is_grad_enabled():
            return x + torch.sin(x * alpha).pow(2) * inv_beta
        # Without autograd the same arithmetic runs in place on one buffer: at the encoder's full sample rate
        # each pass over [B, C, T] costs as much as a small conv, and this saves two passes and three allocations.
        out = torch.mul(x, alpha).sin_()
        return out.mul_(out).mul_(inv_beta).add_(x)


class ResidualUnit(nn.Module):
    def __init__(self, channels: int, dilation: int):
        super().__init__()
        self.block = nn.Sequential(
            SnakeBeta(channels), wn_conv1d(channels, channels, 7, dilation=dilation, padding=3 * dilation),
            SnakeBeta(channels), wn_conv1d(channels, channels, 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return apply_mask(x + self.block(x), mask)


class EncoderBlock(nn.Module):
    """Residual units at `channels // 2`, then a strided conv to `channels`: [B, C/2, L] -> [B, C, L / stride]."""

    def __init__(self, channels: int, stride: int):
        super().__init__()
        self.stride = stride
        self.units = nn.ModuleList(ResidualUnit(channels // 2, d) for d in (1, 3, 9))
        self.act = SnakeBeta(channels // 2)
        # kernel 2*stride with padding ceil(stride/2) maps a length divisible by stride to exactly length/stride
        self.down = wn_conv1d(channels // 2, channels, 2 * stride, stride=stride, padding=math.ceil(stride / 2))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, padded: bool) -> tuple[torch.Tensor, torch.Tensor]:
        mask = padding_mask(lengths, x.shape[-1], padded)
        for unit in self.units:
            x = unit(x, mask)
        lengths = lengths // self.stride
        x = self.down(self.act(x))
        return apply_mask(x, padding_mask(lengths, x.shape[-1], padded)), lengths


class AcousticEncoder(nn.Module):
    def __init__(self, channels: int, strides: tuple[int, ...], out_dim: int):
        super().__init__()
        self.hop_length = math.prod(strides)
        self.input = wn_conv1d(1, channels, 7, padding=3)
        self.blocks = nn.ModuleList()
        for stride in strides:
            channels *= 2
            self.blocks.append(EncoderBlock(channels, stride))
        self.act = SnakeBeta(channels)
        self.output = wn_conv1d(channels, out_dim, 3, padding=1)

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """wav [B, T] (T a multiple of hop), lengths [B] in samples (multiples of hop) -> [B, out_dim, T / hop]."""
        # Lengths are multiples of hop: an unpadded batch stays unpadded at every stride (one host sync, here).
        padded = bool((lengths < wav.shape[-1]).any())
        x = apply_mask(self.input(wav.unsqueeze(1)), padding_mask(lengths, wav.shape[-1], padded))
        # Channels-last where it was measured faster: a CPU without autograd (encoding x0.69-0.71 of the time on
        # AVX2; other CPUs not measured), which includes a frozen encoder's forward in training. A training step
        # through it gained nothing (x1.04), and on CUDA it is not measured: there the layout stays [B, C, T].
        if x.device.type == "cpu" and not torch.is_grad_enabled():
            x = channels_last(x)  # and so it stays: convolutions, SnakeBeta, masks and sums keep the layout
        for block in self.blocks:
            x, lengths = block(x, lengths, padded)
        x = self.output(self.act(x))
        return apply_mask(x, padding_mask(lengths, x.shape[-1], padded)).contiguous()
