import random
from pathlib import Path

import numpy as np
import pytest
import torch

from codec.checkpoint import CheckpointError, CheckpointManager, atomic_directory
from codec.schedule import lr_at, ramp_at

REPO = Path(__file__).resolve().parent.parent


def model_and_opt(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 3)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    return model, opt


def test_save_load_restores_models_optimizers_rng_and_state(tmp_path):
    model, opt = model_and_opt()
    ckpt = CheckpointManager(tmp_path)
    torch.manual_seed(7), np.random.seed(7), random.seed(7)
    path = ckpt.save(10, {"model": model}, {"opt": opt}, {"samples_seen": 80})
    expected = (torch.rand(3), np.random.rand(3), random.random())

    other, other_opt = model_and_opt(seed=1)
    state = ckpt.load(path, {"model": other}, {"opt": other_opt})
    assert state["step"] == 10 and state["samples_seen"] == 80
    assert torch.equal(other.weight, model.weight)
    assert torch.equal(other_opt.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    got = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(got[0], expected[0]) and np.array_equal(got[1], expected[1]) and got[2] == expected[2]


def test_keeps_last_k_and_ignores_partial_saves(tmp_path):
    model, opt = model_and_opt()
    ckpt = CheckpointManager(tmp_path, keep_last=2)
    for step in (1, 2, 3):
        ckpt.save(step, {"model": model}, {"opt": opt})
    assert [p.name for p in ckpt.checkpoints()] == ["step_00000002", "step_00000003"]
    (tmp_path / ".tmp-step_00000004").mkdir()  # what a run killed mid-save leaves
    assert ckpt.latest().name == "step_00000003"
    ckpt.save(5, {"model": model}, {"opt": opt})
    assert not (tmp_path / ".tmp-step_00000004").exists()


def test_failed_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    model, opt = model_and_opt()
    ckpt = CheckpointManager(tmp_path)
    ckpt.save(1, {"model": model}, {"opt": opt})

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", no_space)
    with pytest.raises(CheckpointError, match="step_00000002.*No space left.*intact"):
        ckpt.save(2, {"model": model}, {"opt": opt})
    assert [p.name for p in ckpt.checkpoints()] == ["step_00000001"]
    assert not list(tmp_path.glob(".tmp-*"))
    ckpt.load(ckpt.latest(), {"model": model}, {"opt": opt})


def test_load_refuses_weights_of_another_model(tmp_path):
    model, opt = model_and_opt()
    path = CheckpointManager(tmp_path).save(1, {"model": model}, {"opt": opt})
    with pytest.raises(CheckpointError, match="model.safetensors"):
        CheckpointManager(tmp_path).load(path, {"model": torch.nn.Linear(5, 3)}, {})


def test_atomic_directory_replaces_or_keeps(tmp_path):
    target = tmp_path / "model"
    with atomic_directory(target) as d:
        (d / "a.txt").write_text("one")
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as d:
            (d / "a.txt").write_text("two")
            raise RuntimeError("interrupted")
    assert (target / "a.txt").read_text() == "one"
    with atomic_directory(target) as d:
        (d / "b.txt").write_text("three")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_lr_schedule_is_a_pure_function_of_step():
    lrs = [lr_at(s, 1e-3, 10, 100, 0.1) for s in range(120)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(lrs[10:100], lrs[11:101]))
    assert lrs[100] == pytest.approx(1e-4) and lrs[119] == pytest.approx(1e-4)


def test_loss_weight_ramp_rises_linearly_to_one():
    assert [ramp_at(s, 4) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert ramp_at(0, 0) == 1.0 and ramp_at(0, -3) == 1.0  # no ramp: the full weight from the first step


def test_saved_files_get_the_ordinary_file_mode(tmp_path):
    """safetensors writes its files 0600; a saved model must be readable like any file the process creates."""
    import os
    import stat

    from safetensors.torch import save_file

    old = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "model") as d:
            save_file({"w": torch.zeros(2)}, str(d / "model.safetensors"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "model" / "model.safetensors").stat().st_mode) == 0o644


def test_a_codec_saved_before_a_config_field_existed_keeps_its_config_and_fingerprint(tmp_path):
    """Token stores and LMs carry their codec's fingerprint, which hashes its config JSON: a codec saved before a
    field existed (here cepstral_weight, added 2026-12-04) must serialise as it was saved, not with the new field."""
    import json

    from codec import Codec, CodecConfig

    Codec(CodecConfig.preset("debug")).save_pretrained(tmp_path / "new")
    saved = json.loads((tmp_path / "new" / "config.json").read_text())
    assert "cepstral_weight" in saved
    old = tmp_path / "old"
    old.mkdir()
    (old / "model.safetensors").write_bytes((tmp_path / "new" / "model.safetensors").read_bytes())
    (old / "config.json").write_text(json.dumps({k: v for k, v in saved.items() if k != "cepstral_weight"}))
    loaded = Codec.from_pretrained(old)
    assert json.loads(loaded.config.to_json()) == json.loads((old / "config.json").read_text())
    loaded.save_pretrained(tmp_path / "again")
    assert Codec.from_pretrained(tmp_path / "again").fingerprint() == loaded.fingerprint()
    assert loaded.fingerprint() != Codec.from_pretrained(tmp_path / "new").fingerprint()
    assert json.loads(Codec.from_pretrained(tmp_path / "new").config.to_json()) == saved  # a field present stays


def test_atomic_directory_syncs_and_opens_up_files_in_subfolders(tmp_path, monkeypatch):
    """An installed model is a tree (codec/, lm/): every file in it is on disk before the rename, not only the top."""
    import os
    import stat

    from safetensors.torch import save_file

    synced, fsync = [], os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")), fsync(fd))[1])
    old = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "model") as d:
            (d / "card.md").write_text("card")
            (d / "codec").mkdir()
            save_file({"w": torch.zeros(2)}, str(d / "codec" / "model.safetensors"))
    finally:
        os.umask(old)
    tmp = tmp_path / f".tmp-model-{os.getpid()}"  # the files were synced under the temporary name
    assert {str(tmp / "card.md"), str(tmp / "codec" / "model.safetensors"), str(tmp / "codec")} <= set(synced)
    assert stat.S_IMODE((tmp_path / "model" / "codec" / "model.safetensors").stat().st_mode) == 0o644


