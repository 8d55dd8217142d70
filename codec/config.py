"""`CodecConfig`: every size of the codec in one frozen dataclass, saved as `config.json` beside the weights.

Presets:
  xcodec2  XCodec2's generator sizes (BigCodec encoder, 1024-d 12-block Vocos/transformer decoder, FSQ 4^8); not
           XCodec2 itself (discriminators, losses, anti-aliasing, semantic branch: docs/XCODEC2.md).
  small    trains meaningfully on one GPU in under an hour.
  tiny     a few M parameters; CPU runs of hours, the mel loss falls visibly within minutes.
  debug    for tests: a training step takes well under a second on CPU.
"""
from __future__ import annotations

import dataclasses
import json
import math
import numbers
from dataclasses import dataclass

CONFIG_FORMAT_VERSION = 1
SG_TAPS = ("last_block", "backbone", "all_blocks")
SG_LOSSES = ("mse", "centered", "relative")
ADDED_FIELDS = ("sg_loss",)  # see CodecConfig.to_dict
QUANTIZERS = ("fsq", "vq")


class ConfigError(ValueError):
    """A codec configuration that cannot be built or read."""


def _plain(value):
    """NumPy (or any numbers-registered) scalars as Python int/float, sequences of them as tuples; the rest as is."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy scalars and arrays
        value = value.tolist()
    if isinstance(value, list):
        return tuple(_plain(v) for v in value) if all(isinstance(v, numbers.Number) for v in value) else value
    return value


def _is_kind(value, kind: str) -> bool:
    """Whether `value` is of a CodecConfig field's annotated kind (one part of its annotation string)."""
    if kind == "None":
        return value is None
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":  # an int is a float's value (JSON writes 5.0 as 5 in some tools)
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "tuple[int, ...]":  # a list from JSON
        return isinstance(value, (tuple, list)) and all(_is_kind(v, "int") for v in value)
    raise TypeError(f"CodecConfig: no check for the annotation {kind!r}")  # a new field's kind: add it above


