"""`Codec`: XCodec2-style speech codec (16 kHz, 50 frames/s, one codebook) and its public contract.

    codes, frame_lengths = codec.encode(wav [B, T], lengths [B] | None, sample_rate | None)   # codes [B, F]
    wav = codec.decode(codes [B, F], frame_lengths [B] | None)                                # [B, F * hop]
    codec.diagnose(wav, lengths) -> {"quantization_error", "hidden_mse", "hidden_energy", "frame_lengths"}
    codec.save_pretrained(dir); Codec.from_pretrained(dir); codec.fingerprint()

Data flow: acoustic encoder (+ optional semantic adapter) -> fc_prior -> quantizer.project = z_e (code space)
-> round = z_q -> quantizer.embed -> fc_post -> backbone -> ISTFT head. Training (codec/objective.py) also runs
the backbone on z_e for self-guidance; the inference path here never does.
"""
from __future__ import annotations

import functools
import hashlib
import json
import operator
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from codec.audio import resample
from codec.checkpoint import atomic_directory, require_replaceable
from codec.config import SG_TAPS, CodecConfig, ConfigError
from codec.decoder import Backbone, ISTFTHead
from codec.encoder import AcousticEncoder, length_mask
from codec.grow import widen_decoder
from codec.quantizer import build_quantizer
from codec.semantic import ConvAdapter, SSLFeatures

CONFIG_FILE, WEIGHTS_FILE = "config.json", "model.safetensors"


class CodecLoadError(RuntimeError):
    """A saved codec directory that cannot be loaded; the message names the file and the reason."""


@dataclass
class Latents:
    """Everything the encoder side produces for a padded batch of F frames."""

    z_e: torch.Tensor  # [B, F, d] continuous code-space latent, just before rounding
    z_q: torch.Tensor  # [B, F, d] rounded (straight-through gradient)
    codes: torch.Tensor  # [B, F] long
    mask: torch.Tensor  # [B, 1, F] float, 1 at valid frames
    frame_lengths: torch.Tensor  # [B] long
    aux_losses: dict  # quantizer losses (VQ commitment)
    semantic_target: torch.Tensor | None = None  # [B, ssl_dim, F] frozen SSL features when the branch is on