def test_atomic_directory_removes_what_killed_writers_left(tmp_path):
    import os

    dead, alive = tmp_path / ".tmp-model-999999999", tmp_path / f".tmp-model-{os.getppid()}"
    old_copy = tmp_path / ".trash-model-999999998"
    for leftover in (dead, alive, old_copy):
        leftover.mkdir()
        (leftover / "big.bin").write_bytes(b"x")
    with atomic_directory(tmp_path / "model") as d:
        (d / "a.txt").write_text("one")
    # a running process may still be filling its folder; the others' writers are gone
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model", alive.name])


def _fail_moving_new_folders_into_place(monkeypatch, error: OSError) -> None:
    """os.replace raises `error` for a complete temporary folder (.tmp-*) renamed into place: the second rename of
    a replacement, after the old folder was moved aside."""
    import os

    replace = os.replace

    def failing(src, dst, *args, **kwargs):
        if os.path.basename(os.fspath(src)).startswith(".tmp-"):
            raise error
        return replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing)


def test_resaving_a_step_keeps_the_old_files_when_the_new_one_fails_to_rename_in(tmp_path, monkeypatch):
    """Re-saving an existing step renames the old folder aside before the new one is renamed in (before, it was
    deleted first): a failure between the two renames leaves the old checkpoint's files on disk, not half-deleted or
    gone; a later save of that step restores a readable step folder."""
    from safetensors.torch import load_file

    old_model, old_opt = model_and_opt(seed=0)
    new_model, new_opt = model_and_opt(seed=1)
    ckpt = CheckpointManager(tmp_path)
    ckpt.save(2, {"model": old_model}, {"opt": old_opt})
    old_weights = load_file(str(tmp_path / "step_00000002" / "model.safetensors"))
    assert torch.equal(old_weights["weight"], old_model.weight.detach())

    with monkeypatch.context() as m:
        _fail_moving_new_folders_into_place(m, OSError(5, "Input/output error (injected)"))
        with pytest.raises(CheckpointError, match="step_00000002.*Input/output error"):
            ckpt.save(2, {"model": new_model}, {"opt": new_opt})

    survivors = [f for f in tmp_path.rglob("model.safetensors")
                 if all(torch.equal(t, old_weights[k]) for k, t in load_file(str(f)).items())]
    assert survivors, f"the old checkpoint's weights are gone: {sorted(p.name for p in tmp_path.iterdir())}"
    # as the error says, earlier checkpoints are intact: the old one is back under its name, found by --resume
    assert [p.name for p in tmp_path.iterdir()] == ["step_00000002"] and ckpt.latest() == tmp_path / "step_00000002"
    assert torch.equal(load_file(str(tmp_path / "step_00000002" / "model.safetensors"))["weight"], old_weights["weight"])

    ckpt.save(2, {"model": new_model}, {"opt": new_opt})
    assert [p.name for p in ckpt.checkpoints()] == ["step_00000002"]
    other, other_opt = model_and_opt(seed=2)
    assert ckpt.load(ckpt.latest(), {"model": other}, {"opt": other_opt})["step"] == 2
    assert torch.equal(other.weight, new_model.weight)
    assert [p.name for p in tmp_path.iterdir()] == ["step_00000002"]  # the moved-aside copy went with the good save


