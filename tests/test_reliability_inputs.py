"""Fault injection into what users give (issue 9, docs/RELIABILITY.md): broken corpora, bad text, broken model
folders, concurrent callers.

Each input either works (handled: downmixed, resampled, cropped, normalized) or is refused with an error that
names the thing and the reason; nothing stops a run over a corpus, generation always ends, no pickle is ever
loaded from a model folder, and threads get the audio they would get alone.
"""
from __future__ import annotations

import json
import pickle
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from codec import Codec
from codec.model import CodecLoadError
from lm.identity import CodecMismatchError
from lm.model import LMLoadError, SpeechLM
from lm.text import TokenizerError
from pipelines.tts import MAX_TEXT_CHARACTERS, PipelineLoadError, TTSPipeline, split_sentences


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")


# ---------------------------------------------------------------------------------------------------------------
# 4. a broken corpus
# ---------------------------------------------------------------------------------------------------------------

# id -> what must happen to it in token extraction and evaluation: "ok" or a fragment of the skip reason
EXPECTED = {
    "good-1": "ok", "good-2": "ok", "good-3": "ok",
    "stereo": "ok",  # downmixed
    "rate-8k": "ok", "rate-48k": "ok",  # resampled
    # a WAV cut short: libsndfile reads the samples before the cut as if they were all, beside the whole transcript
    "truncated-wav": "cut short (9000 bytes; its data ends at byte",
    "empty-text": "ok", "non-ascii-text": "ok",  # the codec needs no text
    "missing-file": "file not found",
    "empty-file": "empty file (0 bytes)",
    "zero-samples": "contains no samples",
    "not-audio": "not a readable audio file",
    "truncated-flac": "not a readable audio file",
    "nan-samples": "NaN or Inf",
    "ten-minutes": "600.0 s long, over the limit of 60 s",
}


