"""Optional semantic branch: frozen SSL features (transformers, from a local directory) -> adapter, and back.

XCodec2 uses w2v-BERT 2.0's hidden layer 16 (1024-d, 50 Hz). Any model that AutoFeatureExtractor + AutoModel load
works (Wav2Vec2, HuBERT, WavLM take raw waveform; w2v-BERT takes fbanks). Those step 320 samples per frame, the
codec's hop, but read a longer window (400 samples; two stacked 25 ms fbanks, 560, for w2v-BERT), so unpadded they
make one frame fewer than the codec: the waveform is padded by half the excess on each side, which centres SSL frame
j on codec frame j and gives exactly the codec's frame count (XCodec2 pads 160 samples each side for w2v-BERT).
Stretching the shorter sequence instead would shift the targets by up to a frame towards an utterance's end. Only a
model with another frame step is linearly interpolated to the codec's frame count.
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

    def __init__(self, directory: str, layer: int, expected_dim: int, sample_rate: int = 16000):
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
        self.sample_rate = int(getattr(self.extractor, "sampling_rate", sample_rate))
        if self.sample_rate != sample_rate:
            raise SemanticError(f"semantic model {path}: its feature extractor expects {self.sample_rate} Hz audio, "
                                f"the codec gives it {sample_rate} Hz")
        self.window, self.step = frame_geometry(self.model.config, self.extractor)

    @torch.no_grad()
    def __call__(self, wav: torch.Tensor, lengths: torch.Tensor, frames: int) -> torch.Tensor:
        """wav [B, T] spanning `frames` codec frames, lengths [B] samples -> features [B, ssl_dim, frames].

        Each item is run alone on its valid samples and brought to its own frame count, zero past it: a padded
        batch reaches the model without an attention mask (Wav2Vec2-base takes none), so an item's features, and its
        codes, would depend on its batch-mates.
        """
        device = wav.device
        if next(self.model.parameters()).device != device:
            self.model.to(device)
        features = []
        hop = wav.shape[-1] // frames
        for samples, n in zip(wav, lengths.tolist()):
            own = -(-n // hop)  # ceil: the codec's frame count for n samples
            hidden = self._hidden_states(samples[:n], own * hop, hop)
            if hidden.shape[-1] != own:  # only a model whose frame step is not the codec's hop
                hidden = F.interpolate(hidden, size=own, mode="linear", align_corners=False)
            features.append(F.pad(hidden, (0, frames - own)))
        return torch.cat(features)

    def _hidden_states(self, samples: torch.Tensor, span: int, hop: int) -> torch.Tensor:
        """One utterance's samples [n] covering `span` = its frames * hop -> the chosen layer's hidden states
        [1, ssl_dim, S] (float32).

        The samples are zero-padded to `span` (the codec's last frame, as the encoder sees it). With the codec's frame
        step, the window's excess over the step is split between both ends: S = span / hop frames, frame j centred
        on codec frame j (320 samples, less than one window, then make one frame too). With another step they are
        padded to at least one window, and the caller interpolates."""
        samples = F.pad(samples, (0, span - samples.shape[-1]))
        if self.step == hop:
            excess = self.window - self.step
            samples = F.pad(samples, (excess // 2, excess - excess // 2))
        samples = F.pad(samples, (0, max(0, self.window - samples.shape[-1])))
        inputs = self.extractor([samples.float().cpu().numpy()], sampling_rate=self.sample_rate, return_tensors="pt")
        inputs = {k: v.to(samples.device) for k, v in inputs.items() if isinstance(v, torch.Tensor)}
        with torch.autocast(samples.device.type, enabled=False):
            hidden = self.model(**inputs, output_hidden_states=True).hidden_states[self.layer].float()
        return hidden.transpose(1, 2)


def frame_geometry(config, extractor) -> tuple[int, int | None]:
    """(window, step) of one SSL frame in input samples: the samples it reads and the step to the next frame.

    Waveform models (Wav2Vec2/HuBERT/WavLM) from their conv stack (conv_kernel, conv_stride): (400, 320). Fbank
    models (w2v-BERT's SeamlessM4T extractor: Kaldi fbanks of 25 ms every 10 ms, `stride` of them stacked per
    frame): (560, 320) at 16 kHz. Anything else: (1, None), no alignment known (the frames are interpolated)."""
    kernels, strides = getattr(config, "conv_kernel", None), getattr(config, "conv_stride", None)
    if kernels and strides:
        field, jump = 1, 1
        for kernel, stride in zip(kernels, strides):
            field += (kernel - 1) * jump
            jump *= stride
        return field, jump
    stacked = getattr(extractor, "stride", None)
    if stacked and hasattr(extractor, "num_mel_bins"):
        rate = int(getattr(extractor, "sampling_rate", 16000))
        window, shift = rate * 25 // 1000, rate * 10 // 1000
        return window + (stacked - 1) * shift, stacked * shift
    return 1, None


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
