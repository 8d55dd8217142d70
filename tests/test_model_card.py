"""The model card of a TTS folder: facts read from files, the size budget enforced first, atomic installation."""
import json
import shutil
from pathlib import Path

import pytest

from pipelines.model_card import CARD_FILE, FACTS_FILE, ModelCardError, install, main, write_card


def _card_args(exp):
    return dict(name="256", wer_reports={"test split": exp / "report"}, benchmark=exp / "report" / "tts-speed.jsonl",
                train_manifests=[exp / "data" / "train.jsonl"], codec_runs=[exp / "codec" / "256"],
                lm_runs=[exp / "lm" / "256"], reproduce=["recipes/run.sh --preset debug"])


@pytest.fixture()
def model_copy(debug_recipe, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(debug_recipe / "tts" / "256", model)
    for name in (CARD_FILE, FACTS_FILE):
        (model / name).unlink()
    return model


def test_a_model_over_the_budget_is_refused_before_anything_is_written(debug_recipe, model_copy):
    with pytest.raises(ModelCardError, match="over the budget of 1 MB"):
        write_card(model_copy, max_mb=1.0, **_card_args(debug_recipe))
    assert not (model_copy / CARD_FILE).exists() and not (model_copy / FACTS_FILE).exists()
    facts = write_card(model_copy, max_mb=60.0, **_card_args(debug_recipe))
    assert facts["megabytes"] < 60 and (model_copy / CARD_FILE).read_text().startswith("# sgspeech TTS model `256`")
    # re-carding does not count the previous card against the budget, and gives the same facts
    assert write_card(model_copy, max_mb=60.0, **_card_args(debug_recipe))["megabytes"] == facts["megabytes"]


def test_install_copies_a_carded_model_that_loads(debug_recipe, model_copy, tmp_path):
    from pipelines.tts import TTSPipeline

    with pytest.raises(ModelCardError, match="no README.md"):
        install(model_copy, tmp_path / "installed")
    write_card(model_copy, **_card_args(debug_recipe))
    target = install(model_copy, tmp_path / "installed")
    assert json.loads((target / FACTS_FILE).read_text())["name"] == "256"
    assert TTSPipeline.from_pretrained(target).codec.codebook_size == 256


def test_a_new_lm_on_a_carded_codec_takes_over_its_codec_history(debug_recipe, model_copy, tmp_path):
    """--codec-card: the codec runs of an earlier card with the same codec weights head the new card's; a codec
    with other weights is refused by name."""
    import torch
    from safetensors.torch import load_file, save_file

    earlier = tmp_path / "earlier"
    shutil.copytree(model_copy, earlier)
    history = write_card(earlier, **_card_args(debug_recipe))["codec_runs"]
    facts = write_card(model_copy, **{**_card_args(debug_recipe), "codec_runs": []}, codec_card=earlier)
    assert facts["codec_runs"] == history and history[0]["run"].endswith("256")
    # copies: an older safetensors (0.4) maps the file, and the file is written over below
    weights = {name: w.clone() for name, w in load_file(str(earlier / "codec" / "model.safetensors")).items()}
    first = next(iter(weights))
    save_file({**weights, first: weights[first] + 1e-3}, str(earlier / "codec" / "model.safetensors"))
    with pytest.raises(ModelCardError, match="different codec weights"):
        write_card(model_copy, **{**_card_args(debug_recipe), "codec_runs": []}, codec_card=earlier)
    # other weights, but trained on from the carded codec (--init-from earlier/codec): its history, then the run
    tuned = _codec_run(tmp_path / "decoder-finetune", 5, init_from=earlier / "codec")
    facts = write_card(model_copy, **{**_card_args(debug_recipe), "codec_runs": [tuned]}, codec_card=earlier)
    assert [r["run"] for r in facts["codec_runs"]] == [r["run"] for r in history] + [facts["codec_runs"][-1]["run"]]
    assert facts["codec_runs"][-1]["run"].endswith("decoder-finetune") and facts["codec_runs"][-1]["step"] == 5
    # and a run from that run's final/ (the card of the tuned codec as the carded one): each run once, in order
    tuned_card = tmp_path / "tuned-card"
    shutil.copytree(model_copy, tuned_card)
    (tuned / "final").mkdir()
    shutil.copy(tuned_card / "codec" / "model.safetensors", tuned / "final" / "model.safetensors")
    further = _codec_run(tmp_path / "further", 3, init_from=tuned / "final")
    later = write_card(model_copy, **{**_card_args(debug_recipe), "codec_runs": [further]}, codec_card=tuned_card)
    assert [r["run"] for r in later["codec_runs"]] == [r["run"] for r in facts["codec_runs"]] + [str(further)]
    # the tuned run's final/ in another precision than the carded codec (a float16 package of it): the further
    # run's history passes through the carded card's last run at its step, which is enough
    save_file({k: w + 1e-3 for k, w in load_file(str(tuned / "final" / "model.safetensors")).items()},
              str(tuned / "final" / "model.safetensors"))
    assert write_card(model_copy, **{**_card_args(debug_recipe), "codec_runs": [further]},
                      codec_card=tuned_card)["codec_runs"] == later["codec_runs"]
    with pytest.raises(ModelCardError, match="no codec run given started from"):
        write_card(model_copy, **{**_card_args(debug_recipe), "codec_runs": [_codec_run(tmp_path / "other", 5)]},
                   codec_card=earlier)
    # a run judged by the start it recorded, not by what its --init-from folder holds today: one that started from
    # other weights is refused although the folder now holds the carded codec (an installed bundle replaced) ...
    replaced = _codec_run(tmp_path / "replaced", 5, init_from=earlier / "codec", init_fingerprint="0" * 64)
    with pytest.raises(ModelCardError, match="no codec run given started from"):
        write_card(model_copy, **{**_card_args(debug_recipe), "codec_runs": [replaced]}, codec_card=earlier)
    # ... and one that started from the carded codec is taken although that folder is gone
    from codec import Codec
    recorded = Codec.from_pretrained(earlier / "codec").fingerprint()
    moved = _codec_run(tmp_path / "moved", 5, init_from=tmp_path / "gone", init_fingerprint=recorded)
    moved_run = write_card(model_copy, **{**_card_args(debug_recipe), "codec_runs": [moved]},
                           codec_card=earlier)["codec_runs"][-1]
    assert moved_run["run"].endswith("moved") and moved_run["settings"]["init_fingerprint"] == recorded[:12]
    with pytest.raises(ModelCardError, match="not a carded model folder"):
        write_card(model_copy, **_card_args(debug_recipe), codec_card=tmp_path)
    assert torch.equal(load_file(str(model_copy / "codec" / "model.safetensors"))[first], weights[first])


def test_cli_names_a_missing_result_and_a_missing_run(debug_recipe, model_copy, capsys):
    common = ["--model", str(model_copy), "--report", str(debug_recipe / "report"), "--benchmark",
              str(debug_recipe / "report" / "tts-speed.jsonl"), "--train-manifest", str(debug_recipe / "data" / "train.jsonl")]
    assert main([*common, "--name", "nosuch"]) == 2
    assert "no TTS result named 'nosuch'" in capsys.readouterr().err
    assert main([*common, "--name", "256", "--codec-run", str(debug_recipe / "data")]) == 2
    assert "no checkpoints/step_*/trainer_state.json" in capsys.readouterr().err
    assert not (model_copy / CARD_FILE).exists()


def test_cli_names_a_broken_weights_file_instead_of_a_traceback(debug_recipe, model_copy, capsys):
    weights = model_copy / "codec" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    assert main(["--model", str(model_copy), "--name", "256", "--report", str(debug_recipe / "report"),
                 "--benchmark", str(debug_recipe / "report" / "tts-speed.jsonl"),
                 "--train-manifest", str(debug_recipe / "data" / "train.jsonl")]) == 2
    assert f"error: {weights}" in capsys.readouterr().err and not (model_copy / CARD_FILE).exists()


def test_a_finished_lm_run_without_its_checkpoints_is_read_from_its_config(tmp_path):
    """An LM trained on a lent GPU comes back as final/ + train_config.json only; an unfinished one is refused."""
    import json

    from pipelines.model_card import ModelCardError, run_summary

    run = tmp_path / "lm"
    run.mkdir()
    (run / "train_config.json").write_text(json.dumps({"preset": "tiny", "steps": 1500, "batch_tokens": 8192,
                                                        "lr": 0.001, "seed": 0}))
    with pytest.raises(ModelCardError, match="finished lm.train folder"):
        run_summary(run)  # no final/: the run may have stopped early, so its step count is unknown
    (run / "final").mkdir()
    (run / "final" / "config.json").write_text("{}")
    summary = run_summary(run)
    assert summary["step"] == 1500
    assert summary["settings"] == {"preset": "tiny", "steps": 1500, "batch_tokens": 8192, "lr": 0.001, "seed": 0}


def _codec_run(path, step, init_from=None, seconds=1.0, codebook_size=None, init_fingerprint=None, fsq_levels=None):
    """A codec.train folder as the card reads it: a checkpoint's trainer_state.json and metrics.jsonl."""
    (path / "checkpoints" / f"step_{step:08d}").mkdir(parents=True)
    args = {"steps": step, "lr": 1e-4, "seed": 0, **({"init_from": str(init_from)} if init_from else {}),
            "codebook_size": codebook_size, "fsq_levels": fsq_levels}
    state = {"step": step, "args": args, **({"init_fingerprint": init_fingerprint} if init_fingerprint else {})}
    (path / "checkpoints" / f"step_{step:08d}" / "trainer_state.json").write_text(json.dumps(state))
    (path / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "mel": 1.0, "step_seconds": seconds}) + "\n"
                                                for s in range(1, step + 1)))
    return path


