"""`python -m codec.train` on real (synthetic) speech: learning, exact resume, a 2-process run."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from codec import Codec
from codec.export import codec_from_checkpoint
from codec.export import main as export_main
from codec.model import CodecLoadError
from codec.train import main

pytestmark = pytest.mark.slow


def train_args(corpus: dict, out: Path, *extra: str) -> list[str]:
    return ["--preset", "debug", "--train-manifest", str(corpus["train"]), "--out", str(out), "--batch-size", "4",
            "--segment-seconds", "0.4", "--seed", "0", "--cpu", *extra]


def read_metrics(out: Path) -> dict[int, dict]:
    """metrics.jsonl by step; a resumed run's lines for a step replace the earlier ones."""
    return {row["step"]: row for row in map(json.loads, (out / "metrics.jsonl").read_text().splitlines())}


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")


def test_debug_codec_learns(synth_corpus, tmp_path):
    out = tmp_path / "run"
    final = main(train_args(synth_corpus, out, "--steps", "24", "--lr", "3e-3", "--warmup-steps", "2",
                            "--adv-start-step", "20", "--save-every", "100", "--eval-every", "24",
                            "--dev-manifest", str(synth_corpus["dev"])))
    metrics = read_metrics(out)
    mel = [metrics[s]["mel"] for s in range(1, 25)]
    assert sum(mel[-5:]) / 5 < 0.85 * sum(mel[:5]) / 5, mel
    assert all(k in metrics[24] for k in ("sg", "adv", "fm", "disc", "lr", "grad_norm/generator", "quantization_error"))
    assert "adv" not in metrics[20] and "adv" in metrics[21]  # the adversarial part starts at --adv-start-step
    evaluation = json.loads((out / "eval" / "step_00000024.json").read_text())
    assert 0 < evaluation["eval/codebook_usage"] <= 1 and evaluation["eval/perplexity"] >= 1
    assert evaluation["eval/quantization_error"] > 0 and evaluation["eval/hidden_mse"] > 0
    assert list((out / "samples" / "step_00000024").glob("*_recon.wav"))
    assert list((out / "tb").iterdir())
    codec = Codec.from_pretrained(final)
    assert codec.config.sg and codec.encode(torch.randn(1, 3200) * 0.1)[0].shape == (1, 10)


def test_resumed_run_matches_uninterrupted(synth_corpus, tmp_path):
    out = tmp_path / "run"
    args = train_args(synth_corpus, out, "--steps", "6", "--save-every", "3", "--adv-start-step", "2", "--keep-last", "2")
    main(args)
    steps = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert steps == ["step_00000003", "step_00000006"]
    reference = load_file(str(out / "final" / "model.safetensors"))
    reference_metrics = read_metrics(out)
    # "interrupt" after step 3: drop everything the uninterrupted run wrote later, then resume
    shutil.rmtree(out / "checkpoints" / "step_00000006")
    shutil.rmtree(out / "final")
    main(args + ["--resume"])
    resumed = load_file(str(out / "final" / "model.safetensors"))
    assert resumed.keys() == reference.keys()
    for name in reference:
        torch.testing.assert_close(resumed[name], reference[name], rtol=1e-5, atol=1e-6, msg=name)
    resumed_metrics = read_metrics(out)
    for step in (4, 5, 6):
        for key in ("mel", "sg", "adv", "fm", "disc", "total_g"):
            assert resumed_metrics[step][key] == pytest.approx(reference_metrics[step][key], rel=1e-5), (step, key)
    # a checkpoint exported as a codec folder (python -m codec.export) holds the same codec as final/
    exported = export_main([str(out / "checkpoints" / "step_00000006"), str(tmp_path / "exported")])
    assert load_file(str(exported / "model.safetensors")).keys() == resumed.keys()
    for name, value in load_file(str(exported / "model.safetensors")).items():
        assert torch.equal(value, resumed[name]), name
    assert Codec.from_pretrained(exported).config == Codec.from_pretrained(out / "final").config
    with pytest.raises(CodecLoadError, match="trainer_state.json: missing"):
        codec_from_checkpoint(out / "final")  # a codec folder is not a training checkpoint


def test_resume_refuses_other_data_settings_and_names_a_schedule_change(synth_corpus, tmp_path, capsys):
    out = tmp_path / "run"
    args = train_args(synth_corpus, out, "--save-every", "2", "--adv-start-step", "0")
    main(args + ["--steps", "2"])
    before = (out / "metrics.jsonl").read_text()
    with pytest.raises(SystemExit, match=r"other data settings \(batch_size 4 -> 2\)"):
        main(args + ["--steps", "3", "--resume", "--batch-size", "2"])
    assert (out / "metrics.jsonl").read_text() == before  # refused before a step was taken
    capsys.readouterr()
    main(args + ["--steps", "3", "--resume"])  # extending the run is allowed, with a notice
    assert "resuming under another schedule (steps 2 -> 3)" in capsys.readouterr().out
    assert sorted(read_metrics(out)) == [1, 2, 3]


def test_two_process_cpu_run(synth_corpus, tmp_path):
    out = tmp_path / "ddp"
    # `accelerate launch --cpu --num_processes 2` starts a single process in accelerate 1.x (multi-CPU needs
    # mpirun); torchrun's environment is what Accelerate reads to run 2 CPU processes over gloo
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "codec.train",
           *train_args(synth_corpus, out, "--steps", "3", "--save-every", "2", "--adv-start-step", "1", "--batch-size", "2")]
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, cwd=Path(__file__).parents[1])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(read_metrics(out)) == [1, 2, 3]
    assert (out / "checkpoints" / "step_00000003" / "rng_rank1.json").exists()  # both ranks saved their RNG
    assert Codec.from_pretrained(out / "final").codebook_size == 256
