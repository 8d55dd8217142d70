"""The command lines' answer to the commonest mistakes: one `error:` line naming the thing and why, exit status 2,
no traceback and nothing written (codec/cli.py)."""
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
def test_a_bad_input_is_one_error_line(tmp_path, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert message.format(tmp=tmp_path) in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
