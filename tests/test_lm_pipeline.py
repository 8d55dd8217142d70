"""The LM chain on real audio: extraction with a debug Codec, training (resume, 2 processes), overfitting, codec checks."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors.torch import load_file

from codec.audio import load_audio
from codec.checkpoint import CheckpointError
from codec.data import Utterance, read_manifest, write_manifest
from codec.trainloop import SIGNAL_FAULT_ENV, StopOnSignal
from lm.extract import main as extract_main
from lm.generate import SamplingConfig, generate_codes
from lm.identity import CodecMismatchError
from lm.model import LMLoadError, SpeechLM
from lm.text import TextConfig
from lm.tokens import TokenStore, TokenStoreError, open_tokens, read_header, shard_paths
import lm.train as lm_train
from lm.train import TrainConfig, train

REPO = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _calibrated_debug_codec(manifest, seed: int = 0, codebook_size: int = 64):
    """A debug Codec whose code-space input is standardized on a few utterances of the corpus.

    A freshly initialized codec maps all speech to one or two codes (its latents barely move); rescaling
    fc_prior so its outputs have unit spread (x5, past FSQ's tanh knee) makes the codes follow the signal as a
    trained codec's do, which is what the LM must learn to reproduce. It is still an ordinary Codec.
    """
    from codec import Codec, CodecConfig

    torch.manual_seed(seed)
    codec = Codec(CodecConfig.preset("debug", codebook_size=codebook_size)).eval()
    with torch.no_grad():
        features = []
        for utt in manifest.utterances[:4]:
            wav = torch.from_numpy(load_audio(utt.audio, codec.sample_rate))[None]
            frames = codec.num_frames(torch.tensor([wav.shape[1]]))
            wav = torch.nn.functional.pad(wav, (0, int(frames) * codec.hop_length - wav.shape[1]))
            features.append(codec.fc_prior(codec.encoder(wav, frames * codec.hop_length).transpose(1, 2))[0])
        h = torch.cat(features)
        mean, std = h.mean(0), h.std(0)
        codec.fc_prior.weight.mul_(5 / std[:, None])
        codec.fc_prior.bias.sub_(mean).mul_(5 / std)
    return codec


def _extract_with_debug_codec(synth_corpus, root: Path, seed: int, codebook_size: int = 64) -> dict:
    """A saved calibrated debug codec (initialised from `seed`) and the train/dev splits extracted with it through
    the CLI."""
    codec = _calibrated_debug_codec(read_manifest(synth_corpus["train"]), seed=seed, codebook_size=codebook_size)
    codec.save_pretrained(root / "codec")
    for split in ("train", "dev"):
        assert extract_main(["--codec", str(root / "codec"), "--manifest", str(synth_corpus[split]),
                             "--out", str(root / split), "--batch-size", "4", "--shard-size", "4", "--workers", "0"]) == 0
    return {"root": root, "codec": codec, "train": root / "train", "dev": root / "dev"}


@pytest.fixture(scope="module")
def extracted(synth_corpus, tmp_path_factory):
    return _extract_with_debug_codec(synth_corpus, tmp_path_factory.mktemp("lm_tokens"), seed=0)


@pytest.fixture(scope="module")
def extracted_other(synth_corpus, tmp_path_factory):
    """The same corpus through another codec of the same size (64 codes, other meanings)."""
    return _extract_with_debug_codec(synth_corpus, tmp_path_factory.mktemp("lm_tokens_other"), seed=1)


@pytest.fixture(scope="module")
def extracted_larger(synth_corpus, tmp_path_factory):
    """The same corpus through a codec with four times the codes (256)."""
    return _extract_with_debug_codec(synth_corpus, tmp_path_factory.mktemp("lm_tokens_larger"), seed=2,
                                     codebook_size=256)


def _config(extracted, out: Path, **overrides) -> TrainConfig:
    base = dict(tokens=str(extracted["train"]), dev_tokens=str(extracted["dev"]), out=str(out), preset="debug",
                steps=6, batch_tokens=2048, row_length=512, lr=3e-3, warmup_steps=2, eval_every=3, save_every=3,
                text=TextConfig(vocab_size=128))
    # a warm-up below the run's steps (TrainConfig refuses one as long as the run) where a test shortens the run
    base["warmup_steps"] = min(base["warmup_steps"], max(0, overrides.get("steps", base["steps"]) - 1))
    return TrainConfig(**{**base, **overrides})


def test_extraction_stores_codes_lengths_and_codec_identity(extracted, synth_corpus):
    codec, store = extracted["codec"], TokenStore(extracted["train"])
    manifest = read_manifest(synth_corpus["train"])
    header = read_header(extracted["train"])
    assert header["dtype"] == "int16" and header["num_shards"] == 3 and header["skipped_count"] == 0
    assert store.identity.fingerprint == codec.fingerprint() and store.identity.codebook_size == 64
    assert store.identity.frame_rate == codec.frame_rate
    assert [e.id for e in store.entries] == [u.id for u in manifest.utterances]  # manifest order
    assert [e.text for e in store.entries] == [u.text for u in manifest.utterances]
    # codes of a batched, padded extraction match encoding each utterance alone. Not bit for bit: batched
    # convolutions round differently in the last float bits, which flips a latent lying on an FSQ rounding
    # boundary now and then (seen: 1 frame in 206); padding leaking in would change far more.
    for i in range(len(store)):
        wav = torch.from_numpy(load_audio(manifest[i].audio, codec.sample_rate))[None]
        codes, frames = codec.encode(wav)
        assert len(store[i]) == int(frames[0]) == int(codec.num_frames(torch.tensor(wav.shape[1])))
        assert np.mean(store[i] != codes[0, : int(frames[0])].numpy()) < 0.02, i
    assert len(np.unique(np.concatenate([store[i] for i in range(len(store))]))) > 10  # codes follow the audio


def test_extraction_resumes_and_skips_unreadable_audio(extracted, synth_corpus, tmp_path):
    manifest = read_manifest(synth_corpus["train"])
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....not audio at all")
    # a readable header over NaN samples: passes the manifest's header check, fails when loaded
    poisoned = tmp_path / "nan.wav"
    sf.write(poisoned, np.full(8000, np.nan, dtype=np.float32), 16000, subtype="FLOAT")
    utts = list(manifest.utterances[:6])
    utts[2] = type(utts[2])(**{**utts[2].__dict__, "id": "broken", "audio": str(broken)})
    utts[4] = type(utts[4])(**{**utts[4].__dict__, "id": "poisoned", "audio": str(poisoned)})
    write_manifest(tmp_path / "m.jsonl", utts)
    args = ["--codec", str(extracted["root"] / "codec"), "--manifest", str(tmp_path / "m.jsonl"),
            "--out", str(tmp_path / "tok"), "--shard-size", "2", "--batch-size", "2", "--workers", "0"]
    assert extract_main(args) == 0
    header = read_header(tmp_path / "tok")
    assert header["utterances"] == 4 and header["skipped_count"] == 2
    assert {s["id"] for s in header["skipped"]} == {"broken", "poisoned"}

    # interrupt: shard 2 never finished. A rerun redoes it and leaves the finished shards alone.
    first_codes, first_index = shard_paths(tmp_path / "tok", 0)
    second_codes, second_index = shard_paths(tmp_path / "tok", 2)
    before = {p: p.stat().st_mtime_ns for p in (first_codes, first_index)}
    expected = second_codes.read_bytes()
    second_index.unlink()
    second_codes.write_bytes(b"\0\0")
    assert extract_main(args) == 0
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert second_codes.read_bytes() == expected and second_index.exists()
    store = TokenStore(tmp_path / "tok")
    assert [e.id for e in store.entries] == [u.id for u in utts if u.id not in ("broken", "poisoned")]

    # the unreadable file repaired before a resume: the shards after it would shift (one utterance stored twice,
    # one lost), so the resume is refused rather than done
    second_index.unlink()
    broken.write_bytes(Path(manifest.utterances[2].audio).read_bytes())
    with pytest.raises(TokenStoreError, match="usable utterances changed since this store was begun"):
        extract_main(args)


def test_debug_lm_overfits_real_utterances(extracted, synth_corpus, tmp_path):
    manifest = read_manifest(synth_corpus["train"])
    few = sorted(manifest.utterances, key=lambda u: u.duration)[:4]
    write_manifest(tmp_path / "few.jsonl", few)
    assert extract_main(["--codec", str(extracted["root"] / "codec"), "--manifest", str(tmp_path / "few.jsonl"),
                         "--out", str(tmp_path / "few"), "--workers", "0"]) == 0
    cfg = _config(extracted, tmp_path / "run", tokens=str(tmp_path / "few"), dev_tokens=str(tmp_path / "few"),
                  steps=150, warmup_steps=10, eval_every=150, save_every=150)
    final = train(cfg)
    lm = SpeechLM.from_pretrained(final, codec=extracted["codec"])
    store = TokenStore(tmp_path / "few")
    greedy = SamplingConfig(temperature=0, repetition_penalty=1.0)
    generated = generate_codes(lm.model, lm.vocab, lm.tokenizer, [e.text for e in store.entries], greedy)
    for i, codes in enumerate(generated):
        assert np.array_equal(codes.numpy(), store[i]), f"utterance {i} not reproduced"


def test_resume_matches_uninterrupted_run(extracted, tmp_path):
    final = train(_config(extracted, tmp_path / "run"))
    uninterrupted = load_file(str(final / "model.safetensors"))
    # "interrupt" after step 3: drop everything later, then resume
    shutil.rmtree(tmp_path / "run" / "checkpoints" / "step_00000006")
    shutil.rmtree(final)
    with pytest.raises(SystemExit, match="--resume"):
        train(_config(extracted, tmp_path / "run"))
    with pytest.raises(SystemExit, match=r"other data settings \(seed 0 -> 1\).*to go on with more data: --init "):
        train(_config(extracted, tmp_path / "run", seed=1), resume=True)
    resumed = load_file(str(train(_config(extracted, tmp_path / "run"), resume=True) / "model.safetensors"))
    assert uninterrupted.keys() == resumed.keys()
    for name in uninterrupted:
        assert torch.allclose(uninterrupted[name], resumed[name], atol=1e-6), name


def test_sigterm_saves_the_step_under_way_and_resume_matches_uninterrupted_run(extracted, tmp_path, monkeypatch,
                                                                              signal_at_step):
    args = ["--tokens", str(extracted["train"]), "--dev-tokens", str(extracted["dev"]), "--preset", "debug",
            "--steps", "6", "--batch-tokens", "2048", "--row-length", "512", "--lr", "3e-3", "--warmup-steps", "2",
            "--eval-every", "3", "--save-every", "3", "--vocab-size", "128"]
    assert lm_train.main(args + ["--out", str(tmp_path / "whole")]) == 0
    uninterrupted = load_file(str(tmp_path / "whole" / "final" / "model.safetensors"))
    handlers = {s: signal.getsignal(s) for s in StopOnSignal.SIGNALS}
    signal_at_step(lm_train, 1, signal.SIGTERM)
    # the step under way (the second) ends, is saved although --save-every is 3, and the CLI exits 128 + 15
    assert lm_train.main(args + ["--out", str(tmp_path / "run")]) == 143
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == ["step_00000002"]
    assert not (tmp_path / "run" / "final").exists()
    assert {s: signal.getsignal(s) for s in StopOnSignal.SIGNALS} == handlers  # restored
    monkeypatch.undo()
    assert lm_train.main(args + ["--out", str(tmp_path / "run"), "--resume"]) == 0
    resumed = load_file(str(tmp_path / "run" / "final" / "model.safetensors"))
    for name in uninterrupted:
        assert torch.allclose(uninterrupted[name], resumed[name], atol=1e-6), name


def test_a_second_signal_interrupts_at_once(extracted, tmp_path, signal_at_step):
    handlers = {s: signal.getsignal(s) for s in StopOnSignal.SIGNALS}
    signal_at_step(lm_train, 1, signal.SIGINT, signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        train(_config(extracted, tmp_path / "run"))
    assert not (tmp_path / "run" / "checkpoints").exists() or not any((tmp_path / "run" / "checkpoints").iterdir())
    assert {s: signal.getsignal(s) for s in StopOnSignal.SIGNALS} == handlers


def test_two_process_cpu_run_stops_together_and_matches_one_process(extracted, tmp_path):
    # `accelerate launch --cpu --num_processes 2` starts one process unless MPI is set up; --multi_gpu on a
    # machine without GPUs starts torchrun processes that Accelerate runs on CPU with gloo.
    args = ["--tokens", str(extracted["train"]), "--dev-tokens", str(extracted["dev"]), "--preset", "debug",
            "--steps", "3", "--batch-tokens", "2048", "--row-length", "512", "--lr", "3e-3", "--warmup-steps", "2",
            "--eval-every", "3", "--save-every", "3", "--vocab-size", "128", "--out", str(tmp_path / "two")]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1", "CUDA_VISIBLE_DEVICES": ""}

    def run_two(train_args, extra_env=None):
        """lm.train on two processes, on a free port (a fixed one can still be held by the previous launch); on a
        hang the whole process group is killed, so no rank outlives the test."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port",
               str(port), "-m", "lm.train", *train_args]
        proc = subprocess.Popen(cmd, cwd=REPO, env={**env, **(extra_env or {})}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            pytest.fail(f"two-process lm.train hung past 240 s: {stderr[-3000:]}")
        return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)

    # only process 0 gets SIGTERM, as step 2 ends: both stop after that step, with its checkpoint, and no final/
    proc = run_two(args, {SIGNAL_FAULT_ENV: "SIGTERM@2"})
    assert proc.returncode != 0 and "SIGTERM received: stopped after step 2" in proc.stderr, proc.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / "two" / "checkpoints").iterdir()) == ["step_00000002"]
    assert not (tmp_path / "two" / "final").exists()
    proc = run_two([*args, "--resume"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((tmp_path / "two" / "train_config.json").read_text())["world_size"] == 2
    # 4 rows per step = every row of the corpus, split 2 + 2 over the processes: the same gradient as 1 process
    one = train(_config(extracted, tmp_path / "one", steps=3))
    a, b = load_file(str(one / "model.safetensors")), load_file(str(tmp_path / "two" / "final" / "model.safetensors"))
    for name in a:
        assert torch.allclose(a[name], b[name], atol=1e-5), name
    # the data position depends on the number of processes: a resume on another number is refused
    with pytest.raises(CheckpointError, match=r"written by 2 process\(es\), this run has 1"):
        train(_config(extracted, tmp_path / "two", steps=3), resume=True)
    # the whole corpus fits in one row of 4096 tokens: the second process would wait for a row forever
    one_row = ["--tokens", str(extracted["train"]), "--dev-tokens", str(extracted["dev"]), "--preset", "debug",
               "--row-length", "4096", "--batch-tokens", "8192", "--vocab-size", "128", "--out", str(tmp_path / "one_row")]
    proc = run_two(one_row)
    assert proc.returncode != 0 and "make 1 row(s) of <= 4096 tokens, fewer than the 2 process(es)" in proc.stderr, \
        proc.stderr[-3000:]


def test_lm_refuses_another_codec(extracted, extracted_other, tmp_path):
    final = train(_config(extracted, tmp_path / "run", steps=1, eval_every=1, save_every=1))
    SpeechLM.from_pretrained(final, codec=extracted["codec"])  # its own codec: fine
    other = extracted_other["codec"]
    with pytest.raises(CodecMismatchError) as err:
        SpeechLM.from_pretrained(final, codec=other)
    # named by what decides it, the tokenizer fingerprint (the whole-codec fingerprints matched nothing a user sees)
    mine, theirs = extracted["codec"].tokenizer_fingerprint()[:16], other.tokenizer_fingerprint()[:16]
    assert f"made with tokenizer {mine}" in str(err.value) and f"is tokenizer {theirs}" in str(err.value)


def test_score_per_utterance_equals_the_packed_training_loss(extracted, tmp_path):
    from lm.packing import PackedRows, collate_rows
    from lm.score import compare, main as score_main, score_utterances, unigram_scores
    from lm.train import token_loss_sum

    final = train(_config(extracted, tmp_path / "run", steps=3))
    lm = SpeechLM.from_pretrained(final)
    store = TokenStore(extracted["train"])
    records = score_utterances(lm, store, batch_size=3)
    assert [r["id"] for r in records] == [e.id for e in store.entries]
    alone = score_utterances(lm, store, batch_size=1)  # padding in a batch must not change any utterance's score
    assert np.allclose([r["bits"] for r in records], [r["bits"] for r in alone], rtol=1e-5)
    # the same targets as training: all utterances packed into rows, one summed loss
    packed = PackedRows(store, lm.vocab, lm.tokenizer, lm.config.max_positions, pack=True)
    batch = collate_rows([packed[i] for i in range(len(packed))], lm.vocab.pad)
    with torch.no_grad():
        nats, targets = token_loss_sum(lm.model, {k: v for k, v in batch.items() if k != "padding"})
    assert sum(r["targets"] for r in records) == targets
    assert sum(r["bits"] for r in records) == pytest.approx(float(nats) / np.log(2), rel=1e-5)

    summary = compare({"a": records, "b": alone}, reference="a")
    assert summary["lms"]["b"]["difference"] == pytest.approx(0, abs=1e-4)
    lo, hi = summary["lms"]["a"]["bits_per_second_ci"]
    assert lo < summary["lms"]["a"]["bits_per_second"] < hi
    with pytest.raises(ValueError, match="'b' scored other utterances"):
        compare({"a": records, "b": records[1:]})

    # the unigram baseline fitted on the utterances it scores, without smoothing: their empirical entropy
    unigram = unigram_scores(store, store, smoothing=1e-12)
    assert [r["targets"] for r in unigram] == [e.length + 1 for e in store.entries]
    symbols = np.concatenate([np.append(store[i], -1) for i in range(len(store))])  # -1: SPEECH_END
    _, counts = np.unique(symbols, return_counts=True)
    entropy_bits = -(counts * np.log2(counts / counts.sum())).sum()
    assert sum(r["bits"] for r in unigram) == pytest.approx(entropy_bits, rel=1e-6)

    assert score_main(["--lm", f"a={final}:{extracted['train']}", "--lm", f"b={final}:{extracted['train']}",
                       "--unigram", f"u={extracted['train']}:{extracted['train']}",
                       "--reference", "a", "--out", str(tmp_path / "score")]) == 0
    assert "| b |" in (tmp_path / "score" / "summary.md").read_text()
    assert set(json.loads((tmp_path / "score" / "summary.json").read_text())["lms"]) == {"a", "b", "u"}


def test_unigram_baseline_scores_the_utterances_the_lm_scored(extracted, tmp_path, capsys):
    from lm.config import LMConfig
    from lm.score import main as score_main
    from lm.text import TextTokenizer

    store = TokenStore(extracted["train"])
    tokenizer = TextTokenizer.train([e.text for e in store.entries], TextConfig(vocab_size=128))
    lengths = [len(t) + e.length + 4 for t, e in zip(tokenizer.encode_many([e.text for e in store.entries]),
                                                       store.entries)]  # a row: text, codes and 4 specials
    context = max(lengths) - 1  # the longest utterance does not fit
    config = dataclasses.replace(LMConfig.preset("debug"), max_positions=context)
    SpeechLM.create(config, tokenizer, store.identity).save_pretrained(tmp_path / "lm")
    assert score_main(["--lm", f"short={tmp_path / 'lm'}:{extracted['train']}",
                       "--unigram", f"u={extracted['train']}:{extracted['train']}", "--out", str(tmp_path / "score")]) == 0
    scores = json.loads((tmp_path / "score" / "scores.json").read_text())
    fits = [e.id for e, n in zip(store.entries, lengths) if n <= context]
    assert [r["id"] for r in scores["short"]] == [r["id"] for r in scores["u"]] == fits
    err = capsys.readouterr().err
    assert f"--lm short: 1 of the {len(store)} utterances" in err and f"context ({context} tokens)" in err
    assert f"--unigram u: scored on the {len(fits)} utterances the LMs scored, not the other 1" in err


def test_extraction_skips_and_counts_the_second_utterance_of_one_id(extracted, synth_corpus, tmp_path):
    """The shards are assembled by id and stores are matched by id: of two utterances given one id, the manifest
    reader keeps the first and skips the second with its reason (codec.data.read_manifest); tokens.json counts it."""
    utts = list(read_manifest(synth_corpus["train"]).utterances[:3])
    utts[2] = dataclasses.replace(utts[2], id=utts[0].id)
    write_manifest(tmp_path / "m.jsonl", utts)
    assert extract_main(["--codec", str(extracted["root"] / "codec"), "--manifest", str(tmp_path / "m.jsonl"),
                         "--out", str(tmp_path / "tok"), "--workers", "0"]) == 0
    header = read_header(tmp_path / "tok")
    assert header["utterances"] == 2 and header["skipped_count"] == 1
    assert f"id {utts[0].id!r} repeats line 1's" in header["skipped"][0]["reason"]
    store = TokenStore(tmp_path / "tok")
    assert [e.id for e in store.entries] == [utts[0].id, utts[1].id] and store.entries[0].text == utts[0].text


def test_best_dev_model_is_kept_and_survives_a_resume(extracted, tmp_path, monkeypatch):
    """best/ holds the model of the lowest dev loss so far, best.json its step; a resumed run remembers that loss,
    so a worse evaluation after the resume does not replace it."""
    scripted = iter([3.0, 2.0, 2.5, 2.2, 2.5, 2.2])
    monkeypatch.setattr(lm_train, "evaluate", lambda *a, **k: {"dev/loss": next(scripted), "dev/bits_per_second": 1.0})
    cfg = _config(extracted, tmp_path / "run", steps=4, eval_every=1, save_every=2)
    final = train(cfg)
    best = tmp_path / "run" / "best"
    assert json.loads((best / "best.json").read_text()) == {"step": 2, "dev/loss": 2.0, "dev/bits_per_second": 1.0}
    best_weights, final_weights = load_file(str(best / "model.safetensors")), load_file(str(final / "model.safetensors"))
    assert any(not torch.equal(best_weights[k], final_weights[k]) for k in best_weights)  # steps 3-4 moved on
    SpeechLM.from_pretrained(best, codec=extracted["codec"])  # a model folder like final/
    shutil.rmtree(tmp_path / "run" / "checkpoints" / "step_00000004")
    shutil.rmtree(final)
    train(cfg, resume=True)  # steps 3-4 again: dev 2.5 then 2.2, both worse than step 2's 2.0
    assert json.loads((best / "best.json").read_text())["step"] == 2
    for name, value in load_file(str(best / "model.safetensors")).items():
        assert torch.equal(value, best_weights[name]), name


def test_bf16_autocast_run_trains_close_to_float32(extracted, tmp_path):
    """--mixed-precision bf16 reaches the model on CPU (the weights differ from the float32 run's) and trains the
    same model up to bf16 rounding; an unknown precision is refused by name."""
    from accelerate.state import AcceleratorState

    # Accelerate keeps one precision per process: reset it around each run (a real run builds one Accelerator).
    AcceleratorState._reset_state(reset_partial_state=True)
    exact = load_file(str(train(_config(extracted, tmp_path / "fp32", mixed_precision="no")) / "model.safetensors"))
    AcceleratorState._reset_state(reset_partial_state=True)
    try:
        half = load_file(str(train(_config(extracted, tmp_path / "bf16", mixed_precision="bf16")) / "model.safetensors"))
    finally:
        AcceleratorState._reset_state(reset_partial_state=True)
    assert any(not torch.equal(exact[k], half[k]) for k in exact)
    # "close" relative to how far the run moves the weights (Adam moves each by ~lr a step: 0.0125 in all here):
    # the bf16 run's update is the float32 run's up to ~2 % of its norm (measured 0.019; a bf16 run that climbs
    # the loss instead measured 1.76). The largest single weight's gap is no measure: Adam moves a weight of tiny
    # gradient by ~lr whichever its sign, and bf16 rounding flips such signs (0.56 of the largest move here).
    AcceleratorState._reset_state(reset_partial_state=True)
    init = train(_config(extracted, tmp_path / "init", mixed_precision="no", steps=0))  # the weights it starts from
    init = load_file(str(init / "model.safetensors"))
    AcceleratorState._reset_state(reset_partial_state=True)
    flat = lambda weights: torch.cat([weights[k].flatten().double() for k in sorted(exact)])  # noqa: E731
    update_exact, update_half = flat(exact) - flat(init), flat(half) - flat(init)
    assert update_exact.abs().max() > 0.005  # the run does move the weights
    apart = float((update_half - update_exact).norm() / update_exact.norm())
    assert apart < 0.06, apart
    with pytest.raises(ValueError, match="mixed precision 'fp8'"):
        train(_config(extracted, tmp_path / "fp8", mixed_precision="fp8"))


def test_several_token_directories_read_as_one_corpus_of_one_codec(extracted, extracted_other):
    train_store, dev_store = TokenStore(extracted["train"]), TokenStore(extracted["dev"])
    both = open_tokens(f"{extracted['train']},{extracted['dev']}")
    assert len(both) == len(train_store) + len(dev_store) and both.identity == train_store.identity
    assert [e.id for e in both.entries] == [e.id for e in train_store.entries] + [e.id for e in dev_store.entries]
    assert np.array_equal(both[len(train_store)], dev_store[0]) and np.array_equal(both[1], train_store[1])
    assert both.total_frames == train_store.total_frames + dev_store.total_frames
    assert isinstance(open_tokens(str(extracted["dev"])), TokenStore)
    with pytest.raises(CodecMismatchError):
        open_tokens(f"{extracted['train']},{extracted_other['dev']}")


def test_init_starts_from_a_trained_lm_on_a_grown_corpus(extracted, tmp_path):
    first = train(_config(extracted, tmp_path / "first", steps=3))
    grown = f"{extracted['train']},{extracted['dev']}"
    # zero steps: the run's model is exactly the one it started from, with its tokenizer
    same = train(_config(extracted, tmp_path / "same", tokens=grown, text=None, init=str(first), steps=0))
    start, copied = load_file(str(first / "model.safetensors")), load_file(str(same / "model.safetensors"))
    assert start.keys() == copied.keys() and all(torch.equal(start[k], copied[k]) for k in start)
    assert (same / "tokenizer.model").read_bytes() == (first / "tokenizer.model").read_bytes()
    # a few steps from there on the grown corpus train on, from the first run's weights (not a fresh init)
    on = train(_config(extracted, tmp_path / "on", tokens=grown, text=None, init=str(first), steps=2, lr=1e-4))
    moved = load_file(str(on / "model.safetensors"))
    fresh = load_file(str(train(_config(extracted, tmp_path / "fresh", tokens=grown, steps=2, lr=1e-4)) / "model.safetensors"))
    name = next(k for k in start if "layers.0.self_attn.q_proj" in k)
    assert not torch.equal(moved[name], start[name])
    assert (moved[name] - start[name]).abs().max() < (fresh[name] - start[name]).abs().max()
    assert json.loads((tmp_path / "on" / "train_config.json").read_text())["init"] == str(first)
    with pytest.raises(SystemExit, match="architecture"):
        train(_config(extracted, tmp_path / "bad", text=None, init=str(first), preset="tiny"))
    with pytest.raises(ValueError, match="give one or the other"):
        _config(extracted, tmp_path / "bad", text=None, init=str(first), tokenizer=str(first))


@pytest.mark.parametrize("other_codec", ["extracted_other", "extracted_larger"])
def test_init_new_codec_keeps_the_transformer_and_text_rows_and_starts_the_speech_rows_fresh(extracted, other_codec,
                                                                                             request, tmp_path):
    """Onto another codec of the same size (64 codes) or of four times the codes (256)."""
    first = train(_config(extracted, tmp_path / "first", steps=2))
    target = request.getfixturevalue(other_codec)
    on_other = dict(tokens=str(target["train"]), dev_tokens=str(target["dev"]), text=None, init=str(first), steps=0)
    with pytest.raises(CodecMismatchError, match="to carry the LM onto another codec's tokens, add --init-new-codec"):
        train(_config(extracted, tmp_path / "refused", **on_other))
    moved = train(_config(extracted, tmp_path / "moved", **on_other, init_new_codec=True))
    lm = SpeechLM.from_pretrained(moved, codec=target["codec"])  # the new LM speaks the other codec
    assert lm.vocab.codebook_size == target["codec"].codebook_size
    start, now = load_file(str(first / "model.safetensors")), load_file(str(moved / "model.safetensors"))
    codes = slice(lm.vocab.speech_offset, lm.vocab.size)
    for name in start:
        if "embed_tokens" in name or "lm_head" in name:
            assert now[name].shape[0] == lm.vocab.size, name
            assert torch.equal(start[name][:codes.start], now[name][:codes.start]), name  # text and specials
            if now[name].shape == start[name].shape:
                assert not torch.equal(start[name][codes], now[name][codes]), name
            assert abs(now[name][codes].std().item() - lm.model.config.initializer_range) < 0.005
        else:
            assert torch.equal(start[name], now[name]), name
    with pytest.raises(ValueError, match="init_new_codec needs init"):
        _config(extracted, tmp_path / "bad", init_new_codec=True)


def test_extraction_of_a_manifest_with_nothing_usable_leaves_no_store_to_block_the_next(extracted, synth_corpus,
                                                                                        tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"not audio")
    write_manifest(tmp_path / "m.jsonl", [Utterance("bad", str(tmp_path / "bad.wav"), "x", "s", 1.0, 16000)])
    args = ["--codec", str(extracted["root"] / "codec"), "--out", str(tmp_path / "tok"), "--workers", "0"]
    with pytest.raises(ValueError, match=r"m.jsonl: no usable utterances \(1 skipped"):
        extract_main(["--manifest", str(tmp_path / "m.jsonl"), *args])
    assert not (tmp_path / "tok" / "tokens.json").exists()
    assert extract_main(["--manifest", str(synth_corpus["dev"]), *args]) == 0  # the corrected run is not refused


# -- LM data path review: short audio, stores of many shards, overlapping directories ----------------------------
# (no synthetic corpus or recipe: a fresh debug codec on noise, and token directories written directly)

def _write_store(directory: Path, shards: list[list[tuple[str, np.ndarray]]], codebook_size: int = 64) -> None:
    from lm.identity import CodecIdentity
    from lm.tokens import TOKENS_FORMAT_VERSION, code_dtype, write_header, write_shard

    directory.mkdir(parents=True)
    dtype = code_dtype(codebook_size)
    for k, shard in enumerate(shards):
        write_shard(directory, k, [{"id": uid, "text": "a text", "speaker": "s"} for uid, _ in shard],
                    [codes for _, codes in shard], [], dtype)
    identity = CodecIdentity("cd" * 32, codebook_size, 50.0, 16000, "ef" * 32)
    write_header(directory, {"format_version": TOKENS_FORMAT_VERSION, "codec": identity.to_dict(), "dtype": dtype.name,
                             "complete": True, "num_shards": len(shards)})


def test_extraction_skips_audio_shorter_than_one_codec_frame_and_encodes_the_rest(tmp_path):
    from codec import Codec, CodecConfig

    torch.manual_seed(0)
    codec = Codec(CodecConfig.preset("debug", codebook_size=64)).eval()
    rng = np.random.default_rng(0)
    sizes = {"long": codec.sample_rate // 2, "short": codec.hop_length // 2, "one_frame": codec.hop_length}
    for uid, n in sizes.items():
        sf.write(tmp_path / f"{uid}.wav", (0.1 * rng.standard_normal(n)).astype(np.float32), codec.sample_rate)
    write_manifest(tmp_path / "m.jsonl", [Utterance(uid, str(tmp_path / f"{uid}.wav"), "a text", "s",
                                                    n / codec.sample_rate, codec.sample_rate)
                                          for uid, n in sizes.items()])
    codec.save_pretrained(tmp_path / "codec")
    # the short file shares a batch with both others: before, codec.encode refused the batch and the run ended
    args = ["--codec", str(tmp_path / "codec"), "--manifest", str(tmp_path / "m.jsonl"), "--out", str(tmp_path / "tok"),
            "--batch-size", "3", "--workers", "0"]
    assert extract_main(args) == 0
    header = read_header(tmp_path / "tok")
    assert header["utterances"] == 2 and header["skipped_count"] == 1
    assert header["skipped"][0]["id"] == "short" and "under the minimum of 20 ms (one codec frame)" in header["skipped"][0]["reason"]
    store = TokenStore(tmp_path / "tok")
    assert [e.id for e in store.entries] == ["long", "one_frame"]
    assert [len(store[i]) for i in range(2)] == [-(-sizes["long"] // codec.hop_length), 1]
    # a manifest of nothing but such clips wrote a complete store of 0 utterances, which then refused the corrected
    # manifest (another manifest_sha256): refused before any store is begun, as a manifest of unreadable files is
    write_manifest(tmp_path / "short.jsonl", [Utterance("short", str(tmp_path / "short.wav"), "a text", "s",
                                                        sizes["short"] / codec.sample_rate, codec.sample_rate)])
    with pytest.raises(ValueError, match=r"short.jsonl: no usable utterances \(1 skipped"):
        extract_main(["--codec", str(tmp_path / "codec"), "--manifest", str(tmp_path / "short.jsonl"),
                      "--out", str(tmp_path / "none")])
    assert not (tmp_path / "none" / "tokens.json").exists()


def test_a_store_of_many_shards_holds_no_file_open_per_shard(tmp_path):
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        pytest.skip("needs /proc/self/fd")
    rng = np.random.default_rng(0)
    shards = [[(f"u{k}_{j}", rng.integers(0, 64, rng.integers(0, 9))) for j in range(2)] for k in range(300)]
    _write_store(tmp_path / "tok", shards)
    before = len(list(fd_dir.iterdir()))
    store = TokenStore(tmp_path / "tok")
    # one descriptor per shard (a memmap each) passes the usual 1024 open-files limit at ~1000 shards: a corpus of
    # 10^6 utterances at the default shard size, or LibriSpeech 960 h at --shard-size 250
    assert len(list(fd_dir.iterdir())) - before < 10
    flat = [codes for shard in shards for _, codes in shard]
    assert len(store) == 600 and all(np.array_equal(store[i], flat[i]) for i in range(600))
    assert all(store[i].dtype == np.int64 for i in (0, -1))


def test_token_directories_that_overlap_are_refused_as_one_corpus(tmp_path):
    codes = np.arange(5)
    _write_store(tmp_path / "a", [[("x", codes), ("y", codes)]])
    _write_store(tmp_path / "b", [[("z", codes), ("y", codes)]])
    _write_store(tmp_path / "c", [[("w", codes)]])
    assert [e.id for e in open_tokens(f"{tmp_path / 'a'},{tmp_path / 'c'}").entries] == ["x", "y", "w"]
    with pytest.raises(TokenStoreError, match="utterance id 'y' is in both .*a and .*b"):
        open_tokens(f"{tmp_path / 'a'},{tmp_path / 'b'}")
    with pytest.raises(TokenStoreError, match="utterance id 'x'"):  # one directory given twice
        open_tokens(f"{tmp_path / 'a'},{tmp_path / 'c'},{tmp_path / 'a'}")


def test_a_fresh_start_replaces_a_tokenizer_left_by_a_start_that_made_no_checkpoint(extracted, tmp_path):
    """<out>/tokenizer/ of a start that stopped before its first checkpoint (other settings: 64 pieces) is not the
    one a new start asks for: it trains its own, or takes --init's (whose weights would not even load beside it)."""
    from lm.text import TextTokenizer

    texts = [e.text for e in TokenStore(extracted["train"]).entries]
    leftover = TextTokenizer.train(texts, TextConfig(vocab_size=64))
    wanted = TextTokenizer.train(texts, TextConfig(vocab_size=128))
    assert leftover.size != wanted.size
    for run in ("run", "init_run"):
        (tmp_path / run / "tokenizer").mkdir(parents=True)
        leftover.save(tmp_path / run / "tokenizer")
    final = train(_config(extracted, tmp_path / "run", steps=1, warmup_steps=0))
    assert TextTokenizer.load(final).size == wanted.size
    assert (tmp_path / "run" / "tokenizer" / "tokenizer.model").read_bytes() == (final / "tokenizer.model").read_bytes()
    moved = train(_config(extracted, tmp_path / "init_run", text=None, init=str(final), steps=1, warmup_steps=0))
    assert (moved / "tokenizer.model").read_bytes() == (final / "tokenizer.model").read_bytes()


def test_a_resume_needs_no_init_folder(extracted, tmp_path):
    """--init is what a run started from: its resume takes weights and tokenizer from the checkpoint and <out>."""
    first = train(_config(extracted, tmp_path / "first", steps=1, warmup_steps=0))
    on = _config(extracted, tmp_path / "on", text=None, init=str(first), steps=3, warmup_steps=1, save_every=1)
    whole = load_file(str(train(on) / "model.safetensors"))
    shutil.rmtree(tmp_path / "on" / "checkpoints" / "step_00000003")
    shutil.rmtree(tmp_path / "on" / "final")
    shutil.rmtree(first)  # the init folder cleaned up, or moved
    resumed = load_file(str(train(on, resume=True) / "model.safetensors"))
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)


def test_a_resume_compares_token_folders_not_their_spelling(extracted, tmp_path, monkeypatch):
    """`--tokens x` then `--resume --tokens ./x/` was refused as other data (the strings compared, not the folders)."""
    monkeypatch.chdir(extracted["train"].parent)
    cfg = _config(extracted, tmp_path / "run", steps=2, save_every=1, eval_every=2, tokens=extracted["train"].name)
    train(cfg)
    shutil.rmtree(tmp_path / "run" / "final")
    train(dataclasses.replace(cfg, tokens=f"./{extracted['train'].name}/"), resume=True)
    with pytest.raises(SystemExit, match="tokens"):  # another folder is still refused
        train(dataclasses.replace(cfg, tokens=str(extracted["dev"])), resume=True)


def test_a_resume_under_another_schedule_says_so_and_one_past_its_steps_is_refused(extracted, tmp_path, capsys):
    cfg = _config(extracted, tmp_path / "run", steps=2, warmup_steps=1, save_every=1, eval_every=2)
    train(cfg)
    capsys.readouterr()
    final = train(dataclasses.replace(cfg, steps=3, lr=1e-3), resume=True)  # extended: goes on, with a notice
    notice = capsys.readouterr().err
    assert "resuming under another schedule (steps 2 -> 3; lr 0.003 -> 0.001)" in notice, notice
    assert json.loads((tmp_path / "run" / "train_config.json").read_text())["steps"] == 3
    weights = load_file(str(final / "model.safetensors"))
    with pytest.raises(SystemExit, match="at step 3, past --steps 2"):  # final/ would be step 3's model
        train(cfg, resume=True)
    assert all(torch.equal(v, load_file(str(final / "model.safetensors"))[k]) for k, v in weights.items())
    train(dataclasses.replace(cfg, steps=3, lr=1e-3), resume=True)  # the same schedule again: no notice
    assert "another schedule" not in capsys.readouterr().err


def test_a_step_descends_the_mean_loss_over_the_steps_target_tokens(extracted, tmp_path, monkeypatch):
    """Every target token weighs the same, however the rows were packed: the gradient of a step is that of the summed
    token losses over the step's targets (not a mean over rows of each row's mean, which weighs a short row's tokens
    more; mutation testing found no test that told the two apart)."""
    from lm.vocab import IGNORE_INDEX

    seen = {}
    real_adamw, real_loss = lm_train.adamw, lm_train.token_loss_sum

    def recording_adamw(groups, **kwargs):
        optimizer = real_adamw(groups, **kwargs)
        params = seen["params"] = [p for group in groups for p in group["params"]]
        seen["start"] = [p.detach().clone() for p in params]
        step = optimizer.step

        def first_step_recorded(*args, **kw):
            seen.setdefault("grads", [None if p.grad is None else p.grad.detach().clone() for p in params])
            return step(*args, **kw)

        optimizer.step = first_step_recorded
        return optimizer

    def recording_loss(model, batch):
        if "grads" not in seen:
            seen.setdefault("batches", []).append(batch)
            seen["model"] = model
        return real_loss(model, batch)

    monkeypatch.setattr(lm_train, "adamw", recording_adamw)
    monkeypatch.setattr(lm_train, "token_loss_sum", recording_loss)
    train(_config(extracted, tmp_path / "run", steps=1, warmup_steps=0, grad_clip=float("inf"), save_every=1,
                  eval_every=1))
    params, model = seen["params"], seen["model"]
    with torch.no_grad():  # back to the weights the step's gradient was taken at
        for p, start in zip(params, seen["start"]):
            p.copy_(start)
    nats, targets = zip(*(lm_train.token_losses(model, b) for b in seen["batches"]))
    nats, targets = torch.cat(nats), torch.cat(targets)
    assert targets.min() < targets.max()  # rows of different lengths: the two weightings differ
    assert int(targets.sum()) == sum(int((b["labels"][:, 1:] != IGNORE_INDEX).sum()) for b in seen["batches"])

    def gradient(loss):
        return [torch.zeros_like(p) if g is None else g
                for p, g in zip(params, torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True))]

    per_token, per_row = gradient(nats.sum() / targets.sum()), gradient((nats / targets).mean())
    recorded = [torch.zeros_like(p) if g is None else g for p, g in zip(params, seen["grads"])]
    flat = [torch.cat([g.flatten() for g in grads]) for grads in (recorded, per_token, per_row)]
    torch.testing.assert_close(flat[0], flat[1], rtol=1e-4, atol=1e-7)
    assert not torch.allclose(flat[0], flat[2], rtol=1e-3, atol=1e-6)


def test_a_checkpoint_exports_to_the_lm_of_its_step(extracted, tmp_path, capsys, monkeypatch):
    """codec.export had no LM counterpart: a run's checkpoint could not be packaged or evaluated, only final/ and
    best/. The export of the last checkpoint is final/, row length (512, not the preset's) and tokenizer included."""
    from lm.export import main as export_main

    train(_config(extracted, tmp_path / "run", steps=3, save_every=3))
    out = export_main([str(tmp_path / "run" / "checkpoints" / "step_00000003"), str(tmp_path / "at_3")])
    assert "LM of step 3 of" in capsys.readouterr().out
    exported, final = SpeechLM.from_pretrained(out), SpeechLM.from_pretrained(tmp_path / "run" / "final")
    assert exported.config == final.config and exported.config.max_positions == 512
    assert exported.codec == final.codec and exported.tokenizer.encode("hello") == final.tokenizer.encode("hello")
    weights = final.model.state_dict()
    assert all(torch.equal(v, weights[k]) for k, v in exported.model.state_dict().items())
    # from another working directory, its training tokens named by a relative path: the codec comes from best/
    settings = json.loads((tmp_path / "run" / "train_config.json").read_text())
    (tmp_path / "run" / "train_config.json").write_text(json.dumps({**settings, "tokens": extracted["train"].name}))
    monkeypatch.chdir(tmp_path)  # where no folder of that name is
    assert SpeechLM.from_pretrained(export_main([str(tmp_path / "run" / "checkpoints" / "step_00000003"),
                                                 str(tmp_path / "again")])).codec == final.codec
    with pytest.raises(SystemExit) as err:  # a folder that is not a checkpoint: named, no traceback
        export_main([str(tmp_path / "run" / "final"), str(tmp_path / "x")])
    assert err.value.code == 2 and "trainer_state.json: missing (not an lm.train checkpoint folder" in capsys.readouterr().err
    # given where a model folder is asked for, a checkpoint is named as such, with the way out
    with pytest.raises(LMLoadError, match=r"step_00000003: a training checkpoint, not an LM folder: export it first "
                                          r"\(python -m lm.export .*step_00000003 OUT\)"):
        SpeechLM.from_pretrained(tmp_path / "run" / "checkpoints" / "step_00000003")


def test_a_second_lm_run_into_a_folder_another_live_run_trains_in_is_refused(extracted, tmp_path):
    from codec.trainloop import run_lock

    with run_lock(tmp_path / "run"):
        with pytest.raises(SystemExit, match=r"another run is training into it \(pid \d+"):
            train(_config(extracted, tmp_path / "run", steps=1, eval_every=1, save_every=1), resume=True)
    assert (train(_config(extracted, tmp_path / "run", steps=1, eval_every=1, save_every=1)) / "model.safetensors").exists()


def test_the_training_tokens_as_the_dev_set_are_named(extracted, tmp_path, capsys):
    """best/ was chosen on the training data (the lowest "dev" loss is the most overfit model) without a word; an
    overfitting check does so on purpose, so it runs, with a warning."""
    train(_config(extracted, tmp_path / "run", dev_tokens=str(extracted["train"]), steps=1, eval_every=1))
    assert "is one of the training token folders: the dev loss measures the fit to training data" in capsys.readouterr().err


def test_rows_shorter_than_every_utterance_and_empty_score_rows_are_named(extracted, tmp_path, capsys):
    """A --row-length below every utterance ended lm.train, lm.score and the benchmark in a ValueError traceback;
    a store with nothing to score in lm.score in "bootstrap_ci: no values"."""
    from lm.score import main as score_main
    from lm.tokens import TokenStoreError

    with pytest.raises(TokenStoreError, match=r"no utterance fits in a row of 8 tokens \(\d+ utterances; the shortest "
                                              r"needs \d+\)"):
        train(_config(extracted, tmp_path / "run", row_length=8, batch_tokens=8, steps=1, eval_every=1))
    final = train(_config(extracted, tmp_path / "ok", steps=1, eval_every=1, save_every=1))
    with pytest.raises(SystemExit) as err:  # the unigram row scores only what the LM scored: here nothing (other ids)
        score_main(["--lm", f"a={final}:{extracted['dev']}", "--unigram", f"u={extracted['train']}:{extracted['train']}"])
    assert err.value.code == 2 and "u: no utterance left to score" in capsys.readouterr().err
