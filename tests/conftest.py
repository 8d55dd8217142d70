"""Shared fixtures: a tiny offline speech corpus rendered once per test session."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def private_phoneme_cache(tmp_path_factory):
    """espeak-ng's answers cached for this session only (lm/phonemes.py), never read from the user's ~/.cache,
    where an entry could hide a change in what espeak-ng is asked; subprocesses (the debug recipe) inherit it."""
    import os

    previous = os.environ.get("SGSPEECH_CACHE_DIR")
    os.environ["SGSPEECH_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        del os.environ["SGSPEECH_CACHE_DIR"]
    else:
        os.environ["SGSPEECH_CACHE_DIR"] = previous


@pytest.fixture
def run_command(monkeypatch, capsys):
    """`python -m MODULE ARGS...` (or `python SCRIPT.py ARGS...`, SCRIPT under scripts/) run in this process from
    the repository root, as a subprocess.CompletedProcess with its exit status, stdout and stderr. A subprocess would
    pay ~2-5 s of imports per case for the same code path: argv parsed, main() run, its errors turned into one line
    by codec.cli.run_main. A `sys.exit("text")` reads as the interpreter makes it (status 1, the text on stderr);
    an uncaught exception fails the test with its traceback. What a command may leave behind in this process
    (torch's thread count, logging handlers on the captured streams, sys.path, os.environ) is put back."""
    import logging
    import os
    import runpy
    import subprocess
    import sys
    import warnings

    import torch

    root = Path(__file__).resolve().parent.parent

    def run(target: str, *args: str) -> subprocess.CompletedProcess:
        monkeypatch.chdir(root)
        monkeypatch.setattr(sys, "argv", [target, *args])
        monkeypatch.setattr(sys, "path", list(sys.path))
        threads, environ = torch.get_num_threads(), dict(os.environ)
        handlers, level = list(logging.root.handlers), logging.root.level
        capsys.readouterr()
        try:
            with warnings.catch_warnings():
                # the module was imported by an earlier test (a fresh `python -m` would not have it yet): harmless
                warnings.filterwarnings("ignore", "'.*' found in sys.modules after import of package", RuntimeWarning)
                if target.endswith(".py"):
                    runpy.run_path(str(root / "scripts" / target), run_name="__main__")
                else:
                    runpy.run_module(target, run_name="__main__", alter_sys=True)
            status = 0
        except SystemExit as done:
            status = done.code
            if not isinstance(status, int | None):  # sys.exit("text"): the interpreter prints it, exits with 1
                print(status, file=sys.stderr)
                status = 1
        finally:
            torch.set_num_threads(threads)
            logging.root.handlers[:] = handlers
            logging.root.setLevel(level)
            os.environ.clear()
            os.environ.update(environ)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess([target, *args], status or 0, out, err)

    return run


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny LM matrices: extra torch threads only contend with other processes on a small CI machine."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def synth_corpus(tmp_path_factory) -> dict:
    """12 utterances by the flite voices slt and rms: {"train", "dev", "test"} manifest paths (10 / 1 / 1)."""
    from pipelines.corpus import build_synth

    return build_synth(tmp_path_factory.mktemp("synth"), ["slt", "rms"], max_utts=12, seed=0)


@pytest.fixture(scope="session")
def debug_recipe(tmp_path_factory) -> Path:
    """The whole debug recipe (corpus -> codecs -> tokens -> LMs -> TTS -> report), run once: its exp folder."""
    import os
    import subprocess
    import sys
    exp = tmp_path_factory.mktemp("exp-debug")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHON": sys.executable, "TQDM_DISABLE": "1"}
    # --set: the preset's 20 codec steps become 16 (test_recipe checks that the override took effect)
    proc = subprocess.run(["bash", str(root / "recipes" / "run.sh"), "--preset", "debug", "--exp", str(exp),
                           "--set", "codec_steps=16"],
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, f"debug recipe failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    (exp / "recipe.log").write_text(proc.stdout + proc.stderr)
    return exp


@pytest.fixture
def signal_at_step(monkeypatch):
    """`signal_at_step(module, step, *signals)`: the training loop of `module` (codec.train, lm.train) sends itself
    `signals` when it sets the LR of its (0-based) `step`, i.e. while that step is under way. SIGINT gets Python's
    own handler for the test, whatever the test process inherited (a background launch starts it ignored)."""
    import os
    import signal

    def arm(module, at_step: int, *signals: int) -> None:
        lr_at = module.lr_at

        def lr_at_and_signal(step, *args):
            if step == at_step:
                for signum in signals:
                    os.kill(os.getpid(), signum)
            return lr_at(step, *args)

        monkeypatch.setattr(module, "lr_at", lr_at_and_signal)

    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield arm
    signal.signal(signal.SIGINT, inherited)
