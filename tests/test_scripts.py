"""The diagnostic scripts under scripts/: their signal-level behaviour, on a debug codec with random weights."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from codec import Codec, CodecConfig

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_phase_oracle_swaps_magnitude_and_phase_inside_the_istft_head():
    oracle = _script("phase_oracle")
    torch.manual_seed(0)
    codec = Codec(CodecConfig.preset("debug")).eval()
    t = np.arange(12345) / 16000
    wav = (0.3 * np.sin(2 * np.pi * 150 * t) * np.sin(2 * np.pi * 2 * t)).astype(np.float32)
    with torch.no_grad():
        plain = codec.reconstruct(torch.from_numpy(wav)[None])[0][0].numpy()
    signals, inverse_error = oracle.conditions(codec, wav)
    assert inverse_error < 1e-4  # the input's own magnitude and phase through the head give the input back
    assert set(signals) == {"input", "input mag + zero phase", "codec", "codec mag + input phase",
                            "input mag + codec phase"}
    assert all(s.shape == wav.shape and s.dtype == np.float32 for s in signals.values())
    np.testing.assert_allclose(signals["codec"][: len(plain)], np.clip(plain[: len(wav)], -1, 1), atol=1e-6)
    for swapped in ("input mag + zero phase", "codec mag + input phase", "input mag + codec phase"):
        assert np.abs(signals[swapped] - signals["codec"]).max() > 1e-3
        assert np.abs(signals[swapped] - wav).max() > 1e-3
    with torch.no_grad():  # the hook is gone: the codec decodes as before
        again = codec.reconstruct(torch.from_numpy(wav)[None])[0][0].numpy()
    np.testing.assert_array_equal(again, plain)


def test_wer_oracle_splices_partition_the_codecs_error():
    oracle = _script("wer_oracle")
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    # a tone in bursts with pauses between them, so that speech frames, pauses and transients all occur
    wav = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    out = (wav + 0.05 * rng.standard_normal(wav.shape)).astype(np.float32)
    same = oracle.splices(wav, wav, 16000)
    assert all(np.abs(s - wav).max() < 1e-5 for s in same.values())  # splicing the input into itself is the input
    signals = oracle.splices(wav, out, 16000)
    assert all(s.shape == wav.shape and s.dtype == np.float32 for s in signals.values())
    error = signals["codec"] - wav

    def summed(*names):  # each splice adds the codec's error in its piece; the pieces partition the STFT
        return sum(signals[n] - wav for n in names)

    bands = [f"codec only in {lo}-{hi} Hz" for lo, hi in oracle.BANDS]
    np.testing.assert_allclose(summed(*bands), error, atol=1e-4)
    np.testing.assert_allclose(summed("codec only in speech frames", "codec only in pauses"), error, atol=1e-4)
    np.testing.assert_allclose(summed("codec only in transients", "codec only in steady speech",
                                      "codec only in pauses"), error, atol=1e-4)
    for name in bands + ["codec only in pauses", "codec only in transients"]:
        assert 1e-3 < np.abs(signals[name] - wav).max() and np.abs(signals[name] - signals["codec"]).max() > 1e-3
    rms = lambda x: np.sqrt(np.mean(x.astype(np.float64) ** 2))  # noqa: E731
    assert rms(signals["codec, level of the input"]) == pytest.approx(rms(wav), rel=1e-4)

    # the judge's calibration rows: an envelope error of the asked size, growing with it, reproducible per seed
    assert np.abs(oracle.jittered(wav, 0.0, seed=1) - wav).max() < 1e-5
    spec = oracle._stft(wav).abs()
    loud = spec > spec.max() * 1e-2  # where the gain is measurable above the STFT's leakage
    jittered = {sigma: oracle.jittered(wav, sigma, seed=1) for sigma in (1.0, 3.0)}
    for sigma, x in jittered.items():
        gain_db = 20 * torch.log10(oracle._stft(x).abs()[loud] / spec[loud])
        assert float(gain_db.std()) == pytest.approx(sigma, rel=0.35)
    assert np.array_equal(jittered[3.0], oracle.jittered(wav, 3.0, seed=1))
    scores = {sigma: oracle.fidelity([wav], [x], 16000) for sigma, x in jittered.items()}
    assert 0 < scores[1.0]["mel_distance"] < scores[3.0]["mel_distance"]
    assert scores[1.0]["cepstral_distance"] < scores[3.0]["cepstral_distance"]


def test_hidden_energy_reports_the_taps_scale_beside_the_hidden_mse(tmp_path, capsys):
    from codec.audio import save_wav

    script = _script("hidden_energy")
    torch.manual_seed(0)
    codec = Codec(CodecConfig.preset("debug")).eval()
    waves = [np.random.default_rng(i).standard_normal(3200 + 640 * i).astype(np.float32) * 0.1 for i in range(2)]
    row = script.hidden_scale(codec, waves)
    assert row["frames"] == 10 + 12 and row["relative_hidden_mse"] == row["hidden_mse"] / row["hidden_energy"]
    energy = 0.0
    with torch.inference_mode():  # ||h_e||^2 at the SG tap, summed over frames
        for wav in waves:
            lat = codec.encode_latents(torch.from_numpy(wav)[None], torch.tensor([len(wav)]))
            energy += float((codec.backbone(codec.decoder_input(lat.z_e), lat.mask, "last_block")[1][0] ** 2).sum())
    assert row["hidden_energy"] == pytest.approx(energy / 22, rel=1e-5)
    assert 0 < row["relative_hidden_mse"] < 1 and 0 < row["constant_share"] < 1
    assert row["mse_relative_to_varying"] == pytest.approx(row["relative_hidden_mse"] / (1 - row["constant_share"]))
    with torch.no_grad():  # an offset added on every frame before the blocks: the constant share grows
        codec.backbone.embed.bias.add_(30.0)
    assert script.hidden_scale(codec, waves)["constant_share"] > row["constant_share"] + 0.2
    with torch.no_grad():
        codec.backbone.embed.bias.sub_(30.0)

    folder = codec.save_pretrained(tmp_path / "codec")
    lines = []
    for i, wav in enumerate(waves):
        save_wav(tmp_path / f"{i}.wav", wav, 16000)
        lines.append(json.dumps({"id": str(i), "audio": str(tmp_path / f"{i}.wav"), "text": "x"}))
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n")
    assert script.main([str(folder), "--manifest", str(tmp_path / "m.jsonl")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["utterances"] == 2 and printed["tap"] == "last_block" and printed["step"] is None
    assert printed["hidden_energy"] == pytest.approx(row["hidden_energy"], rel=1e-4)
    assert script.main([str(folder), "--manifest", str(tmp_path / "m.jsonl"), "--tap", "backbone"]) == 0
    normalized = json.loads(capsys.readouterr().out)  # the final LayerNorm's output: ~1 per channel
    assert normalized["tap"] == "backbone" and normalized["hidden_energy"] != pytest.approx(row["hidden_energy"])


def test_paired_wer_bootstraps_the_difference_utterance_by_utterance(tmp_path, capsys):
    script = _script("paired_wer")

    def system(name: str, errors: list[int]) -> None:
        rows = [{"reference": f"utterance {i}", "errors": e, "n_words": 10} for i, e in enumerate(errors)]
        folder = tmp_path / "codec" / name
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps({"wer": {"per_utterance": rows}}))

    system("a", [5, 6, 7, 5, 6, 7, 5, 6])
    system("b", [3, 4, 5, 3, 4, 5, 3, 4])  # two errors fewer on every utterance
    row = script.paired_wer(tmp_path, "a", "b")
    assert row["difference"] == pytest.approx(-0.2) and row["difference_ci"] == pytest.approx([-0.2, -0.2])
    assert row["wer_base"] == pytest.approx(0.5875) and row["utterances"] == 8
    system("c", [5, 6, 7])
    with pytest.raises(ValueError, match="same utterances"):
        script.paired_wer(tmp_path, "a", "c")
    assert script.main([str(tmp_path), "a:b"]) == 0
    assert json.loads(capsys.readouterr().out)["difference"] == -0.2
    # pooled with a second set where b makes no fewer errors: the words of both count
    first = tmp_path
    tmp_path = first / "second-set"
    system("a", [5, 5])
    system("b", [5, 5])
    pooled = script.paired_wer([first, tmp_path], "a", "b")
    assert pooled["utterances"] == 10 and pooled["difference"] == pytest.approx(-16 / 100)
    assert script.main([str(first), "a:b", "--pool", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["utterances"] == 10
    # the ground-truth row as a system: what b costs over the judge's error on the input itself
    truth = [{"reference": f"utterance {i}", "errors": 1, "n_words": 10} for i in range(8)]
    (first / "ground_truth").mkdir()
    (first / "ground_truth" / "results.json").write_text(json.dumps({"wer": {"per_utterance": truth}}))
    assert script.paired_wer(first, "ground_truth", "b")["difference"] == pytest.approx(0.2875)
    # a folder pooled twice would count its utterances twice
    with pytest.raises(ValueError, match="given twice"):
        script.paired_wer([first, tmp_path, Path(str(tmp_path) + "/")], "a", "b")
    with pytest.raises(SystemExit):
        script.main([str(first), "a:a"])
    assert "'a:a': a system paired with itself" in capsys.readouterr().err
    (first / "codec" / "unjudged").mkdir()
    (first / "codec" / "unjudged" / "results.json").write_text(json.dumps({"kind": "codec"}))
    with pytest.raises(ValueError, match="no WER"):
        script.paired_wer(first, "a", "unjudged")


def test_paired_wer_pairs_utterances_by_id_where_recorded(tmp_path):
    # one sentence read by two voices: the texts alone cannot tell the rows apart, their ids can
    script = _script("paired_wer")

    def system(name: str, ids: list[str | None], errors: list[int]) -> None:
        rows = [{"reference": "the same sentence", "errors": e, "n_words": 3, **({"id": i} if i else {})}
                for i, e in zip(ids, errors)]
        folder = tmp_path / "codec" / name
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps({"wer": {"per_utterance": rows}}))

    system("a", ["slt-1", "rms-1"], [0, 3])
    system("b", ["slt-1", "rms-1"], [1, 3])
    system("swapped", ["rms-1", "slt-1"], [3, 1])
    system("before-ids", [None, None], [1, 3])  # results written before rows held ids: texts only
    assert script.paired_wer(tmp_path, "a", "b")["difference"] == pytest.approx(1 / 6)
    with pytest.raises(ValueError, match="same utterances"):
        script.paired_wer(tmp_path, "a", "swapped")
    assert script.paired_wer(tmp_path, "a", "before-ids")["difference"] == pytest.approx(1 / 6)


def test_seed_pooled_averages_replicates_and_reports_their_spread(tmp_path, capsys):
    script = _script("seed_pooled")

    def codec(name: str, pesq: list[float], ids: list[str] | None = None) -> None:
        folder = tmp_path / "codec" / name
        folder.mkdir(parents=True)
        ids = ids or [f"u{i}" for i in range(len(pesq))]
        (folder / "per_utterance.json").write_text(json.dumps({"id": ids, "pesq_wb": pesq}))

    codec("plain-s0", [2.0, 2.5, 3.0, 2.0])
    codec("sg-s0", [2.1, 2.6, 3.1, 2.1])  # +0.1 on every utterance
    codec("plain-s1", [2.0, 2.5, 3.0, 2.0])
    codec("sg-s1", [2.3, 2.8, 3.3, 2.3])  # +0.3
    row = script.seed_pooled(tmp_path, [("plain-s0", "sg-s0"), ("plain-s1", "sg-s1")], "pesq_wb")
    assert [r["difference"] for r in row["replicates"]] == pytest.approx([0.1, 0.3])
    assert row["pooled"] == pytest.approx(0.2) and row["pooled_ci"] == pytest.approx([0.2, 0.2])
    assert row["spread"] == pytest.approx(0.2) and row["utterances"] == 4
    # two replicates: their contrast (second minus first), here +0.2 on every utterance
    assert row["contrast"] == pytest.approx(0.2) and row["contrast_ci"] == pytest.approx([0.2, 0.2])
    codec("sg-s2", [2.0, 2.9, 3.0, 2.0])  # a third replicate: +0.1 on average, only on one utterance
    three = script.seed_pooled(tmp_path, [("plain-s0", "sg-s0"), ("plain-s1", "sg-s1"), ("plain-s0", "sg-s2")],
                               "pesq_wb")
    assert "contrast" not in three and three["pooled"] == pytest.approx(0.5 / 3)
    codec("other-set", [2.0, 2.5, 3.0, 2.0], ids=["x0", "x1", "x2", "x3"])
    with pytest.raises(ValueError, match="same utterances"):
        script.seed_pooled(tmp_path, [("plain-s0", "sg-s0"), ("plain-s1", "other-set")], "pesq_wb")
    # "A+B": two twin baselines averaged per utterance (the twin 0.2 above plain-s0: the mean baseline 0.1 above)
    codec("twin-s0", [2.2, 2.7, 3.2, 2.2])
    twins = script.seed_pooled(tmp_path, [("plain-s0+twin-s0", "sg-s0")], "pesq_wb")
    assert twins["replicates"][0]["difference"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="'other-set' was not scored on the same utterances as 'plain-s0'"):
        script.seed_pooled(tmp_path, [("plain-s0+other-set", "sg-s0")], "pesq_wb")
    assert script.main([str(tmp_path), "plain-s0:sg-s0", "plain-s1:sg-s1", "--metric", "pesq_wb"]) == 0
    assert json.loads(capsys.readouterr().out)["pooled"] == pytest.approx(0.2)
    with pytest.raises(SystemExit):
        script.main([str(tmp_path), "plain-s0-sg-s0"])
    assert "'plain-s0-sg-s0': expected BASE:OTHER" in capsys.readouterr().err
    with pytest.raises(ValueError, match="--metric stoi: not scored per utterance for 'plain-s0' \\(there: pesq_wb"):
        script.seed_pooled(tmp_path, [("plain-s0", "sg-s0")], "stoi")
    codec("16384_SG", [2.1, 2.6, 3.1, 2.1])  # compare's folder of a system named "16384+SG" (the README's names)
    assert script.seed_pooled(tmp_path, [("plain-s0", "16384+SG")], "pesq_wb")["pooled"] == pytest.approx(0.1)
    codec("16384", [2.0, 2.5, 3.0, 2.0])
    codec("SG", [2.0, 2.5, 3.0, 2.0])
    with pytest.raises(ValueError, match="'16384\\+SG': both a system of .* and the mean of its systems"):
        script.seed_pooled(tmp_path, [("plain-s0", "16384+SG")], "pesq_wb")


def test_seed_pooled_wer_pools_the_error_differences_of_replicates(tmp_path, capsys):
    script = _script("seed_pooled")

    def system(name: str, errors: list[int], words: int = 10) -> None:
        rows = [{"reference": f"utterance {i}", "errors": e, "n_words": words} for i, e in enumerate(errors)]
        folder = tmp_path / "codec" / name
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps({"wer": {"per_utterance": rows}}))

    system("plain-s1", [5, 6, 7, 5])
    system("sg-s1", [4, 5, 6, 4])  # one error fewer per 10 words
    system("plain-s2", [5, 6, 7, 5])
    system("sg-s2", [2, 3, 4, 2])  # three fewer
    row = script.seed_pooled_wer(tmp_path, [("plain-s1", "sg-s1"), ("plain-s2", "sg-s2")])
    assert [r["difference"] for r in row["replicates"]] == pytest.approx([-0.1, -0.3])
    assert row["pooled"] == pytest.approx(-0.2) and row["pooled_ci"] == pytest.approx([-0.2, -0.2])
    assert row["spread"] == pytest.approx(0.2) and row["utterances"] == 4
    assert row["contrast"] == pytest.approx(-0.2) and row["contrast_ci"] == pytest.approx([-0.2, -0.2])
    system("other-text", [5, 6, 7])
    with pytest.raises(ValueError, match="same utterances"):
        script.seed_pooled_wer(tmp_path, [("plain-s1", "sg-s1"), ("plain-s2", "other-text")])
    system("twin-s1", [7, 8, 9, 7])  # two errors more than plain-s1: the averaged baseline one more
    assert script.seed_pooled_wer(tmp_path, [("plain-s1+twin-s1", "sg-s1")])["replicates"][0]["difference"] == \
        pytest.approx(-0.2)
    with pytest.raises(ValueError, match="same utterances"):
        script.seed_pooled_wer(tmp_path, [("plain-s1+other-text", "sg-s1")])
    assert script.main([str(tmp_path), "plain-s1:sg-s1", "plain-s2:sg-s2", "--metric", "wer"]) == 0
    assert json.loads(capsys.readouterr().out)["pooled"] == pytest.approx(-0.2)


def test_phoneme_table_replays_espeak_ng_exactly_and_refuses_what_it_did_not_record(tmp_path):
    """The GPU machine's stand-in espeak-ng (scripts/gpu/phoneme_table.py) must give the LM the very token ids the
    real one gives here, and fail loudly on a text nobody recorded."""
    import os
    import shutil
    import subprocess
    import sys

    from lm.text import TextConfig, TextTokenizer

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    texts = ["The quick brown fox jumps over the lazy dog.", "Dr. Smith paid $5 on the 3rd of May, 2021."]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)))
    tok = TextTokenizer.train(texts * 20, TextConfig(vocab_size=40, phonemes=True))
    (tmp_path / "tok").mkdir()
    tok.save(tmp_path / "tok")
    table = tmp_path / "phonemes.json"
    script = str(Path(__file__).resolve().parent.parent / "scripts" / "gpu" / "phoneme_table.py")
    subprocess.run([sys.executable, script, "record", "--tokenizer", str(tmp_path / "tok"), "--manifest",
                    str(manifest), "--out", str(table), "--cache", str(tmp_path / "cache")], check=True,
                   cwd=SCRIPTS.parent)
    shim = tmp_path / "bin" / "espeak-ng"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -S {script} play "$@"\n')
    shim.chmod(0o755)
    real_ids = tok.encode_many(texts)
    env = {**os.environ, "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}", "SGSPEECH_PHONEME_TABLE": str(table),
           "SGSPEECH_CACHE_DIR": ""}
    code = ("import json, sys; from lm.text import TextTokenizer; t = TextTokenizer.load(sys.argv[1]); "
            "print(json.dumps(t.encode_many(json.loads(sys.argv[2]))))")
    replayed = subprocess.run([sys.executable, "-c", code, str(tmp_path / "tok"), json.dumps(texts)], env=env,
                              cwd=SCRIPTS.parent, capture_output=True, text=True, check=True)
    assert json.loads(replayed.stdout) == real_ids
    unknown = subprocess.run([sys.executable, "-c", code, str(tmp_path / "tok"), json.dumps(["Never recorded."])],
                             env=env, cwd=SCRIPTS.parent, capture_output=True, text=True)
    assert unknown.returncode != 0 and "was not recorded" in unknown.stderr
    # the cache filled by --cache answers a whole corpus there (training's lookups: disk_cache=True) without a
    # stand-in call per text: with a table that holds the version line alone, the ids are still the real ones
    version_only = tmp_path / "version_only.json"
    version_only.write_text(json.dumps({"--version": json.loads(table.read_text())["--version"]}))
    corpus_code = code.replace("encode_many(json.loads(sys.argv[2]))", "encode_many(json.loads(sys.argv[2]), disk_cache=True)")
    cached = subprocess.run([sys.executable, "-c", corpus_code, str(tmp_path / "tok"), json.dumps(texts)],
                            env={**env, "SGSPEECH_PHONEME_TABLE": str(version_only),
                                 "SGSPEECH_CACHE_DIR": str(tmp_path / "cache")},
                            cwd=SCRIPTS.parent, capture_output=True, text=True, check=True)
    assert json.loads(cached.stdout) == real_ids


def test_plot_hidden_energy_draws_every_codec_and_tap_and_names_a_bad_row(tmp_path):
    plotter = _script("plot_hidden_energy")
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"codec": c, "tap": t, "mse_relative_to_varying": 0.01 * (i + 1),
                                        "hidden_energy": 100.0 * (i + 1)}) + "\n"
                            for i, (c, t) in enumerate([("a", "last_block"), ("a", "backbone"), ("b", "last_block")])))
    out = tmp_path / "fig.png"
    assert plotter.main([str(rows), "--out", str(out), "--label", "a=first"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"codec": "a", "tap": "last_block"}\n')
    with pytest.raises(SystemExit, match="without codec/tap/mse_relative_to_varying/hidden_energy"):
        plotter.main([str(bad), "--out", str(out)])


def test_plot_lm_progress_joins_resumed_logs_and_draws_wer_points(tmp_path):
    plot = _script("plot_lm_progress")
    first, resumed = tmp_path / "a.log", tmp_path / "b.log"
    first.write_text("lm: 10%|\rstep 250: dev loss 4.5000 nats/token, 300.0 bits/s\nstep 500: dev loss 4.0000 nats/token\n")
    resumed.write_text("step 500: dev loss 3.9000 nats/token, 280.0 bits/s\nstep 750: dev loss 3.5000 nats/token\n")
    assert plot.dev_losses([first, resumed]) == {250: 4.5, 500: 3.9, 750: 3.5}  # the resumed run's step wins
    results = []
    for step, wer in ((750, 0.6), (250, 0.9)):
        path = tmp_path / f"r{step}.json"
        path.write_text(json.dumps({"wer": {"wer": wer, "wer_ci": [wer - 0.05, wer + 0.05]}}))
        results.append(f"test=%d:{path}" % step)
    points = plot.wer_points(results)
    assert list(points) == ["test"] and [p[0] for p in points["test"]] == [250, 750]  # sorted by step
    assert points["test"][1][1:] == pytest.approx((0.6, 0.55, 0.65))
    out = tmp_path / "progress.png"
    assert plot.main(["--log", str(first), "--log", str(resumed), *sum((["--wer", r] for r in results), []),
                      "--ground-truth", "test=0.2", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(SystemExit, match="LABEL=STEP:RESULTS_JSON"):
        plot.wer_points(["test=last:x.json"])


def test_code_noise_moves_the_chosen_frames_one_grid_step_or_anywhere():
    from codec.quantizer import FSQQuantizer

    noise = _script("code_noise")
    q = FSQQuantizer(dim=16, levels=(8, 5, 5, 5))  # even and odd sizes: the edges differ
    codes = torch.randint(0, q.codebook_size, (200,), generator=torch.Generator().manual_seed(1))
    assert torch.equal(noise.corrupt(codes, q, "clean", 0.5, torch.Generator().manual_seed(0)), codes)
    near = noise.corrupt(codes, q, "neighbour", 0.25, torch.Generator().manual_seed(0))
    changed = near != codes
    assert int(changed.sum()) == 50
    half = q.fsq._levels // 2
    before, after = (torch.round(q.lookup(c) * half).long() for c in (codes[changed], near[changed]))
    assert torch.equal((after - before).abs().sum(-1), torch.ones(50, dtype=torch.long))  # one step, one dimension
    assert bool(((after >= -half) & (after <= q.fsq._levels - 1 - half)).all())  # still on the grid
    again = noise.corrupt(codes, q, "neighbour", 0.25, torch.Generator().manual_seed(0))
    assert torch.equal(again, near)  # the seed picks the frames and the moves: the same for every codec
    wild = noise.corrupt(codes, q, "uniform", 0.1, torch.Generator().manual_seed(0))
    assert int((wild != codes).sum()) <= 20 and int(wild.max()) < q.codebook_size
    with pytest.raises(Exception, match="KIND:RATE"):
        noise.parse_noise("gaussian:0.1")


@pytest.mark.slow
def test_sg_gradient_measures_the_first_step_codec_train_takes(synth_corpus, tmp_path, capsys, monkeypatch):
    """The script rebuilds a fine-tune's start (fresh quantizer, same crops): its two gradients' sum has the norm the
    training logs for that step, and the parts add up."""
    import codec.train as codec_train

    monkeypatch.setenv("TQDM_DISABLE", "1")
    script = _script("sg_gradient")
    torch.manual_seed(0)
    source = Codec(CodecConfig.preset("debug")).save_pretrained(tmp_path / "source")
    common = ["--train-manifest", str(synth_corpus["train"]), "--seed", "3", "--batch-size", "4",
              "--segment-seconds", "0.4"]
    codec_train.main([*common, "--init-from", str(source), "--codebook-size", "64", "--sg", "--sg-weight", "5",
                      "--sg-loss", "centered", "--steps", "1", "--adv-start-step", "1", "--cpu",
                      "--out", str(tmp_path / "run")])
    logged = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[0])
    capsys.readouterr()
    script.main([str(source), *common, "--fresh-codebook-size", "64", "--batches", "2"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first, summary = rows[0], rows[-1]
    assert first["mel"] == pytest.approx(logged["mel"], rel=1e-6) and first["sg"] == pytest.approx(logged["sg"], rel=1e-6)
    assert first["all"]["sum_norm"] == pytest.approx(logged["grad_norm/generator"], rel=1e-3)
    for row in rows[:2]:  # the tokenizer's and the decoder's weights split the gradient's squared norm
        parts, whole = (row["tokenizer"], row["decoder"]), row["all"]
        for key in ("mel_norm", "sg_norm", "sum_norm"):
            assert parts[0][key] ** 2 + parts[1][key] ** 2 == pytest.approx(whole[key] ** 2, rel=1e-4)
        assert -1 <= whole["cosine"] <= 1 and whole["sg_to_mel"] == pytest.approx(whole["sg_norm"] / whole["mel_norm"])
    assert summary["fresh_codebook_size"] == 64 and summary["batches"] == 2
    assert summary["mean"]["all"]["sg_norm"] == pytest.approx((rows[0]["all"]["sg_norm"] + rows[1]["all"]["sg_norm"]) / 2)
    # without a fresh quantizer the codec is measured with its own weights: another quantizer, another gradient
    script.main([str(source), *common, "--batches", "1"])
    own = json.loads(capsys.readouterr().out.splitlines()[0])
    assert own["sg"] != pytest.approx(first["sg"])


def test_sg_gradient_refuses_a_codec_trained_with_losses_it_leaves_out(tmp_path):
    # their gradients would be in the logged grad_norm and not in the script's sum
    import dataclasses

    script = _script("sg_gradient")
    config = dataclasses.replace(CodecConfig.preset("debug"), cepstral_weight=1.0)
    source = Codec(config).save_pretrained(tmp_path / "source")
    with pytest.raises(ValueError, match="further losses cepstral"):
        script.main([str(source), "--train-manifest", str(tmp_path / "unused.jsonl")])


def test_sg_gradient_norms_and_cosine_are_accumulated_in_float64():
    # a float32 reduction over millions of weights reads low (the default codec's step-1 norm came out 778.6 against
    # the logged 779.9): the parts of a gradient must match their float64 values to float32 rounding
    script = _script("sg_gradient")
    gen = torch.Generator().manual_seed(0)
    g_mel = torch.randn(4_000_000, generator=gen)
    g_sg = 0.3 * g_mel + torch.randn(4_000_000, generator=gen)
    row = script.compare(g_mel, g_sg)
    a, b = g_mel.double(), g_sg.double()
    assert row["mel_norm"] == pytest.approx(float(a.norm()), rel=1e-6)
    assert row["sg_norm"] == pytest.approx(float(b.norm()), rel=1e-6)
    assert row["sum_norm"] == pytest.approx(float((a + b).norm()), rel=1e-6)
    assert row["cosine"] == pytest.approx(float(a @ b / (a.norm() * b.norm())), rel=1e-6)


def test_error_kinds_counts_an_empty_output_as_deletions(tmp_path):
    # docs/results/tts-codebooks-2026-12-04/error_kinds.py: an utterance the TTS left silent lost all its words
    import subprocess
    import sys

    root = SCRIPTS.parent
    rows = [{"reference": "a b c", "hypothesis": "a b c"}, {"reference": "d e", "hypothesis": ""}]
    for split in ("test", "unseen", "unseen2"):
        for arm in ("65536", "16384", "16384-sgc"):
            folder = tmp_path / f"judged-{split}" / "tts" / f"dn-{arm}"
            folder.mkdir(parents=True)
            (folder / "results.json").write_text(json.dumps({"wer": {"per_utterance": rows}}))
    out = subprocess.run([sys.executable, "docs/results/tts-codebooks-2026-12-04/error_kinds.py", str(tmp_path)],
                         cwd=root, env={**__import__("os").environ, "PYTHONPATH": str(root)},
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == 9
    assert out[0] == "test 65536: S 0.000 D 0.400 I 0.000, empty outputs 1"


# --- the set-up scripts (run.sh, test.sh, scripts/setup.sh, .ci/run), run on a copy with fake commands on PATH ---

_FAKE_PYTHON = r'''#!/usr/bin/env bash
# A stand-in for python3 and for the virtualenv's python: logs each call, answers what setup.sh asks.
S="$FAKE_STATE"; here="$(cd "$(dirname "$0")" && pwd)"
echo "$0 $*" >> "$S/log"
[ "$1" = -P ] && shift
case "$1 $2" in
  "-m venv") shift 2; d=""; for a in "$@"; do case "$a" in -*) ;; *) d="$a" ;; esac; done
             case " $* " in *" --clear "*) rm -rf "$d"/* ;; esac
             mkdir -p "$d/bin"; cp "$0" "$d/bin/python"; touch "$d/pyvenv.cfg" "$d/has-pip"; exit 0 ;;
  "-m ensurepip") touch "$here/../has-pip"; exit 0 ;;
  "-m pip") [ -f "$here/../has-pip" ] || exit 1
            [ "$3" = install ] || exit 0
            case " $* " in *" -e "*) [ -z "$FAKE_EDITABLE_FAILS" ] || exit 1; touch "$here/../project" ;;
                           *) [ -z "$FAKE_TORCH_FAILS" ] || { echo "ERROR: no torch here" >&2; exit 1; }
                              touch "$here/../torch" ;; esac; exit 0 ;;
  "-m pytest") echo "pytest in $PWD: $*" >> "$S/log"; exit "${FAKE_PYTEST_RC:-0}" ;;
  "-m pipelines") echo "pipelines in $PWD: $*" >> "$S/log"; exit 0 ;;
  "-V "*) echo "Python $(cat "$here/../fake-version" 2>/dev/null || echo 3.11.0)"; exit 0 ;;
esac
case "$2" in
  *version_info*) [ ! -f "$here/../fake-version" ]; exit ;;
  "import torch") [ -f "$here/../torch" ]; exit ;;
  *'m.version("torch")'*) [ -f "$here/../torch" ] || exit 1  # no torch, no metadata
                         cat "$here/../fake-torch-version" 2>/dev/null || echo 2.13.0+cpu; exit 0 ;;
  *"import codec, lm"*) [ -f "$here/../torch" ] && [ -f "$here/../project" ]; exit ;;
  *) exit 0 ;;  # import ensurepip, Python.h, import pesq
esac
'''


@pytest.fixture
def setup_copy(tmp_path):
    """The set-up scripts in a folder whose path holds spaces, fake python3/apt-get/sudo/uname first on PATH; returns
    (root, run(cmd, *args, cwd=, **env) -> CompletedProcess, log() -> the calls logged since the last log())."""
    import os
    import shutil
    import subprocess

    repo = SCRIPTS.parent
    root = tmp_path / "a repo" / "sg speech"
    for name in ("run.sh", "test.sh", "scripts/setup.sh", ".ci/run", "pyproject.toml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, root / name)
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    fakes = {"python3": _FAKE_PYTHON, "apt-get": '#!/bin/sh\necho "apt-get $*" >> "$FAKE_STATE/log"\n',
             "sudo": '#!/bin/sh\nexec "$@"\n', "uname": '#!/bin/sh\n[ "$1" = -m ] && echo x86_64 || echo Linux\n',
             "flite": "#!/bin/sh\n", "espeak-ng": "#!/bin/sh\n", "gcc": "#!/bin/sh\n"}
    for name, text in fakes.items():
        (bin_ / name).write_text(text)
        (bin_ / name).chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    base = {k: v for k, v in os.environ.items() if k not in ("VENV", "TORCH_VERSION", "VIRTUAL_ENV")}
    base.update(PATH=f"{bin_}{os.pathsep}{os.environ['PATH']}", FAKE_STATE=str(state))

    def run(cmd, *args, cwd=root, **env):
        return subprocess.run([str(root / cmd), *args], cwd=cwd, env={**base, **env}, capture_output=True,
                              text=True, timeout=60)

    def log():
        path = state / "log"
        lines = path.read_text().splitlines() if path.exists() else []
        path.write_text("")
        return lines

    return root, run, log


def test_setup_installs_once_and_the_scripts_pass_arguments_and_exit_codes(setup_copy, tmp_path):
    root, run, log = setup_copy
    first = run("test.sh", "-k", "a b", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    calls = log()
    assert any(" -m venv --clear " in c for c in calls)
    assert any(c.endswith("-m pip install -q torch==2.13.0+cpu") for c in calls)
    assert f"pytest in {root}: -m pytest -q -k a b" in calls
    again = run("test.sh")  # done already: no venv, no pip install
    assert again.returncode == 0 and not any(" -m venv" in c or " -m pip install " in c for c in log())
    assert run("test.sh", FAKE_PYTEST_RC="3").returncode == 3
    assert run(".ci/run", FAKE_PYTEST_RC="1").returncode == 1
    assert not any("torchaudio" in c for c in log())


def test_setup_done_before_starts_neither_pip_nor_torch_until_something_changes(setup_copy):
    # each of these costs seconds of every ./run.sh; the stamp of a finished install stands for them
    root, run, log = setup_copy
    assert run("test.sh").returncode == 0
    log()
    assert run("run.sh").returncode == 0
    calls = log()
    assert not any(" -m pip " in c or "import torch" in c for c in calls), calls
    assert any(" -P -m pipelines " in c for c in calls)
    (root / ".venv" / "fake-torch-version").write_text("2.14.0+cpu")  # another torch: checked and installed against
    assert run("test.sh").returncode == 0
    calls = log()
    assert any("import torch" in c for c in calls) and any(c.endswith("torch==2.14.0+cpu") for c in calls), calls
    assert " torch==2.14.0+cpu " in (root / ".venv" / ".sgspeech-installed").read_text()
    stamped = (root / "pyproject.toml").read_text()
    with open(root / "pyproject.toml", "a") as f:  # another dependency list
        f.write("\n# changed\n")
    assert run("test.sh").returncode == 0
    calls = log()
    assert any("import torch" in c for c in calls) and any(" -m pip install -q -e " in c for c in calls), calls
    assert run("test.sh").returncode == 0
    assert not any(" -m pip " in c for c in log())
    # an install cut short leaves no stamp: back at the stamped dependency list, the next run installs again
    (root / "pyproject.toml").write_text(stamped)
    assert run("test.sh", FAKE_EDITABLE_FAILS="1").returncode != 0
    log()
    (root / "pyproject.toml").write_text(stamped + "\n# changed\n")
    assert run("test.sh").returncode == 0
    assert any(" -m pip install -q -e " in c for c in log())


def test_a_virtualenv_shared_by_two_clones_holds_the_install_of_the_one_that_runs(setup_copy, tmp_path):
    import shutil

    root, run, log = setup_copy
    venv = tmp_path / "shared venv"
    assert run("test.sh", VENV=str(venv)).returncode == 0
    other = tmp_path / "another clone"
    shutil.copytree(root, other)
    log()
    result = run(other / "test.sh", cwd=other, VENV=str(venv))  # (an absolute path: the other clone's script)
    assert result.returncode == 0, result.stderr
    assert any(" -m pip install -q -e " in c for c in log())  # the editable install now points at this clone


def test_setup_stops_rather_than_install_the_cuda_torch(setup_copy):
    # no CPU build reachable on Linux x86-64: PyPI's plain torch==X there is the CUDA build, several GB
    root, run, log = setup_copy
    result = run("test.sh", FAKE_TORCH_FAILS="1")
    assert result.returncode != 0 and "PIP_EXTRA_INDEX_URL" in result.stderr
    installs = [c.split(" install -q ", 1)[1] for c in log() if " install -q " in c]
    assert installs == ["torch==2.13.0+cpu", "torch==2.13.0+cpu --extra-index-url https://download.pytorch.org/whl/cpu"]


def test_setup_remakes_a_virtualenv_of_a_python_older_than_3_11(setup_copy):
    root, run, log = setup_copy
    assert run("test.sh").returncode == 0
    (root / ".venv" / "fake-version").write_text("3.10.13")  # the venv's python: 3.10, with pip and torch
    log()
    result = run("test.sh")
    assert result.returncode == 0, result.stderr
    assert "Python 3.10.13, not Python 3.11 or newer" in result.stderr
    assert any(" -m venv --clear " in c for c in log())
    assert not (root / ".venv" / "fake-version").exists()


def test_setup_refuses_a_torch_older_than_the_projects_lower_bound_in_one_line(setup_copy):
    root, run, log = setup_copy
    assert run("test.sh").returncode == 0
    (root / ".venv" / "fake-torch-version").write_text("2.9.1+cu128")  # e.g. a GPU image's system torch
    log()
    result = run("test.sh")
    assert result.returncode != 0 and "torch 2.9.1+cu128 is installed" in result.stderr
    assert "needs torch 2.11 or newer" in result.stderr and not any(" -m pytest" in c for c in log())
    (root / ".venv" / "fake-torch-version").write_text("2.11.0+cu130")  # the bound itself, and a newer one, pass
    assert run("test.sh").returncode == 0
    (root / ".venv" / "fake-torch-version").write_text("2.13.0")
    assert run("test.sh").returncode == 0


def test_setup_never_clears_a_folder_that_is_not_a_virtualenv(setup_copy, tmp_path):
    root, run, log = setup_copy
    folder = tmp_path / "my files"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep")
    result = run("scripts/setup.sh", VENV=str(folder))  # `venv --clear` would empty it
    assert (folder / "notes.txt").read_text() == "keep"
    assert result.returncode != 0 and "neither a virtualenv nor empty" in result.stderr
    assert not any(" -m venv" in c for c in log())


def test_run_sh_and_test_sh_use_the_virtualenv_setup_made(setup_copy, tmp_path):
    root, run, log = setup_copy
    venv = tmp_path / "elsewhere"
    assert run("test.sh", VENV=str(venv)).returncode == 0  # setup.sh made it there: test.sh must run that one
    assert any(c.startswith(f"{venv}/bin/python -m pytest") for c in log())
    assert run("run.sh", VENV=str(venv)).returncode == 0
    assert any(c.startswith(f"{venv}/bin/python -P -m pipelines") for c in log())


def test_run_sh_reads_relative_paths_from_the_callers_directory(setup_copy, tmp_path):
    root, run, log = setup_copy
    caller = tmp_path / "caller"
    caller.mkdir()
    assert run("run.sh", "Hello.", "-o", "x.wav", cwd=caller).returncode == 0
    assert f"pipelines in {caller}: -m pipelines Hello. -o x.wav" in log()  # x.wav lands in the caller's folder
    assert run("run.sh", cwd=caller).returncode == 0
    assert log()[-1].endswith(f"-o {root}/out.wav")  # the default sentence: out.wav in the repository's root
