"""The LM's one token space, laid out as [text pieces][5 specials][speech codes 0..K-1].

Every id offset lives here and nowhere else. A training row is

    TEXT_START text... TEXT_END SPEECH_START code... SPEECH_END

and the loss covers the codes and SPEECH_END only: the text is given, never predicted.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

SPECIALS = ("text_start", "text_end", "speech_start", "speech_end", "pad")
IGNORE_INDEX = -100  # torch's cross_entropy default ignore_index


@dataclass(frozen=True)
class Vocabulary:
    text_size: int  # sentencepiece pieces: ids 0..text_size-1
    codebook_size: int  # speech codes 0..K-1 live at speech_offset + code

    def __post_init__(self):
        if self.text_size <= 0 or self.codebook_size <= 0:
            raise ValueError(f"Vocabulary needs positive sizes, got text_size={self.text_size}, "
                             f"codebook_size={self.codebook_size}")

    # -- layout ----------------------------------------------------------------------------------------------
    @property
    def text_start(self) -> int:
        return self.text_size

    @property
    def text_end(self) -> int:
        return self.text_size + 1

    @property
    def speech_start(self) -> int:
        return self.text_size + 2

    @property
    def speech_end(self) -> int:
        return self.text_size + 3

    @property
    def pad(self) -> int:
        return self.text_size + 4

    @property
    def speech_offset(self) -> int:
        return self.text_size + len(SPECIALS)

    @property
    def size(self) -> int:
        return self.speech_offset + self.codebook_size

    # -- conversions -----------------------------------------------------------------------------------------
    def speech_ids(self, codes: torch.Tensor) -> torch.Tensor:
        """Codec codes (0..K-1) -> LM ids."""
        codes = torch.as_tensor(codes, dtype=torch.long)
        if codes.numel() and (int(codes.min()) < 0 or int(codes.max()) >= self.codebook_size):
            raise ValueError(f"speech codes must lie in 0..{self.codebook_size - 1}, got {int(codes.min())}..{int(codes.max())}")
        return codes + self.speech_offset

    def codes(self, ids: torch.Tensor) -> torch.Tensor:
        """LM ids of speech tokens -> codec codes; raises if any id is not a speech id."""
        ids = torch.as_tensor(ids, dtype=torch.long)
        if not bool(self.is_speech(ids).all()):
            raise ValueError("codes(): ids contain non-speech tokens")
        return ids - self.speech_offset

    def is_speech(self, ids: torch.Tensor) -> torch.Tensor:
        return (ids >= self.speech_offset) & (ids < self.size)

    def prompt(self, text_ids: list[int], speech_prefix: torch.Tensor | None = None) -> list[int]:
        """The ids a generation starts from: TEXT_START text TEXT_END SPEECH_START [prefix codes]."""
        self._check_text(text_ids)
        ids = [self.text_start, *text_ids, self.text_end, self.speech_start]
        if speech_prefix is not None:
            ids += self.speech_ids(speech_prefix).tolist()
        return ids

    def training_row(self, text_ids: list[int], codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(input ids, labels) of one utterance; labels are IGNORE_INDEX except on the codes and SPEECH_END."""
        prompt = self.prompt(text_ids)
        ids = torch.cat([torch.tensor(prompt, dtype=torch.long), self.speech_ids(codes),
                         torch.tensor([self.speech_end], dtype=torch.long)])
        labels = ids.clone()
        labels[: len(prompt)] = IGNORE_INDEX
        return ids, labels

    def _check_text(self, text_ids: list[int]) -> None:
        if any(not 0 <= t < self.text_size for t in text_ids):
            raise ValueError(f"text ids must lie in 0..{self.text_size - 1}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update({name: getattr(self, name) for name in SPECIALS}, speech_offset=self.speech_offset, size=self.size)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Vocabulary":
        vocab = cls(text_size=int(d["text_size"]), codebook_size=int(d["codebook_size"]))
        # The derived ids are stored for readers of config.json; refuse a file written with another layout.
        for key, value in vocab.to_dict().items():
            if key in d and d[key] != value:
                raise ValueError(f"vocabulary layout mismatch: {key}={d[key]} in the file, {value} in this code")
        return vocab
