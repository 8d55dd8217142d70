"""Training rows: several utterances packed into one row, each attending only to itself.

Padding every utterance to the longest one in a batch wastes most of the compute on short utterances. Instead
utterances are packed first-fit-decreasing into rows of at most `row_length` tokens, and `position_ids` restart at
0 at every utterance. transformers (>= 4.5x, masking_utils.find_packed_sequence_indices) turns such restarts into
a block-diagonal causal mask for sdpa/eager when no attention mask is passed, and into varlen calls for flash
attention; tests/test_lm_packing.py checks that a packed row's logits equal each utterance's logits alone.

Because attention never crosses utterances, which utterances share a row does not change the loss, so the
packing is computed once and the rows themselves are what the sampler shuffles every epoch.
"""
from __future__ import annotations

import logging

import torch
from torch.utils.data import Dataset

from lm.text import TextTokenizer
from lm.tokens import TokenStore
from lm.vocab import IGNORE_INDEX, Vocabulary

log = logging.getLogger(__name__)


def pack_first_fit(lengths: list[int], row_length: int) -> list[list[int]]:
    """Group item indices into rows whose lengths sum to <= row_length (first fit, longest first)."""
    rows: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: (-lengths[i], i)):
        if lengths[i] > row_length:
            raise ValueError(f"item {i} has {lengths[i]} tokens, more than the row length {row_length}")
        for r, free in enumerate(room):
            if lengths[i] <= free:
                rows[r].append(i)
                room[r] -= lengths[i]
                break
        else:
            rows.append([i])
            room.append(row_length - lengths[i])
    return rows


class PackedRows(Dataset):
    """Rows of a token store: item -> {"input_ids", "labels", "position_ids"} (1-D, unpadded).

    Index i means row i % len(self), so ResumableSampler's epoch-numbered indices can be used directly.
    With `pack=False` every row is one utterance (the padded baseline; also used for evaluation).
    """

    def __init__(self, store: TokenStore, vocab: Vocabulary, tokenizer: TextTokenizer, row_length: int,
                 pack: bool = True):
        self.store, self.vocab, self.row_length = store, vocab, row_length
        self.text_ids = tokenizer.encode_many([e.text for e in store.entries], disk_cache=True)
        lengths = [len(t) + e.length + 4 for t, e in zip(self.text_ids, store.entries)]  # + 4 specials
        usable = [i for i, n in enumerate(lengths) if n <= row_length]
        self.too_long = len(lengths) - len(usable)
        if self.too_long:
            log.warning("%s: %d of %d utterances are longer than the row length %d tokens and are left out",
                        store.directory, self.too_long, len(lengths), row_length)
        if not usable:
            raise ValueError(f"{store.directory}: no utterance fits in a row of {row_length} tokens")
        if pack:
            self.rows = [[usable[j] for j in row] for row in pack_first_fit([lengths[i] for i in usable], row_length)]
        else:
            self.rows = [[i] for i in usable]
        self.num_tokens = sum(lengths[i] for i in usable)
        self.seconds = sum(store.entries[i].length for i in usable) / store.identity.frame_rate

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict:
        ids, labels, positions = [], [], []
        for i in self.rows[index % len(self.rows)]:
            utt_ids, utt_labels = self.vocab.training_row(self.text_ids[i], torch.from_numpy(self.store[i]))
            ids.append(utt_ids)
            labels.append(utt_labels)
            positions.append(torch.arange(len(utt_ids)))  # restarting positions keep utterances apart
        return {"input_ids": torch.cat(ids), "labels": torch.cat(labels), "position_ids": torch.cat(positions)}


def collate_rows(items: list[dict], pad_id: int) -> dict:
    """Right-pad rows to the longest in the batch. Padding gets its own restarting positions: causal attention
    keeps real tokens from seeing it, and its labels are ignored. "padding" = the fraction of pad tokens."""
    width = max(len(item["input_ids"]) for item in items)
    batch = {"input_ids": torch.full((len(items), width), pad_id, dtype=torch.long),
             "labels": torch.full((len(items), width), IGNORE_INDEX, dtype=torch.long),
             "position_ids": torch.arange(width).repeat(len(items), 1)}
    for r, item in enumerate(items):
        n = len(item["input_ids"])
        batch["input_ids"][r, :n] = item["input_ids"]
        batch["labels"][r, :n] = item["labels"]
        batch["position_ids"][r, :n] = item["position_ids"]
        batch["position_ids"][r, n:] = torch.arange(width - n)
    batch["padding"] = 1.0 - sum(len(item["input_ids"]) for item in items) / (len(items) * width)
    return batch
