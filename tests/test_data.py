import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from torch.utils.data import DataLoader

from codec.data import (CropDataset, Manifest, ResumableSampler, Utterance, UtteranceDataset, collate_padded,
                        read_manifest, write_manifest)


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
def test_a_repeated_id_is_skipped_and_counted(tmp_path, verify_audio):
    """Token stores, kept TTS codes and paired reports are keyed by id: a second entry of one id overwrote or
    mispaired the first."""
    path = make_corpus(tmp_path)
    first = path.read_text().splitlines()[0]
    with open(path, "a") as f:
        f.write(first + "\n")
    m = read_manifest(path, verify_audio=verify_audio)
    assert [u.id for u in m] == ["u0", "u1", "u2"]
    assert m.skipped == [(f"{path.name}:4", "id 'u0' repeats line 1's: ids must be unique")]


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


def test_a_line_not_in_utf8_a_bom_and_a_path_the_os_refuses_cost_only_their_own_entries(tmp_path):
    """One latin-1 line stopped the whole read (UnicodeDecodeError, naming neither file nor line), a BOM made line 1
    invalid JSON, and a path the OS refuses (a name too long) raised OSError out of the read."""
    path = make_corpus(tmp_path)
    rows = path.read_text().splitlines()
    latin = json.dumps({"id": "café", "audio": "wavs/u0.wav"}, ensure_ascii=False).encode("latin-1")
    too_long = json.dumps({"id": "long", "audio": "é" * 200 + ".wav"})
    path.write_bytes(("\ufeff" + rows[0] + "\n").encode() + latin + b"\n" + "\n".join(rows[1:] + [too_long]).encode() + b"\n")
    for verify_audio in (True, False):
        m = read_manifest(path, verify_audio=verify_audio)
        assert [u.id for u in m] == ["u0", "u1", "u2"]
        reasons = dict(m.skipped)
        assert reasons[f"{path.name}:2"] == "not UTF-8 text (byte 0xe9 at column 12)"
        assert reasons["long"].endswith(".wav: cannot be read (File name too long)")


def test_durations_that_are_not_a_length_are_skipped_unread(tmp_path):
    """Unread headers (verify_audio=False) take the manifest's figures: 1e999 raised OverflowError out of the read,
    and a NaN or negative duration passed every length limit."""
    path = make_corpus(tmp_path)
    with open(path, "a") as f:
        for uid, duration, rate in (("inf", 1.0, 1e999), ("nan", float("nan"), 16000), ("neg", -1.0, 16000)):
            f.write(json.dumps({"id": uid, "audio": "wavs/u0.wav", "duration": duration, "sample_rate": rate}) + "\n")
    m = read_manifest(path, verify_audio=False)
    assert [u.id for u in m] == ["u0", "u1", "u2"]
    assert sorted(uid for uid, _ in m.skipped) == ["inf", "nan", "neg"]
    assert all("is not a number of seconds or Hz" in reason for _, reason in m.skipped)


def test_a_manifest_written_into_a_symlinked_folder_reads_back(tmp_path):
    """Paths were made relative to the link's spelling; the kernel resolves '..' from where the link points, so
    every entry read back as 'file not found'."""
    path = make_corpus(tmp_path / "corpus")
    (tmp_path / "disk" / "vol1" / "data").mkdir(parents=True)  # deeper than the link: ".." leads elsewhere
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "data").symlink_to(tmp_path / "disk" / "vol1" / "data")
    write_manifest(tmp_path / "exp" / "data" / "m.jsonl", list(read_manifest(path)))
    m = read_manifest(tmp_path / "exp" / "data" / "m.jsonl")
    assert [u.id for u in m] == ["u0", "u1", "u2"] and m.skipped == []


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


# ---------------------------------------------------------------------------------------------------------------
# Data-path review: substitution independent of history, stand-ins cropped by their position, sampler remainders
# ---------------------------------------------------------------------------------------------------------------


def nan_wav(path, seconds=1.0):
    # a header that reads (read_manifest keeps the entry) over samples that do not (found only at load time)
    x = np.zeros(int(16000 * seconds), np.float32)
    x[3] = np.nan
    sf.write(path, x, 16000, subtype="FLOAT")


def test_what_an_index_loads_does_not_depend_on_what_was_loaded_before(tmp_path):
    # Two entries under one id, the first unreadable: skipping by the remembered id dropped the second once the
    # first had failed, but loaded it in a resumed run (fresh dataset), so the resumed run's crops differed.
    m = read_manifest(make_corpus(tmp_path, durations=(2.0, 2.0)))
    nan_wav(tmp_path / "wavs" / "bad.wav")
    utts = list(m) + [Utterance("dup", str(tmp_path / "wavs" / "bad.wav"), "", "s", 1.0, 16000),
                      Utterance("dup", m[1].audio, "", "s", 2.0, 16000)]
    # built directly: read_manifest now skips a repeated id, but the dataset must not depend on it
    m = Manifest(tmp_path / "dup.jsonl", utts)
    fresh = CropDataset(m, 16000, 4000, seed=1)[3]  # what a resumed run loads first
    ran = CropDataset(m, 16000, 4000, seed=1)
    assert ran[2]["failed"][0][0] == "dup"  # the bad entry, replaced
    again = ran[3]
    assert torch.equal(again["audio"], fresh["audio"]) and again["failed"] == []  # reported once
    assert list(ran.failures) == ["dup"]