@pytest.fixture(scope="module")
def broken_corpus(debug_recipe, tmp_path_factory) -> Path:
    """A manifest with 3 good utterances, 5 odd-but-usable ones and 8 broken ones (plus 2 malformed lines)."""
    root = tmp_path_factory.mktemp("broken-corpus")
    src = [json.loads(line) for line in (debug_recipe / "data" / "train.jsonl").read_text().splitlines()]
    good = [dict(u, audio=str((debug_recipe / "data" / u["audio"]).resolve())) for u in src[:3]]
    speech, rate = sf.read(good[0]["audio"], dtype="float32")
    rows = [dict(u, id=f"good-{i + 1}") for i, u in enumerate(good)]

    def add(uid, name, text="a broken entry", write=None):
        path = root / name
        if write is not None:
            write(path)
        rows.append({"id": uid, "audio": name, "text": text, "speaker": "x", "duration": 1.0, "sample_rate": 16000})

    add("stereo", "stereo.wav", write=lambda p: sf.write(p, np.stack([speech, 0.5 * speech], 1), rate))
    add("rate-8k", "8k.wav", write=lambda p: sf.write(p, speech[::2], 8000))
    add("rate-48k", "48k.wav", write=lambda p: sf.write(p, np.repeat(speech, 3), 48000))
    sf.write(root / "full.wav", speech, rate)
    sf.write(root / "full.flac", speech, rate)
    add("truncated-wav", "truncated.wav", write=lambda p: p.write_bytes((root / "full.wav").read_bytes()[:9000]))
    add("empty-text", "empty_text.wav", text="", write=lambda p: sf.write(p, speech, rate))
    add("non-ascii-text", "non_ascii.wav", text="Ünïcödé — 你好 🎉 ß", write=lambda p: sf.write(p, speech, rate))
    add("missing-file", "missing.wav")
    add("empty-file", "empty.wav", write=lambda p: p.write_bytes(b""))
    add("zero-samples", "zero.wav", write=lambda p: sf.write(p, np.zeros(0, np.float32), rate))
    add("not-audio", "not_audio.wav", write=lambda p: p.write_text("<html>this is not audio</html>\n" * 50))
    add("truncated-flac", "truncated.flac", write=lambda p: p.write_bytes((root / "full.flac").read_bytes()[:4000]))
    nan = speech.copy()
    nan[100:200] = np.nan
    add("nan-samples", "nan.wav", write=lambda p: sf.write(p, nan, rate, subtype="FLOAT"))
    noise = (np.random.default_rng(0).standard_normal(600 * 16000) * 0.05).astype(np.float32)
    add("ten-minutes", "ten_minutes.wav", write=lambda p: sf.write(p, noise, 16000))
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + ["{not json", json.dumps({"id": "no-audio-field"})]
    (root / "broken.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(EXPECTED) == len(rows) == 16
    return root / "broken.jsonl"


def _listed_once(skipped: list[tuple[str, str]], expected_bad: dict[str, str]) -> None:
    ids = [name for name, _ in skipped]
    for uid, fragment in expected_bad.items():
        assert ids.count(uid) == 1, f"{uid} listed {ids.count(uid)} times in {ids}"
        reason = dict(skipped)[uid]
        assert fragment in reason, f"{uid}: reason {reason!r} lacks {fragment!r}"


def test_codec_training_on_a_broken_corpus(broken_corpus, tmp_path, capsys):
    from codec.train import main

    final = main(["--preset", "debug", "--train-manifest", str(broken_corpus), "--out", str(tmp_path / "run"),
                  "--steps", "2", "--batch-size", "8", "--segment-seconds", "0.2", "--save-every", "2", "--adv-start-step", "100",
                  "--cpu"])
    assert (final / "model.safetensors").exists()
    err = capsys.readouterr().err
    summary = err[err.index("training entries skipped:"):]
    for line in ("broken.jsonl:17: not valid JSON", "broken.jsonl:18: entry has no 'audio' field"):
        assert line in summary
    for uid in ("missing-file", "empty-file", "zero-samples", "not-audio", "truncated-wav"):  # found from their headers
        assert summary.count(f"  {uid}: ") == 1 and EXPECTED[uid] in summary
    # the ones that only fail when decoded are listed only if training drew them, but never twice
    for uid in ("truncated-flac", "nan-samples"):
        assert summary.count(f"  {uid}: ") <= 1


def test_token_extraction_on_a_broken_corpus(broken_corpus, debug_recipe, tmp_path):
    from lm.extract import main
    from lm.tokens import TokenStore

    out = tmp_path / "tokens"
    # two DataLoader workers: the reasons must come back from the worker processes too
    assert main(["--codec", str(debug_recipe / "codec" / "256" / "final"), "--manifest", str(broken_corpus),
                 "--out", str(out), "--batch-size", "4", "--workers", "2"]) == 0
    header = json.loads((out / "tokens.json").read_text())
    good = sorted(k for k, v in EXPECTED.items() if v == "ok")
    assert header["complete"] and header["utterances"] == len(good)
    assert sorted(e.id for e in TokenStore(out).entries) == good
    skipped = [(s["id"], s["reason"]) for s in header["skipped"]]
    _listed_once(skipped, {k: v for k, v in EXPECTED.items() if v != "ok"})
    assert len(skipped) == 8 + 2  # the 8 broken entries and the 2 malformed lines, nothing else


def test_evaluation_on_a_broken_corpus(broken_corpus, debug_recipe, tmp_path):
    from pipelines.evaluate import main

    out = tmp_path / "eval"
    assert main(["codec", "--codec", str(debug_recipe / "codec" / "256" / "final"), "--manifest", str(broken_corpus),
                 "--out", str(out), "--asr", "pocketsphinx", "--batch-size", "4"]) == 0
    results = json.loads((out / "results.json").read_text())
    good = [k for k, v in EXPECTED.items() if v == "ok"]
    assert results["ground_truth"]["n_utterances"] == len(good)
    codec = next(iter(results["codecs"].values()))
    assert codec["n_utterances"] == len(good) and np.isfinite(codec["stoi"]["mean"])
    _listed_once([(s["id"], s["reason"]) for s in results["skipped"]], {k: v for k, v in EXPECTED.items() if v != "ok"})
    report = (out / "report.md").read_text()
    assert "## Skipped entries (10)" in report and report.count("`ten-minutes`") == 1


# ---------------------------------------------------------------------------------------------------------------
# 5. bad text to synthesize
# ---------------------------------------------------------------------------------------------------------------

# sampling kwargs for an untrained debug LM, which runs to its length bound: keep that bound short
SHORT = {"max_frames_base": 6, "max_frames_per_text_token": 0.0}

BAD_TEXT = {
    "empty": ("", "empty or whitespace-only"),
    "whitespace": (" \t\n\r  \n", "empty or whitespace-only"),
    "only punctuation": ("?!... ,;:-- ()", "nothing speakable"),
    "emoji": ("😀🎉👍🏽", "nothing speakable"),
    "other scripts": ("Привет мир 你好世界 مرحبا", "nothing speakable"),
    "too long": ("word " * (MAX_TEXT_CHARACTERS // 5 + 1), "MAX_TEXT_CHARACTERS"),
}
SPEAKABLE = {
    "control characters": "hello\x00\x07\x1b[31m world\r\n\x7f again",
    "digits and currency": "It costs $3.50, or €1,000,000: 42% of 1984, the 3rd time.",
    "html": "<html><body><p>Hello <b>world</b></p><script>alert(1)</script></body></html>",
    "mixed scripts": "hello Привет 你好 world",
    "300-letter word": "abcdefghij" * 30,
    "10 000 characters": ("The quick brown fox jumps over the lazy dog, again and again. " * 200)[:10_000],
}


@pytest.fixture(scope="module")
def pipeline(debug_recipe) -> TTSPipeline:
    return TTSPipeline.from_pretrained(debug_recipe / "tts" / "256-sg")


def _frame_bound(pipeline: TTSPipeline, text: str) -> int:
    """The most frames `text` may produce: per sentence, the sampling bound capped by the LM's context."""
    from lm.generate import SamplingConfig

    config = SamplingConfig(**SHORT)
    context = pipeline.lm.model.config.max_position_embeddings
    total = 0
    for sentence in split_sentences(text):
        ids = pipeline.lm.tokenizer.encode(sentence)
        if ids:
            total += min(config.max_frames(len(ids)), context - len(pipeline.lm.vocab.prompt(ids)))
    return total


@pytest.mark.parametrize("case", sorted(BAD_TEXT))
def test_unspeakable_text_is_refused_clearly(pipeline, case):
    text, message = BAD_TEXT[case]
    with pytest.raises(ValueError, match=message):
        pipeline(text, seed=0, **SHORT)


def test_wrong_types_are_refused(pipeline):
    for value in (None, 42, b"bytes", ["ok", 3]):
        with pytest.raises(TypeError, match="expected a str"):
            pipeline(value, seed=0)
    with pytest.raises(TypeError, match="unknown sampling option"):
        pipeline("hello", seed=0, temprature=0.5)


@pytest.mark.parametrize("case", sorted(SPEAKABLE))
def test_odd_text_gives_bounded_audio(pipeline, case):
    text = SPEAKABLE[case]
    start = time.perf_counter()
    out = pipeline(text, seed=0, **SHORT, min_frames=1)  # the debug LM may end before any speech (~1 seed in 10)
    seconds = time.perf_counter() - start
    audio = out["audio"]
    assert audio.dtype == np.float32 and audio.ndim == 1 and len(audio) > 0 and np.isfinite(audio).all()
    sentences = [s for s in split_sentences(text) if pipeline.lm.tokenizer.encode(s)]
    pauses = (len(sentences) - 1) * int(pipeline.pause_seconds * pipeline.sample_rate)
    bound = _frame_bound(pipeline, text) * pipeline.codec.hop_length + pauses
    assert len(audio) <= bound, (case, len(audio), bound)
    assert seconds < 90, f"{case}: {seconds:.1f} s"


def test_generation_is_bounded_by_the_lm_context(pipeline):
    """Without the short sampling bound, a 300-letter word would allow 50 + 20 x tokens frames: the context caps it."""
    word = "abcdefghij" * 30
    ids = pipeline.lm.tokenizer.encode(word)
    context = pipeline.lm.model.config.max_position_embeddings
    room = context - len(pipeline.lm.vocab.prompt(ids))
    assert 50 + 20 * len(ids) > room  # the context is the binding bound here
    # a sampling bound past the context, and SPEECH_END held back as long: only the context can stop it, at `room`
    codes = pipeline.generate(word, seed=0, max_frames_base=room + 100, max_frames_per_text_token=0.0,
                              min_frames=room + 100, temperature=1.0)
    assert [len(c) for c in codes[0]] == [room]
    assert len(pipeline.render(codes)[0]["audio"]) == room * pipeline.codec.hop_length


# ---------------------------------------------------------------------------------------------------------------
# 6. broken model folders
# ---------------------------------------------------------------------------------------------------------------


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    for key, value in changes.items():
        target = data
        *parents, last = key.split(".")
        for p in parents:
            target = target[p]
        target[last] = value
    path.write_text(json.dumps(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.fixture
def no_pickle(monkeypatch):
    """Any pickle load from a model folder fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a pickle was loaded from a model folder: {args[:1]}")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


def test_broken_codec_folders(debug_recipe, tmp_path, no_pickle):
    good = debug_recipe / "codec" / "256" / "final"
    Codec.from_pretrained(good)  # loads without any pickle
    cases = {}
    d = _copy(good, tmp_path / "truncated")
    _truncate(d / "model.safetensors")
    cases["truncated weights"] = (d, "model.safetensors: not a readable safetensors file")
    d = _copy(good, tmp_path / "no-config")
    (d / "config.json").unlink()
    cases["missing config"] = (d, "config.json: missing")
    d = _copy(good, tmp_path / "future")
    _edit_json(d / "config.json", format_version=99)
    cases["other version"] = (d, "config.json.*format version 99")
    d = _copy(good, tmp_path / "mismatch")
    _edit_json(d / "config.json", decoder_dim=32)
    cases["weights do not match config"] = (d, "model.safetensors: weights do not match .*config.json")
    d = _copy(good, tmp_path / "not-json")
    (d / "config.json").write_text("{ half a config")
    cases["config not JSON"] = (d, "config.json")
    cases["missing folder"] = (tmp_path / "nowhere", "nowhere: codec directory not found")
    for name, (folder, message) in cases.items():
        with pytest.raises(CodecLoadError, match=message):
            Codec.from_pretrained(folder)


def test_broken_lm_folders(debug_recipe, tmp_path, no_pickle):
    good = debug_recipe / "lm" / "256" / "final"
    codec = Codec.from_pretrained(debug_recipe / "codec" / "256" / "final")
    other_codec = Codec.from_pretrained(debug_recipe / "codec" / "256-sg" / "final")
    SpeechLM.from_pretrained(good, codec=codec)  # loads without any pickle
    cases = {}
    d = _copy(good, tmp_path / "truncated")
    _truncate(d / "model.safetensors")
    cases["truncated weights"] = (d, LMLoadError, "model.safetensors")
    d = _copy(good, tmp_path / "no-config")
    (d / "config.json").unlink()
    cases["missing config"] = (d, LMLoadError, "config.json: file not found")
    d = _copy(good, tmp_path / "future")
    _edit_json(d / "config.json", format_version=99)
    cases["other version"] = (d, LMLoadError, "config.json.*format version 99")
    d = _copy(good, tmp_path / "mismatch")
    _edit_json(d / "config.json", **{"lm.intermediate_size": 96})
    cases["weights do not match config"] = (d, LMLoadError, "model.safetensors: weights do not match .*config.json")
    d = _copy(good, tmp_path / "no-tokenizer")
    (d / "tokenizer.model").unlink()
    cases["missing tokenizer"] = (d, TokenizerError, "tokenizer.model: file not found")
    for name, (folder, error, message) in cases.items():
        with pytest.raises(error, match=message):
            SpeechLM.from_pretrained(folder, codec=codec)
    with pytest.raises(CodecMismatchError, match="codec"):
        SpeechLM.from_pretrained(good, codec=other_codec)


def test_broken_tts_pipeline_folders(debug_recipe, tmp_path, no_pickle):
    good = debug_recipe / "tts" / "256"
    TTSPipeline.from_pretrained(good)  # loads without any pickle
    cases = {}
    d = _copy(good, tmp_path / "no-pipeline-json")
    (d / "pipeline.json").unlink()
    cases["missing pipeline.json"] = (d, PipelineLoadError, "pipeline.json")
    d = _copy(good, tmp_path / "future")
    _edit_json(d / "pipeline.json", format_version=99)
    cases["other version"] = (d, PipelineLoadError, "pipeline.json.*format version 99")
    d = _copy(good, tmp_path / "bad-sampling")
    _edit_json(d / "pipeline.json", **{"sampling.temprature": 0.5})
    cases["unknown sampling setting"] = (d, PipelineLoadError, "pipeline.json: bad sampling settings")
    d = _copy(good, tmp_path / "truncated-codec")
    _truncate(d / "codec" / "model.safetensors")
    cases["truncated codec weights"] = (d, CodecLoadError, "codec/model.safetensors")
    d = _copy(good, tmp_path / "truncated-lm")
    _truncate(d / "lm" / "model.safetensors")
    cases["truncated LM weights"] = (d, LMLoadError, "lm/model.safetensors")
    d = _copy(good, tmp_path / "no-lm")
    shutil.rmtree(d / "lm")
    cases["missing LM"] = (d, LMLoadError, "lm/config.json: file not found")
    d = _copy(good, tmp_path / "wrong-lm")
    shutil.rmtree(d / "lm")
    shutil.copytree(debug_recipe / "tts" / "256-sg" / "lm", d / "lm")
    cases["LM of another codec"] = (d, CodecMismatchError, "codec")
    for name, (folder, error, message) in cases.items():
        with pytest.raises(error, match=message):
            TTSPipeline.from_pretrained(folder)


# ---------------------------------------------------------------------------------------------------------------
# 7. concurrent use
# ---------------------------------------------------------------------------------------------------------------


def test_four_threads_get_the_audio_of_sequential_calls(pipeline, monkeypatch):
    import pipelines.tts

    calls = [("Hello there.", 0), ("How are you today?", 1), ("Hello there.", 2), ("The quick brown fox. It runs.", 3)]
    # the model's own distribution (no temperature, top-k or top-p cut) for all of SHORT's 6 frames: seeds then
    # differ even where the debug LM at its temperature 0.5 leaves one code that every seed picks
    sampling = {**SHORT, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "min_frames": SHORT["max_frames_base"]}
    sequential = [pipeline(text, seed=seed, **sampling)["audio"] for text, seed in calls]
    # what the pipeline's lock guards (generation, decoding), counted and slowed down so that unguarded calls overlap
    inside, most, count = [0], [0], threading.Lock()

    def guarded(function):
        def counted(*args, **kwargs):
            with count:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            try:
                time.sleep(0.05)
                return function(*args, **kwargs)
            finally:
                with count:
                    inside[0] -= 1
        return counted

    for name in ("generate_codes", "render_codes"):
        monkeypatch.setattr(pipelines.tts, name, guarded(getattr(pipelines.tts, name)))
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def work(i):
        barrier.wait()
        text, seed = calls[i]
        results[i] = pipeline(text, seed=seed, **sampling)["audio"]

    for _ in range(2):
        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(calls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert most[0] == 1, f"{most[0]} calls inside the pipeline's lock at once"
        for i, (text, seed) in enumerate(calls):
            assert results[i] is not None and np.array_equal(results[i], sequential[i]), (text, seed)
    assert not np.array_equal(sequential[0], sequential[2])  # the seed matters: the comparison is not vacuous
