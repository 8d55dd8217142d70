"""On-disk speech tokens: what `lm.extract` writes and `lm.train` reads.

A token directory holds
  tokens.json            header: format version, codec identity, code dtype, source manifest (path + sha256),
                         shard size, and once finished `complete: true` with totals and the skipped entries;
  shard_00000.codes      the codes of a shard's utterances concatenated, raw int16 (codebook <= 32768) or int32,
                         read back one utterance at a time (a file opened per read, not held open per shard: a
                         store of thousands of shards would pass the usual 1024 open-files limit);
  shard_00000.json       that shard's index: per utterance id, text, speaker, offset and length (in frames), and
                         the entries skipped as unreadable. Written last and renamed into place, so a shard whose
                         index exists is complete: an interrupted extraction redoes only the unfinished shards.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codec.checkpoint import atomic_file, read_versioned_json
from lm.identity import CodecIdentity

TOKENS_FORMAT_VERSION = 1
HEADER_FILE = "tokens.json"


class TokenStoreError(ValueError):
    pass


def code_dtype(codebook_size: int) -> np.dtype:
    """int16 holds codes 0..32767; larger codebooks need int32."""
    return np.dtype(np.int16) if codebook_size <= 32768 else np.dtype(np.int32)


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shard_paths(directory: Path, shard: int) -> tuple[Path, Path]:
    return directory / f"shard_{shard:05d}.codes", directory / f"shard_{shard:05d}.json"


def _write_atomic(path: Path, data: bytes) -> None:
    with atomic_file(path, fsync=True) as tmp:
        tmp.write_bytes(data)


def write_header(directory: Path, header: dict) -> None:
    _write_atomic(directory / HEADER_FILE, json.dumps(header, indent=2, ensure_ascii=False).encode())


def read_header(directory: str | os.PathLike) -> dict:
    return read_versioned_json(Path(directory) / HEADER_FILE, TOKENS_FORMAT_VERSION, TokenStoreError,
                               f" (is {directory} a token directory written by lm.extract?)")


def write_shard(directory: Path, shard: int, utterances: list[dict], codes: list[np.ndarray],
                skipped: list[dict], dtype: np.dtype) -> None:
    """Write one shard: codes first, then the index that marks it complete."""
    codes_path, index_path = shard_paths(directory, shard)
    offset, rows = 0, []
    for utt, c in zip(utterances, codes):
        rows.append({**utt, "offset": offset, "length": int(len(c))})
        offset += len(c)
    flat = np.concatenate(codes).astype(dtype) if codes else np.zeros(0, dtype)
    _write_atomic(codes_path, flat.tobytes())
    index = {"codes_file": codes_path.name, "frames": offset, "utterances": rows, "skipped": skipped}
    _write_atomic(index_path, json.dumps(index, ensure_ascii=False).encode())


def read_shard_index(directory: Path, shard: int) -> dict | None:
    """The index of a finished shard, or None if the shard is missing or was never finished."""
    codes_path, index_path = shard_paths(directory, shard)
    if not index_path.exists():
        return None
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise TokenStoreError(f"{index_path}: not valid JSON ({e})") from None
    return index


@dataclass(frozen=True)
class TokenEntry:
    id: str
    text: str
    speaker: str
    shard: int
    offset: int
    length: int  # frames


class TokenStore:
    """A finished token directory: `store[i]` -> int64 codes of utterance i; `store.entries[i]` its metadata."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        header = read_header(self.directory)
        if not header.get("complete"):
            raise TokenStoreError(f"{self.directory / HEADER_FILE}: extraction not finished; run lm.extract again "
                                  f"on the same --out to complete it")
        self.header = header
        self.identity = CodecIdentity.from_dict(header["codec"])
        dtype = self._dtype = np.dtype(header["dtype"])
        self.entries: list[TokenEntry] = []
        self._files: list[Path] = []
        for shard in range(header["num_shards"]):
            index = read_shard_index(self.directory, shard)
            codes_path = shard_paths(self.directory, shard)[0]
            if index is None:
                raise TokenStoreError(f"{shard_paths(self.directory, shard)[1]}: file not found")
            expected = index["frames"] * dtype.itemsize
            size = codes_path.stat().st_size if codes_path.exists() else -1
            if size != expected:
                raise TokenStoreError(f"{codes_path}: {'missing' if size < 0 else f'{size} bytes'}, "
                                      f"its index expects {expected} (truncated or overwritten?)")
            self._files.append(codes_path)
            for row in index["utterances"]:
                self.entries.append(TokenEntry(row["id"], row["text"], row["speaker"], shard, row["offset"], row["length"]))

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, i: int) -> np.ndarray:
        e = self.entries[i]
        if e.length == 0:
            return np.zeros(0, np.int64)
        codes = np.fromfile(self._files[e.shard], dtype=self._dtype, count=e.length,
                            offset=e.offset * self._dtype.itemsize)
        if len(codes) != e.length:
            raise TokenStoreError(f"{self._files[e.shard]}: ends before utterance {e.id!r} (overwritten since opened?)")
        return codes.astype(np.int64)

    @property
    def total_frames(self) -> int:
        return sum(e.length for e in self.entries)


class ConcatTokenStore:
    """Several finished token directories of one codec, read as one store (a corpus grown by a later extraction:
    the first directory's tokens need not be extracted again). Same interface as TokenStore."""

    def __init__(self, directories: list[str | os.PathLike]):
        if not directories:
            raise TokenStoreError("no token directory given")
        self.stores = [TokenStore(d) for d in directories]
        first = self.stores[0]
        for other in self.stores[1:]:
            first.identity.require_same(other.identity, f"the tokens {first.directory}", f"the tokens {other.directory}")
        self.identity = first.identity
        self.directory = " + ".join(str(s.directory) for s in self.stores)  # for messages
        self.entries: list[TokenEntry] = [e for s in self.stores for e in s.entries]
        # An id in two directories is one utterance extracted twice (a directory given twice, or a grown manifest's
        # store beside the old one): it would be trained on twice, silently. lm.extract makes ids unique per store.
        first_store: dict[str, int] = {}
        for k, s in enumerate(self.stores):
            for e in s.entries:
                if first_store.setdefault(e.id, k) != k:
                    earlier = self.stores[first_store[e.id]].directory
                    raise TokenStoreError(f"utterance id {e.id!r} is in both {earlier} and {s.directory}: the "
                                          f"directories overlap (their common utterances would be trained on "
                                          f"twice); give each utterance once")
        self._where = [(k, i) for k, s in enumerate(self.stores) for i in range(len(s))]

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, i: int) -> np.ndarray:
        k, j = self._where[i]
        return self.stores[k][j]

    @property
    def total_frames(self) -> int:
        return sum(s.total_frames for s in self.stores)


def open_tokens(spec: str) -> TokenStore | ConcatTokenStore:
    """`DIR` or `DIR,DIR,...` (token directories of the same codec, read in that order)."""
    directories = [d for d in spec.split(",") if d]
    return TokenStore(directories[0]) if len(directories) == 1 else ConcatTokenStore(directories)  # [] -> clear error