def test_atomic_directory_will_not_replace_what_it_would_lose(tmp_path):
    """A mistyped target (a run folder, a data file) is refused and left as it was, not renamed aside and deleted."""
    run = tmp_path / "run"
    (run / "checkpoints" / "step_00000002").mkdir(parents=True)
    (run / "metrics.jsonl").write_text("{}\n")
    with pytest.raises(FileExistsError, match=r"run: holds checkpoints/, which this write would delete"):
        with atomic_directory(run) as d:
            (d / "model.safetensors").write_bytes(b"x")
    data = tmp_path / "data.jsonl"
    data.write_text("{}\n")
    with pytest.raises(FileExistsError, match="data.jsonl: exists and is not a folder"):
        with atomic_directory(data) as d:
            (d / "a.txt").write_text("x")
    assert (run / "checkpoints" / "step_00000002").is_dir() and data.read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl", "run"]  # no temporary folder left


def test_require_replaceable_accepts_nothing_empty_or_the_same_kind(tmp_path):
    from codec.checkpoint import require_replaceable

    require_replaceable(tmp_path / "new", "config.json", "codec")
    (tmp_path / "empty").mkdir()
    require_replaceable(tmp_path / "empty", "config.json", "codec")
    (tmp_path / "codec").mkdir()
    (tmp_path / "codec" / "config.json").write_text("{}")
    require_replaceable(tmp_path / "codec", "config.json", "codec")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="other: is not a codec folder \\(no config.json\\) and is not empty"):
        require_replaceable(tmp_path / "other", "config.json", "codec")


