"""Discriminators (HiFi-GAN's multi-period, Vocos' multi-resolution STFT) behind one interface:

    logits, features = D(wav [B, T])   # one logit map and one feature-map list per sub-discriminator
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm


def conv_stack(x: torch.Tensor, convs: nn.ModuleList, post: nn.Module) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """LeakyReLU(0.1) conv layers then the output conv: (logits [B, *], every layer's feature map for matching)."""
    features = []
    for conv in convs:
        x = F.leaky_relu(conv(x), 0.1)
        features.append(x)
    x = post(x)
    features.append(x)
    return x.flatten(1), features


class PeriodDiscriminator(nn.Module):
    """Folds the signal by `period` ([B, 1, T/p, p]) and applies strided (k, 1) convs along time."""

    def __init__(self, period: int, channels: tuple[int, ...]):
        super().__init__()
        self.period = period
        chans = (1, *channels)
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(chans[i], chans[i + 1], (5, 1), (3, 1) if i < len(channels) - 1 else 1, (2, 0)))
            for i in range(len(channels)))
        self.post = weight_norm(nn.Conv2d(channels[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, wav: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        t = wav.shape[-1]
        x = F.pad(wav, (0, (-t) % self.period), mode="reflect").unsqueeze(1)
        x = x.view(x.shape[0], 1, -1, self.period)
        return conv_stack(x, self.convs, self.post)


class STFTDiscriminator(nn.Module):
    """2-D convs over one resolution's magnitude spectrogram [B, 1, frames, bins]."""

    def __init__(self, n_fft: int, channels: int):
        super().__init__()
        self.n_fft = n_fft
        self.convs = nn.ModuleList([
            weight_norm(nn.Conv2d(1, channels, (3, 9), padding=(1, 4))),
            *[weight_norm(nn.Conv2d(channels, channels, (3, 9), stride=(1, 2), padding=(1, 4))) for _ in range(3)],
            weight_norm(nn.Conv2d(channels, channels, (3, 3), padding=(1, 1)))])
        self.post = weight_norm(nn.Conv2d(channels, 1, (3, 3), padding=(1, 1)))

    def forward(self, wav: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        window = torch.hann_window(self.n_fft, device=wav.device)
        # reflect padding needs more than n_fft / 2 samples: a shorter crop (--segment-seconds 0.06 at 16 kHz for
        # n_fft 2048) is zero-padded instead, as log_mel_spectrogram does, rather than fail at --adv-start-step
        pad_mode = "reflect" if wav.shape[-1] > self.n_fft // 2 else "constant"
        spec = torch.stft(wav.float(), self.n_fft, self.n_fft // 4, window=window, pad_mode=pad_mode,
                          return_complex=True)
        x = spec.abs().transpose(1, 2).unsqueeze(1)  # [B, 1, frames, bins]
        return conv_stack(x, self.convs, self.post)


class Discriminators(nn.Module):
    """Multi-period (periods 2, 3, 5, 7, 11) plus multi-resolution STFT (n_fft 2048, 1024, 512)."""

    def __init__(self, mpd_channels: tuple[int, ...], mrd_channels: int,
                 periods: tuple[int, ...] = (2, 3, 5, 7, 11), ffts: tuple[int, ...] = (2048, 1024, 512)):
        super().__init__()
        self.subs = nn.ModuleList([*(PeriodDiscriminator(p, mpd_channels) for p in periods),
                                   *(STFTDiscriminator(n, mrd_channels) for n in ffts)])

    def forward(self, wav: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        """wav [B, T] -> (logits per sub-discriminator [B, *], feature maps per sub-discriminator)."""
        outputs = [d(wav) for d in self.subs]
        return [o[0] for o in outputs], [o[1] for o in outputs]