def test_the_card_follows_a_codec_back_through_exports_and_final_folders(tmp_path):
    """A codec trained on from an export (exported_from.json) or from a run's final/ lists the earlier runs first,
    each with the step its weights were taken at and the hours up to that step; a missing earlier run is named."""
    from pipelines.model_card import _history, codec_lineage, run_summary

    first = _codec_run(tmp_path / "first", 30)
    export = tmp_path / "first-at-20"
    export.mkdir()
    (export / "exported_from.json").write_text(json.dumps({"format_version": 1, "run": str(first), "step": 20}))
    second = _codec_run(tmp_path / "second", 10, init_from=export)
    (second / "final").mkdir()
    third = _codec_run(tmp_path / "third", 5, init_from=second / "final", codebook_size=64)
    assert codec_lineage(third) == [(first, 20), (second, None), (third, None)]
    # the third run requantized (--init-from with --codebook-size): the card says its codes are new
    assert run_summary(third)["quantizer_started_fresh"] is True
    assert "quantizer_started_fresh" not in run_summary(second)
    # --fsq-levels alone starts a fresh quantizer too
    levels = _codec_run(tmp_path / "levels", 5, init_from=second / "final", fsq_levels=[4, 4, 4])
    assert run_summary(levels)["quantizer_started_fresh"] is True
    history = _history([second, third])  # a run named and also found as an ancestor is listed once
    assert [(r.name, s) for r, s in history] == [("first", 20), ("second", None), ("third", None)]
    summary = run_summary(first, 20)
    assert summary["step"] == 20 and summary["run_went_on_to_step"] == 30
    assert summary["wall_hours"] == round(20 / 3600, 2)
    shutil.rmtree(first)
    with pytest.raises(ModelCardError, match="continues the run .*first, which is not here"):
        codec_lineage(third)