def test_a_stand_in_is_cropped_by_the_position_it_fills(tmp_path):
    # u1 unreadable: position 1 loads u2, which must not repeat u2's own crop of that epoch exactly
    m = read_manifest(make_corpus(tmp_path, durations=(2.0, 2.0, 2.0)))
    nan_wav(tmp_path / "wavs" / "u1.wav")
    ds = CropDataset(m, 16000, 4000, seed=5)
    for epoch in range(3):
        stand_in, own = ds[epoch * 3 + 1], ds[epoch * 3 + 2]
        assert stand_in["length"] == own["length"] == 4000
        assert not torch.equal(stand_in["audio"], own["audio"])
    assert torch.equal(ds[1]["audio"], CropDataset(m, 16000, 4000, seed=5)[1]["audio"])  # still deterministic


@pytest.mark.parametrize("num_items,world_size", [(11, 4), (7, 2), (10, 3)])
def test_resumable_sampler_drops_each_epochs_remainder_and_resumes_across_epochs(num_items, world_size):
    per_rank = num_items // world_size
    streams = [take(ResumableSampler(num_items, seed=2, rank=r, world_size=world_size), 3 * per_rank)
               for r in range(world_size)]
    for epoch in range(3):
        seen = [i for s in streams for i in s[epoch * per_rank : (epoch + 1) * per_rank]]
        assert len(set(seen)) == len(seen) and all(i // num_items == epoch for i in seen)
        assert num_items - len(seen) == num_items % world_size  # dropped, not padded with repeats
    batch = 3  # does not divide the shard: batches straddle epochs
    for r in range(world_size):
        full = take(ResumableSampler(num_items, seed=2, rank=r, world_size=world_size), 6 * batch)
        for step in range(6):
            resumed = ResumableSampler(num_items, seed=2, rank=r, world_size=world_size, start=step * batch)
            assert take(resumed, (6 - step) * batch) == full[step * batch :]


def test_a_file_unreadable_once_is_tried_again_when_drawn_again(tmp_path):
    # What an index loads depends only on the files now: a file that failed once (a network share's hiccup) and
    # reads again is loaded, not remembered as bad and stood in for for the rest of the run.
    m = read_manifest(make_corpus(tmp_path, durations=(2.0, 2.0, 2.0)))
    good = (tmp_path / "wavs" / "u1.wav").read_bytes()
    nan_wav(tmp_path / "wavs" / "u1.wav")
    ds = UtteranceDataset(m, 16000)
    assert ds[1]["id"] == "u2" and "u1" in ds.failures
    (tmp_path / "wavs" / "u1.wav").write_bytes(good)
    assert ds[1]["id"] == "u1"


def test_padded_batch_lengths_are_the_items_valid_samples_not_their_padded_size(tmp_path):
    # CropDataset pads a short clip to the segment: its length (the loss mask) must stay the clip's own
    m = read_manifest(make_corpus(tmp_path, durations=(0.3, 2.0)))
    ds = CropDataset(m, 16000, segment_samples=8000, seed=0)
    batch = collate_padded([ds[0], ds[1]])
    assert batch["audio"].shape == (2, 8000)
    assert batch["length"].tolist() == [4800, 8000]
    manual = collate_padded([{"audio": torch.ones(6), "length": 4}, {"audio": torch.ones(3), "length": 3}])
    assert manual["length"].tolist() == [4, 3] and manual["audio"].shape == (2, 6)


def test_usable_sha256_follows_the_order_and_files_and_survives_a_moved_corpus(tmp_path):
    import shutil

    from codec.data import Manifest, usable_sha256

    m = read_manifest(make_corpus(tmp_path / "a"))
    reordered = Manifest(m.path, list(reversed(m.utterances)))
    assert usable_sha256(reordered) != usable_sha256(m)  # positions shift: a resumed run would see other data
    assert usable_sha256(Manifest(m.path, m.utterances[:-1])) != usable_sha256(m)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert usable_sha256(read_manifest(tmp_path / "b" / "m.jsonl")) == usable_sha256(m)


def test_resumable_sampler_order_is_a_function_of_its_seed():
    a, b = take(ResumableSampler(50, seed=0), 50), take(ResumableSampler(50, seed=1), 50)
    assert sorted(a) == sorted(b) == list(range(50))
    assert a != b and a == take(ResumableSampler(50, seed=0), 50)


def test_a_symlinked_audio_folder_inside_the_corpus_keeps_paths_that_move_with_it(tmp_path):
    """Resolving every path made data/wavs -> /store/wavs a path through the store ('../../store/wavs/a.wav'), which
    no longer reads back once the corpus moves; a relative path that reads back as it is stays as it was."""
    make_corpus(tmp_path / "store")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "wavs").symlink_to(tmp_path / "store" / "wavs")
    utts = [Utterance(u.id, str(tmp_path / "data" / "wavs" / Path(u.audio).name), u.text, u.speaker, u.duration,
                      u.sample_rate) for u in read_manifest(tmp_path / "store" / "m.jsonl")]
    write_manifest(tmp_path / "data" / "m.jsonl", utts)
    assert json.loads((tmp_path / "data" / "m.jsonl").read_text().splitlines()[0])["audio"] == "wavs/u0.wav"
