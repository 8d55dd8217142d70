"""Shared fixtures: a tiny offline speech corpus rendered once per test session, the debug recipe run once (in the
background from the end of collection), commands run in-process."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = pytest.StashKey[Path]()
RECIPE = pytest.StashKey[tuple]()  # (exp folder, the recipe's process, its log)


def _private_cache(config: pytest.Config) -> Path:
    if CACHE_DIR not in config.stash:
        config.stash[CACHE_DIR] = config._tmp_path_factory.mktemp("cache")
    return config.stash[CACHE_DIR]


@pytest.fixture(scope="session", autouse=True)
def private_phoneme_cache(pytestconfig):
    """espeak-ng's answers (and the half-precision verdicts) cached for this session only (lm/user_cache.py), never
    read from the user's ~/.cache, where an entry could hide a change in what espeak-ng is asked; subprocesses (the
    debug recipe) get it too."""
    previous = os.environ.get("SGSPEECH_CACHE_DIR")
    os.environ["SGSPEECH_CACHE_DIR"] = str(_private_cache(pytestconfig))
    yield
    if previous is None:
        del os.environ["SGSPEECH_CACHE_DIR"]
    else:
        os.environ["SGSPEECH_CACHE_DIR"] = previous


def _start_debug_recipe(config: pytest.Config) -> None:
    exp = config._tmp_path_factory.mktemp("exp-debug")
    log = exp.parent / f"{exp.name}.log"
    env = {**os.environ, "PYTHON": sys.executable, "TQDM_DISABLE": "1",
           "SGSPEECH_CACHE_DIR": str(_private_cache(config))}
    env.setdefault("OMP_NUM_THREADS", "1")  # beside the tests: a thread per process (unless the user set a count)
    # --set: the preset's 20 codec steps become 16 (test_recipe checks that the override took effect)
    with open(log, "w") as out:  # a file, not a pipe: a pipe nobody reads would stall the recipe once full
        proc = subprocess.Popen(["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "debug", "--exp", str(exp),
                                 "--set", "codec_steps=16"], stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)  # its own process group: ended whole at session end
    config.stash[RECIPE] = (exp, proc, log)


def pytest_collection_finish(session):
    """The debug recipe, the suite's longest fixture (~3 min on 2 cores), starts as soon as the tests to run are known
    (after -k, -m, --deselect and --lf have had their say) and one of them needs it: it runs beside the tests before
    its first user instead of holding that one up."""
    if not session.config.option.collectonly and any("debug_recipe" in item.fixturenames for item in session.items):
        _start_debug_recipe(session.config)


def _end_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the recipe's process group, then wait for all of it (a training process saves its step first:
    seconds), and SIGKILL what is left after 30 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        for _ in range(300):
            time.sleep(0.1)
            proc.poll()  # reaps the recipe's shell: a zombie still counts as a member of its group
            os.killpg(proc.pid, 0)  # ProcessLookupError once no process of the group is left
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def pytest_sessionfinish(session):
    """A run that ends before the recipe does (-x, a Ctrl-C, no test left that needs it) takes it down with it."""
    if RECIPE in session.config.stash:
        proc = session.config.stash[RECIPE][1]
        if proc.poll() is None:
            _end_process_group(proc)
        proc.wait()


@pytest.fixture
def run_command(monkeypatch, capsys):
    """`python -m MODULE ARGS...` (or `python SCRIPT.py ARGS...`, SCRIPT under scripts/) run in this process from
    the repository root, as a subprocess.CompletedProcess with its exit status, stdout and stderr. A subprocess would
    pay ~2-5 s of imports per case for the same code path: argv parsed, main() run, its errors turned into one line
    by codec.cli.run_main. As in a process of its own, logging starts with no handler (a command's basicConfig
    takes effect; records reach stderr) and warnings are printed to stderr; a `sys.exit("text")` reads as the
    interpreter makes it (status 1, the text on stderr); an uncaught exception fails the test with its traceback.
    What a command may leave behind in this process is put back: torch's thread count, the random states (the
    training commands seed them), logging's handlers and level, sys.path, os.environ, the working directory."""
    import logging
    import random
    import runpy
    import warnings

    import numpy as np
    import torch

    def show_on_stderr(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    def run(target: str, *args: str) -> subprocess.CompletedProcess:
        monkeypatch.chdir(ROOT)
        monkeypatch.setattr(sys, "argv", [target, *args])
        monkeypatch.setattr(sys, "path", list(sys.path))
        threads, environ = torch.get_num_threads(), dict(os.environ)
        states = torch.get_rng_state(), np.random.get_state(), random.getstate()
        handlers, level = list(logging.root.handlers), logging.root.level
        logging.root.handlers[:] = []  # pytest's own capture handlers, back in `finally`
        capsys.readouterr()
        try:
            with warnings.catch_warnings():
                warnings.showwarning = show_on_stderr  # not into pytest's record of the test's warnings
                # the module was imported by an earlier test (a fresh `python -m` would not have it yet): harmless
                warnings.filterwarnings("ignore", "'.*' found in sys.modules after import of package", RuntimeWarning)
                if target.endswith(".py"):
                    runpy.run_path(str(ROOT / "scripts" / target), run_name="__main__")
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
            torch.set_rng_state(states[0])
            np.random.set_state(states[1])
            random.setstate(states[2])
            for handler in logging.root.handlers:  # the command's own, on a captured stream about to close
                handler.close()
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
def debug_recipe(pytestconfig) -> Path:
    """The whole debug recipe (corpus -> codecs -> tokens -> LMs -> TTS -> report), run once: its exp folder. Started
    at the end of collection (pytest_collection_modifyitems); here its end is awaited."""
    if RECIPE not in pytestconfig.stash:
        _start_debug_recipe(pytestconfig)
    exp, proc, log = pytestconfig.stash[RECIPE]
    try:
        status = proc.wait(timeout=900)
    except subprocess.TimeoutExpired:
        _end_process_group(proc)
        pytest.fail(f"the debug recipe ran over 15 minutes: killed (its log: {log})")
    assert status == 0, f"debug recipe failed (its log: {log}):\n{log.read_text()[-8000:]}"
    return exp


@pytest.fixture
def signal_at_step(monkeypatch):
    """`signal_at_step(module, step, *signals)`: the training loop of `module` (codec.train, lm.train) sends itself
    `signals` when it sets the LR of its (0-based) `step`, i.e. while that step is under way. SIGINT gets Python's
    own handler for the test, whatever the test process inherited (a background launch starts it ignored)."""
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