def test_a_card_lists_every_training_manifest_with_the_license_of_its_text(debug_recipe, model_copy):
    from pipelines.model_card import manifest_spec

    data = debug_recipe / "data"
    args = {**_card_args(debug_recipe), "train_manifests": [data / "train.jsonl", f"{data / 'dev.jsonl'}=wordnet"]}
    facts = write_card(model_copy, **args)
    assert [d["text"] for d in facts["data"]] == ["fortunes", "wordnet"]
    card = (model_copy / CARD_FILE).read_text()
    total = sum(d["utterances"] for d in facts["data"])
    assert f"{total} utterances" in card and "in all:" in card
    assert "`fortunes` package" in card and "WordNet 3.0" in card
    assert manifest_spec("a/b=c/train.jsonl") == (Path("a/b=c/train.jsonl"), "fortunes")
    assert manifest_spec("a/train.jsonl=wordnet") == (Path("a/train.jsonl"), "wordnet")
    with pytest.raises(ModelCardError, match="unknown text source 'poems'"):
        manifest_spec(f"{data / 'train.jsonl'}=poems")


def test_a_new_decoder_under_a_carded_lm_takes_over_its_lm_history_and_data(debug_recipe, model_copy, tmp_path):
    """--lm-card: the LM runs and training data of an earlier card with the same LM weights head the new card's
    (a manifest given again is listed once); an LM with other weights is refused by name, and a card with no
    training data at all is refused."""
    from safetensors.torch import load_file, save_file

    earlier = tmp_path / "earlier"
    shutil.copytree(model_copy, earlier)
    theirs = write_card(earlier, **_card_args(debug_recipe))
    mine = write_card(model_copy, **{**_card_args(debug_recipe), "lm_runs": [], "train_manifests": []},
                      lm_card=earlier)
    assert mine["lm_runs"] == theirs["lm_runs"] and mine["lm_runs"][0]["run"].endswith("256")
    assert mine["data"] == theirs["data"] and len(mine["data"]) == 1
    again = write_card(model_copy, **{**_card_args(debug_recipe), "lm_runs": []}, lm_card=earlier)
    assert again["data"] == theirs["data"]
    with pytest.raises(ModelCardError, match="no training data"):
        write_card(model_copy, **{**_card_args(debug_recipe), "train_manifests": []})
    weights = load_file(str(earlier / "lm" / "model.safetensors"))
    first = next(iter(weights))
    save_file({**weights, first: weights[first] + 1e-3}, str(earlier / "lm" / "model.safetensors"))
    with pytest.raises(ModelCardError, match="different LM weights"):
        write_card(model_copy, **_card_args(debug_recipe), lm_card=earlier)
    with pytest.raises(ModelCardError, match="not a carded model folder"):
        write_card(model_copy, **_card_args(debug_recipe), lm_card=tmp_path)


