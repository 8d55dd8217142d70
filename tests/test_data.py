import json
import logging
import os

import numpy as np
import pytest
import soundfile as sf
import torch
from torch.utils.data import DataLoader

from codec.data import (CropDataset, ResumableSampler, Utterance, UtteranceDataset, collate_padded, read_manifest,
                        write_manifest)


def make_corpus(tmp_path, durations=(0.3, 1.0, 2.5)):
    utts = []
    for i, d in enumerate(durations):
        path = tmp_path / "wavs" / f"u{i}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        x = (0.1 * np.sin(np.arange(int(16000 * d)) * (0.05 + 0.01 * i))).astype(np.float32)
        sf.write(path, x, 16000)
        utts.append(Utterance(f"u{i}", str(path), f"text {i}", "spk", d, 16000))
    write_manifest(tmp_path / "m.jsonl", utts)
    return tmp_path / "m.jsonl"


def test_manifest_round_trip_with_relative_paths(tmp_path):
    path = make_corpus(tmp_path)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows[0]["audio"] == "wavs/u0.wav"
    assert set(rows[0]) == {"id", "audio", "text", "speaker", "duration", "sample_rate"}
    m = read_manifest(path)
    assert [u.id for u in m] == ["u0", "u1", "u2"]
    assert m[2].duration == pytest.approx(2.5)
    assert m.skipped == []


def test_rewriting_an_identical_manifest_keeps_its_file(tmp_path):
    # cached evaluations are invalidated by the manifest's mtime: a corpus re-run that changes nothing must not touch it
    path = make_corpus(tmp_path)
    utts = list(read_manifest(path))
    os.utime(path, (1_000_000, 1_000_000))
    write_manifest(path, utts)
    assert path.stat().st_mtime == 1_000_000
    write_manifest(path, utts[:2])
    assert path.stat().st_mtime > 1_000_000
    assert [u.id for u in read_manifest(path)] == ["u0", "u1"]


def test_manifest_with_broken_entries_loads_the_rest(tmp_path, caplog):
    path = make_corpus(tmp_path)
    (tmp_path / "wavs" / "bad.wav").write_bytes(b"garbage" * 50)
    with open(path, "a") as f:
        f.write(json.dumps({"id": "gone", "audio": "wavs/nope.wav", "text": "x"}) + "\n")
        f.write(json.dumps({"id": "bad", "audio": "wavs/bad.wav", "text": "x"}) + "\n")
        f.write("{not json\n")
        f.write(json.dumps({"id": "noaudio", "text": "x"}) + "\n")
    with caplog.at_level(logging.WARNING):
        m = read_manifest(path)
    assert [u.id for u in m] == ["u0", "u1", "u2"]
    reasons = dict(m.skipped)
    assert "not found" in reasons["gone"] and "not a readable audio file" in reasons["bad"]
    assert any("not valid JSON" in r for r in reasons.values())
    assert any("no 'audio'" in r for r in reasons.values())
    assert "4 skipped" in caplog.text


@pytest.mark.parametrize("verify_audio", [True, False])
def test_manifest_entries_of_the_wrong_type_are_skipped_not_fatal(tmp_path, verify_audio):
    path = make_corpus(tmp_path)
    with open(path, "a") as f:
        f.write(json.dumps({"id": "null", "audio": None}) + "\n")
        f.write(json.dumps({"id": "number", "audio": 3}) + "\n")
        f.write(json.dumps({"id": "duration", "audio": "wavs/u0.wav", "duration": "n/a"}) + "\n")
    m = read_manifest(path, verify_audio=verify_audio)
    reasons = dict(m.skipped)
    assert "'audio' is None, not a file path" in reasons["null"] and "'audio' is 3" in reasons["number"]
    if verify_audio:  # the header's duration replaces the manifest's
        assert [u.id for u in m] == ["u0", "u1", "u2", "duration"] and m[3].duration == pytest.approx(0.3)
    else:
        assert [u.id for u in m] == ["u0", "u1", "u2"] and "'duration' 'n/a'" in reasons["duration"]


