"""Fault injection into training (issue 9, docs/RELIABILITY.md): kills, failed writes, non-finite steps.

Every fault is injected into the real training loops (`python -m codec.train`, `python -m lm.train`) on CPU with
debug presets and a handful of steps. What is checked: nothing is lost. A run killed (SIGKILL, at seeded random
moments and in the middle of writing a checkpoint) and resumed ends with the weights of an uninterrupted run, and
every `step_*` folder on disk loads after every kill; a failed checkpoint write leaves the earlier ones intact and
is reported; a NaN/Inf loss or gradient skips its update, is counted and reported, and too many in a row stop the
run with its checkpoints intact.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from codec.checkpoint import FAULT_ENV, CheckpointError
from codec.trainloop import NONFINITE_FAULT_ENV, NonFiniteError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.delenv(FAULT_ENV, raising=False)
    monkeypatch.delenv(NONFINITE_FAULT_ENV, raising=False)


@pytest.fixture
def one_thread():
    """Every run of a comparison uses one intra-op thread, in-process and in subprocesses alike (same reductions)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------


def codec_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["--preset", "debug", "--train-manifest", str(data / "train.jsonl"), "--out", str(out), "--batch-size", "2",
            "--segment-seconds", "0.2", "--adv-start-step", "3", "--lr", "1e-3", "--warmup-steps", "2", "--seed", "0",
            "--cpu", *extra]


def lm_args(exp: Path, out: Path, *extra: str) -> list[str]:
    return ["--tokens", str(exp / "tokens" / "256" / "train"), "--dev-tokens", str(exp / "tokens" / "256" / "dev"),
            "--tokenizer", str(exp / "text_tokenizer"), "--out", str(out), "--preset", "debug",
            "--batch-tokens", "1024", "--lr", "3e-3", "--warmup-steps", "2", "--eval-every", "100", "--seed", "0", *extra]


def assert_checkpoints_readable(directory: Path) -> list[str]:
    """Every step_* folder: state JSON, every safetensors file, every optimizer state (weights_only), RNG JSON."""
    names = []
    for ckpt in sorted(directory.glob("step_*")):
        state = json.loads((ckpt / "trainer_state.json").read_text())
        assert state["step"] == int(ckpt.name.split("_")[1]), ckpt
        weights = [load_file(str(f)) for f in sorted(ckpt.glob("*.safetensors"))]
        assert weights and all(all(torch.isfinite(t).all() for t in w.values() if t.is_floating_point()) for w in weights), ckpt
        optims = list(ckpt.glob("*.optim.pt"))
        assert optims, ckpt
        for f in optims:
            torch.load(f, map_location="cpu", weights_only=True)
        json.loads((ckpt / "rng_rank0.json").read_text())
        names.append(ckpt.name)
    return names


def run_and_kill(cmd: list[str], env: dict, kill_after: Path | None = None, delay: float = 0.0,
                 timeout: float = 300) -> int:
    """Run `cmd`; `delay` seconds after the path `kill_after` comes to exist (None: never), SIGKILL it. Its exit
    code."""
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)  # keeps the pipe drained
    reader.start()
    if kill_after is not None:
        deadline = time.monotonic() + timeout
        while not kill_after.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if kill_after.exists() and proc.poll() is None:
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
    rc = proc.wait(timeout)
    reader.join(10)
    if rc not in (0, -signal.SIGKILL):
        raise AssertionError(f"{cmd[:3]} failed ({rc}):\n{''.join(lines)[-4000:]}")
    return rc


def max_difference(a: Path, b: Path) -> float:
    wa, wb = load_file(str(a)), load_file(str(b))
    assert wa.keys() == wb.keys()
    return max(float((wa[k].double() - wb[k].double()).abs().max()) if wa[k].numel() else 0.0 for k in wa)


