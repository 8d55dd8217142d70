"""Which codec produced a set of tokens: stored with every token store and every LM, checked wherever they meet.

An LM trained on one codec's tokens is noise to another codec's decoder, and nothing in the token values would
show it; the fingerprint (sha256 of the codec's config and weights) makes the mismatch an error instead.
Two codecs whose tokenizer halves are the same (encoder and quantizer: `Codec.tokenizer_fingerprint`) give the same
codes, so they match too: a decoder fine-tuned with `codec.train --freeze-tokenizer` serves the tokens and LMs
of the codec it started from. Identities saved before the tokenizer fingerprint existed match on the full one only.
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
    tokenizer_fingerprint: str | None = None  # None in identities saved before it existed

    @classmethod
    def of(cls, codec) -> "CodecIdentity":
        return cls(codec.fingerprint(), int(codec.codebook_size), float(codec.frame_rate), int(codec.sample_rate),
                   codec.tokenizer_fingerprint())

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "CodecIdentity":
        tokenizer = d.get("tokenizer_fingerprint")
        return cls(str(d["fingerprint"]), int(d["codebook_size"]), float(d["frame_rate"]), int(d["sample_rate"]),
                   None if tokenizer is None else str(tokenizer))

    def same_codes(self, other: "CodecIdentity") -> bool:
        """Whether tokens of one codec mean the same to the other: the same codec, or the same tokenizer half."""
        if (self.codebook_size, self.frame_rate, self.sample_rate) != (other.codebook_size, other.frame_rate,
                                                                       other.sample_rate):
            return False
        return self.fingerprint == other.fingerprint or (
            self.tokenizer_fingerprint is not None and self.tokenizer_fingerprint == other.tokenizer_fingerprint)

    def require_same(self, other: "CodecIdentity", mine: str, theirs: str) -> None:
        """Raise CodecMismatchError naming both sides (e.g. mine="the LM in out/final", theirs="codec ckpt/")."""
        if not self.same_codes(other):
            # the tokenizer fingerprint decides, and is the one codec.train prints: show it where both have one
            def name(identity: "CodecIdentity") -> str:
                return (f"tokenizer {identity.tokenizer_fingerprint[:16]}" if identity.tokenizer_fingerprint
                        and other.tokenizer_fingerprint and self.tokenizer_fingerprint
                        else f"codec {identity.fingerprint[:16]}")

            raise CodecMismatchError(
                f"codec mismatch: {mine} was made with {name(self)} (codebook {self.codebook_size}, "
                f"{self.frame_rate:g} Hz) but {theirs} is {name(other)} (codebook "
                f"{other.codebook_size}, {other.frame_rate:g} Hz); tokens of one codec are meaningless to another "
                f"unless its encoder and quantizer are the same (a decoder fine-tuned with --freeze-tokenizer; "
                f"Codec.tokenizer_fingerprint() tells)")
