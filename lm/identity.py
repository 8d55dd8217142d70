"""Which codec produced a set of tokens: stored with every token store and every LM, checked wherever they meet.

An LM trained on one codec's tokens is noise to another codec's decoder, and nothing in the token values would
show it; the fingerprint (sha256 of the codec's config and weights) makes the mismatch an error instead.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


class CodecMismatchError(ValueError):
    """Tokens, an LM or a codec that come from different codecs."""


@dataclass(frozen=True)
class CodecIdentity:
    fingerprint: str
    codebook_size: int
    frame_rate: float  # codes per second of audio
    sample_rate: int

    @classmethod
    def of(cls, codec) -> "CodecIdentity":
        return cls(codec.fingerprint(), int(codec.codebook_size), float(codec.frame_rate), int(codec.sample_rate))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "CodecIdentity":
        return cls(str(d["fingerprint"]), int(d["codebook_size"]), float(d["frame_rate"]), int(d["sample_rate"]))

    def require_same(self, other: "CodecIdentity", mine: str, theirs: str) -> None:
        """Raise CodecMismatchError naming both sides (e.g. mine="the LM in out/final", theirs="codec ckpt/")."""
        if self != other:
            raise CodecMismatchError(
                f"codec mismatch: {mine} was made with codec {self.fingerprint[:16]} (codebook {self.codebook_size}, "
                f"{self.frame_rate:g} Hz) but {theirs} is codec {other.fingerprint[:16]} (codebook "
                f"{other.codebook_size}, {other.frame_rate:g} Hz); tokens of one codec are meaningless to another")
