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
from lm.tokens import TokenStore, TokenStoreError
from lm.vocab import IGNORE_INDEX, Vocabulary

log = logging.getLogger(__name__)


def pack_first_fit(lengths: list[int], row_length: int) -> list[list[int]]:
    """Group item indices into rows whose lengths sum to <= row_length (first fit, longest first).

    Each item goes to the first row with room for it. The rows' free room sits in the leaves of a max-tree, rows
    not yet opened holding a whole row's room, so the leftmost leaf with room is found in O(log n). Scanning the
    rows instead grows with the square of the corpus, at every start and resume of every process: for 60 000
    utterances of 300-1000 tokens in rows of 2048, 17.2 s against 0.27 s (2026-12-07, idle 2-core Xeon); for
    281 000 (LibriSpeech 960 h's count) 1.75 s here, ~6 min by scanning. The rows are the same
    (tests/test_lm_units.py).
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    size = 1
    while size < max(len(lengths), 1):
        size *= 2
    room = [row_length] * (2 * size)  # room[size + r]: row r's free room; room[k]: the most in k's subtree
    rows: list[list[int]] = []
    for i in order:
        need = lengths[i]
        if need > row_length:
            raise ValueError(f"item {i} has {need} tokens, more than the row length {row_length}")
        k = 1
        while k < size:  # descend to the leftmost leaf with room: a left subtree with room holds an earlier row
            k = 2 * k if room[2 * k] >= need else 2 * k + 1
        r = k - size
        if r == len(rows):
            rows.append([])
        rows[r].append(i)
        room[k] -= need
        while k > 1:
            k //= 2
            room[k] = max(room[2 * k], room[2 * k + 1])
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
            raise TokenStoreError(f"{store.directory}: no utterance fits in a row of {row_length} tokens "
                                  f"({len(lengths)} utterances; the shortest needs {min(lengths, default=0)})")
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


def collate_rows(items: list[dict], pad_id: int, width: int = 0) -> dict:
    """Right-pad rows to the longest in the batch (or to `width`, if longer). Padding gets its own restarting
    positions: causal attention keeps real tokens from seeing it, and its labels are ignored. "padding" = the
    fraction of pad tokens."""
    width = max(width, *(len(item["input_ids"]) for item in items))
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