def test_the_speed_on_a_card_is_this_models_own_natural_run(tmp_path):
    """A results file is shared: a later record of another folder, or of a fixed-length run, is not this model's
    speed. Records are matched by the model files' digest, so a copy of the timed folder matches too."""
    from pipelines.model_card import speed_summary
    from pipelines.tts import pipeline_sha256

    def folder(name, weights):
        path = tmp_path / name
        for part in ("codec", "lm"):
            (path / part).mkdir(parents=True)
            (path / part / "model.safetensors").write_bytes(weights)
        (path / "pipeline.json").write_text("{}")
        return path

    timed, copy, other = folder("timed", b"a"), folder("copy", b"a"), folder("other", b"b")
    record = lambda path, natural, rtf: {
        "benchmark": "tts", "params": {"pipeline": str(path), "natural": natural, "threads": 2,
                                       "pipeline_sha256": pipeline_sha256(path)},
        "env": {"cpu": "x", "date": "d", "torch": "t"},
        "results": [{"input": "one_sentence", "audio_seconds": 3.0, "rtf": {"median": rtf}}]}
    bench = tmp_path / "bench.jsonl"
    rows = [record(timed, True, 0.195), record(timed, False, 0.051), record(other, True, 0.077)]
    bench.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert speed_summary(bench, copy)["inputs"]["one_sentence"]["rtf"] == 0.195
    assert speed_summary(bench, other)["inputs"]["one_sentence"]["rtf"] == 0.077
    with pytest.raises(ModelCardError, match="no record of `python -m benchmarks tts --pipeline"):
        speed_summary(bench, folder("untimed", b"c"))


def test_a_card_refuses_tts_and_ground_truth_rows_of_other_sentences(tmp_path):
    from pipelines.model_card import wer_rows

    row = lambda n, words: {"wer": {"wer": 0.3, "wer_ci": [0.2, 0.4], "n_utterances": n, "n_reference_words": words}}
    (tmp_path / "results.json").write_text(json.dumps({"tts": {"m": row(90, 900)}, "ground_truth": row(100, 1000)}))
    with pytest.raises(ModelCardError, match="judged on 90 sentences .* the ground truth on 100"):
        wer_rows(tmp_path, "m")
    (tmp_path / "results.json").write_text(json.dumps({"tts": {"m": row(100, 1000)}, "ground_truth": row(100, 1000)}))
    assert wer_rows(tmp_path, "m")["model"]["n_utterances"] == 100


def test_a_training_manifest_without_durations_is_named_not_a_key_error(tmp_path):
    from pipelines.model_card import data_summary

    manifest = tmp_path / "train.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": "a.wav", "text": "x"}) + "\n")
    with pytest.raises(ModelCardError, match=r"train.jsonl: entry 1 has no 'duration', 'speaker'"):
        data_summary(manifest)


# --- review of the card's figures (2026-12-07): the speed record it takes, the budget as given, both files or none --

_BUNDLE = Path(__file__).resolve().parents[1] / "pipelines" / "default_model"