def kill_resume_cycle(tmp_path: Path, module: str, args, run_inprocess, steps: int, seed: int) -> dict:
    """Reference run in-process; then: a run killed mid-checkpoint by the hook, two runs SIGKILLed at seeded random
    moments (one in each half of the steps), and an in-process resume to the end. Returns what happened, for the assertions."""
    reference = tmp_path / "reference"
    run_inprocess(args(reference, "--steps", str(steps), "--save-every", "2", "--keep-last", "3"))
    faulted = tmp_path / "faulted"
    run = args(faulted, "--steps", str(steps), "--save-every", "2", "--keep-last", "3")
    env = {**os.environ, "TQDM_DISABLE": "1", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(REPO)}
    history = []
    # 1. killed between writing every file of checkpoint 4 and renaming it into place
    rc = run_and_kill([sys.executable, "-m", module, *run], {**env, FAULT_ENV: "kill_before_rename@4"})
    assert rc == -signal.SIGKILL, "the kill_before_rename hook did not fire"
    partial = faulted / "checkpoints" / ".tmp-step_00000004"
    assert partial.is_dir() and any(partial.iterdir()), "the kill should have left checkpoint 4 half-finished"
    history.append(("hook: kill_before_rename@4", rc, assert_checkpoints_readable(faulted / "checkpoints")))
    # 2. SIGKILL at seeded random moments (mid-step, mid-save, mid-log), each time resumed. The moment is drawn
    # relative to the run's progress (a seeded checkpoint, then a seeded 0-0.1 s), not to its start:
    # timed from the start, a kill landed after a fast machine had finished the run.
    rng = random.Random(seed)
    for last_target in (steps // 2, steps - 4):  # the second kill leaves two saves after it
        resumed_at = int(sorted((faulted / "checkpoints").glob("step_*"))[-1].name.split("_")[1])
        target = rng.randrange(resumed_at + 2, max(resumed_at + 2, last_target) + 1, 2)
        delay = rng.uniform(0.0, 0.1)  # about a debug step here: the kill lands within a step or a save of target
        rc = run_and_kill([sys.executable, "-m", module, *run, "--resume"], env,
                          faulted / "checkpoints" / f"step_{target:08d}", delay)
        history.append((f"SIGKILL {delay:.2f} s after checkpoint {target} (resumed at {resumed_at})", rc,
                        assert_checkpoints_readable(faulted / "checkpoints")))
    # 3. resume to the end
    run_inprocess(run + ["--resume"])
    history.append(("resumed to the end", 0, assert_checkpoints_readable(faulted / "checkpoints")))
    random_kills = sum(rc == -signal.SIGKILL for what, rc, _ in history if what.startswith("SIGKILL"))
    print("\n".join(f"{what}: exit {rc}, checkpoints on disk {names}" for what, rc, names in history))
    assert random_kills == 2, "a random kill did not land before the run ended"
    diff = max_difference(reference / "final" / "model.safetensors", faulted / "final" / "model.safetensors")
    print(f"{module}: 1 + {random_kills} kills (hook + random), final weights differ from the uninterrupted run by at "
          f"most {diff:.3g}")
    assert diff <= 1e-6, f"{module}: the resumed weights differ from the uninterrupted run by {diff}"
    assert not list((faulted / "checkpoints").glob(".t*"))  # leftovers of killed saves were cleaned up
    return {"history": history, "reference": reference, "faulted": faulted}


# ---------------------------------------------------------------------------------------------------------------
# 1. killed training
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_codec_training_survives_kills(debug_recipe, tmp_path, one_thread):
    from codec.train import main

    data = debug_recipe / "data"
    result = kill_resume_cycle(tmp_path, "codec.train", lambda out, *x: codec_args(data, out, *x),
                               main, steps=16, seed=0)
    metrics = [json.loads(line) for line in (result["faulted"] / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in metrics] == list(range(1, 17))  # every line whole, every step logged once


@pytest.mark.slow
def test_lm_training_survives_kills(debug_recipe, tmp_path, one_thread):
    from lm.train import main

    kill_resume_cycle(tmp_path, "lm.train", lambda out, *x: lm_args(debug_recipe, out, *x),
                      main, steps=16, seed=1)


# ---------------------------------------------------------------------------------------------------------------
# 2. failed checkpoint writes (full disk)
# ---------------------------------------------------------------------------------------------------------------


def test_codec_checkpoint_write_failure_is_reported_and_training_goes_on(debug_recipe, tmp_path, monkeypatch, capsys):
    from codec.train import main

    out = tmp_path / "run"
    monkeypatch.setenv(FAULT_ENV, "enospc@4")
    final = main(codec_args(debug_recipe / "data", out, "--steps", "6", "--save-every", "2", "--keep-last", "5"))
    err = capsys.readouterr().err
    assert "checkpoint of step 4 NOT saved" in err and "No space left on device" in err and "step_00000004" in err
    assert "Latest good checkpoint" in err and "step_00000002" in err and "1 failed checkpoint save(s)" in err
    assert assert_checkpoints_readable(out / "checkpoints") == ["step_00000002", "step_00000006"]
    assert not list((out / "checkpoints").glob(".t*")) and (final / "model.safetensors").exists()


def test_repeated_checkpoint_failures_stop_the_run(debug_recipe, tmp_path, monkeypatch):
    from codec.train import main

    out = tmp_path / "run"
    monkeypatch.setenv(FAULT_ENV, "enospc@4,6")
    with pytest.raises(CheckpointError, match=r"step 6: 2 checkpoint saves in a row failed.*No space left.*step_00000002"):
        main(codec_args(debug_recipe / "data", out, "--steps", "8", "--save-every", "2", "--max-checkpoint-failures", "2"))
    assert assert_checkpoints_readable(out / "checkpoints") == ["step_00000002"]


def test_lm_checkpoint_write_failure_keeps_previous(debug_recipe, tmp_path, monkeypatch, capsys):
    from lm.train import main

    out = tmp_path / "run"
    monkeypatch.setenv(FAULT_ENV, "enospc@2")
    assert main(lm_args(debug_recipe, out, "--steps", "4", "--save-every", "1")) == 0
    err = capsys.readouterr().err
    assert "checkpoint of step 2 NOT saved" in err and "No space left on device" in err
    assert assert_checkpoints_readable(out / "checkpoints") == ["step_00000001", "step_00000003", "step_00000004"]
    assert not list((out / "checkpoints").glob(".t*"))


# ---------------------------------------------------------------------------------------------------------------
# 3. non-finite losses and gradients
# ---------------------------------------------------------------------------------------------------------------


def _tb_scalars(log_dir: Path, tag: str) -> dict[int, float]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    return {e.step: e.value for e in acc.Scalars(tag)} if tag in acc.Tags()["scalars"] else {}


def _same_weights(a: Path, b: Path, name: str) -> bool:
    wa, wb = load_file(str(a / name)), load_file(str(b / name))
    return all(torch.equal(wa[k], wb[k]) for k in wa)


def test_codec_skips_nonfinite_steps(debug_recipe, tmp_path, monkeypatch, capsys):
    from codec.train import main

    out = tmp_path / "run"
    monkeypatch.setenv(NONFINITE_FAULT_ENV, "loss@3;grad@5")
    main(codec_args(debug_recipe / "data", out, "--steps", "6", "--save-every", "1", "--keep-last", "10"))
    err = capsys.readouterr().err
    assert "step 3: non-finite generator loss" in err and "step 5: non-finite generator loss or gradient" in err
    ckpts = out / "checkpoints"
    # a non-finite generator loss (checked first) skips the whole step: nothing changes from step 2 to 3
    step = {n: ckpts / f"step_{n:08d}" for n in range(1, 7)}
    assert _same_weights(step[2], step[3], "generator.safetensors")
    assert _same_weights(step[2], step[3], "discriminators.safetensors")
    # a non-finite generator gradient skips the generator's update; the discriminators' own (finite) step of
    # that iteration, taken before, stands
    assert _same_weights(step[4], step[5], "generator.safetensors")
    assert not _same_weights(step[4], step[5], "discriminators.safetensors")
    assert not _same_weights(step[3], step[4], "generator.safetensors")  # good steps do update
    state = json.loads((ckpts / "step_00000006" / "trainer_state.json").read_text())
    assert state["nonfinite"] == {"total": 2, "consecutive": 0}
    metrics = {r["step"]: r for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines())}
    assert [s for s, r in metrics.items() if r.get("skipped_nonfinite")] == [3, 5]
    assert _tb_scalars(out / "tb", "nonfinite/skipped_steps") == {3: 1.0, 5: 2.0}


def test_codec_skips_a_nonfinite_discriminator_step(debug_recipe, tmp_path, monkeypatch, capsys):
    """The discriminators' own guard: a NaN discriminator loss (step 5; adversarial from step 4) skips their update,
    not the generator's (guarded by its own loss and gradient), is counted and reported, and the run goes on."""
    from codec.train import main

    out = tmp_path / "run"
    monkeypatch.setenv(NONFINITE_FAULT_ENV, "disc@5")
    main(codec_args(debug_recipe / "data", out, "--steps", "6", "--save-every", "1", "--keep-last", "10"))
    assert "step 5: non-finite discriminator loss or gradient" in capsys.readouterr().err
    ckpts = out / "checkpoints"
    assert len(assert_checkpoints_readable(ckpts)) == 6  # every checkpoint finite: no NaN update reached the weights
    step = {n: ckpts / f"step_{n:08d}" for n in range(1, 7)}
    assert _same_weights(step[4], step[5], "discriminators.safetensors")
    assert not _same_weights(step[3], step[4], "discriminators.safetensors")  # good adversarial steps do update
    assert not _same_weights(step[5], step[6], "discriminators.safetensors")  # and the next one trains again
    assert not _same_weights(step[4], step[5], "generator.safetensors")  # its update was not skipped with theirs
    assert not _same_weights(step[5], step[6], "generator.safetensors")
    state = json.loads((ckpts / "step_00000006" / "trainer_state.json").read_text())
    assert state["nonfinite"] == {"total": 1, "consecutive": 0}
    metrics = {r["step"]: r for r in map(json.loads, (out / "metrics.jsonl").read_text().splitlines())}
    assert [s for s, r in metrics.items() if r.get("skipped_nonfinite")] == [5]
    assert _tb_scalars(out / "tb", "nonfinite/skipped_steps") == {5: 1.0}


def test_codec_stops_after_too_many_nonfinite_steps(debug_recipe, tmp_path, monkeypatch):
    from codec.train import main

    out = tmp_path / "run"
    monkeypatch.setenv(NONFINITE_FAULT_ENV, "loss@3,4,5,6,7,8")
    with pytest.raises(NonFiniteError, match=r"step 5: 3 optimizer steps in a row.*last good checkpoint"):
        main(codec_args(debug_recipe / "data", out, "--steps", "8", "--save-every", "2", "--max-nonfinite-steps", "3"))
    assert assert_checkpoints_readable(out / "checkpoints") == ["step_00000002", "step_00000004"]
    # step 4's checkpoint holds step 2's weights: the skipped steps 3 and 4 changed nothing
    assert _same_weights(out / "checkpoints" / "step_00000002", out / "checkpoints" / "step_00000004", "generator.safetensors")


def test_lm_skips_nonfinite_steps_then_stops(debug_recipe, tmp_path, monkeypatch, capsys):
    from lm.train import main

    out = tmp_path / "ok"
    monkeypatch.setenv(NONFINITE_FAULT_ENV, "loss@2;grad@3")
    assert main(lm_args(debug_recipe, out, "--steps", "4", "--save-every", "1", "--keep-last", "10")) == 0
    assert "step 2: non-finite loss or gradient" in capsys.readouterr().err
    ckpts = out / "checkpoints"
    assert _same_weights(ckpts / "step_00000001", ckpts / "step_00000003", "model.safetensors")
    assert not _same_weights(ckpts / "step_00000003", ckpts / "step_00000004", "model.safetensors")
    assert _tb_scalars(out / "tensorboard", "nonfinite/skipped_steps") == {2: 1.0, 3: 2.0}

    out = tmp_path / "stops"
    monkeypatch.setenv(NONFINITE_FAULT_ENV, "grad@2,3,4,5")
    with pytest.raises(NonFiniteError, match=r"step 3: 2 optimizer steps in a row"):
        main(lm_args(debug_recipe, out, "--steps", "5", "--save-every", "1", "--max-nonfinite-steps", "2"))
    assert assert_checkpoints_readable(out / "checkpoints") == ["step_00000001", "step_00000002"]


def test_a_stop_signal_ignored_at_start_stays_ignored():
    """A shell starts background jobs with SIGINT ignored (Ctrl-C at the terminal must not reach them): training
    keeps it so, and still stops gracefully on SIGTERM."""
    from codec.trainloop import StopOnSignal

    inherited = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with StopOnSignal(accelerator=None) as stop:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGINT)
            assert stop.received is None
            os.kill(os.getpid(), signal.SIGTERM)
            assert stop.received == signal.SIGTERM
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, inherited)