def test_a_failed_swap_puts_the_old_folder_back_and_leaves_a_siblings_leftovers(tmp_path, monkeypatch):
    """The second rename of a replacement fails: the old folder is back under its name (it stayed under .trash-,
    with nothing named `model`). A dead writer's leftovers of the sibling `model-sg` are not `model`'s to remove."""
    with atomic_directory(tmp_path / "model") as d:
        (d / "a.txt").write_text("old")
    sibling = tmp_path / ".trash-model-sg-999999999"  # the only copy of model-sg after a crash
    sibling.mkdir()
    with monkeypatch.context() as m:
        _fail_moving_new_folders_into_place(m, OSError(28, "No space left on device (injected)"))
        with pytest.raises(OSError, match="No space left"):
            with atomic_directory(tmp_path / "model") as d:
                (d / "a.txt").write_text("new")
    assert (tmp_path / "model" / "a.txt").read_text() == "old"
    with atomic_directory(tmp_path / "model") as d:
        (d / "a.txt").write_text("newer")
    assert sorted(p.name for p in tmp_path.iterdir()) == [sibling.name, "model"]


# -- persistence review (2026-12): leftovers of deletes, and the LM's config.json keys ------------------------------

def test_a_trash_leftover_fails_neither_a_save_nor_pruning(tmp_path):
    """A `.trash-step_X` left beside a live step_X (a run killed while deleting a re-saved step's old copy, or files
    a delete could not remove) made every later save that pruned step_X, or re-saved it, fail (rename onto a
    non-empty folder) although the checkpoint had been written; keep_last then no longer held."""
    model, opt = model_and_opt()
    ckpt = CheckpointManager(tmp_path, keep_last=2)
    for step in (1, 2):
        ckpt.save(step, {"model": model}, {"opt": opt})
    for name in (".trash-step_00000001", ".trash-step_00000002"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "model.safetensors").write_bytes(b"left over")
    ckpt.save(2, {"model": model}, {"opt": opt})  # a re-saved step
    ckpt.save(3, {"model": model}, {"opt": opt})  # prunes step 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_00000002", "step_00000003"]
    ckpt.load(ckpt.latest(), {"model": model}, {"opt": opt})


def test_cuda_rng_states_go_back_to_their_own_devices_past_ten_gpus(tmp_path, monkeypatch):
    """The saved CUDA states ("cuda0", "cuda1", ..., "cuda11") were put back in string order, so on a machine with
    more than 10 GPUs device 2 got device 10's state and a resumed run drew other random numbers there."""
    model, opt = model_and_opt()
    saved = {f"cuda{i}": torch.full((8,), i, dtype=torch.uint8) for i in range(12)}
    restored = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: list(saved.values()))
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda states: restored.extend(int(s[0]) for s in states))
    ckpt = CheckpointManager(tmp_path)
    ckpt.load(ckpt.save(1, {"model": model}, {"opt": opt}), {"model": model}, {"opt": opt})
    assert restored == list(range(12))


def test_lm_config_with_an_unknown_key_or_another_architecture_is_refused_naming_it(tmp_path):
    """The codec's config.json refuses keys it does not read; the LM's ignored them without a word (a typo such as
    lm.num_layer, or codec.tokenizer_fingerprnt, loaded as if absent)."""
    import json

    from lm.config import LMConfig
    from lm.identity import CodecIdentity
    from lm.model import LMLoadError, SpeechLM
    from lm.text import TextConfig, TextTokenizer

    tokenizer = TextTokenizer.train(["the cat sat on the mat", "a dog ran in the park"] * 5, TextConfig(vocab_size=48))
    torch.manual_seed(0)
    lm = SpeechLM.create(LMConfig.preset("debug"), tokenizer, CodecIdentity("ab" * 32, 64, 50.0, 16000, "cd" * 32))
    lm.save_pretrained(tmp_path / "lm")
    path = tmp_path / "lm" / "config.json"
    good = json.loads(path.read_text())
    SpeechLM.from_pretrained(tmp_path / "lm")
    for edit, message in [(lambda c: c["lm"].update(num_layer=4), r"unknown keys \['lm.num_layer'\]"),
                          (lambda c: c.update(vocabluary={}), r"unknown keys \['vocabluary'\]"),
                          (lambda c: c["codec"].update(tokenizer_fingerprnt="x"), "codec.tokenizer_fingerprnt"),
                          (lambda c: c["vocabulary"].update(bos=1), "vocabulary.bos"),
                          (lambda c: c.update(architecture="MistralForCausalLM"), "architecture 'MistralForCausalLM'")]:
        saved = json.loads(json.dumps(good))
        edit(saved)
        path.write_text(json.dumps(saved))
        with pytest.raises(LMLoadError, match=message):
            SpeechLM.from_pretrained(tmp_path / "lm")
    # the tokenizer's settings beside it, likewise: a typo loaded, a missing key was a bare KeyError
    from lm.text import TokenizerError

    path.write_text(json.dumps(good))
    settings_path = tmp_path / "lm" / "tokenizer.json"
    settings = json.loads(settings_path.read_text())
    settings_path.write_text(json.dumps({**settings, "phonemess": True}))
    with pytest.raises(TokenizerError, match=r"unknown keys \['phonemess'\]"):
        SpeechLM.from_pretrained(tmp_path / "lm")
    settings_path.write_text(json.dumps({k: v for k, v in settings.items() if k != "pieces"}))
    with pytest.raises(TokenizerError, match=r"missing keys \['pieces'\]"):
        SpeechLM.from_pretrained(tmp_path / "lm")