def _speed_record(path, device="cpu", precision=None, rtf=0.2):
    from pipelines.tts import pipeline_sha256

    env = {"cpu": "AMD EPYC", "cpu_isa": "AVX2", "date": "d", "torch": "t", "device": device,
           **({"gpu": "NVIDIA H100"} if device == "cuda" else {})}
    return {"benchmark": "tts", "env": env,
            "params": {"pipeline": str(path), "natural": True, "threads": 2, "precision": precision,
                       "pipeline_sha256": pipeline_sha256(path)},
            "results": [{"input": "one_sentence", "audio_seconds": 3.0, "rtf": {"median": rtf},
                         "synthesis_s": {"median": 3 * rtf}}]}


def _facts(**changes):
    return {"title": "t", "codebook_size": 1, "text_input": "text pieces", "megabytes": 1.0, "max_megabytes": 60.0,
            "dtype": {"codec": "float32", "lm": "float32"}, "sampling": {}, "codec_parameters": 1, "lm_parameters": 1,
            "data": [], "wer": {}, "speed": {"threads": 2, "device": "x", "date": "d", "torch": "t", "inputs": {}},
            "codec_runs": [], "lm_runs": [], "reproduce": [], **changes}


def test_the_card_speed_skips_forced_precision_runs_and_names_the_device_it_ran_on(tmp_path):
    """`benchmarks tts --precision` overrides the model's own half-precision settings (not the settings the card
    states), and a CUDA record is not one of `--device cpu`, which the card's command line said whatever the record."""
    from pipelines.model_card import card_markdown, speed_summary

    model = tmp_path / "m"
    for part in ("codec", "lm"):
        (model / part).mkdir(parents=True)
        (model / part / "model.safetensors").write_bytes(b"w")
    (model / "pipeline.json").write_text("{}")
    bench = tmp_path / "bench.jsonl"
    own, forced = _speed_record(model, rtf=0.2), _speed_record(model, precision="float32", rtf=0.5)
    bench.write_text(json.dumps(own) + "\n" + json.dumps(forced) + "\n")
    assert speed_summary(bench, model)["inputs"]["one_sentence"]["rtf"] == 0.2
    # the CPU's vector extensions named beside it: an AVX2 and an AVX512-BF16 "AMD EPYC" differ ~2x
    assert "## Speed (2 threads, AMD EPYC, AVX2, torch t, d)" in card_markdown(_facts(speed=speed_summary(bench, model)))
    bench.write_text(json.dumps(own) + "\n" + json.dumps(_speed_record(model, device="cuda", rtf=0.01)) + "\n")
    speed = speed_summary(bench, model)
    card = card_markdown(_facts(speed=speed))
    assert speed["inputs"]["one_sentence"]["rtf"] == 0.01 and "NVIDIA H100" in card and "AVX2" not in card
    assert "benchmarks tts --device cuda --threads 2" in card and "--device cpu" not in card
    # a card.json written before the device was recorded: its records were all `--device cpu` (recipe stage 8)
    del speed["torch_device"]
    assert "benchmarks tts --device cpu --threads 2" in card_markdown(_facts(speed=speed))


def test_the_budget_is_printed_as_given_not_rounded_to_whole_megabytes(tmp_path):
    from pipelines.model_card import card_markdown

    model = tmp_path / "m"
    model.mkdir()
    (model / "pipeline.json").write_text("{}")
    (model / "weights.bin").write_bytes(b"\0" * 1_500_000)
    with pytest.raises(ModelCardError, match=r"1.5 MB \(1500002 bytes\), over the budget of 1.4 MB \(1400000 bytes\)"):
        write_card(model, max_mb=1.4, **_card_args(tmp_path))  # was: '1.5 MB, over the budget of 1 MB'
    assert "(budget 35.5 MB)" in card_markdown(_facts(megabytes=35.4, max_megabytes=35.5))
    assert "(budget 60 MB)" in card_markdown(_facts())


def _wer_report(report, model, name="m"):
    """A one-row comparison report whose TTS row was measured on `model`'s files as they are now."""
    from pipelines.tts import pipeline_sha256

    row = {"wer": {"wer": 0.3, "wer_ci": [0.2, 0.4], "n_utterances": 10, "n_reference_words": 100}}
    report.mkdir(exist_ok=True)
    tts = {**row, "inputs": {"model": str(model), "model_sha256": pipeline_sha256(model)[:16]}}
    (report / "results.json").write_text(json.dumps({"tts": {name: tts}, "ground_truth": row}))