# ---------------------------------------------------------------------------------------------------------------
# 4. the pieces of the policies above, alone (fast)
# ---------------------------------------------------------------------------------------------------------------


def test_trim_partial_line_cuts_a_half_written_last_line_only(tmp_path):
    """A codec run killed mid-append leaves half a line at the end of metrics.jsonl: the resumed run cuts it off,
    and leaves a file of complete lines (or no file) as it is."""
    from codec.trainloop import trim_partial_line

    complete = b'{"step": 1, "mel": 1.5}\n{"step": 2, "mel": 1.25}\n'
    killed = tmp_path / "killed.jsonl"
    killed.write_bytes(complete + b'{"step": 3, "me')
    trim_partial_line(killed)
    assert killed.read_bytes() == complete
    assert [json.loads(line)["step"] for line in killed.read_text().splitlines()] == [1, 2]

    only_half = tmp_path / "only_half.jsonl"  # killed during the very first append
    only_half.write_bytes(b'{"step": 1, "m')
    trim_partial_line(only_half)
    assert only_half.read_bytes() == b""

    whole = tmp_path / "whole.jsonl"
    whole.write_bytes(complete)
    trim_partial_line(whole)
    assert whole.read_bytes() == complete

    missing = tmp_path / "missing.jsonl"
    trim_partial_line(missing)  # a run that never logged: nothing to do, nothing created
    assert not missing.exists()

    # resumed from the checkpoint of step 1: the lines of the steps it takes again go (with the half line)
    killed.write_bytes(complete + b'{"step": 3, "me')
    trim_partial_line(killed, after_step=1)
    assert killed.read_bytes() == b'{"step": 1, "mel": 1.5}\n'
    trim_partial_line(killed, after_step=0)  # no checkpoint: every step is taken again
    assert killed.read_bytes() == b""


