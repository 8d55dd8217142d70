"""Manifests (one JSONL format for every corpus) and the datasets built on them.

A manifest line: {"id", "audio", "text", "speaker", "duration", "sample_rate"}, with `audio` relative to the
manifest's folder (absolute paths are accepted too). Entries whose audio is missing or unreadable are skipped and
counted, never fatal: a long run must not die on one broken file.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from codec.audio import AudioError, audio_info, load_audio
from codec.checkpoint import atomic_file

log = logging.getLogger(__name__)

MANIFEST_FIELDS = ("id", "audio", "text", "speaker", "duration", "sample_rate")


@dataclass
class Utterance:
    id: str
    audio: str  # absolute path once loaded
    text: str
    speaker: str
    duration: float
    sample_rate: int


@dataclass
class Manifest:
    """The usable utterances of a manifest, and the entries skipped with their reasons."""

    path: Path | None
    utterances: list[Utterance]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (entry id or line, reason)

    def __len__(self) -> int:
        return len(self.utterances)

    def __getitem__(self, i: int) -> Utterance:
        return self.utterances[i]

    def __iter__(self) -> Iterator[Utterance]:
        return iter(self.utterances)

    def summary(self) -> str:
        lines = [f"{self.path}: {len(self.utterances)} usable, {len(self.skipped)} skipped"]
        lines += [f"  skipped {name}: {reason}" for name, reason in self.skipped]
        return "\n".join(lines)


def read_manifest(path: str | os.PathLike, verify_audio: bool = True) -> Manifest:
    """Load a JSONL manifest; bad lines and (with `verify_audio`) unreadable audio are skipped and counted.

    `verify_audio` reads each file's header (cheap) so a broken file is reported once here rather than mid-run.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"manifest {path}: file not found")
    if path.is_dir():  # a FileNotFoundError too: every command line names it in one line
        raise FileNotFoundError(f"manifest {path}: a folder, not a manifest file (a .jsonl written by pipelines.corpus)")
    base = path.parent
    utterances, skipped, first_line = [], [], {}
    with open(path, "rb") as f:  # bytes: one line in another encoding is skipped, not the whole manifest lost
        for line_no, raw in enumerate(f, 1):
            where = f"{path.name}:{line_no}"
            try:
                line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")  # -sig: a BOM (Notepad) opens line 1
            except UnicodeDecodeError as e:
                skipped.append((where, f"not UTF-8 text (byte {raw[e.start]:#04x} at column {e.start + 1})"))
                continue
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as e:
                skipped.append((where, f"not valid JSON ({e.msg})"))
                continue
            if not isinstance(entry, dict) or "audio" not in entry:
                skipped.append((where, "entry has no 'audio' field"))
                continue
            uid = str(entry.get("id") or where)
            if uid in first_line:  # everything keyed by id (token stores, kept codes, paired reports) needs one each
                skipped.append((where, f"id {uid!r} repeats line {first_line[uid]}'s: ids must be unique"))
                continue
            first_line[uid] = line_no
            if not isinstance(entry["audio"], str) or not entry["audio"]:
                skipped.append((uid, f"'audio' is {entry['audio']!r}, not a file path"))
                continue
            audio = Path(entry["audio"])
            audio = audio if audio.is_absolute() else base / audio
            duration, rate = entry.get("duration"), entry.get("sample_rate")
            if not verify_audio:  # the header is not read: the manifest's own figures are used, so they must parse
                try:
                    duration, rate = float(duration or 0.0), int(rate or 0)
                    if not (math.isfinite(duration) and duration >= 0 and rate >= 0):
                        raise ValueError
                except (TypeError, ValueError, OverflowError):
                    skipped.append((uid, f"'duration' {duration!r} or 'sample_rate' {rate!r} is not a number "
                                         f"of seconds or Hz"))
                    continue
            if verify_audio:
                try:
                    frames, rate = audio_info(audio)
                    duration = frames / rate
                except AudioError as e:
                    skipped.append((uid, str(e)))
                    continue
            else:
                try:
                    reason = None if audio.exists() else "file not found"
                except OSError as e:  # a name too long, a folder this user may not enter
                    reason = f"cannot be read ({e.strerror or e})"
                if reason is not None:
                    skipped.append((uid, f"{audio}: {reason}"))
                    continue
            text = entry.get("text") or ""
            utterances.append(Utterance(uid, str(audio), str(text), str(entry.get("speaker") or "unknown"),
                                        float(duration or 0.0), int(rate or 0)))
    manifest = Manifest(path, utterances, skipped)
    if skipped:
        log.warning("%s", manifest.summary())
    return manifest