def _in_eval_mode(method):
    """Run an inference method with every submodule in eval mode, then give each back the mode it had: a training
    loop that encodes a batch on the side keeps training (a VQ codebook's EMA would stop without a word)."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        modes = [(module, module.training) for module in self.modules()]
        try:
            return method(self, *args, **kwargs)
        finally:
            for module, training in modes:
                module.training = training
    return run


class Codec(nn.Module):
    def __init__(self, config: CodecConfig):
        super().__init__()
        self.config = config
        self.tokenizer_frozen = False  # freeze_tokenizer(): decoder-side training with fixed codes
        c = config
        self.encoder = AcousticEncoder(c.encoder_channels, c.strides, c.encoder_dim)
        self.ssl = None
        prior_in = c.encoder_dim
        if c.semantic_model is not None:
            self.ssl = SSLFeatures(c.semantic_model, c.semantic_layer, c.semantic_dim, c.sample_rate)
            self.semantic_adapter = ConvAdapter(c.semantic_dim, c.encoder_dim, c.encoder_dim)
            self.semantic_decoder = ConvAdapter(c.latent_dim, c.semantic_dim, c.encoder_dim)
            prior_in += c.encoder_dim
        self.fc_prior = nn.Linear(prior_in, c.latent_dim)
        self.quantizer = build_quantizer(c)
        self.fc_post = nn.Linear(c.latent_dim, c.decoder_dim)
        self.backbone = Backbone(c.decoder_dim, c.decoder_depth, c.decoder_heads, c.decoder_resnet_blocks)
        self.head = ISTFTHead(c.decoder_dim, c.n_fft, c.hop_length)

    # -- sizes ---------------------------------------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    @property
    def frame_rate(self) -> float:
        return self.config.frame_rate

    @property
    def codebook_size(self) -> int:
        return self.config.codebook_size

    def num_frames(self, num_samples: torch.Tensor) -> torch.Tensor:
        """Frames for `num_samples` (tensor or int): ceil(samples / hop); a partial last hop gets its own frame."""
        return (num_samples + self.hop_length - 1) // self.hop_length

    # -- building blocks shared by inference, diagnosis and training ---------------------------------------
    def encode_latents(self, wav: torch.Tensor, lengths: torch.Tensor) -> Latents:
        """wav [B, T] at the codec's rate, lengths [B] samples -> Latents (T padded up to a multiple of hop)."""
        frame_lengths = self.num_frames(lengths)
        frames = int(frame_lengths.max())
        wav = torch.nn.functional.pad(wav, (0, frames * self.hop_length - wav.shape[-1]))
        # whatever lies past a length is padding: replaced, not multiplied by 0 (NaN * 0 is NaN, which would reach
        # the item's valid frames through the convolutions)
        wav = torch.where(length_mask(lengths, wav.shape[-1])[:, 0].bool(), wav, 0.0)
        mask = length_mask(frame_lengths, frames)
        x = self.encoder(wav, frame_lengths * self.hop_length)  # [B, encoder_dim, F]
        semantic_target = None
        if self.ssl is not None:
            semantic_target = self.ssl(wav, lengths, frames) * mask
            x = torch.cat([x, self.semantic_adapter(semantic_target, mask)], dim=1)
        z_e = self.quantizer.project(self.fc_prior(x.transpose(1, 2)))
        z_q, codes, aux = self.quantizer.round(z_e, mask[:, 0].bool())
        return Latents(z_e, z_q, codes, mask, frame_lengths, aux, semantic_target)

    def decoder_input(self, z: torch.Tensor) -> torch.Tensor:
        """Code-space latent [B, F, d] -> backbone input [B, decoder_dim, F] (project_out, then fc_post)."""
        return self.fc_post(self.quantizer.embed(z)).transpose(1, 2)

    def latent_features(self, z: torch.Tensor) -> torch.Tensor:
        """[B, F, d] -> the fused latent [B, latent_dim, F] that the semantic decoder reads."""
        return self.quantizer.embed(z).transpose(1, 2)

    def synthesize(self, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Code-space latent [B, F, d] -> waveform [B, F * hop], zero past each item's frames."""
        h, _ = self.backbone(self.decoder_input(z), mask)
        return self.head(h, mask)

    # -- public inference API ------------------------------------------------------------------------------
    def _prepare_audio(self, wav, lengths, sample_rate) -> tuple[torch.Tensor, torch.Tensor]:
        wav = torch.as_tensor(wav)
        if wav.dim() == 1:
            wav = wav[None]
        if wav.dim() != 2 or not wav.is_floating_point():
            raise ValueError(f"encode expects float audio [B, T], got {tuple(wav.shape)} {wav.dtype}")
        if wav.shape[0] == 0:
            raise ValueError(f"wav is an empty batch {tuple(wav.shape)}: give at least one item")
        if sample_rate is not None:
            try:  # soxr would take 22050.5 Hz as given, and a string fails deep inside it
                sample_rate = operator.index(sample_rate)
            except TypeError:
                raise ValueError(f"sample_rate {sample_rate!r}: must be a whole number of Hz") from None
            if sample_rate < 1:
                raise ValueError(f"sample_rate {sample_rate}: must be at least 1 Hz")
        if lengths is None:
            lengths = torch.full((wav.shape[0],), wav.shape[-1], dtype=torch.long)
        if torch.as_tensor(lengths).is_floating_point():  # a cast to long would cut 1599.7 to 1599 without a word
            raise ValueError(f"lengths of {torch.as_tensor(lengths).dtype}: must be whole sample counts (integers)")
        lengths = torch.as_tensor(lengths, dtype=torch.long).cpu().reshape(-1)  # an int for a single item too
        if lengths.shape != (wav.shape[0],) or bool((lengths > wav.shape[-1]).any()) or bool((lengths < 0).any()):
            raise ValueError(f"lengths {lengths.tolist()} do not fit audio of shape {tuple(wav.shape)}")
        if sample_rate is not None and sample_rate != self.sample_rate:
            items = [resample(w[: int(n)].float().cpu().numpy(), sample_rate, self.sample_rate) for w, n in zip(wav, lengths)]
            lengths = torch.tensor([len(x) for x in items], dtype=torch.long)
            wav = torch.zeros(len(items), int(lengths.max()))
            for i, x in enumerate(items):
                wav[i, : len(x)] = torch.from_numpy(x)
        if bool((lengths < self.hop_length).any()):
            short = (lengths < self.hop_length).nonzero()[:, 0].tolist()
            # soundfile's stereo layout [T, channels] reads as T items of a few samples: say so, without listing them
            hint = (f"; audio {tuple(wav.shape)} has more items than samples: [T, channels] audio must be made mono "
                    f"first (codec.audio.to_mono)" if wav.shape[0] > wav.shape[-1] > 0 else "")
            raise ValueError(f"audio shorter than one codec frame ({self.hop_length} samples at {self.sample_rate} Hz): "
                             f"{len(short)} of {len(lengths)} items, lengths {lengths[short[:5]].tolist()} at items "
                             f"{short[:5]}{hint}")
        wav = wav.float()  # before the check: float64 samples beyond float32's range become Inf here
        valid = length_mask(lengths.to(wav.device), wav.shape[-1])[:, 0].bool()
        if not bool((torch.isfinite(wav) | ~valid).all()):
            # non-finite samples make non-finite latents, which FSQ turns into codes of -2^31, returned as if valid
            bad = (~torch.isfinite(wav) & valid).any(-1).nonzero()[:, 0].tolist()
            raise ValueError(f"audio contains NaN or Inf samples (items {bad[:5]})")
        device = next(self.parameters()).device
        return wav.float().to(device), lengths.to(device)

    @torch.inference_mode()
    @_in_eval_mode
    def encode(self, wav: torch.Tensor, lengths: torch.Tensor | None = None, sample_rate: int | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """wav [B, T] float (lengths [B] samples, or all T) -> (codes [B, F] long, frame_lengths [B] long).

        F = ceil(max length / hop); codes past an item's frame length are 0 and must be ignored. Each row is one mono
        clip: a stereo [2, T] tensor would be read as two clips (average the channels first). ValueError for clips
        shorter than one hop or NaN/Inf samples within a length.
        """
        wav, lengths = self._prepare_audio(wav, lengths, sample_rate)
        lat = self.encode_latents(wav, lengths)
        frames = lat.mask[:, 0].bool()
        if not bool((torch.isfinite(lat.z_e).all(-1) | ~frames).all()):
            # finite audio far beyond [-1, 1] (1e24, say) overflows inside the encoder: FSQ would return codes of
            # -2^31 as if they were valid
            bad = (~torch.isfinite(lat.z_e).all(-1) & frames).any(-1).nonzero()[:, 0].tolist()
            peak = float(wav.abs().max())
            raise ValueError(f"audio of items {bad[:5]} overflows the encoder (peak amplitude {peak:.3g}; audio is "
                             f"expected in [-1, 1])")
        return lat.codes * lat.mask[:, 0].long(), lat.frame_lengths

    @torch.inference_mode()
    @_in_eval_mode
    def decode(self, codes: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """codes [B, F] in [0, codebook_size) (frame lengths [B] or all F) -> wav [B, F * hop], zero past lengths."""
        codes = torch.as_tensor(codes)
        if codes.dim() == 1:
            codes = codes[None]
        if (codes.dim() != 2 or codes.is_floating_point() or codes.is_complex() or codes.dtype == torch.bool
                or codes.shape[-1] == 0):
            raise ValueError(f"decode expects integer codes [B, F] with F >= 1, got {tuple(codes.shape)} {codes.dtype}")
        if codes.shape[0] == 0:
            raise ValueError(f"codes is an empty batch {tuple(codes.shape)}: give at least one item")
        lengths = torch.full((codes.shape[0],), codes.shape[-1]) if lengths is None else torch.as_tensor(lengths)
        if lengths.is_floating_point() or lengths.dtype == torch.bool:  # a cast would cut 2.9 frames to 2 silently
            raise ValueError(f"frame lengths of {lengths.dtype}: must be whole frame counts (integers)")
        lengths = lengths.long().cpu().reshape(-1)  # an int for a single item too
        if lengths.shape != (codes.shape[0],) or bool((lengths > codes.shape[-1]).any()) or bool((lengths < 1).any()):
            raise ValueError(f"frame lengths {lengths.tolist()} do not fit codes of shape {tuple(codes.shape)}")
        mask = length_mask(lengths, codes.shape[-1])
        valid = codes.cpu()[mask[:, 0].bool()].long()  # compared as int64: in uint8/int16 codebook_size would wrap
        if bool(((valid < 0) | (valid >= self.codebook_size)).any()):
            raise ValueError(f"codes outside [0, {self.codebook_size}): min {int(valid.min())}, max {int(valid.max())}")
        device = next(self.parameters()).device
        codes = codes.to(device) * mask[:, 0].long().to(device)  # ignored codes past a length become 0
        return self.synthesize(self.quantizer.lookup(codes), mask.to(device)).float()

    @torch.inference_mode()
    @_in_eval_mode
    def reconstruct(self, wav: torch.Tensor, lengths: torch.Tensor | None = None, quantize: bool = True
                    ) -> tuple[torch.Tensor, torch.Tensor]:
        """wav [B, T] at the codec's rate -> (resynthesis [B, F * hop], frame_lengths [B]).

        quantize=True is decode(encode(wav)). quantize=False decodes the continuous latent z_e instead of z_q: what
        the self-guidance teacher sees, and an upper bound on what this encoder/decoder pair could give with no
        rounding loss. Comparing the two tells whether the codebook or the rest of the codec limits fidelity.
        """
        wav, lengths = self._prepare_audio(wav, lengths, None)
        lat = self.encode_latents(wav, lengths)
        return self.synthesize(lat.z_q if quantize else lat.z_e, lat.mask).float(), lat.frame_lengths

    @torch.inference_mode()
    @_in_eval_mode
    def diagnose(self, wav: torch.Tensor, lengths: torch.Tensor | None = None, tap: str = "last_block") -> dict[str, torch.Tensor]:
        """The paper's two diagnostics per frame, for wav [B, T] at the codec's rate.

        quantization_error [B, F] = ||z_e - z_q||^2 in code space (FSQ: on its integer grid); hidden_mse [B, F] = ||h_e - h_q||^2 at
        `tap` (summed over channels, and over blocks for "all_blocks"): by default the paper's, the last transformer
        block, whichever tap the codec's self-guidance trained (config.sg_tap), so that codecs trained with other
        taps are measured alike; hidden_energy [B, F] = ||h_e||^2 at the same tap, the scale hidden_mse is measured
        in (the "last_block" tap is the raw residual stream, whose scale is free under the final norm: hidden_mse /
        hidden_energy is the scale-free part); frame_lengths [B]. Runs the backbone twice (on z_e and on z_q); padded
        frames are 0.
        """
        if tap not in SG_TAPS:
            raise ValueError(f"diagnose: tap {tap!r}: expected one of {SG_TAPS}")
        wav, lengths = self._prepare_audio(wav, lengths, None)
        lat = self.encode_latents(wav, lengths)
        frame_mask = lat.mask[:, 0]
        _, h_e = self.backbone(self.decoder_input(lat.z_e), lat.mask, tap)
        _, h_q = self.backbone(self.decoder_input(lat.z_q), lat.mask, tap)
        hidden = sum(((a - b) ** 2).sum(-1) for a, b in zip(h_e, h_q))
        energy = sum((a ** 2).sum(-1) for a in h_e)
        return {"quantization_error": self.quantizer.quantization_error(lat.z_e, lat.z_q) * frame_mask,
                "hidden_mse": hidden * frame_mask, "hidden_energy": energy * frame_mask,
                "frame_lengths": lat.frame_lengths}

    # -- persistence ---------------------------------------------------------------------------------------
    def save_pretrained(self, directory: str | os.PathLike, decoder_dtype: torch.dtype | None = None) -> Path:
        """Write config.json (with its format version) and model.safetensors atomically into `directory`.

        decoder_dtype (e.g. torch.float16): store the decoder side's weights in that precision (half the bytes);
        the tokenizer's stay float32, so the codes and `tokenizer_fingerprint()` do not change. from_pretrained
        loads them into float32 parameters either way."""
        if decoder_dtype is not None and not (isinstance(decoder_dtype, torch.dtype) and decoder_dtype.is_floating_point):
            # an integer dtype would truncate the weights (to zeros, mostly), saved and loaded without a word
            raise ValueError(f"decoder_dtype {decoder_dtype}: expected a floating-point torch dtype, e.g. torch.float16")
        weights = self._weights()
        if decoder_dtype is not None:
            weights = {k: v if self.is_tokenizer_weight(k) or not v.is_floating_point() else v.to(decoder_dtype)
                       for k, v in weights.items()}
        # the folder is replaced whole: one that holds something else (a data folder, a mistyped path) is refused
        require_replaceable(directory, CONFIG_FILE, "codec")
        with atomic_directory(directory) as tmp:
            (tmp / CONFIG_FILE).write_text(self.config.to_json())
            save_file(weights, str(tmp / WEIGHTS_FILE), metadata={"format": "pt"})
        return Path(directory)

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike, map_location: str | torch.device = "cpu") -> "Codec":
        directory = Path(directory)
        if not directory.is_dir():
            raise CodecLoadError(f"{directory}: codec directory not found")
        config_path, weights_path = directory / CONFIG_FILE, directory / WEIGHTS_FILE
        if not config_path.is_file() and (directory / "trainer_state.json").is_file():
            raise CodecLoadError(f"{directory}: a training checkpoint, not a codec folder: export it first "
                                 f"(python -m codec.export {directory} OUT)")
        if not config_path.is_file():
            raise CodecLoadError(f"{config_path}: missing (a codec directory holds {CONFIG_FILE} and {WEIGHTS_FILE})")
        if not weights_path.is_file():
            raise CodecLoadError(f"{weights_path}: missing (a codec directory holds {CONFIG_FILE} and {WEIGHTS_FILE})")
        try:
            config = CodecConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")), source=str(config_path))
        except UnicodeDecodeError as e:
            raise CodecLoadError(f"{config_path}: not UTF-8 text ({e})") from None
        except (json.JSONDecodeError, TypeError, ConfigError) as e:  # a ConfigError names the file already
            raise CodecLoadError(str(e) if str(e).startswith(str(config_path)) else f"{config_path}: {e}") from e
        device = torch.device(map_location)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"map_location {str(map_location)!r}: CUDA is not available on this machine (use 'cpu')")
        codec = cls(config)
        try:
            weights = load_file(str(weights_path), device=str(map_location))
        except Exception as e:  # safetensors raises its own error types for truncated or foreign files
            raise CodecLoadError(f"{weights_path}: not a readable safetensors file ({e})") from e
        expected = codec._weights()
        missing, unexpected = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
        wrong = sorted(k for k in set(expected) & set(weights) if expected[k].shape != weights[k].shape)
        if missing or unexpected or wrong:
            raise CodecLoadError(f"{weights_path}: weights do not match {config_path} (missing {missing[:5]}, "
                                 f"unexpected {unexpected[:5]}, wrong shape {wrong[:5]})")
        # a float weight stored as integers would load truncated (to zeros, mostly) without a word
        kinds = sorted(k for k in weights if expected[k].is_floating_point() != weights[k].is_floating_point())
        if kinds:
            raise CodecLoadError(f"{weights_path}: weights of the wrong kind (integer for float, or the reverse): "
                                 + ", ".join(f"{k} {weights[k].dtype}" for k in kinds[:5]))
        codec.load_state_dict(weights, strict=False)  # _weights() holds every persistent tensor, checked above
        return codec.to(map_location).eval()

    def _weights(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}

    def fingerprint(self) -> str:
        """sha256 (hex) of the config JSON and every weight tensor (name, dtype, shape, bytes), in name order."""
        return _digest(self.config.to_json(), self._weights())

    # -- the tokenizer half: what decides the codes ----------------------------------------------------------
    def is_tokenizer_weight(self, name: str) -> bool:
        """Whether weight `name` takes part in turning audio into codes (encoder, SSL branch and its adapter,
        fc_prior, the quantizer's projection in and codebook); the rest only turns codes into audio."""
        return name.startswith(TOKENIZER_MODULES) and ".project_out." not in name

    def tokenizer_fingerprint(self) -> str:
        """sha256 (hex) of the config fields and weights that decide the codes. Equal for a codec and its decoder
        fine-tuned with a frozen tokenizer (`codec.train --init-from DIR --freeze-tokenizer`): the tokens and LMs
        made with one fit the other."""
        config = {k: v for k, v in self.config.to_dict().items() if k in TOKENIZER_CONFIG_FIELDS}
        weights = {k: v for k, v in self._weights().items() if self.is_tokenizer_weight(k)}
        return _digest(json.dumps(config, sort_keys=True), weights)

    def load_grown(self, source: "Codec", fresh_quantizer: bool = False) -> "Codec":
        """Copy every weight of `source`, a codec of this architecture or of this one with fewer decoder transformer
        blocks or a narrower decoder (a whole fraction of this one's width, this one's heads the same size). The
        extra blocks follow the source's and start as identities (their attention and MLP output projections are
        zero; being residual, each then passes its input through); a wider decoder copies each channel, head and
        MLP unit (codec.grow). Either way this codec decodes as `source` until it trains - a larger decoder that
        starts from a trained one, not from scratch. With `fresh_quantizer` the quantizer's own weights stay as
        initialised here, so this codec may have another codebook size than `source`."""
        ours, theirs = self.config.decoder_depth, source.config.decoder_depth
        if ours < theirs:
            raise ValueError(f"cannot load a codec with {theirs} decoder blocks into one with {ours}")
        mine = self.state_dict()
        weights = widen_decoder(source.state_dict(), source.config, self.config)
        if fresh_quantizer:
            mine = {k: w for k, w in mine.items() if not k.startswith("quantizer.")}
            weights = {k: w for k, w in weights.items() if not k.startswith("quantizer.")}
        new_blocks = tuple(f"backbone.blocks.{i}." for i in range(theirs, ours))
        wrong = [k for k in mine if k not in weights and not k.startswith(new_blocks)]
        wrong += [k for k, w in weights.items() if k not in mine or mine[k].shape != w.shape]
        if wrong:
            raise ValueError(f"source codec's weights do not fit this architecture: {', '.join(wrong[:5])}")
        self.load_state_dict(weights, strict=False)
        with torch.no_grad():
            for block in list(self.backbone.blocks)[theirs:]:
                for layer in (block.proj, block.mlp[-1]):
                    layer.weight.zero_()
                    if layer.bias is not None:
                        layer.bias.zero_()
        return self

    def freeze_tokenizer(self) -> "Codec":
        """Fix the codes for the rest of training: the tokenizer weights stop taking gradients and their modules
        stay in eval mode (a VQ codebook's EMA would otherwise still move), so only the decoder side trains."""
        for name, param in self.named_parameters():
            if self.is_tokenizer_weight(name):
                param.requires_grad_(False)
        self.tokenizer_frozen = True
        return self.train(self.training)

    def train(self, mode: bool = True) -> "Codec":
        super().train(mode)
        if self.tokenizer_frozen:
            for name in TOKENIZER_MODULES:
                module = getattr(self, name, None)
                if isinstance(module, nn.Module):  # not `ssl`: a plain object, its model always in eval mode
                    module.eval()
        return self


# The modules (attribute names) and config fields that decide a codec's codes (see Codec.tokenizer_fingerprint).
TOKENIZER_MODULES = ("encoder", "ssl", "semantic_adapter", "fc_prior", "quantizer")
TOKENIZER_CONFIG_FIELDS = ("format_version", "sample_rate", "encoder_channels", "strides", "encoder_dim",
                           "semantic_model", "semantic_layer", "semantic_dim", "latent_dim", "quantizer",
                           "codebook_size", "fsq_levels", "vq_code_dim")


def _digest(config_json: str, weights: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256(config_json.encode())
    for name, tensor in sorted(weights.items()):
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}".encode())
        digest.update(tensor.float().numpy().tobytes() if tensor.dtype == torch.bfloat16 else tensor.numpy().tobytes())
    return digest.hexdigest()


def parameter_counts(codec: Codec) -> dict[str, int]:
    """Trainable parameters per part (encoder, semantic, quantizer, decoder...) and the inference-path total."""
    parts = {"encoder": [codec.encoder], "semantic_adapter": [getattr(codec, "semantic_adapter", None)],
             "fc_prior": [codec.fc_prior], "quantizer": [codec.quantizer], "fc_post": [codec.fc_post],
             "backbone": [codec.backbone], "head": [codec.head],
             "semantic_decoder (training only)": [getattr(codec, "semantic_decoder", None)]}
    counts = {name: sum(p.numel() for m in mods if m is not None for p in m.parameters()) for name, mods in parts.items()}
    counts = {k: v for k, v in counts.items() if v}
    counts["total (inference path)"] = sum(v for k, v in counts.items() if "training only" not in k)
    return counts


def format_counts(counts: dict[str, int]) -> str:
    return "\n".join(f"  {name:<34} {n / 1e6:9.3f} M" for name, n in counts.items())