class _SignalsInWorker(torch.utils.data.Dataset):
    """Each item: the worker process sends itself SIGTERM then SIGINT (as a scheduler or Ctrl-C signalling the whole
    process group would) and reports whether it is still there to answer, and how it now handles both."""

    def __len__(self):
        return 1

    def __getitem__(self, i):
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        ignored = [signal.getsignal(s) == signal.SIG_IGN for s in (signal.SIGTERM, signal.SIGINT)]
        return {"pid": os.getpid(), "ignored": ignored}


def test_dataloader_workers_ignore_stop_signals():
    """codec.train's DataLoader workers get ignore_stop_signals as worker_init_fn: a SIGTERM or SIGINT sent to the
    whole process group leaves them serving the step under way. Checked in a real worker process (forked), so the
    test process's own handlers are never touched."""
    from codec.trainloop import ignore_stop_signals

    def init(worker_id):
        # the handlers of an ordinary process, whatever this test process inherited (a background job ignores SIGINT)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        ignore_stop_signals(worker_id)

    loader = torch.utils.data.DataLoader(_SignalsInWorker(), batch_size=None, num_workers=1, worker_init_fn=init,
                                         multiprocessing_context="fork", timeout=60)
    (item,) = list(loader)  # without the init function the worker dies: "DataLoader worker ... killed by signal"
    assert item["pid"] != os.getpid()
    assert item["ignored"] == [True, True]


