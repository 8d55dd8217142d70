"""Optional semantic branch: frozen SSL features (transformers, from a local directory) -> adapter, and back.

XCodec2 uses w2v-BERT 2.0's hidden layer 16 (1024-d, 50 Hz). Any model that AutoFeatureExtractor + AutoModel load
works (Wav2Vec2, HuBERT, WavLM take raw waveform; w2v-BERT takes fbanks): hidden_states[layer] is linearly
interpolated to the codec's frame rate when the rates differ (Wav2Vec2's conv stack yields 49 frames/s).
The SSL model is frozen and kept out of the codec's parameters and weights file: config.semantic_model names it.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


class SemanticError(ValueError):
    """The SSL model directory of the semantic branch cannot be used."""


class SSLFeatures:
    """Frozen hidden states of a transformers speech model: wav [B, T] at 16 kHz -> [B, ssl_dim, frames].

    A plain object rather than an nn.Module so that the SSL weights stay out of state_dict, the optimizer and the
    codec's fingerprint; it follows the input's device lazily.
    """

    def __init__(self, directory: str, layer: int, expected_dim: int):
        from transformers import AutoFeatureExtractor, AutoModel

        path = Path(directory)
        if not (path / "config.json").is_file():
            raise SemanticError(f"semantic model {path}: no config.json (expected a local transformers model directory)")
        try:
            self.extractor = AutoFeatureExtractor.from_pretrained(str(path))
            self.model = AutoModel.from_pretrained(str(path)).eval().requires_grad_(False)
        except (OSError, ValueError) as e:
            raise SemanticError(f"semantic model {path}: could not be loaded ({e})") from e
        hidden = int(self.model.config.hidden_size)
        layers = int(self.model.config.num_hidden_layers)
        if hidden != expected_dim:
            raise SemanticError(f"semantic model {path}: hidden size {hidden}, but the codec config says semantic_dim={expected_dim}")
        if not 0 <= layer <= layers:
            raise SemanticError(f"semantic model {path}: layer {layer} out of range 0..{layers}")
        self.layer = layer
        self.sample_rate = int(getattr(self.extractor, "sampling_rate", 16000))
        self.min_samples = receptive_field(self.model.config)

    @torch.no_grad()
    def __call__(self, wav: torch.Tensor, lengths: torch.Tensor, frames: int) -> torch.Tensor:
        """wav [B, T] spanning `frames` codec frames, lengths [B] samples -> features [B, ssl_dim, frames].

        Each item is run alone on its valid samples and stretched to its own frame count, zero past it: a padded
        batch reaches the model without an attention mask (Wav2Vec2-base takes none) and would be stretched by one
        batch-wide ratio, so an item's features, and its codes, would depend on its batch-mates.
        """
        device = wav.device
        if next(self.model.parameters()).device != device:
            self.model.to(device)
        features = []
        for samples, n in zip(wav, lengths.tolist()):
            own = -(-n * frames // wav.shape[-1])  # ceil: the codec's frame count for n samples
            hidden = self._hidden_states(samples[:n])
            if hidden.shape[-1] != own:
                hidden = F.interpolate(hidden, size=own, mode="linear", align_corners=False)
            features.append(F.pad(hidden, (0, frames - own)))
        return torch.cat(features)

    def _hidden_states(self, samples: torch.Tensor) -> torch.Tensor:
        """One utterance's samples [T] -> the chosen layer's hidden states [1, ssl_dim, S] (float32).

        Shorter than the model's receptive field (400 samples for Wav2Vec2's conv stack, where the codec's frame is
        320), the samples are zero-padded to it: the model would make no frame of them."""
        samples = F.pad(samples, (0, max(0, self.min_samples - samples.shape[-1])))
        inputs = self.extractor([samples.float().cpu().numpy()], sampling_rate=self.sample_rate, return_tensors="pt")
        inputs = {k: v.to(samples.device) for k, v in inputs.items() if isinstance(v, torch.Tensor)}
        with torch.autocast(samples.device.type, enabled=False):
            hidden = self.model(**inputs, output_hidden_states=True).hidden_states[self.layer].float()
        return hidden.transpose(1, 2)


def receptive_field(config) -> int:
    """Samples a waveform model's conv feature stack needs for one frame (Wav2Vec2/HuBERT/WavLM: conv_kernel,
    conv_stride), 1 for a model without one (w2v-BERT reads fbanks, padded by its extractor)."""
    kernels, strides = getattr(config, "conv_kernel", None), getattr(config, "conv_stride", None)
    if not kernels or not strides:
        return 1
    field, jump = 1, 1
    for kernel, stride in zip(kernels, strides):
        field += (kernel - 1) * jump
        jump *= stride
    return field


class ConvAdapter(nn.Module):
    """in_dim -> out_dim over [B, C, F]: conv, two residual conv layers, conv (XCodec2's semantic encoder/decoder)."""

    def __init__(self, in_dim: int, out_dim: int, hidden: int):
        super().__init__()
        self.input = nn.Conv1d(in_dim, hidden, 3, padding=1)
        self.residual = nn.Sequential(nn.ELU(), nn.Conv1d(hidden, hidden, 3, padding=1),
                                      nn.ELU(), nn.Conv1d(hidden, hidden, 3, padding=1))
        self.output = nn.Conv1d(hidden, out_dim, 3, padding=1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x [B, in_dim, F], mask [B, 1, F] -> [B, out_dim, F] (zero at padded frames)."""
        h = self.input(x * mask) * mask
        # masked between the two residual convs too: unmasked, the first conv's output at the padded frames would
        # reach the last valid frame through the second, and an item's codes would depend on its batch-mates
        elu1, conv1, elu2, conv2 = self.residual
        r = conv1(elu1(h)) * mask
        h = (h + conv2(elu2(r))) * mask
        return self.output(h) * mask
