"""`python -m codec.train` on real (synthetic) speech: learning, exact resume, a 2-process run."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors.torch import load_file

import codec.train as codec_train
from codec import Codec
from codec.checkpoint import CheckpointError, CheckpointManager
from codec.data import Utterance, read_manifest, write_manifest
from codec.export import codec_from_checkpoint
from codec.export import main as export_main
from codec.model import CodecLoadError
from codec.train import main
from codec.trainloop import TrainingStopped

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
    # one batch's mel loss varies by +-2 around ~11, and most of the drop is over by step 5: the mean of the last 10
    # steps against the first 2 (the untrained model). Training seeds 0-4 give 0.69-0.73; with --lr 1e-9 (nothing
    # learnt) 0.94-0.98. The last 5 against the first 5 gave 0.74-0.90 learning and 0.92-1.03 not: seed 3 failed.
    assert sum(mel[-10:]) / 10 < 0.85 * sum(mel[:2]) / 2, mel
    assert all(k in metrics[24] for k in ("sg", "adv", "fm", "disc", "lr", "grad_norm/generator", "quantization_error"))
    assert "adv" not in metrics[20] and "adv" in metrics[21]  # the adversarial part starts at --adv-start-step
    evaluation = json.loads((out / "eval" / "step_00000024.json").read_text())
    assert 0 < evaluation["eval/codebook_usage"] <= 1 and evaluation["eval/perplexity"] >= 1
    assert evaluation["eval/quantization_error"] > 0 and evaluation["eval/hidden_mse"] > 0
    assert evaluation["eval/relative_hidden_mse"] == pytest.approx(evaluation["eval/hidden_mse"] / evaluation["eval/hidden_energy"])
    assert list((out / "samples" / "step_00000024").glob("*_recon.wav"))
    assert list((out / "tb").iterdir())
    codec = Codec.from_pretrained(final)
    assert codec.config.sg and codec.encode(torch.randn(1, 3200) * 0.1)[0].shape == (1, 10)


def test_centered_sg_loss_trains_and_is_saved(synth_corpus, tmp_path):
    out = tmp_path / "run"
    final = main(train_args(synth_corpus, out, "--steps", "4", "--sg", "--sg-loss", "centered", "--sg-weight", "13",
                            "--adv-start-step", "4", "--save-every", "100", "--eval-every", "100"))
    sg = [row["sg"] for row in read_metrics(out).values()]
    assert len(sg) == 4 and all(0 < x < float("inf") for x in sg)
    config = json.loads((final / "config.json").read_text())
    assert config["sg_loss"] == "centered" and config["sg_weight"] == 13
    plain = main(train_args(synth_corpus, tmp_path / "plain", "--steps", "1", "--adv-start-step", "1"))
    assert "sg_loss" not in json.loads((plain / "config.json").read_text())  # the default stays out of config.json


def test_sg_weight_ramps_over_its_steps_and_a_ramp_without_sg_is_refused(synth_corpus, tmp_path):
    out = tmp_path / "run"
    main(train_args(synth_corpus, out, "--steps", "4", "--sg", "--sg-weight", "8", "--sg-ramp-steps", "4",
                    "--adv-start-step", "4", "--save-every", "100", "--eval-every", "100"))
    metrics = read_metrics(out)
    assert [metrics[s]["sg_weight"] for s in range(1, 5)] == [2.0, 4.0, 6.0, 8.0]
    for row in metrics.values():  # the generator's loss is the mel loss plus the SG loss at that step's weight
        assert row["total_g"] == pytest.approx(15 * row["mel"] + row["sg_weight"] * row["sg"], rel=1e-5)
    with pytest.raises(SystemExit, match="--sg-ramp-steps 4: this run trains without self-guidance"):
        main(train_args(synth_corpus, tmp_path / "plain", "--steps", "1", "--no-sg", "--sg-ramp-steps", "4"))
    assert not (tmp_path / "plain").exists()


def test_resumed_run_matches_uninterrupted(synth_corpus, tmp_path, monkeypatch, signal_at_step):
    out = tmp_path / "run"
    schedule = ("--steps", "6", "--save-every", "3", "--adv-start-step", "2", "--keep-last", "2")
    args = train_args(synth_corpus, out, *schedule)
    main(args)
    steps = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert steps == ["step_00000003", "step_00000006"]
    reference = load_file(str(out / "final" / "model.safetensors"))
    reference_metrics = read_metrics(out)
    # Ctrl-C during the fifth step: that step ends and is saved, the run stops; resumed, it ends where the other did
    stopped = tmp_path / "stopped"
    signal_at_step(codec_train, 4, signal.SIGINT)
    with pytest.raises(TrainingStopped) as stop:
        main(train_args(synth_corpus, stopped, *schedule))
    assert stop.value.step == 5 and stop.value.exit_code == 130
    assert sorted(p.name for p in (stopped / "checkpoints").iterdir()) == ["step_00000003", "step_00000005"]
    assert not (stopped / "final").exists() and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    monkeypatch.undo()
    main(train_args(synth_corpus, stopped, *schedule, "--resume"))
    for name, value in load_file(str(stopped / "final" / "model.safetensors")).items():
        torch.testing.assert_close(value, reference[name], rtol=1e-5, atol=1e-6, msg=name)
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
    origin = json.loads((exported / "exported_from.json").read_text())  # its history, for model cards
    assert origin["step"] == 6 and Path(origin["run"]).resolve() == out.resolve()
    with pytest.raises(CodecLoadError, match="trainer_state.json: missing"):
        codec_from_checkpoint(out / "final")  # a codec folder is not a training checkpoint
    with pytest.raises(CodecLoadError, match=r"step_00000006: a training checkpoint, not a codec folder: export it "
                                             r"first \(python -m codec.export .*step_00000006 OUT\)"):
        Codec.from_pretrained(out / "checkpoints" / "step_00000006")  # and the reverse: named, with the way out
    with pytest.raises(SystemExit) as err:  # the run folder itself as the export's target: refused, run kept
        export_main([str(out / "checkpoints" / "step_00000006"), str(out)])
    assert err.value.code == 2 and (out / "checkpoints" / "step_00000006").is_dir()
    future = tmp_path / "future"  # a checkpoint of a later format is refused, not read as this one
    shutil.copytree(out / "checkpoints" / "step_00000006", future)
    state = json.loads((future / "trainer_state.json").read_text())
    (future / "trainer_state.json").write_text(json.dumps({**state, "format_version": 99}))
    with pytest.raises(CodecLoadError, match="trainer_state.json: format version 99, this code reads"):
        codec_from_checkpoint(future)


def test_resumed_vq_run_matches_uninterrupted(synth_corpus, tmp_path, capsys):
    # VQ replaces dead codes with draws from the torch RNG at every step: resumed, the RNG must be where it was
    out = tmp_path / "run"
    args = train_args(synth_corpus, out, "--quantizer", "vq", "--steps", "4", "--save-every", "2",
                      "--adv-start-step", "4")
    main(args)
    # a step of this size holds far fewer frames than 2 per code: the run says its codebook will churn
    assert "most codewords will count as dead" in capsys.readouterr().err
    reference = load_file(str(out / "final" / "model.safetensors"))
    shutil.rmtree(out / "checkpoints" / "step_00000004")
    shutil.rmtree(out / "final")
    main(args + ["--resume"])
    for name, value in load_file(str(out / "final" / "model.safetensors")).items():
        torch.testing.assert_close(value, reference[name], rtol=1e-5, atol=1e-6, msg=name)


def test_unusable_files_are_set_aside_and_reported(synth_corpus, tmp_path, capsys, caplog):
    good = read_manifest(synth_corpus["train"])[0]
    # a training file whose header reads but whose samples do not: found only when a DataLoader worker loads it
    sf.write(tmp_path / "nan.wav", np.full(8000, np.nan, np.float32), 16000, subtype="FLOAT")
    broken = Utterance("broken", str(tmp_path / "nan.wav"), "", "s", 0.5, 16000)
    write_manifest(tmp_path / "train.jsonl", [good, broken])
    # a dev utterance shorter than one codec frame (320 samples): it cannot be encoded
    sf.write(tmp_path / "short.wav", np.full(200, 0.01, np.float32), 16000)
    short = Utterance("short", str(tmp_path / "short.wav"), "", "s", 200 / 16000, 16000)
    write_manifest(tmp_path / "dev.jsonl", [short, *read_manifest(synth_corpus["dev"])])
    out = tmp_path / "run"
    main(train_args({"train": tmp_path / "train.jsonl"}, out, "--steps", "1", "--adv-start-step", "1",
                    "--num-workers", "2", "--dev-manifest", str(tmp_path / "dev.jsonl"), "--eval-every", "1"))
    assert "1 training entries skipped:\n  broken: " in capsys.readouterr().err
    assert "skipped short: " in caplog.text and "under the minimum of 20 ms (one codec frame)" in caplog.text
    assert json.loads((out / "eval" / "step_00000001.json").read_text())["eval/mel"] > 0
    # resumed after the file was mended, the final list still names what the steps before the resume set aside
    # (it was kept only in the killed process's memory)
    sf.write(tmp_path / "nan.wav", np.full(8000, 0.01, np.float32), 16000, subtype="FLOAT")
    main(train_args({"train": tmp_path / "train.jsonl"}, out, "--steps", "2", "--adv-start-step", "1",
                    "--num-workers", "2", "--resume"))
    assert "1 training entries skipped:\n  broken: " in capsys.readouterr().err


def test_crops_shorter_than_the_largest_stft_discriminator_window_train_adversarially(synth_corpus, tmp_path):
    """A 60 ms crop (960 samples) is under half the 2048-sample window of the STFT discriminator: its reflect padding
    failed, and the run stopped at --adv-start-step after its mel-only steps. Zero-padded now, as the mel loss does."""
    out = tmp_path / "run"
    main(train_args(synth_corpus, out, "--segment-seconds", "0.06", "--steps", "3", "--adv-start-step", "2",
                    "--save-every", "100"))
    metrics = read_metrics(out)
    assert "disc" not in metrics[2] and all(np.isfinite(metrics[3][k]) for k in ("disc", "adv", "fm", "total_g"))


def test_resume_refuses_other_data_settings_and_names_a_schedule_change(synth_corpus, tmp_path, capsys):
    out = tmp_path / "run"
    args = train_args(synth_corpus, out, "--save-every", "2", "--adv-start-step", "0")
    main(args + ["--steps", "2"])
    before = (out / "metrics.jsonl").read_text()
    with pytest.raises(SystemExit, match=r"already has checkpoints \(latest step_00000002\): pass --resume"):
        main(args + ["--steps", "2"])  # a fresh run there would overwrite them
    with pytest.raises(SystemExit, match=r"other data settings \(batch_size 4 -> 2\)"):
        main(args + ["--steps", "3", "--resume", "--batch-size", "2"])
    assert (out / "metrics.jsonl").read_text() == before  # refused before a step was taken
    # a model option of another size is named, not reported as a checkpoint that cannot be read
    codebook = json.loads((out / "checkpoints" / "step_00000002" / "trainer_state.json").read_text())["codec_config"]
    with pytest.raises(SystemExit, match=rf"another codec config than these options \(codebook_size "
                                         rf"{codebook['codebook_size']} -> 64\); resume with the run's options"):
        main(args + ["--steps", "3", "--resume", "--codebook-size", "64"])
    capsys.readouterr()
    main(args + ["--steps", "3", "--resume"])  # extending the run is allowed, with a notice
    out_text = capsys.readouterr().out
    assert "resuming under another schedule (steps 2 -> 3)" in out_text and "other numerics" not in out_text
    assert sorted(read_metrics(out)) == [1, 2, 3]
    # another precision (or machine) is allowed too, and said: it changed the weights without a word
    # (in a process of its own: Accelerate's precision is set once per process)
    proc = subprocess.run([sys.executable, "-m", "codec.train", *args, "--steps", "4", "--resume", "--mixed-precision",
                           "bf16"], capture_output=True, text=True, cwd=Path(__file__).parents[1], timeout=300,
                          env={**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert ("resuming with other numerics ({'device': 'cpu', 'mixed_precision': 'no'} -> {'device': 'cpu', "
            "'mixed_precision': 'bf16'})") in proc.stdout


def test_resume_refuses_a_training_set_that_changed_under_the_same_path(synth_corpus, tmp_path):
    """The data position is the step times the batch over the usable items: one item fewer (a file unreadable
    now, or a rebuilt manifest) shifts every later batch, so that resume is refused, naming the counts."""
    utterances = list(read_manifest(synth_corpus["train"]))
    write_manifest(tmp_path / "train.jsonl", utterances)
    out = tmp_path / "run"
    args = train_args({"train": tmp_path / "train.jsonl"}, out, "--save-every", "1", "--adv-start-step", "9")
    main(args + ["--steps", "1"])
    (tmp_path / "broken.wav").write_bytes(b"not audio")  # the manifest's first file, unreadable now
    write_manifest(tmp_path / "train.jsonl", [dataclasses.replace(utterances[0], audio=str(tmp_path / "broken.wav")),
                                              *utterances[1:]])
    n = len(utterances)
    with pytest.raises(SystemExit, match=rf"usable utterances of .*train.jsonl changed since this run started "
                                         rf"\({n} -> {n - 1} items"):
        main(args + ["--steps", "2", "--resume"])
    write_manifest(tmp_path / "train.jsonl", utterances)
    main(args + ["--steps", "2", "--resume"])  # the same items again: resumed
    assert sorted(read_metrics(out)) == [1, 2]


def test_two_process_cpu_run(synth_corpus, tmp_path):
    out = tmp_path / "ddp"
    # `accelerate launch --cpu --num_processes 2` starts a single process in accelerate 1.x (multi-CPU needs
    # mpirun); torchrun's environment is what Accelerate reads to run 2 CPU processes over gloo
    args = train_args(synth_corpus, out, "--steps", "3", "--save-every", "2", "--adv-start-step", "1", "--batch-size", "2")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "codec.train", *args]
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, cwd=Path(__file__).parents[1])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(read_metrics(out)) == [1, 2, 3]
    assert (out / "checkpoints" / "step_00000003" / "rng_rank1.json").exists()  # both ranks saved their RNG
    assert Codec.from_pretrained(out / "final").codebook_size == 256
    # the logged loss is both ranks' mean: step 1's mel (before any update) is that of one process taking both
    # ranks' batches (the same 4 crops: rank r takes every other index of the epoch's permutation)
    one = tmp_path / "one"
    main(train_args(synth_corpus, one, "--steps", "1", "--adv-start-step", "1", "--save-every", "100"))
    assert read_metrics(out)[1]["mel"] == pytest.approx(read_metrics(one)[1]["mel"], rel=1e-4)
    # each rank's data position and RNG depend on the process count: a resume with another count is refused
    with pytest.raises(CheckpointError, match=r"written by 2 process\(es\), this run has 1"):
        main(args + ["--steps", "4", "--resume"])


def test_a_checkpoint_saved_before_the_process_count_was_recorded_is_judged_by_its_rng_files(tmp_path):
    model = torch.nn.Linear(2, 2)
    path = CheckpointManager(tmp_path).save(1, {"model": model}, {})
    state = json.loads((path / "trainer_state.json").read_text())
    assert state.pop("num_processes") == 1
    (path / "trainer_state.json").write_text(json.dumps(state))
    CheckpointManager(tmp_path).load(path, {"model": model}, {})  # one process wrote its RNG file: as this run
    (path / "rng_rank1.json").write_text((path / "rng_rank0.json").read_text())  # as a second process would have
    with pytest.raises(CheckpointError, match=r"written by 2 process\(es\), this run has 1"):
        CheckpointManager(tmp_path).load(path, {"model": model}, {})


def test_decoder_fine_tune_with_a_frozen_tokenizer_keeps_codes_and_tokens_valid(synth_corpus, tmp_path, capsys):
    from lm.identity import CodecIdentity, CodecMismatchError

    base_dir = main(train_args(synth_corpus, tmp_path / "base", "--steps", "2", "--adv-start-step", "2",
                               "--save-every", "100"))
    tune = ["--init-from", str(base_dir), "--train-manifest", str(synth_corpus["train"]), "--batch-size", "4",
            "--segment-seconds", "0.4", "--seed", "0", "--cpu", "--steps", "3", "--lr", "3e-3",
            "--adv-start-step", "3", "--save-every", "100", "--sg-weight", "5"]
    tuned_dir = main(tune + ["--freeze-tokenizer", "--out", str(tmp_path / "tuned")])
    said = capsys.readouterr().out
    assert "tokenizer frozen" in said and "codec parameters (from base):" in said  # base/final named by its run
    assert all("sg" in row for row in read_metrics(tmp_path / "tuned").values())
    base, tuned = Codec.from_pretrained(base_dir), Codec.from_pretrained(tuned_dir)
    assert tuned.config.sg_weight == 5 and tuned.config.codebook_size == base.config.codebook_size
    before, after = base.state_dict(), tuned.state_dict()
    for name in before:
        if base.is_tokenizer_weight(name):
            assert torch.equal(before[name], after[name]), name
    changed = {name.split(".")[0] for name in before if not torch.equal(before[name], after[name])}
    assert {"backbone", "head", "fc_post"} <= changed and "encoder" not in changed
    assert any("project_out" in n and not torch.equal(before[n], after[n]) for n in before)  # decoder side of FSQ
    wav = torch.randn(2, 6400) * 0.1
    assert torch.equal(base.encode(wav)[0], tuned.encode(wav)[0])
    assert base.tokenizer_fingerprint() == tuned.tokenizer_fingerprint() and base.fingerprint() != tuned.fingerprint()
    state = json.loads(max((tmp_path / "tuned" / "checkpoints").glob("step_*/trainer_state.json")).read_text())
    assert state["init_fingerprint"] == base.fingerprint()  # what the run started from, whatever its folder holds later

    # tokens and LMs made with the base codec accept the fine-tuned one; identities saved without a tokenizer
    # fingerprint (older stores) still need the very same codec
    made_with_base = CodecIdentity.of(base)
    made_with_base.require_same(CodecIdentity.of(tuned), "tokens", "the tuned codec")
    legacy = CodecIdentity.from_dict({k: v for k, v in made_with_base.to_dict().items() if k != "tokenizer_fingerprint"})
    legacy.require_same(CodecIdentity.of(base), "old tokens", "the base codec")
    with pytest.raises(CodecMismatchError, match="--freeze-tokenizer"):
        legacy.require_same(CodecIdentity.of(tuned), "old tokens", "the tuned codec")

    # without --freeze-tokenizer the encoder trains on, and the codes' meaning moves with it
    free = Codec.from_pretrained(main(tune + ["--out", str(tmp_path / "free")]))
    assert free.tokenizer_fingerprint() != base.tokenizer_fingerprint()
    with pytest.raises(CodecMismatchError):
        made_with_base.require_same(CodecIdentity.of(free), "tokens", "the codec trained on")

    # a token store begun with the base codec resumes with the fine-tuned one, not with the one trained on
    from lm.extract import extract
    from lm.tokens import TokenStoreError
    extract(base, synth_corpus["dev"], tmp_path / "tokens", batch_size=2)
    extract(tuned, synth_corpus["dev"], tmp_path / "tokens", batch_size=2)
    with pytest.raises(TokenStoreError, match="another codec"):
        extract(free, synth_corpus["dev"], tmp_path / "tokens", batch_size=2)

    with pytest.raises(SystemExit, match="freeze_tokenizer=True; resume with the same setting"):
        main(tune + ["--out", str(tmp_path / "tuned"), "--resume", "--steps", "4"])
    with pytest.raises(SystemExit, match="brings its own architecture: drop --preset, --quantizer"):
        main(tune + ["--preset", "debug", "--quantizer", "vq", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit, match="--freeze-tokenizer needs --init-from"):
        main(train_args(synth_corpus, tmp_path / "y", "--freeze-tokenizer", "--steps", "1"))

    # a deeper and wider decoder grown from the tuned codec keeps its codes; it can be grown, not cut
    depth, width, heads = tuned.config.decoder_depth, tuned.config.decoder_dim, tuned.config.decoder_heads
    from_tuned = ["--init-from", str(tuned_dir), *tune[2:]]  # tune[:2] is --init-from base
    grown_dir = main(from_tuned + ["--freeze-tokenizer", "--decoder-depth", str(depth + 1),
                                   "--decoder-width", str(2 * width), "--out", str(tmp_path / "grown")])
    grown = Codec.from_pretrained(grown_dir)
    assert (grown.config.decoder_depth, grown.config.decoder_dim, grown.config.decoder_heads) == (depth + 1, 2 * width,
                                                                                                 2 * heads)
    assert grown.tokenizer_fingerprint() == base.tokenizer_fingerprint()
    assert torch.equal(grown.encode(wav)[0], base.encode(wav)[0])
    with pytest.raises(SystemExit, match=f"has {depth + 1} decoder blocks; a decoder can be grown from it, not cut"):
        main(["--init-from", str(grown_dir), *tune[2:], "--decoder-depth", str(depth), "--out", str(tmp_path / "cut")])
    with pytest.raises(SystemExit, match="--decoder-depth 0: the decoder needs at least one transformer block"):
        main(train_args(synth_corpus, tmp_path / "z", "--decoder-depth", "0", "--steps", "1"))
    head_size = width // heads
    with pytest.raises(SystemExit, match=f"--decoder-width {3 * head_size}: a decoder {width} wide can be grown to a "
                                         f"multiple of its width"):
        main(from_tuned + ["--decoder-width", str(3 * head_size), "--out", str(tmp_path / "odd")])
    with pytest.raises(SystemExit, match=f"heads are {head_size} wide; the width must be a multiple of that"):
        main(train_args(synth_corpus, tmp_path / "w", "--decoder-width", str(head_size + 1), "--steps", "1"))

    # another codebook size from the tuned codec: a fresh quantizer, every other weight the source's at step 0
    requantized = Codec.from_pretrained(main(from_tuned + ["--codebook-size", "64", "--steps", "1", "--lr", "1e-9",
                                                           "--out", str(tmp_path / "requantized")]))
    assert requantized.codebook_size == 64 and requantized.config.levels == (4, 4, 4)
    assert requantized.config.decoder_depth == depth and requantized.encode(wav)[0].max() < 64
    kept = {k: w for k, w in tuned.state_dict().items() if not k.startswith("quantizer.")}
    assert all(torch.allclose(requantized.state_dict()[k], w, atol=1e-6) for k, w in kept.items())
    assert "the fresh quantizer starts within" not in capsys.readouterr().out  # another size: nothing to compare
    # re-quantized at its own size with the same seed from a codec that was itself re-quantized alike (same size and
    # architecture, so the same initialisation), the "fresh" quantizer is that codec's own start again (it trained at
    # a vanishing LR): said at launch; another seed starts a new one
    def requantize(source, out, *extra):
        return main(["--init-from", str(source), *tune[2:], "--codebook-size", "64", "--steps", "1", "--lr", "1e-9",
                     "--out", str(tmp_path / out), *extra])
    again = requantize(tmp_path / "requantized" / "final", "again")
    capsys.readouterr()
    requantize(again, "again2")
    assert "the fresh quantizer starts within 0% of" in capsys.readouterr().out
    requantize(again, "again2-seed1", "--seed", "1")
    assert "the fresh quantizer starts within" not in capsys.readouterr().out
    recorded = {out: json.loads(max((tmp_path / out / "checkpoints").glob("step_*/trainer_state.json")).read_text())
                ["quantizer_start_distance"] for out in ("requantized", "again2", "again2-seed1")}
    assert recorded["requantized"] is None and recorded["again2"] < 1e-3 < 0.5 < recorded["again2-seed1"]
    with pytest.raises(SystemExit, match="--codebook-size 64 with --init-from starts a fresh quantizer"):
        main(from_tuned + ["--codebook-size", "64", "--freeze-tokenizer", "--out", str(tmp_path / "q1")])
    with pytest.raises(SystemExit, match="codebook_size 100: .*power of two"):
        main(from_tuned + ["--codebook-size", "100", "--out", str(tmp_path / "q2")])
    # or another FSQ grid: 64 codes as 8 x 8 instead of 4 x 4 x 4
    regridded = Codec.from_pretrained(main(from_tuned + ["--fsq-levels", "8,8", "--steps", "1", "--lr", "1e-9",
                                                         "--out", str(tmp_path / "regridded")]))
    assert regridded.codebook_size == 64 and regridded.config.levels == (8, 8)
    assert regridded.encode(wav)[0].max() < 64
    with pytest.raises(SystemExit, match="--fsq-levels 8,8 give 64 codes, --codebook-size says 256"):
        main(from_tuned + ["--fsq-levels", "8,8", "--codebook-size", "256", "--out", str(tmp_path / "q3")])
    with pytest.raises(SystemExit, match=r"fsq_levels \(8, 8, 1\): every level must be at least 3"):
        main(from_tuned + ["--fsq-levels", "8,8,1", "--out", str(tmp_path / "q5")])
    with pytest.raises(SystemExit, match="quantizer 'vq' has none"):
        main(train_args(synth_corpus, tmp_path / "q6", "--quantizer", "vq", "--fsq-levels", "8,8", "--steps", "1"))
    with pytest.raises(SystemExit, match="--fsq-levels 8,8 with --init-from starts a fresh quantizer"):
        main(from_tuned + ["--fsq-levels", "8,8", "--freeze-tokenizer", "--out", str(tmp_path / "q4")])

    # resumed after its --init-from folder came to hold another codec (an installed bundle replaced), the run keeps
    # the start it recorded: the model card judges a run's start by that record
    free.save_pretrained(base_dir)
    main(tune + ["--freeze-tokenizer", "--out", str(tmp_path / "tuned"), "--resume", "--steps", "4"])
    resumed = json.loads(max((tmp_path / "tuned" / "checkpoints").glob("step_*/trainer_state.json")).read_text())
    assert resumed["step"] == 4 and resumed["init_fingerprint"] == base.fingerprint() != free.fingerprint()
    # and after that folder is gone, the same command resumes from the checkpoint alone (it was refused: "codec
    # directory not found", though the checkpoint holds the run whole), with the same record
    shutil.rmtree(base_dir)
    capsys.readouterr()
    main(tune + ["--freeze-tokenizer", "--out", str(tmp_path / "tuned"), "--resume", "--steps", "5"])
    assert f"--init-from {base_dir} is gone; resuming from" in capsys.readouterr().err
    resumed = json.loads(max((tmp_path / "tuned" / "checkpoints").glob("step_*/trainer_state.json")).read_text())
    assert resumed["step"] == 5 and resumed["init_fingerprint"] == base.fingerprint()
    with pytest.raises(CodecLoadError, match="codec directory not found"):  # a fresh run still needs its start
        main(tune + ["--out", str(tmp_path / "fresh")])


def test_a_schedule_change_notice_gives_the_lr_at_the_resumed_step_under_both_schedules(tmp_path):
    """check_resume_settings (unit-level: no training): resuming under another schedule prints the LR at the resumed
    step under this run's schedule and under the checkpoint's, each computed with its own steps, lr and warm-up."""
    import re

    from codec.schedule import lr_at

    manifest = str(tmp_path / "train.jsonl")
    common = ["--train-manifest", manifest, "--out", str(tmp_path / "run"), "--batch-size", "4", "--seed", "0"]
    # the checkpoint's args as trainer_state.json holds them: vars(args) through JSON; its warm-up was the default
    saved = json.loads(json.dumps(vars(codec_train.parse_args(common + ["--steps", "100", "--lr", "1e-3"]))))
    args = codec_train.parse_args(common + ["--steps", "300", "--lr", "4e-4", "--warmup-steps", "20"])
    step = 10
    notice = codec_train.check_resume_settings(saved, args, step, tmp_path / "run" / "checkpoints" / "step_00000010")

    lr_old = lr_at(step, 1e-3, 2, 100)  # default warm-up: 2 % of 100 steps
    lr_new = lr_at(step, 4e-4, 20, 300)
    assert lr_old / lr_new > 2  # far apart, so a mix-up shows at the message's 3 significant digits
    assert "steps 100 -> 300" in notice and "lr 0.001 -> 0.0004" in notice and "warmup_steps None -> 20" in notice
    found = re.search(r"the LR at step 10 is (\S+) \(the checkpoint's schedule: ([^)\s]+)\)", notice)
    assert found, notice
    assert float(found[1]) == pytest.approx(lr_new, rel=5e-3)
    assert float(found[2]) == pytest.approx(lr_old, rel=5e-3)
    assert codec_train.check_resume_settings(saved, codec_train.parse_args(common + ["--steps", "100", "--lr", "1e-3"]),
                                             step, tmp_path) is None  # the same schedule: no notice


def test_a_grad_clip_that_would_zero_or_flip_gradients_and_a_semantic_layer_without_a_model_are_refused(tmp_path, capsys):
    """Unit-level (no training). clip_grad_norm_ scales gradients by min(1, bound / norm): --grad-clip 0 zeroed every
    gradient (a run that trained nothing) and a negative bound turned descent into ascent, both without a word;
    --semantic-layer without --semantic-model only changed config.json and so the tokenizer fingerprint."""
    common = ["--train-manifest", str(tmp_path / "train.jsonl"), "--out", str(tmp_path / "run")]
    for bad in ("0", "-1", "nan"):
        with pytest.raises(SystemExit):
            codec_train.parse_args(common + ["--grad-clip", bad])
        assert "must be above 0" in capsys.readouterr().err
    for bad in ("0", "-0.0002"):  # a negative LR ascends as well
        with pytest.raises(SystemExit):
            codec_train.parse_args(common + ["--lr", bad])
        assert "must be a finite number above 0" in capsys.readouterr().err
    assert codec_train.parse_args(common + ["--grad-clip", "inf"]).grad_clip == float("inf")  # no clipping
    with pytest.raises(SystemExit):  # numpy's seeding refuses it, after the set-up
        codec_train.parse_args(common + ["--seed", "-1"])
    assert "argument --seed: -1: must be 0 or more" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # the lr would stay below its peak to the end and never decay
        codec_train.parse_args(common + ["--steps", "20", "--warmup-steps", "20"])
    assert "--warmup-steps 20 is not below --steps 20" in capsys.readouterr().err
    assert codec_train.warmup_steps(codec_train.parse_args(common + ["--steps", "20"])) == 1  # the default: 2 %
    assert codec_train.parse_args(common).grad_clip == 1.0
    with pytest.raises(SystemExit, match="--semantic-model .*none: no readable SSL model config"):  # was: OSError
        codec_train.build_config(codec_train.parse_args(common + ["--semantic-model", str(tmp_path / "none")]))
    with pytest.raises(SystemExit, match="--semantic-layer 7 needs --semantic-model"):
        codec_train.build_config(codec_train.parse_args(common + ["--preset", "debug", "--semantic-layer", "7"]))
    assert codec_train.build_config(codec_train.parse_args(common + ["--preset", "debug"])).semantic_layer == 16
    # SG's options on a run without SG (a grid's options common to every arm): no effect, so not in the config,
    # whose fingerprint they changed for the same weights; said, not silent
    capsys.readouterr()
    config = lambda *extra: codec_train.build_config(codec_train.parse_args(common + ["--preset", "debug", *extra]))
    plain = config("--no-sg")
    assert config("--no-sg", "--sg-loss", "centered", "--sg-weight", "3", "--no-sg-encoder-grad") == plain
    assert "ignored without self-guidance: --sg-weight, --sg-loss, --sg-encoder-grad" in capsys.readouterr().err
    assert config("--sg-loss", "centered").sg_loss == "centered"  # with SG (the preset's default) they hold



def test_a_resume_that_finds_no_checkpoint_says_it_starts_at_step_0(synth_corpus, tmp_path, capsys):
    """--resume with no checkpoint in --out (a run killed before its first save, or a mistyped --out) starts afresh,
    as recipes rely on; it did so without a word, as if it had resumed."""
    out = tmp_path / "run"
    main(train_args(synth_corpus, out, "--steps", "1", "--adv-start-step", "1", "--resume"))
    assert f"--resume: no checkpoint in {out / 'checkpoints'} yet: starting at step 0" in capsys.readouterr().out
    assert sorted(read_metrics(out)) == [1]


def test_a_resume_past_its_steps_is_refused(synth_corpus, tmp_path):
    """A checkpoint at step 2 resumed with --steps 1 trained nothing and exported the step-2 weights as final/."""
    out = tmp_path / "run"
    args = train_args(synth_corpus, out, "--adv-start-step", "1", "--save-every", "2")
    main(args + ["--steps", "2"])
    with pytest.raises(SystemExit, match="the checkpoint is at step 2, past --steps 1: resume with --steps 2 or more"):
        main(args + ["--steps", "1", "--resume"])


def test_a_finished_run_whose_checkpoints_were_removed_is_not_trained_over(synth_corpus, tmp_path):
    """Only the checkpoints guarded a run's folder: a finished run whose checkpoints were removed (to save space) was
    trained over from step 0 without a word, with or without --resume, its final/ replaced."""
    out = tmp_path / "run"
    args = train_args(synth_corpus, out, "--steps", "1", "--adv-start-step", "1")
    main(args)
    trained = (out / "final" / "model.safetensors").read_bytes()
    shutil.rmtree(out / "checkpoints")
    for extra in ([], ["--resume"]):
        with pytest.raises(SystemExit, match=rf"{out} already holds a trained codec \({out / 'final'}\) and no "
                                             rf"checkpoint to resume from"):
            main(args + ["--seed", "1", *extra])
    assert (out / "final" / "model.safetensors").read_bytes() == trained
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 1  # refused before a step was taken


def test_a_frozen_vq_tokenizer_gets_no_dead_code_warning(synth_corpus, tmp_path, capsys):
    """The VQ churn warning is about dead-code replacement, which a frozen tokenizer (its quantizer in eval mode)
    never does: it told such a run to change its batch, segments or quantizer for nothing."""
    base = main(train_args(synth_corpus, tmp_path / "base", "--quantizer", "vq", "--steps", "1",
                           "--adv-start-step", "1"))
    assert "most codewords will count as dead" in capsys.readouterr().err  # the same step size, trained whole
    tune = ["--init-from", str(base), *train_args(synth_corpus, tmp_path / "tuned", "--steps", "1",
                                                   "--adv-start-step", "1")[2:]]
    tuned = main(tune + ["--freeze-tokenizer"])
    assert "most codewords will count as dead" not in capsys.readouterr().err
    # and its codebook indeed stayed as it was: the codes are the base codec's
    assert Codec.from_pretrained(tuned).tokenizer_fingerprint() == Codec.from_pretrained(base).tokenizer_fingerprint()


def test_a_grad_clip_change_on_resume_is_named(tmp_path):
    """check_resume_settings (unit-level): --grad-clip rescales every update from the resumed step on, as the
    schedule does, so a resume under another one no longer matches an uninterrupted run; it was not named."""
    common = ["--train-manifest", str(tmp_path / "train.jsonl"), "--out", str(tmp_path / "run"), "--steps", "100"]
    saved = json.loads(json.dumps(vars(codec_train.parse_args(common))))  # as trainer_state.json holds them
    for clip, shown in (("0.5", "0.5"), ("inf", "inf")):
        notice = codec_train.check_resume_settings(saved, codec_train.parse_args(common + ["--grad-clip", clip]), 10,
                                                   tmp_path)
        assert notice is not None and f"resuming under another schedule (grad_clip 1.0 -> {shown})" in notice
    assert codec_train.check_resume_settings(saved, codec_train.parse_args(common + ["--grad-clip", "1"]), 10,
                                             tmp_path) is None


def test_the_progress_bar_shows_the_dev_loss_beside_the_training_loss(tmp_path, monkeypatch):
    """Both cut to "loss", the dev loss of an evaluation step overwrote the training loss on the LM's bar."""
    from types import SimpleNamespace

    from codec.trainloop import TrainLogger

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    logger = TrainLogger(SimpleNamespace(is_main_process=True), tmp_path / "tb", total_steps=2)
    logger.log(1, {"train/loss": 5.5, "dev/loss": 4.25, "mel": 1.0},
               show=("train/loss", "dev/loss", "mel"))
    assert logger.bar.postfix == "loss=5.5, dev_loss=4.25, mel=1"
    logger.bar.close()