def _card_inputs(tmp_path):
    """A copy of the bundle to card, one to take the codec and LM cards from, a one-row WER report, and
    write_card's arguments (the benchmark record is the caller's: its digest covers the model's files)."""
    model, carded = tmp_path / "model", tmp_path / "carded"
    shutil.copytree(_BUNDLE, model)
    shutil.copytree(_BUNDLE, carded)
    _wer_report(tmp_path / "report", model)
    return model, dict(name="m", wer_reports={"test split": tmp_path / "report"}, benchmark=tmp_path / "bench.jsonl",
                       train_manifests=[], codec_runs=[], lm_runs=[], reproduce=["again"], codec_card=carded,
                       lm_card=carded)


def test_a_card_that_fails_to_render_leaves_the_previous_card_and_facts(tmp_path):
    """card.json was written before README.md was rendered: a failure in between left new facts beside the old
    card. Both are rendered first, then each written whole."""
    model, args = _card_inputs(tmp_path)
    before = {name: (model / name).read_text() for name in (CARD_FILE, FACTS_FILE)}
    settings = json.loads((model / "pipeline.json").read_text())
    settings["sampling"]["not_a_sampling_setting"] = 1  # the card's sampling sentence cannot be rendered
    (model / "pipeline.json").write_text(json.dumps(settings))
    (tmp_path / "bench.jsonl").write_text(json.dumps(_speed_record(model)) + "\n")  # its digest covers pipeline.json
    _wer_report(tmp_path / "report", model)  # so does the report's
    with pytest.raises(TypeError, match="not_a_sampling_setting"):
        write_card(model, **args)
    assert {name: (model / name).read_text() for name in (CARD_FILE, FACTS_FILE)} == before
    assert sorted(p.name for p in model.iterdir()) == sorted(p.name for p in _BUNDLE.iterdir())  # no temporary left
    del settings["sampling"]["not_a_sampling_setting"]
    (model / "pipeline.json").write_text(json.dumps(settings))
    (tmp_path / "bench.jsonl").write_text(json.dumps(_speed_record(model)) + "\n")
    with pytest.raises(ModelCardError, match="TTS 'm' was measured on other model files than"):
        write_card(model, **args)  # the report's WER was measured on the model before this change
    _wer_report(tmp_path / "report", model)
    facts = write_card(model, **args)
    assert json.loads((model / FACTS_FILE).read_text()) == facts and "```bash\nagain\n```" in (model / CARD_FILE).read_text()


# ---- the budget in decimal megabytes, the hours of the training data ----


def test_a_folder_exactly_at_the_budget_fits_and_its_size_is_given_in_decimal_megabytes(tmp_path):
    """The budget is in MB of 10^6 bytes (not MiB): a folder of exactly max_mb * 10^6 bytes is carded, one byte less
    of budget refuses it, and the card's size is bytes / 10^6."""
    import math

    from pipelines.model_card import model_bytes

    model, args = _card_inputs(tmp_path)
    (tmp_path / "bench.jsonl").write_text(json.dumps(_speed_record(model)) + "\n")
    size = model_bytes(model)
    exact = size / 1e6
    while exact * 1e6 < size:  # the float whose budget in bytes is the folder's size
        exact = math.nextafter(exact, math.inf)
    with pytest.raises(ModelCardError, match=f"over the budget .*\\({size - 1} bytes\\)"):
        write_card(model, max_mb=(size - 1) / 1e6, **args)
    facts = write_card(model, max_mb=exact, **args)
    assert facts["megabytes"] == size / 1e6 and model_bytes(model) == size


def test_the_hours_of_the_training_data_are_its_seconds_over_3600(tmp_path):
    from pipelines.model_card import data_summary

    manifest = tmp_path / "train.jsonl"
    rows = [{"id": "a", "audio": "a.wav", "text": "x", "speaker": "s1", "duration": 1800.0},
            {"id": "b", "audio": "b.wav", "text": "y", "speaker": "s2", "duration": 5400.0},
            {"id": "c", "audio": "c.wav", "text": "z", "speaker": "s1", "duration": 900.0}]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = data_summary(manifest)
    assert summary["hours"] == 2.25 and summary["utterances"] == 3 and summary["speakers"] == {"s1": 2, "s2": 1}


def test_only_the_bundled_default_models_card_says_it_speaks_when_no_model_is_named():
    """Every card said `synthesize("text")` used the model, also one never installed as the default."""
    from pipelines.model_card import card_markdown

    assert "use it when no model is named" in card_markdown(_facts(default_model=True))
    other = card_markdown(_facts(default_model=False))
    assert "no model is named" not in other and "`python -m pipelines \"text\" -o out.wav --model THIS_FOLDER`" in other