def first_utterances(path: str | os.PathLike, n: int) -> list[Utterance]:
    """The first `n` entries of a manifest, their audio headers unread (for a tool that reads each file itself);
    ValueError naming the manifest when it holds none."""
    utterances = read_manifest(path, verify_audio=False).utterances[:n]
    if not utterances:
        raise ValueError(f"manifest {path}: no utterance in it")
    return utterances


def usable_sha256(manifest: Manifest) -> str:
    """sha256 of a manifest's usable utterances, in order: their ids and files (relative to the manifest's folder, so
    a corpus moved whole keeps it). A consumer that cuts the data by position (a resumed training run, the shards of
    a token store) checks it: a rebuilt manifest, or a file unreadable then and readable now, shifts every position."""
    base = Path(manifest.path).parent
    return hashlib.sha256("".join(f"{u.id}\t{os.path.relpath(u.audio, base)}\n" for u in manifest).encode()).hexdigest()


def screen_manifest(manifest: Manifest, max_seconds: float | None = None, decode: bool = False,
                    limit: int | None = None, min_seconds: float | None = None) -> Manifest:
    """The entries a whole-utterance consumer (token extraction, evaluation) can use; the rest move to `skipped`.

    An utterance is encoded whole, so memory grows with its length (quadratically in the attention layers): one
    longer than `max_seconds` is skipped with that reason (split long recordings first). One shorter than
    `min_seconds`, one codec frame (the codec cannot encode less), is skipped too. With `decode`, every file
    is decoded in full (not just its header), which also catches truncated data and NaN/Inf samples. `limit`
    stops after that many usable entries. The new skips are logged once, in one summary.
    """
    kept, skipped = [], list(manifest.skipped)
    for utt in manifest:
        if limit is not None and len(kept) >= limit:
            break
        if max_seconds is not None and utt.duration > max_seconds:
            skipped.append((utt.id, f"{utt.audio}: {utt.duration:.1f} s long, over the limit of {max_seconds:g} s "
                                    "(whole utterances are encoded at once; split long recordings)"))
            continue
        if min_seconds is not None and utt.duration < min_seconds:
            skipped.append((utt.id, f"{utt.audio}: {utt.duration * 1000:.1f} ms long, under the minimum of "
                                    f"{min_seconds * 1000:g} ms (one codec frame)"))
            continue
        if decode:
            try:
                load_audio(utt.audio)
            except AudioError as e:
                skipped.append((utt.id, str(e)))
                continue
        kept.append(utt)
    screened = Manifest(manifest.path, kept, skipped)
    if len(skipped) > len(manifest.skipped):
        log.warning("%s", screened.summary())
    return screened