def fsq_levels_for(codebook_size: int) -> tuple[int, ...]:
    """FSQ levels whose product is `codebook_size` (a power of two): 4s as XCodec2, one 8 for odd exponents.

    65536 -> (4,)*8 as in XCodec2, 16384 -> (4,)*7, 8192 -> (8, 4, 4, 4, 4, 4), 4096 -> (4,)*6.
    Level 2 is avoided: vector-quantize-pytorch's FSQ only supports it in its symmetry-preserving mode.
    """
    exponent = int(round(math.log2(codebook_size))) if codebook_size > 0 else -1
    if codebook_size < 16 or 2 ** exponent != codebook_size:
        raise ConfigError(f"codebook_size {codebook_size}: automatic FSQ levels need a power of two >= 16; "
                          f"pass the levels explicitly (--fsq-levels), or use --quantizer vq")
    if exponent % 2 == 0:
        return (4,) * (exponent // 2)
    return (8,) + (4,) * ((exponent - 3) // 2)


@dataclass(frozen=True)
class CodecConfig:
    # signal
    sample_rate: int = 16000
    # acoustic encoder (BigCodec / XCodec2): channels double per block, one strided conv per block
    encoder_channels: int = 48
    strides: tuple[int, ...] = (2, 2, 4, 4, 5)
    encoder_dim: int = 1024
    # optional semantic branch: a local transformers SSL model directory, its hidden layer and width
    semantic_model: str | None = None
    semantic_layer: int = 16
    semantic_dim: int = 1024
    # fused latent (fc_prior output) that the quantizer projects into its code space
    latent_dim: int = 2048
    # quantizer
    quantizer: str = "fsq"
    codebook_size: int = 65536
    fsq_levels: tuple[int, ...] | None = None  # None: derived from codebook_size
    vq_code_dim: int = 8
    # decoder backbone (Vocos-like with transformer blocks) and ISTFT head
    decoder_dim: int = 1024
    decoder_depth: int = 12
    decoder_heads: int = 16
    decoder_resnet_blocks: int = 2  # before and after the transformer blocks, each
    # self-guidance (training only; the tap also defines diagnose()'s hidden_mse)
    sg: bool = True
    sg_weight: float | None = None  # None: 5 at codebook 65536, 10 below (the paper's settings)
    sg_tap: str = "last_block"
    # "mse": the paper's lambda * MSE(h_q, sg(h_e)); "centered": the same with each utterance's time mean removed
    # from both, so that weights shifting student and teacher alike get no SG gradient (under mse they drift
    # without end: the runaway of long SG schedules, docs/RESULTS.md); "relative": mse over the teacher's
    # time-varying energy (tried against the runaway, did not stop it). codec.objective.self_guidance_loss
    sg_loss: str = "mse"
    # False (ablation): the SG loss trains the decoder only; its student pass runs on z_q.detach(), so no SG gradient
    # reaches the encoder through the straight-through estimator (costs a second backbone pass)
    sg_encoder_grad: bool = True
    # phase loss (training only; 0 = off, as in XCodec2): weight of codec.objective.phase_loss, which compares the
    # instantaneous frequency and group delay of the output with the input's and so gives the ISTFT head a direct
    # phase signal that the mel loss lacks (the GAN's role at scale)
    phase_weight: float = 0.0
    # cepstral loss (training only; 0 = off, as in XCodec2): weight of codec.objective.cepstral_loss, the L1 distance
    # of mean-normalised mel cepstra (a speech recogniser's MFCC front end): the spectral envelope that carries the
    # words, which the multi-scale mel loss weighs no more than the fine structure and the noise floor
    cepstral_weight: float = 0.0
    # discriminators (training only)
    mpd_channels: tuple[int, ...] = (32, 128, 512, 1024, 1024)
    mrd_channels: int = 32

    def __post_init__(self):
        for field in dataclasses.fields(self):  # a config.json edited by hand or by a tool that writes 64.0 for 64
            value = _plain(getattr(self, field.name))  # NumPy scalars and arrays as Python's own (JSON holds those)
            if not any(_is_kind(value, kind) for kind in field.type.split(" | ")):
                raise ConfigError(f"{field.name} {value!r}: expected {field.type}, not {type(value).__name__}")
            object.__setattr__(self, field.name, value)
        # tuples survive JSON as lists; normalise so that from_pretrained restores an equal config
        object.__setattr__(self, "strides", tuple(self.strides))
        object.__setattr__(self, "mpd_channels", tuple(self.mpd_channels))
        if self.fsq_levels is not None:
            object.__setattr__(self, "fsq_levels", tuple(self.fsq_levels))
        if self.quantizer not in QUANTIZERS:
            raise ConfigError(f"quantizer {self.quantizer!r}: expected one of {QUANTIZERS}")
        if self.sg_tap not in SG_TAPS:
            raise ConfigError(f"sg_tap {self.sg_tap!r}: expected one of {SG_TAPS}")
        if self.sg_loss not in SG_LOSSES:
            raise ConfigError(f"sg_loss {self.sg_loss!r}: expected one of {SG_LOSSES}")
        for name in ("sample_rate", "encoder_channels", "encoder_dim", "semantic_dim", "latent_dim", "codebook_size",
                     "vq_code_dim", "decoder_dim", "decoder_depth", "decoder_heads", "mrd_channels"):
            # decoder_depth too: the SG tap and diagnose()'s hidden MSE are a transformer block's output
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} {getattr(self, name)}: must be at least 1")
        for name in ("strides", "mpd_channels"):
            if not getattr(self, name) or min(getattr(self, name)) < 1:
                raise ConfigError(f"{name} {getattr(self, name)}: must be one or more sizes, each at least 1")
        if min(self.strides) < 2:
            # an encoder block's strided conv (kernel 2 * stride, padding ceil(stride / 2)) maps L samples to L / stride
            # only for strides of 2 or more: at stride 1 it makes L + 1, and the frames no longer match the mask
            raise ConfigError(f"strides {self.strides}: each stride must be at least 2 (an encoder block downsamples)")
        if self.decoder_resnet_blocks < 0:
            raise ConfigError(f"decoder_resnet_blocks {self.decoder_resnet_blocks}: must be 0 or more")
        for name in ("phase_weight", "cepstral_weight"):  # NaN passed a "< 0" test and turned the loss off
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ConfigError(f"{name} {getattr(self, name)}: a loss weight must be a finite number >= 0 (0 turns "
                                  f"the loss off)")
        if self.sg_weight is not None and not (math.isfinite(self.sg_weight) and self.sg_weight >= 0):
            # NaN made every step non-finite (skipped), and config.json invalid JSON
            raise ConfigError(f"sg_weight {self.sg_weight}: a loss weight must be a finite number >= 0 (a negative "
                              f"one pushes h_q away from h_e; sg=False turns self-guidance off)")
        if self.decoder_dim % self.decoder_heads:
            raise ConfigError(f"decoder_dim {self.decoder_dim} is not divisible by decoder_heads {self.decoder_heads}")
        if (self.decoder_dim // self.decoder_heads) % 2:
            # rotary embeddings rotate channel pairs: an odd head size would broadcast a channel that is not there
            raise ConfigError(f"decoder_dim {self.decoder_dim} / decoder_heads {self.decoder_heads} = "
                              f"{self.decoder_dim // self.decoder_heads}: the head size must be even (rotary embedding)")
        if self.fsq_levels is not None and self.quantizer != "fsq":
            raise ConfigError(f"fsq_levels {self.fsq_levels} describe an FSQ grid; quantizer {self.quantizer!r} has none")
        if self.fsq_levels is not None and min(self.fsq_levels) < 3:
            # 1 is no dimension at all; 2 only works in vector-quantize-pytorch's symmetry-preserving mode (unused)
            raise ConfigError(f"fsq_levels {self.fsq_levels}: every level must be at least 3")
        if self.quantizer == "fsq" and math.prod(self.levels) != self.codebook_size:
            raise ConfigError(f"fsq_levels {self.levels} give {math.prod(self.levels)} codes, not codebook_size {self.codebook_size}")
        if self.quantizer == "fsq" and self.codebook_size > 2 ** 24:
            # vector-quantize-pytorch computes FSQ indices in float32, exact only up to 2^24
            raise ConfigError(f"codebook_size {self.codebook_size}: FSQ codebooks up to 2^24 = {2 ** 24} codes")
        if self.quantizer == "fsq" and self.latent_dim == len(self.levels):
            # vector-quantize-pytorch's FSQ then drops its projections, which the codec's code lookup (embed) reads
            raise ConfigError(f"latent_dim {self.latent_dim} equals the number of FSQ levels {self.levels}: the "
                              f"quantizer needs a projection; choose another latent_dim")

    # -- derived sizes -------------------------------------------------------------------------------------
    @property
    def hop_length(self) -> int:
        return math.prod(self.strides)

    @property
    def n_fft(self) -> int:
        return 4 * self.hop_length

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop_length

    @property
    def levels(self) -> tuple[int, ...]:
        return self.fsq_levels if self.fsq_levels is not None else fsq_levels_for(self.codebook_size)

    @property
    def sg_lambda(self) -> float:
        if self.sg_weight is not None:
            return float(self.sg_weight)
        return 5.0 if self.codebook_size >= 65536 else 10.0

    # -- construction and (de)serialisation ----------------------------------------------------------------
    @classmethod
    def preset(cls, name: str, **overrides) -> "CodecConfig":
        """A named preset with any field overridden, e.g. preset("debug", codebook_size=64, sg=False)."""
        if name not in PRESETS:
            raise ConfigError(f"unknown preset {name!r}; choose from {sorted(PRESETS)}")
        if "codebook_size" in overrides and "fsq_levels" not in overrides:
            overrides["fsq_levels"] = None  # let the levels follow the new size
        return dataclasses.replace(PRESETS[name], **overrides)

    def to_dict(self) -> dict:
        data = {"format_version": CONFIG_FORMAT_VERSION, **dataclasses.asdict(self)}
        # Fields added after codecs were first saved are written only when set: a codec's config JSON, and so its
        # fingerprint (which token stores and LMs carry), stays what it was before the field existed. The same holds
        # for any field a loaded config.json lacked (`from_dict`): it was saved before that field existed.
        for name in set(ADDED_FIELDS) | getattr(self, "_absent_when_loaded", frozenset()):
            if data[name] == CodecConfig.__dataclass_fields__[name].default:
                del data[name]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict, source: str = "config") -> "CodecConfig":
        if not isinstance(data, dict):  # a config.json holding a list, a string or null
            raise ConfigError(f"{source}: a codec config is a JSON object, not {type(data).__name__}")
        version = data.get("format_version")
        if version != CONFIG_FORMAT_VERSION:
            raise ConfigError(f"{source}: codec config format version {version!r}, this code reads {CONFIG_FORMAT_VERSION}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known - {"format_version"})
        if unknown:
            raise ConfigError(f"{source}: unknown codec config fields {unknown}")
        config = cls(**{k: v for k, v in data.items() if k in known})
        object.__setattr__(config, "_absent_when_loaded", frozenset(known - set(data)))  # not a field: see to_dict
        return config


PRESETS: dict[str, CodecConfig] = {
    "xcodec2": CodecConfig(),
    "small": CodecConfig(encoder_channels=32, encoder_dim=512, latent_dim=512, codebook_size=16384,
                         decoder_dim=512, decoder_depth=6, decoder_heads=8, mpd_channels=(32, 64, 256, 512, 512)),
    "tiny": CodecConfig(encoder_channels=8, encoder_dim=256, latent_dim=256, codebook_size=4096, decoder_dim=256,
                        decoder_depth=2, decoder_heads=4, decoder_resnet_blocks=1, mpd_channels=(16, 32, 64, 128, 128),
                        mrd_channels=16),
    "debug": CodecConfig(encoder_channels=4, encoder_dim=64, latent_dim=64, codebook_size=256, vq_code_dim=4,
                         decoder_dim=64, decoder_depth=1, decoder_heads=2, decoder_resnet_blocks=1,
                         mpd_channels=(4, 8, 16), mrd_channels=4, semantic_dim=32),
}
