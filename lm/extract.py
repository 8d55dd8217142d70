"""Encode a manifest with a trained codec into token shards (format: lm/tokens.py).

  python -m lm.extract --codec DIR --manifest M --out DIR [--batch-size N] [--shard-size N] [--workers N]
                       [--max-seconds S]

Utterances are taken in manifest order, `shard_size` per shard; inside a shard they are batched by similar
duration (less padding) and encoded with their true lengths, so padding never leaks into the codes. Running the
same command again after an interruption finishes the missing shards only. Unreadable audio, audio shorter than
one codec frame, and utterances longer than --max-seconds (default 60: an utterance is encoded whole) are skipped
with their reason (in the shard indexes and in tokens.json, and listed once at the end).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from codec.cli import non_negative_float, non_negative_int, positive_int, run_main
from codec.data import Manifest, UtteranceDataset, collate_padded, read_manifest, screen_manifest, usable_sha256
from lm.identity import CodecIdentity
from lm.tokens import (TOKENS_FORMAT_VERSION, TokenStoreError, code_dtype, file_sha256, read_header,
                       read_shard_index, write_header, write_shard)

log = logging.getLogger("lm.extract")


class _Requested(Dataset):
    """UtteranceDataset items (substitute=False: an unreadable file comes back empty with its "error") in a chosen order."""

    def __init__(self, dataset: UtteranceDataset, indices: list[int]):
        self.dataset, self.indices = dataset, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, j: int) -> dict:
        return self.dataset[self.indices[j]]


def require_unique_ids(manifest: Manifest) -> None:
    """Refuse a manifest with two utterances of one id: the shards are assembled by id (one of the two would be
    stored twice, the other lost), and stores are matched by id (lm.score pairs utterances of two codecs so)."""
    first: dict[str, str] = {}
    for utt in manifest:
        if utt.id in first:
            raise ValueError(f"manifest {manifest.path}: id {utt.id!r} is given to two utterances ({first[utt.id]} and "
                             f"{utt.audio}); give each utterance its own id")
        first[utt.id] = utt.audio


@torch.no_grad()
def extract(codec, manifest_path: str | Path, out_dir: str | Path, batch_size: int = 8, shard_size: int = 1000,
            workers: int = 0, device: str | torch.device = "cpu", max_seconds: float | None = 60.0) -> dict:
    """Encode every usable utterance of the manifest; returns the final tokens.json content."""
    if shard_size < 1 or batch_size < 1:
        raise ValueError(f"shard_size {shard_size} and batch_size {batch_size}: each must be at least 1")
    out_dir = Path(out_dir)
    manifest_path = Path(manifest_path)
    identity = CodecIdentity.of(codec)
    header = {"format_version": TOKENS_FORMAT_VERSION, "codec": identity.to_dict(),
              "dtype": code_dtype(identity.codebook_size).name, "manifest": str(manifest_path.resolve()),
              "manifest_sha256": file_sha256(manifest_path), "shard_size": shard_size, "max_seconds": max_seconds}
    previous = None
    if (out_dir / "tokens.json").exists():  # resuming: only with the same codec, manifest, sharding and filter
        previous = read_header(out_dir)
        if "codec" in previous and CodecIdentity.from_dict(previous["codec"]).same_codes(identity):
            header["codec"] = previous["codec"]  # the same codes (e.g. a store begun before a decoder fine-tune)
        for key in ("codec", "dtype", "manifest_sha256", "shard_size", "max_seconds"):
            if previous.get(key) != header[key]:
                raise TokenStoreError(f"{out_dir / 'tokens.json'}: was written with another {key} "
                                      f"({previous.get(key)!r} vs now {header[key]!r}); use a new --out directory")
    manifest = read_manifest(manifest_path)
    require_unique_ids(manifest)
    # clips shorter than one codec frame by their headers are set aside here, so that a manifest of nothing else is
    # refused before a store is begun (the loop below still catches one that resampling makes too short)
    manifest = screen_manifest(manifest, max_seconds, min_seconds=codec.hop_length / codec.sample_rate)
    if len(manifest) == 0:  # before the header is written: a store begun on it would refuse the corrected manifest
        raise ValueError(f"manifest {manifest_path}: no usable utterances ({len(manifest.skipped)} skipped; the reasons "
                         f"are logged above)")
    # Shards are cut by position among the usable utterances: if a file was unreadable when the store was begun and
    # is readable now (or the reverse), every later shard would shift, storing one utterance twice and losing another.
    header["usable_sha256"] = usable_sha256(manifest)
    if previous is not None and previous.get("usable_sha256", header["usable_sha256"]) != header["usable_sha256"]:
        raise TokenStoreError(f"{out_dir / 'tokens.json'}: the manifest's usable utterances changed since this store "
                              f"was begun (a file that became readable or unreadable, now {len(manifest)} usable): "
                              f"its shards would hold other utterances; use a new --out directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_header(out_dir, {**header, "complete": False})

    dataset = UtteranceDataset(manifest, codec.sample_rate, substitute=False)
    num_shards = max(1, -(-len(manifest) // shard_size))
    codec = codec.to(device).eval()
    dtype = code_dtype(identity.codebook_size)
    hop = int(codec.hop_length)  # samples per code frame
    bar = tqdm(total=len(manifest), desc="extracting", unit="utt", dynamic_ncols=True)
    for shard in range(num_shards):
        indices = list(range(shard * shard_size, min(len(manifest), (shard + 1) * shard_size)))
        if read_shard_index(out_dir, shard) is not None:
            bar.update(len(indices))
            continue
        by_duration = sorted(indices, key=lambda i: manifest[i].duration)
        audio_of = {manifest[i].id: manifest[i].audio for i in indices}
        loader = DataLoader(_Requested(dataset, by_duration), batch_size=batch_size, collate_fn=collate_padded,
                            num_workers=workers)
        found: dict[str, tuple[dict, np.ndarray]] = {}
        skipped = []
        for batch in loader:
            # A readable file shorter than one codec frame (or made so by resampling) cannot be encoded: codec.encode
            # would refuse the whole batch and end the extraction, at the same shard again on every resume.
            errors = [error if error is not None or n >= hop else
                      f"{audio_of[uid]}: {n} samples at {codec.sample_rate} Hz, shorter than one codec frame ({hop})"
                      for uid, error, n in zip(batch["id"], batch["error"], batch["length"].tolist())]
            keep = [r for r, error in enumerate(errors) if error is None]
            skipped += [{"id": uid, "reason": error} for uid, error in zip(batch["id"], errors) if error is not None]
            if keep:
                codes, frames = codec.encode(batch["audio"][keep].to(device), batch["length"][keep].to(device))
                for row, r in enumerate(keep):
                    meta = {"id": batch["id"][r], "text": batch["text"][r], "speaker": batch["speaker"][r]}
                    found[batch["id"][r]] = (meta, codes[row, : int(frames[row])].cpu().numpy())
            bar.update(len(batch["id"]))
            bar.set_postfix(skipped=len(skipped), refresh=False)
        in_order = [found[manifest[i].id] for i in indices if manifest[i].id in found]  # manifest order on disk
        write_shard(out_dir, shard, [m for m, _ in in_order], [c for _, c in in_order], skipped, dtype)
    bar.close()

    totals = {"utterances": 0, "frames": 0}
    skipped = [{"id": name, "reason": reason} for name, reason in manifest.skipped]  # broken before loading
    for shard in range(num_shards):
        index = read_shard_index(out_dir, shard)
        totals["utterances"] += len(index["utterances"])
        totals["frames"] += index["frames"]
        skipped += index["skipped"]
    final = {**header, "complete": True, "num_shards": num_shards, **totals,
             "seconds": totals["frames"] / identity.frame_rate, "skipped_count": len(skipped), "skipped": skipped}
    write_header(out_dir, final)
    return final


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lm.extract", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codec", required=True, type=Path, help="a Codec.save_pretrained directory")
    parser.add_argument("--manifest", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--batch-size", type=positive_int, default=8)
    parser.add_argument("--shard-size", type=positive_int, default=1000, help="utterances per shard (the unit of resumption)")
    parser.add_argument("--workers", type=non_negative_int, default=2, help="DataLoader processes reading audio")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--max-seconds", type=non_negative_float, default=60.0,
                        help="skip longer utterances (each is encoded whole; 0 = no limit)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from codec import Codec

    codec = Codec.from_pretrained(args.codec)
    result = extract(codec, args.manifest, args.out, args.batch_size, args.shard_size, args.workers, args.device,
                     args.max_seconds or None)
    print(f"{args.out}: {result['utterances']} utterances, {result['frames']} frames "
          f"({result['seconds'] / 3600:.2f} h), {result['skipped_count']} skipped")
    for entry in result["skipped"]:
        print(f"  skipped {entry['id']}: {entry['reason']}")
    return 0


if __name__ == "__main__":
    from codec.model import CodecLoadError

    run_main(main, (FileNotFoundError, CodecLoadError, TokenStoreError, ValueError))  # its ValueErrors name the file
