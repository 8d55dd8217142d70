"""Encode a manifest with a trained codec into token shards (format: lm/tokens.py).

  python -m lm.extract --codec DIR --manifest M --out DIR [--batch-size N] [--shard-size N] [--workers N]

Utterances are taken in manifest order, `shard_size` per shard; inside a shard they are batched by similar
duration (less padding) and encoded with their true lengths, so padding never leaks into the codes. Running the
same command again after an interruption finishes the missing shards only. Unreadable audio is skipped and
counted (in the shard indexes and in tokens.json).
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

from codec.data import UtteranceDataset, collate_padded, read_manifest
from lm.identity import CodecIdentity
from lm.tokens import (TOKENS_FORMAT_VERSION, TokenStoreError, code_dtype, file_sha256, read_header,
                       read_shard_index, write_header, write_shard)

log = logging.getLogger("lm.extract")


class _Requested(Dataset):
    """UtteranceDataset items in a chosen order, tagged with the id that was asked for.

    UtteranceDataset replaces an unreadable file by the next readable one (right for training); extraction
    must instead skip it, which it sees as a returned id that differs from the requested one.
    """

    def __init__(self, dataset: UtteranceDataset, indices: list[int]):
        self.dataset, self.indices = dataset, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, j: int) -> dict:
        index = self.indices[j]
        item = self.dataset[index]
        item["requested_id"] = self.dataset.manifest[index].id
        return item


@torch.no_grad()
def extract(codec, manifest_path: str | Path, out_dir: str | Path, batch_size: int = 8, shard_size: int = 1000,
            workers: int = 0, device: str | torch.device = "cpu") -> dict:
    """Encode every usable utterance of the manifest; returns the final tokens.json content."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = Path(manifest_path)
    identity = CodecIdentity.of(codec)
    header = {"format_version": TOKENS_FORMAT_VERSION, "codec": identity.to_dict(),
              "dtype": code_dtype(identity.codebook_size).name, "manifest": str(manifest_path.resolve()),
              "manifest_sha256": file_sha256(manifest_path), "shard_size": shard_size}
    if (out_dir / "tokens.json").exists():  # resuming: only with the same codec, manifest and sharding
        previous = read_header(out_dir)
        for key in ("codec", "dtype", "manifest_sha256", "shard_size"):
            if previous.get(key) != header[key]:
                raise TokenStoreError(f"{out_dir / 'tokens.json'}: was written with another {key} "
                                      f"({previous.get(key)!r} vs now {header[key]!r}); use a new --out directory")
    write_header(out_dir, {**header, "complete": False})

    manifest = read_manifest(manifest_path)
    dataset = UtteranceDataset(manifest, codec.sample_rate)
    num_shards = max(1, -(-len(manifest) // shard_size))
    codec = codec.to(device).eval()
    dtype = code_dtype(identity.codebook_size)
    bar = tqdm(total=len(manifest), desc="extracting", unit="utt", dynamic_ncols=True)
    for shard in range(num_shards):
        indices = list(range(shard * shard_size, min(len(manifest), (shard + 1) * shard_size)))
        if read_shard_index(out_dir, shard) is not None:
            bar.update(len(indices))
            continue
        by_duration = sorted(indices, key=lambda i: manifest[i].duration)
        loader = DataLoader(_Requested(dataset, by_duration), batch_size=batch_size, collate_fn=collate_padded,
                            num_workers=workers)
        found: dict[str, tuple[dict, np.ndarray]] = {}
        skipped = []
        for batch in loader:
            keep = [r for r, (got, wanted) in enumerate(zip(batch["id"], batch["requested_id"])) if got == wanted]
            skipped += [{"id": wanted, "reason": dataset.failures.get(wanted, "unreadable audio")}
                        for got, wanted in zip(batch["id"], batch["requested_id"]) if got != wanted]
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
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--shard-size", type=int, default=1000, help="utterances per shard (the unit of resumption)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader processes reading audio")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from codec import Codec

    codec = Codec.from_pretrained(args.codec)
    result = extract(codec, args.manifest, args.out, args.batch_size, args.shard_size, args.workers, args.device)
    print(f"{args.out}: {result['utterances']} utterances, {result['frames']} frames "
          f"({result['seconds'] / 3600:.2f} h), {result['skipped_count']} skipped")
    for entry in result["skipped"]:
        print(f"  skipped {entry['id']}: {entry['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