def test_a_second_sigterm_ends_the_process_at_once():
    """The first SIGTERM only sets StopOnSignal's flag; a second one acts as without the handler (SIGTERM's default:
    the process ends there), for a step that hangs. In a subprocess, which the second signal must end."""
    child = (
        "import os, signal, sys\n"
        "signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"  # as an ordinary process, whatever this one inherited
        "from codec.trainloop import StopOnSignal\n"
        "with StopOnSignal(accelerator=None) as stop:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    print('first', stop.received, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    print('still running after the second SIGTERM', flush=True)\n"
    )
    proc = subprocess.run([sys.executable, "-c", child], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"})
    assert proc.stdout.splitlines()[:1] == [f"first {int(signal.SIGTERM)}"], proc.stderr[-2000:]
    assert "still running" not in proc.stdout
    assert proc.returncode == -signal.SIGTERM, (proc.returncode, proc.stderr[-2000:])


def test_a_failed_checkpoint_save_is_counted_in_tensorboard(tmp_path, monkeypatch):
    """CheckpointSaver: each failed save is counted in TensorBoard (checkpoint/failed_saves, the running total at that
    step) and training goes on."""
    from types import SimpleNamespace

    from codec.checkpoint import CheckpointManager
    from codec.trainloop import CheckpointSaver, TrainLogger

    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    logger = TrainLogger(SimpleNamespace(is_main_process=True), tmp_path / "tb", total_steps=6)
    saver = CheckpointSaver(CheckpointManager(tmp_path / "checkpoints"), logger, max_consecutive=3)
    assert saver.save(2, {"model": model}, {"opt": opt}) is not None
    monkeypatch.setenv(FAULT_ENV, "enospc@4,6")
    assert saver.save(4, {"model": model}, {"opt": opt}) is None
    assert saver.save(6, {"model": model}, {"opt": opt}) is None
    logger.close()
    assert saver.failures == 2
    assert _tb_scalars(tmp_path / "tb", "checkpoint/failed_saves") == {4: 1.0, 6: 2.0}