def test_a_second_run_into_a_folder_another_live_run_trains_in_is_refused(synth_corpus, tmp_path):
    """Two runs in one --out (a job queued again while it still runs) wrote their checkpoints between each other's,
    and a --resume went on from the other run's. The lock is an flock: held here as another process would hold it."""
    from codec.trainloop import run_lock

    out = tmp_path / "run"
    with run_lock(out):
        with pytest.raises(SystemExit, match=r"run: another run is training into it \(pid \d+ on .* since "
                                             r"20\d\d-.*, per \.run-lock-rank0\): wait for it to end or stop it"):
            main(train_args(synth_corpus, out, "--steps", "1", "--resume"))
    assert not (out / "checkpoints").exists()  # nothing of the refused run written
    assert (main(train_args(synth_corpus, out, "--steps", "1", "--save-every", "1")) / "model.safetensors").exists()


def test_a_run_lock_released_while_the_next_run_opens_it_still_admits_one_run_at_a_time(tmp_path, monkeypatch):
    """A run that wrote nothing removes its folder as it ends. Removed after its unlock, the next run (which had
    opened the file just before) locked a file no later run could see, and a third run then took a lock of its own:
    two live runs in one folder."""
    import fcntl
    import threading
    import types

    import codec.trainloop as trainloop

    out, opened, ended, release = tmp_path / "run", threading.Event(), threading.Event(), threading.Event()

    def flock(handle, op):  # the second run stops between opening the lock file and locking it, until the first ends
        if threading.current_thread().name == "second" and op & fcntl.LOCK_EX and not opened.is_set():
            opened.set()
            ended.wait(10)
        return fcntl.flock(handle, op)

    monkeypatch.setattr(trainloop, "fcntl", types.SimpleNamespace(flock=flock, LOCK_EX=fcntl.LOCK_EX,
                                                                  LOCK_NB=fcntl.LOCK_NB, LOCK_UN=fcntl.LOCK_UN))
    holding = []

    def second():
        with trainloop.run_lock(out):
            holding.append(True)
            release.wait(10)

    first = trainloop.run_lock(out)
    first.__enter__()
    thread = threading.Thread(target=second, name="second")
    thread.start()
    opened.wait(10)
    first.__exit__(None, None, None)  # a run that wrote nothing: its folder goes
    ended.set()
    for _ in range(100):
        if holding:
            break
        threading.Event().wait(0.05)
    try:
        assert holding == [True]
        with pytest.raises(SystemExit, match="another run is training into it"):
            with trainloop.run_lock(out):
                pass
    finally:
        release.set()
        thread.join()
    assert not out.exists()  # the second made the folder again and wrote nothing: it goes too (it stayed, locked file)


