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