def write_manifest(path: str | os.PathLike, utterances: list[Utterance]) -> None:
    """Write utterances as JSONL with audio paths relative to the manifest's folder (atomically).

    A manifest already holding exactly these lines is left untouched: evaluations cached beside it are invalidated
    by its modification time, so re-running a corpus build must not make them all run again.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for u in utterances:
        row = asdict(u)
        row["audio"] = os.path.relpath(u.audio, path.parent)
        if os.path.realpath(path.parent / row["audio"]) != os.path.realpath(u.audio):
            # the kernel resolves ".." past a symlinked folder from where the link points: this relative path leads
            # elsewhere, so it is taken from the real folders instead (only here: a path that reads back as it is
            # stays relative to the corpus, which may move whole)
            audio = Path(os.path.realpath(Path(u.audio).parent)) / Path(u.audio).name
            row["audio"] = os.path.relpath(audio, os.path.realpath(path.parent))
        lines.append(json.dumps({k: row[k] for k in MANIFEST_FIELDS}, ensure_ascii=False) + "\n")
    text = "".join(lines)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


class EmptyManifestError(ValueError):
    """A manifest with no utterance left to load; the message names it and why its entries were set aside."""


class _AudioSource(Dataset):
    """Shared loading: an unreadable file found at load time is counted and replaced by the next usable one.

    What an index loads depends only on the files, never on what this process (or a DataLoader worker) loaded
    before: a file found unreadable is tried again when drawn again (and logged once), so a resumed run, or one
    with another number of workers, substitutes exactly as the uninterrupted one. (Skipping by a remembered id
    made it depend on history: another entry under the same id was skipped after the first failed, but loaded
    after a resume.)
    """

    def __init__(self, manifest: Manifest, sample_rate: int):
        if len(manifest) == 0:
            reasons = "; ".join(f"{uid}: {reason}" for uid, reason in manifest.skipped[:2])
            raise EmptyManifestError(f"manifest {manifest.path}: no usable utterances"
                                     + (f" ({len(manifest.skipped)} set aside, e.g. {reasons})" if reasons else ""))
        self.manifest = manifest
        self.sample_rate = sample_rate
        self.failures: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.manifest)

    def _load(self, index: int) -> tuple[int, np.ndarray]:
        # Indices past the end wrap around (ResumableSampler numbers epoch e's items e*len .. e*len+len-1).
        for k in range(len(self.manifest)):
            i = (index + k) % len(self.manifest)
            utt = self.manifest[i]
            try:
                return i, load_audio(utt.audio, self.sample_rate)
            except AudioError as e:
                if utt.id not in self.failures:  # reported once; tried again next time (see the class doc)
                    self.failures[utt.id] = str(e)
                    log.warning("skipping %s (%d skipped so far): %s", utt.id, len(self.failures), e)
        raise AudioError(f"manifest {self.manifest.path}: none of its {len(self.manifest)} files could be read")


class CropDataset(_AudioSource):
    """Fixed-length random crops for codec training.

    item -> {"audio": float32 [segment_samples], "length": valid samples, "failed": [(id, reason), ...]}; clips
    shorter than the segment are zero-padded. An index past the end means a later epoch (index // len): the crop
    offset is a pure function of (seed, epoch, position index % len), so runs repeat exactly and every epoch sees
    other crops; a file standing in for an unreadable one is cropped by the position it fills, not as at its own
    (which would repeat its own crop of that epoch exactly).
    "failed" lists the files found unreadable while loading this item (usually none): a DataLoader worker records
    them in its own copy of `failures`, which the main process never sees, so they travel with the item.
    """

    def __init__(self, manifest: Manifest, sample_rate: int, segment_samples: int, seed: int = 0):
        super().__init__(manifest, sample_rate)
        self.segment_samples = segment_samples
        self.seed = seed

    def __getitem__(self, index: int) -> dict:
        known = len(self.failures)
        i, audio = self._load(index)
        failed = list(self.failures.items())[known:]  # `failures` only grows, in insertion order
        n = len(audio)
        if n > self.segment_samples:
            rng = np.random.default_rng([self.seed, index // len(self), index % len(self)])
            start = int(rng.integers(0, n - self.segment_samples + 1))
            audio = audio[start : start + self.segment_samples]
            length = self.segment_samples
        else:
            length = n
            audio = np.pad(audio, (0, self.segment_samples - n))
        return {"audio": torch.from_numpy(np.ascontiguousarray(audio)), "length": length, "failed": failed}


class UtteranceDataset(_AudioSource):
    """Whole utterances (for token extraction and evaluation): item -> {"id", "audio" [T], "length", "text", "speaker"}.

    By default an unreadable file is replaced by the next readable one (as in training). With `substitute=False`
    the item keeps its own id and text and comes back empty ("audio" [0], "length" 0) with the reason in
    "error" (None for a good item), so that a consumer can skip it and say why, even from DataLoader workers.
    """

    def __init__(self, manifest: Manifest, sample_rate: int, substitute: bool = True):
        super().__init__(manifest, sample_rate)
        self.substitute = substitute

    def __getitem__(self, index: int) -> dict:
        if not self.substitute:
            utt = self.manifest[index % len(self.manifest)]
            try:
                audio, error = load_audio(utt.audio, self.sample_rate), None
            except AudioError as e:
                audio, error = np.zeros(0, np.float32), str(e)
                self.failures[utt.id] = error
            return {"id": utt.id, "audio": torch.from_numpy(audio), "length": len(audio), "text": utt.text,
                    "speaker": utt.speaker, "error": error}
        i, audio = self._load(index)
        utt = self.manifest[i]
        return {"id": utt.id, "audio": torch.from_numpy(audio), "length": len(audio), "text": utt.text, "speaker": utt.speaker}


def collate_padded(batch: list[dict]) -> dict:
    """Stack items of different lengths: "audio" [B, T_max] zero-padded, "length" [B]; other keys as lists."""
    lengths = torch.tensor([item["length"] for item in batch], dtype=torch.long)
    audio = torch.zeros(len(batch), int(max(item["audio"].shape[0] for item in batch)))
    for row, item in enumerate(batch):
        audio[row, : item["audio"].shape[0]] = item["audio"]
    out = {"audio": audio, "length": lengths}
    for key in batch[0]:
        if key not in out:
            out[key] = [item[key] for item in batch]
    return out


class ResumableSampler(Sampler[int]):
    """An endless, deterministic stream of dataset indices, sharded across processes, that resumes mid-epoch.

    Epoch e is a permutation drawn from (seed, e); rank r of `world_size` takes every world_size-th index of it,
    num_items // world_size of them, so that every rank's epoch is as long: the num_items % world_size items left
    at the permutation's end are dropped for that epoch (not padded with repeats; other items each epoch, as the
    permutation changes). Together the ranks cover the rest of the epoch exactly once. Indices are yielded as
    e * num_items + i, so a dataset can tell epochs apart (CropDataset draws new crops).
    `start` is how many indices this rank has already consumed (step x per-rank batch size), which is why the
    training loops need not save any sampler state beyond their step.
    """

    def __init__(self, num_items: int, seed: int = 0, rank: int = 0, world_size: int = 1, start: int = 0):
        if num_items <= 0:
            raise ValueError("ResumableSampler needs at least one item")
        if num_items < world_size:  # some rank's shard would be empty, and its stream would never yield
            raise ValueError(f"ResumableSampler: {num_items} item(s) for {world_size} processes; every process needs "
                             f"at least one: use more data or fewer processes")
        self.num_items, self.seed, self.rank, self.world_size, self.start = num_items, seed, rank, world_size, start
        self.per_rank = num_items // world_size  # equal shards keep ranks in lock-step

    def epoch_and_offset(self, position: int) -> tuple[int, int]:
        return divmod(position, self.per_rank)

    def __iter__(self) -> Iterator[int]:
        epoch, offset = self.epoch_and_offset(self.start)
        while True:
            order = np.random.default_rng([self.seed, epoch]).permutation(self.num_items)
            shard = order[self.rank :: self.world_size][: self.per_rank]
            for index in shard[offset:]:
                yield int(epoch * self.num_items + index)
            epoch, offset = epoch + 1, 0

    def __len__(self) -> int:  # one epoch; the stream itself is endless
        return self.per_rank
