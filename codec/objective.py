"""Training objective: the generator's forward pass with self-guidance, the losses, and their single weights dict.

Every loss is logged under its key in `loss_weights(config)` (plus "disc" for the discriminator, which has its
own optimizer and weight 1), so the weight of a logged curve is found under the same name.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from codec.audio import log_mel_spectrogram, mel_cepstra
from codec.config import CodecConfig
from codec.model import Codec

# XCodec2's 7 mel scales: window 32 -> 2048 samples, 5 -> 320 mel bins, hop = window / 4
MEL_SCALES = tuple((32 * 2 ** i, 5 * 2 ** i) for i in range(7))


def loss_weights(config: CodecConfig) -> dict[str, float]:
    """The weight of every generator loss, keyed exactly like the logged loss names."""
    weights = {"mel": 15.0, "adv": 1.0, "fm": 1.0}
    if config.semantic_model is not None:
        weights["semantic"] = 5.0
    if config.sg:
        weights["sg"] = config.sg_lambda
    if config.phase_weight > 0:
        weights["phase"] = config.phase_weight
    if config.cepstral_weight > 0:
        weights["cepstral"] = config.cepstral_weight
    if config.quantizer == "vq":
        weights["vq_commit"] = 0.25
    return weights


def multiscale_mel_loss(fake: torch.Tensor, real: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Sum over the 7 scales of the L1 distance between natural-log mel spectrograms of [B, T] signals."""
    loss = fake.new_zeros((), dtype=torch.float32)
    for window, mels in MEL_SCALES:
        spec = lambda w: log_mel_spectrogram(w, sample_rate, n_fft=window, hop_length=window // 4, n_mels=mels)
        loss = loss + F.l1_loss(spec(fake), spec(real))
    return loss


PHASE_STFT = (512, 128)  # window and hop of the phase loss's STFT: 32 ms / 8 ms, harmonics of speech resolved


def phase_loss(fake: torch.Tensor, real: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """Phase-derivative distance between [B, T] signals, in [0, 2]: 0 when they agree.

    For the STFTs X (fake) and Y (real), the instantaneous frequency is the phase step of a bin from frame to frame
    (angle of X[k, t] * conj(X[k, t-1])) and the group delay the step from bin to bin. The loss is the mean of
    1 - cos(difference of those angles) for both, weighted by the real signal's energy at the two points, so the
    meaningless phase of near-silent bins does not count: APNet's instantaneous-frequency and group-delay losses
    (Ai & Ling, 2023) with a smooth, wrap-free distance. Unlike the absolute phase, both derivatives can be carried
    by a low-rate code (they follow pitch and formant timing, not the waveform's offset in time).
    """
    n_fft, hop = PHASE_STFT
    window = torch.hann_window(n_fft, device=fake.device)
    spec = lambda w: torch.stft(w.float(), n_fft, hop, window=window, return_complex=True)  # noqa: E731
    x, y = spec(fake), spec(real)  # [B, K, N]
    loss = fake.new_zeros((), dtype=torch.float32)
    for dim in (2, 1):  # along time (instantaneous frequency), along frequency (group delay)
        n = x.shape[dim] - 1
        step_x = x.narrow(dim, 1, n) * x.narrow(dim, 0, n).conj()
        step_y = y.narrow(dim, 1, n) * y.narrow(dim, 0, n).conj()
        agreement = step_x * step_y.conj()  # angle = the fake's phase step minus the real one's
        cosine = agreement.real / (agreement.abs() + eps)
        weight = step_y.abs()
        loss = loss + ((1 - cosine) * weight).sum() / weight.sum().clamp(min=eps)
    return loss / 2


def cepstral_loss(fake: torch.Tensor, real: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """L1 distance of the mean-normalised mel cepstra of [B, T] signals: the smoothed spectral envelope (formants,
    tilt over time) on which a speech recogniser decides, blind to a fixed gain or channel colouring. The
    multi-scale mel loss sees the envelope too, but every mel bin of every scale counts alike there, so the fine
    structure between harmonics and the noise floor weigh as much as the formants."""
    return F.l1_loss(mel_cepstra(fake, sample_rate), mel_cepstra(real, sample_rate))


def masked_mse(a: torch.Tensor, b: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error of [B, F, C] features over valid frames (frame_mask [B, F]) and channels."""
    err = ((a.float() - b.float()) ** 2).mean(-1)
    return (err * frame_mask).sum() / frame_mask.sum().clamp(min=1)


def time_mean(x: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
    """Per-item mean over valid frames of [B, F, C] features -> [B, 1, C]."""
    weights = frame_mask[..., None].float()
    return (x.float() * weights).sum(1, keepdim=True) / weights.sum(1, keepdim=True).clamp(min=1)


def self_guidance_loss(student: torch.Tensor, teacher: torch.Tensor, frame_mask: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """The SG loss of [B, F, C] tap features h_q (student) and h_e (teacher, no gradient); `kind` (CodecConfig.sg_loss):

    mse       MSE(h_q, h_e), the paper's.
    centered  MSE(h_q - mean_t h_q, h_e - mean_t h_e): each utterance's time mean removed from both. A weight that
              shifts student and teacher alike (a bias feeding the residual stream) gets no SG gradient. Under
              mse it does: the gradient sees the student move and not the stop-gradient teacher, so a steady mean
              difference pushes such weights the same way at every step, without end under Adam.
    relative  MSE(h_q, h_e) divided by the teacher's time-varying energy mean((h_e - mean_t h_e)^2): blind to a
              common offset and to scale, but its gradient still drifts common biases like mse's.
    """
    teacher = teacher.detach()
    if kind == "centered":
        return masked_mse(student - time_mean(student, frame_mask), teacher - time_mean(teacher, frame_mask), frame_mask)
    loss = masked_mse(student, teacher, frame_mask)
    if kind == "relative":
        loss = loss / masked_mse(teacher, time_mean(teacher, frame_mask).expand_as(teacher), frame_mask).clamp(min=1e-8)
    return loss


def discriminator_loss(real_logits: list[torch.Tensor], fake_logits: list[torch.Tensor]) -> torch.Tensor:
    """LSGAN: real -> 1, fake -> 0, summed over sub-discriminators."""
    return sum(((1 - r.float()) ** 2).mean() + (f.float() ** 2).mean() for r, f in zip(real_logits, fake_logits))


def generator_adv_loss(fake_logits: list[torch.Tensor]) -> torch.Tensor:
    return sum(((1 - f.float()) ** 2).mean() for f in fake_logits)


def feature_matching_loss(real_feats: list[list[torch.Tensor]], fake_feats: list[list[torch.Tensor]]) -> torch.Tensor:
    """L1 between the discriminators' feature maps of real (targets, detached) and generated audio."""
    pairs = [(r, f) for rs, fs in zip(real_feats, fake_feats) for r, f in zip(rs, fs)]
    return sum(F.l1_loss(f.float(), r.detach().float()) for r, f in pairs) / len(pairs) * len(real_feats)


def discriminator_objective(disc: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The discriminators' LSGAN loss on real and generated [B, T] audio (fake detached), real and fake in one call
    (one DDP forward)."""
    logits, _ = disc(torch.cat([real, fake.detach()]))
    return discriminator_loss(*zip(*(l.chunk(2) for l in logits)))


def generator_gan_losses(disc: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
    """{"adv", "fm"}: the generator's adversarial and feature-matching losses against the discriminators."""
    logits, feats = disc(torch.cat([real, fake]))
    return {"adv": generator_adv_loss([l.chunk(2)[1] for l in logits]),
            "fm": feature_matching_loss([[f.chunk(2)[0] for f in fs] for fs in feats],
                                        [[f.chunk(2)[1] for f in fs] for fs in feats])}


@torch.no_grad()
def teacher_features(codec: Codec, z_e: torch.Tensor, mask: torch.Tensor, tap: str) -> list[torch.Tensor]:
    """Self-guidance targets: the backbone's tapped features [B, F, C] for the continuous z_e [B, F, d].

    Under no_grad: the teacher path is a fixed target, never trained (no reconstruction loss, no gradient).
    """
    return codec.backbone(codec.decoder_input(z_e), mask, tap)[1]


@dataclass
class GeneratorOutput:
    fake: torch.Tensor  # [B, T] generated audio (zero past each item's last frame, frame_lengths * hop samples)
    losses: dict[str, torch.Tensor]  # reconstruction-side losses: mel, phase, cepstral, sg, semantic, vq_commit
    quantization_error: torch.Tensor  # scalar: mean over valid frames of ||z_e - z_q||^2 (detached)
    codes: torch.Tensor  # [B, F]
    frame_mask: torch.Tensor  # [B, F]


class GeneratorForward(nn.Module):
    """The codec's training forward pass, as one module so that DDP sees one forward per step.

    Self-guidance: the decoder also runs, without gradient, on the continuous latent z_e (teacher); the loss pulls
    the student's hidden features h_q (from z_q) at the tap onto h_e. The teacher path gets no reconstruction loss
    and no gradient, so the encoder is trained only through z_q. The SG gradient reaches the encoder through the
    straight-through estimator unless config.sg_encoder_grad is False (an ablation: decoder-only SG).
    """

    def __init__(self, codec: Codec):
        super().__init__()
        self.codec = codec

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> GeneratorOutput:
        """wav [B, T] (T a multiple of hop), lengths [B] samples."""
        codec, config = self.codec, self.codec.config
        # A frozen tokenizer takes no gradient: skipping its autograd graph saves the encoder's backward and
        # memory (the encoder at the full sample rate is most of a CPU step's cost).
        with torch.no_grad() if codec.tokenizer_frozen else contextlib.nullcontext():
            lat = codec.encode_latents(wav, lengths)
        frame_mask = lat.mask[:, 0]
        tap = config.sg_tap if config.sg else None
        shared_student = config.sg and config.sg_encoder_grad
        hidden, taps_q = codec.backbone(codec.decoder_input(lat.z_q), lat.mask, tap if shared_student else None)
        fake = codec.head(hidden, lat.mask)[:, : wav.shape[-1]]
        # the decoder makes the frames of the longest item; a batch whose every item is shorter than its crop (zero-
        # padded by CropDataset) is padded alike, so the losses compare silence with silence there
        fake = F.pad(fake, (0, wav.shape[-1] - fake.shape[-1]))
        # The reconstruction losses in float32 under any autocast: in bf16 the log-mels of output and input carry
        # rounding errors as large as the differences being trained on near convergence (measured: the mel loss's
        # gradient at cosine 0.99 to the float32 one).
        with torch.autocast(wav.device.type, enabled=False):
            real, output = wav.float(), fake.float()
            losses = {"mel": multiscale_mel_loss(output, real, config.sample_rate)}
            if config.phase_weight > 0:
                losses["phase"] = phase_loss(output, real)
            if config.cepstral_weight > 0:
                losses["cepstral"] = cepstral_loss(output, real, config.sample_rate)
        if config.sg:
            if not shared_student:  # the ablation: a student pass whose SG gradient stops at z_q
                taps_q = codec.backbone(codec.decoder_input(lat.z_q.detach()), lat.mask, tap)[1]
            taps_e = teacher_features(codec, lat.z_e, lat.mask, tap)
            losses["sg"] = sum(self_guidance_loss(q, e, frame_mask, config.sg_loss)
                               for q, e in zip(taps_q, taps_e)) / len(taps_q)
        if lat.semantic_target is not None:
            predicted = codec.semantic_decoder(codec.latent_features(lat.z_q), lat.mask)
            losses["semantic"] = masked_mse(predicted.transpose(1, 2), lat.semantic_target.transpose(1, 2), frame_mask)
        losses.update(lat.aux_losses)
        qe = (codec.quantizer.quantization_error(lat.z_e.detach(), lat.z_q.detach()) * frame_mask).sum() / frame_mask.sum()
        return GeneratorOutput(fake, losses, qe, lat.codes, frame_mask)