def test_a_refused_resume_keeps_the_log_and_a_plain_arms_old_sg_options_do_not_refuse_it(synth_corpus, tmp_path):
    """Two regressions a review of the metrics trim and of the ignored SG options found: the trim of metrics.jsonl
    ran before the data check, so a refused resume had already deleted the lines after its checkpoint (the only
    record of those steps); and a plain arm checkpointed with --sg-loss centered in its config (as the code before
    kept it) was refused on resume by its own command line."""
    utterances = list(read_manifest(synth_corpus["train"]))
    manifest = tmp_path / "train.jsonl"  # this run's own copy, changed in place below
    write_manifest(manifest, utterances)
    out = tmp_path / "run"
    args = [a if a != str(synth_corpus["train"]) else str(manifest)
            for a in train_args(synth_corpus, out, "--save-every", "2", "--no-sg", "--sg-loss", "centered")]
    main(args + ["--steps", "2"])
    state_path = out / "checkpoints" / "step_00000002" / "trainer_state.json"
    state = json.loads(state_path.read_text())
    assert state["codec_config"].get("sg_loss", "mse") == "mse"  # kept out of a plain arm's config now
    state["codec_config"]["sg_loss"] = "centered"  # as the code before kept it
    state_path.write_text(json.dumps(state))
    with open(out / "metrics.jsonl", "a") as f:  # a step logged after the checkpoint, then killed
        f.write(json.dumps({"step": 3, "mel": 1.0}) + "\n")
    write_manifest(manifest, utterances[:-1])  # the training data changed since: the resume is refused
    with pytest.raises(SystemExit, match="the usable utterances of .* changed since this run started"):
        main(args + ["--steps", "3", "--resume"])
    assert sorted(read_metrics(out)) == [1, 2, 3]  # the refused resume deleted nothing
    write_manifest(manifest, utterances)
    main(args + ["--steps", "3", "--resume"])  # its own command line resumes it
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3]