def test_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.jsonl"):
        read_manifest(tmp_path / "nothere.jsonl")


def test_crop_dataset_pads_short_clips_and_is_deterministic(tmp_path):
    m = read_manifest(make_corpus(tmp_path))
    ds = CropDataset(m, 16000, segment_samples=16000, seed=3)
    short = ds[0]
    assert short["audio"].shape == (16000,) and short["length"] == 4800
    assert torch.all(short["audio"][4800:] == 0)
    long_a, long_b = ds[2], CropDataset(m, 16000, 16000, seed=3)[2]
    assert long_a["length"] == 16000 and torch.equal(long_a["audio"], long_b["audio"])
    # Another epoch (index + len) crops elsewhere; another seed too (with overwhelming probability).
    assert not torch.equal(ds[2]["audio"], ds[2 + len(ds)]["audio"])
    assert not torch.equal(ds[2]["audio"], CropDataset(m, 16000, 16000, seed=4)[2]["audio"])


def test_dataset_skips_file_broken_after_manifest_was_read(tmp_path):
    m = read_manifest(make_corpus(tmp_path))
    (tmp_path / "wavs" / "u1.wav").write_bytes(b"now broken" * 30)
    ds = UtteranceDataset(m, 16000)
    item = ds[1]
    assert item["id"] == "u2"  # the next usable utterance stands in
    assert "u1" in ds.failures


def test_utterance_dataset_and_padded_collate(tmp_path):
    m = read_manifest(make_corpus(tmp_path))
    batch = next(iter(DataLoader(UtteranceDataset(m, 16000), batch_size=3, collate_fn=collate_padded)))
    assert batch["audio"].shape == (3, 40000)
    assert batch["length"].tolist() == [4800, 16000, 40000]
    assert batch["id"] == ["u0", "u1", "u2"] and batch["text"][1] == "text 1"
    assert torch.all(batch["audio"][0, 4800:] == 0)


def take(sampler, n):
    it = iter(sampler)
    return [next(it) for _ in range(n)]


def test_resumable_sampler_resumes_mid_stream():
    full = take(ResumableSampler(10, seed=1), 35)
    resumed = take(ResumableSampler(10, seed=1, start=17), 18)
    assert resumed == full[17:]
    assert sorted(i % 10 for i in full[:10]) == list(range(10))  # an epoch is a permutation
    assert full[:10] != [i - 10 for i in full[10:20]]  # epochs are shuffled differently


def test_resumable_sampler_shards_are_disjoint():
    shards = [take(ResumableSampler(10, seed=0, rank=r, world_size=2), 5) for r in range(2)]
    assert set(shards[0]).isdisjoint(shards[1])
    assert sorted(shards[0] + shards[1]) == list(range(10))


def test_resumable_sampler_refuses_fewer_items_than_processes():
    # rank 1 of 2 would get an empty shard and its stream would never yield
    with pytest.raises(ValueError, match=r"1 item\(s\) for 2 processes"):
        ResumableSampler(1, rank=1, world_size=2)
    assert [i // 2 for i in take(ResumableSampler(2, rank=1, world_size=2), 3)] == [0, 1, 2]  # one item per epoch


def test_crop_items_carry_the_files_found_unreadable_out_of_loader_workers(tmp_path):
    m = read_manifest(make_corpus(tmp_path))
    (tmp_path / "wavs" / "u1.wav").write_bytes(b"now broken" * 30)
    ds = CropDataset(m, 16000, 1600)
    loader = DataLoader(ds, batch_size=3, sampler=ResumableSampler(len(ds)), collate_fn=collate_padded, num_workers=2)
    batch = next(iter(loader))  # one whole epoch
    failed = dict(pair for item in batch["failed"] for pair in item)
    assert list(failed) == ["u1"] and "not a readable audio file" in failed["u1"]
    assert ds.failures == {}  # a worker's copy recorded it, not the main process's