def test_a_pipeline_json_with_an_unknown_key_is_refused_naming_it(tmp_path):
    """pipeline.json's "pause_second" (a typo) loaded with the default pause of 0.15 s, without a word."""
    import json
    import shutil

    from pipelines.tts import PipelineLoadError, TTSPipeline

    model = tmp_path / "model"
    shutil.copytree(REPO / "pipelines" / "default_model", model)
    saved = json.loads((model / "pipeline.json").read_text())
    (model / "pipeline.json").write_text(json.dumps({**saved, "pause_second": 0.5}))
    with pytest.raises(PipelineLoadError, match=r"pipeline.json: unknown keys \['pause_second'\]"):
        TTSPipeline.from_pretrained(model)


def test_atomic_file_replaces_whole_leaves_the_old_on_error_and_writers_do_not_share_a_temporary(tmp_path):
    """Manifests, tokens' indexes, JSON results and TTS codes are written through it. Each wrote a fixed
    `<name>.tmp` before: two builds of one corpus folder at once wrote into one temporary file."""
    import threading

    from codec.checkpoint import atomic_file

    target = tmp_path / "train.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_file(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]
    names, barrier = [], threading.Barrier(2)

    def write(text):
        with atomic_file(target, fsync=True) as tmp:
            names.append(tmp.name)
            tmp.write_text(text)
            barrier.wait()  # both temporaries exist at once

    threads = [threading.Thread(target=write, args=(t,)) for t in ("a\n", "b\n")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(names)) == 2 and target.read_text() in ("a\n", "b\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]


def _quiet_logger():
    from types import SimpleNamespace

    return SimpleNamespace(enabled=False, warn=lambda message: None)


def test_nonfinite_guard_stops_at_exactly_n_bad_steps_in_a_row_and_a_good_step_resets_the_count():
    from types import SimpleNamespace

    from codec.trainloop import NonFiniteError, NonFiniteGuard

    accelerator = SimpleNamespace(num_processes=1)
    guard = NonFiniteGuard(accelerator, _quiet_logger(), max_consecutive=3)
    assert guard.bad(float("nan"), 1.0) and guard.bad(1.0, float("inf")) and not guard.bad(1.0, None, 2.0)
    for step in range(1, 3):  # 2 bad, 1 good, 2 bad: never 3 in a row
        guard.skipped(step, "loss", {"loss": float("nan")})
    guard.good()
    guard.skipped(4, "loss", {"loss": float("nan")})
    guard.skipped(5, "loss", {"loss": float("nan")})
    assert guard.state_dict() == {"total": 4, "consecutive": 2}
    # a resumed run keeps counting: the third in a row after the resume stops it
    resumed = NonFiniteGuard(accelerator, _quiet_logger(), max_consecutive=3)
    resumed.load_state_dict(guard.state_dict())
    with pytest.raises(NonFiniteError, match="3 optimizer steps in a row"):
        resumed.skipped(6, "grad", {"grad_norm": float("inf")})
    assert resumed.state_dict() == {"total": 5, "consecutive": 3}


def test_checkpoint_saver_stops_after_n_failed_saves_in_a_row_only(tmp_path):
    from codec.trainloop import CheckpointSaver

    class Manager:
        def __init__(self, failing):
            self.failing = failing

        def save(self, step, models, optimizers, state=None):
            if step in self.failing:
                raise CheckpointError(f"step {step}: disk full")
            return tmp_path / f"step_{step}"

        def latest(self):
            return None

    saver = CheckpointSaver(Manager({1, 2, 4, 5}), _quiet_logger(), max_consecutive=3)
    assert saver.save(1, {}, {}) is None and saver.save(2, {}, {}) is None
    assert saver.save(3, {}, {}) == tmp_path / "step_3"  # a good save ends the run of failures
    assert saver.save(4, {}, {}) is None and saver.save(5, {}, {}) is None
    assert (saver.failures, saver.consecutive) == (4, 2)
    saver = CheckpointSaver(Manager({1, 2, 3}), _quiet_logger(), max_consecutive=3)
    saver.save(1, {}, {})
    saver.save(2, {}, {})
    with pytest.raises(CheckpointError, match="3 checkpoint saves in a row failed"):
        saver.save(3, {}, {})


_DISK_FULL = r"""
import resource, signal, sys, torch
from codec.checkpoint import CheckpointError, CheckpointManager
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG, as on a full disk
model = torch.nn.Linear(256, 256)  # 263 kB of safetensors; AdamW's state twice that in torch.save's file
opt = torch.optim.AdamW(model.parameters())
model(torch.randn(2, 256)).sum().backward()
opt.step()
ckpt = CheckpointManager(sys.argv[1])
ckpt.save(1, {"model": model}, {"opt": opt})
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), resource.RLIM_INFINITY))
try:
    ckpt.save(2, {"model": model}, {"opt": opt})
except CheckpointError as e:
    print("CheckpointError:", e)
"""


@pytest.mark.parametrize("limit, writer", [(100_000, "safetensors"), (400_000, "torch.save")])
def test_a_real_write_failure_of_either_writer_is_a_checkpoint_error_and_leaves_nothing_behind(tmp_path, limit, writer):
    """A full disk reached the run as torch.save's RuntimeError or safetensors' SafetensorError, which the save did
    not catch (only OSError): the run died with a traceback and left its half-written folder filling the disk."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _DISK_FULL, str(tmp_path), str(limit)], capture_output=True,
                          text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, (writer, proc.stderr[-2000:])
    assert "CheckpointError: checkpoint" in proc.stdout and "earlier checkpoints are intact" in proc.stdout, proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_00000001"]


def test_a_damaged_weights_or_rng_file_is_named_on_load(tmp_path):
    model, opt = model_and_opt()
    ckpt = CheckpointManager(tmp_path)
    path = ckpt.save(1, {"model": model}, {"opt": opt})
    for name in ("model.safetensors", "rng_rank0.safetensors"):
        data = (path / name).read_bytes()
        (path / name).write_bytes(data[:5])
        with pytest.raises(CheckpointError, match=f"checkpoint .*{name}: could not be read"):
            ckpt.load(path, {"model": model}, {"opt": opt})
        (path / name).write_bytes(data)


def test_checkpoint_files_get_the_ordinary_file_mode(tmp_path):
    import os
    import stat

    model, opt = model_and_opt()
    old = os.umask(0o022)
    try:
        path = CheckpointManager(tmp_path).save(1, {"model": model}, {"opt": opt})
    finally:
        os.umask(old)
    assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in path.iterdir()} == {
        f.name: 0o644 for f in path.iterdir()}
