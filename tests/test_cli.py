"""The command lines' answer to the commonest mistakes: one `error:` line naming the thing and why, exit status 2,
no traceback and nothing written (codec/cli.py). Each runs in this process (conftest's run_command), as
`python -m` would run it, without a new interpreter's imports."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "pipelines" / "default_model"


@pytest.mark.parametrize("args, message", [
    (["codec.train", "--preset", "debug", "--train-manifest", "{tmp}/nope.jsonl", "--out", "{tmp}/out"],
     "error: manifest {tmp}/nope.jsonl: file not found"),
    (["codec.train", "--preset", "debug", "--train-manifest", "x", "--out", "{tmp}/out", "--save-every", "0"],
     "argument --save-every: 0: must be at least 1"),
    (["lm.extract", "--codec", str(BUNDLE / "lm"), "--manifest", "{tmp}/nope.jsonl", "--out", "{tmp}/out"],
     "error: " + str(BUNDLE / "lm" / "config.json") + ": unknown codec config fields"),
    (["lm.text", "--manifest", "{tmp}/nope.jsonl", "--out", "{tmp}/out"], "error: manifest {tmp}/nope.jsonl: file not found"),
    (["lm.train", "--tokens", "{tmp}/none", "--dev-tokens", "{tmp}/none", "--out", "{tmp}/out"],
     "error: {tmp}/none/tokens.json: file not found"),
    (["lm.score", "--lm", "a={tmp}/nolm:{tmp}/none"], "error: {tmp}/nolm/config.json: file not found"),
    (["pipelines.evaluate", "codec", "--codec", str(BUNDLE / "codec"), "--manifest", "{tmp}/nope.jsonl", "--out",
      "{tmp}/out"], "error: manifest {tmp}/nope.jsonl: file not found"),
    (["benchmarks", "codec-infer", "--repeats", "0"], "argument --repeats: 0: must be at least 1"),
    (["benchmarks", "codec-infer", "--quick", "--repeats", "3"], "--quick sets its own repeats"),  # was ignored
])
def test_a_bad_input_is_one_error_line(tmp_path, args, message, run_command):
    proc = run_command(*[a.format(tmp=tmp_path) for a in args])
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert message.format(tmp=tmp_path) in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, message", [
    (["frame_periodicity.py", str(BUNDLE / "codec"), "--manifest", "{tmp}/empty.jsonl"],
     "error: manifest {tmp}/empty.jsonl: no utterance in it"),
    (["wer_oracle.py", "{tmp}/nocodec", "--manifest", "{tmp}/one.jsonl"], "error: {tmp}/nocodec: codec directory not found"),
    (["phase_oracle.py", str(BUNDLE / "codec"), "--manifest", "{tmp}/nope.jsonl"],
     "error: manifest {tmp}/nope.jsonl: file not found"),
    (["hidden_energy.py", str(BUNDLE / "codec"), "--manifest", "{tmp}/one.jsonl", "--n", "0"],
     "argument --n: 0: must be at least 1"),
    (["code_noise.py", "--codec", str(BUNDLE / "codec"), "--manifest", "{tmp}/one.jsonl", "--out", "{tmp}/out"],
     "expected NAME=DIR"),
    (["seed_pooled.py", "{tmp}", "a:b"], "error: claims: {tmp}/codec/a/per_utterance.json missing"),
    (["paired_wer.py", "{tmp}", "a:b", "--pool", "{tmp}/"], "error: {tmp}: the same compare folder as {tmp}, given twice"),
    (["plot_lm_progress.py", "--out", "{tmp}/out/p.png"], "nothing to draw"),
    (["plot_hidden_energy.py", "{tmp}/empty.jsonl", "--out", "{tmp}/out/p.png"], "no rows"),
])
def test_a_scripts_bad_input_is_one_error_line(tmp_path, args, message, run_command):
    import numpy as np
    import soundfile as sf

    (tmp_path / "empty.jsonl").write_text("")
    sf.write(tmp_path / "a.wav", np.zeros(8000, np.float32), 16000)
    (tmp_path / "one.jsonl").write_text('{"id": "a", "audio": "a.wav", "text": "a", "duration": 0.5, "sample_rate": 16000}\n')
    proc = run_command(*[a.format(tmp=tmp_path) for a in args])
    assert proc.returncode in (1, 2), proc.stderr[-2000:]  # 1: SystemExit with a message (the plotting scripts)
    assert message.format(tmp=tmp_path) in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "out").exists()


def test_folders_named_like_the_packages_in_the_working_directory_do_not_shadow_them(tmp_path):
    """A run's output folders codec/ and lm/ in the directory a command runs from made `import codec` find them
    (setuptools' default editable finder comes after the working directory): ImportError of 'Codec' from 'codec'
    (unknown location). The project is installed as a path entry (scripts/setup.sh, editable_mode=compat)."""
    for name in ("codec", "lm", "pipelines"):
        (tmp_path / name).mkdir()
    proc = subprocess.run([sys.executable, "-c", "import codec, lm, pipelines; from codec import Codec; "
                           "print(codec.__file__, lm.__file__, pipelines.__file__)"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert all(Path(f).parent.parent == ROOT for f in proc.stdout.split()), proc.stdout


@pytest.mark.parametrize("args, message", [
    (["codec.train", "--preset", "debug", "--train-manifest", "{tmp}/broken.jsonl", "--out", "{tmp}/out", "--cpu",
      "--steps", "1"], "error: manifest {tmp}/broken.jsonl: no usable utterances (1 set aside, e.g. bad: "),
    (["pipelines.evaluate", "codec", "--codec", str(BUNDLE / "codec"), "--manifest", "{tmp}/one.jsonl", "--out",
      "{tmp}/out", "--asr", "none", "--max-seconds", "0.1"], "no usable utterances (1 set aside, e.g. a: "),
    (["pipelines.evaluate", "compare", "--codec", "a=" + str(BUNDLE / "codec"), "--codec", "a=" + str(BUNDLE / "codec"),
      "--manifest", "{tmp}/one.jsonl", "--out", "{tmp}/out"], "a second system named 'a': give each its own name"),
    (["pipelines.evaluate", "compare", "--codec", "..=" + str(BUNDLE / "codec"), "--manifest", "{tmp}/one.jsonl",
      "--out", "{tmp}/out"], "'..' cannot name a system"),
    (["pipelines.evaluate", "codec", "--codec", str(BUNDLE / "codec"), "--manifest", "{tmp}/one.jsonl", "--out",
      "{tmp}/out", "--max-seconds", "-1"], "argument --max-seconds: -1"),
    (["codec.train", "--preset", "debug", "--train-manifest", "{tmp}/one.jsonl", "--out", "{tmp}/out", "--sg-weight",
      "nan"], "sg_weight nan: a loss weight must be a finite number >= 0"),
    # these three ended in tracebacks (IsADirectoryError, NotADirectoryError, AudioError)
    (["codec.train", "--preset", "debug", "--train-manifest", "{tmp}", "--out", "{tmp}/out"],
     "error: manifest {tmp}: a folder, not a manifest file"),
    (["codec.train", "--preset", "debug", "--train-manifest", "{tmp}/one.jsonl", "--out", "{tmp}/a.wav"],
     "--out {tmp}/a.wav: a file, not a folder"),
    (["codec.train", "--preset", "debug", "--train-manifest", "{tmp}/nan.jsonl", "--out", "{tmp}/run", "--steps", "1",
      "--cpu"], "error: manifest {tmp}/nan.jsonl: none of its 1 files could be read"),  # (found once it has started)
])
def test_a_corpus_or_setting_that_leaves_nothing_to_run_is_one_error_line(tmp_path, args, message, run_command):
    """Each of these ended in a traceback (a ValueError from deep inside), or (a repeated name, '..', NaN) ran on."""
    import numpy as np
    import soundfile as sf

    (tmp_path / "bad.wav").write_bytes(b"not audio at all" * 10)
    (tmp_path / "broken.jsonl").write_text('{"id": "bad", "audio": "bad.wav", "text": "a"}\n')
    sf.write(tmp_path / "a.wav", np.zeros(8000, np.float32), 16000)
    (tmp_path / "one.jsonl").write_text('{"id": "a", "audio": "a.wav", "text": "a", "duration": 0.5, "sample_rate": 16000}\n')
    sf.write(tmp_path / "nan.wav", np.full(8000, np.nan, np.float32), 16000, subtype="FLOAT")  # a header, no audio
    (tmp_path / "nan.jsonl").write_text('{"id": "n", "audio": "nan.wav", "text": "a", "duration": 0.5, "sample_rate": 16000}\n')
    proc = run_command(*[a.format(tmp=tmp_path) for a in args])
    assert proc.returncode in (1, 2), proc.stderr[-2000:]  # 1: a SystemExit with its message
    assert message.format(tmp=tmp_path) in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "out").exists()


def test_run_command_shows_what_a_process_of_its_own_would_and_leaves_no_trace(tmp_path, monkeypatch, run_command):
    """conftest's in-process runner: a command's logging (after its own basicConfig) and warnings reach its stderr as
    in a process of its own (pytest's handlers and warning record would take them), sys.exit("text") is status 1
    with the text, and the random seeds it sets do not leak into later tests."""
    import random

    import torch

    (tmp_path / "probe_cli.py").write_text(
        "import logging, random, sys, warnings\nimport torch\nlogging.basicConfig(level=logging.INFO)\n"
        "logging.getLogger('probe').info('logged')\nwarnings.warn('warned')\ntorch.manual_seed(1)\nrandom.seed(1)\n"
        "sys.exit('said')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = torch.get_rng_state(), random.getstate()
    proc = run_command("probe_cli")
    assert proc.returncode == 1 and proc.stderr.endswith("said\n"), proc.stderr
    assert "INFO:probe:logged" in proc.stderr and "UserWarning: warned" in proc.stderr, proc.stderr
    assert torch.equal(torch.get_rng_state(), before[0]) and random.getstate() == before[1]


def test_espeak_ng_missing_is_one_error_line_for_the_commands_that_phonemize(debug_recipe, tmp_path, monkeypatch,
                                                                              run_command):
    """lm.train --phonemes and lm.score of a phoneme LM ended in a traceback (status 1) without espeak-ng on PATH,
    where lm.text and python -m pipelines said so in one line."""
    monkeypatch.setenv("SGSPEECH_CACHE_DIR", "")  # no phonemes from an earlier run's cache
    tokens = debug_recipe / "tokens" / "256"
    train = lambda out: run_command("lm.train", "--tokens", str(tokens / "train"), "--dev-tokens", str(tokens / "dev"),
                                    "--out", str(out), "--preset", "debug", "--steps", "2", "--warmup-steps", "1",
                                    "--phonemes")
    assert train(tmp_path / "lm").returncode == 0  # a phoneme LM of these tokens, for lm.score below
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng there
    proc = train(tmp_path / "out")
    assert proc.returncode == 2 and "error: espeak-ng not found" in proc.stderr, proc.stderr[-2000:]
    proc = run_command("lm.score", "--lm", f"a={tmp_path / 'lm' / 'final'}:{tokens / 'dev'}")
    assert proc.returncode == 2 and "error: espeak-ng not found" in proc.stderr, proc.stderr[-2000:]
