"""The debug recipe runs end to end (CI proves the whole chain) and every stage skips work already done."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.evaluate import UNQUANTIZED_SUFFIX

ROOT = Path(__file__).resolve().parent.parent


def test_debug_recipe_produces_its_report(debug_recipe):
    report = (debug_recipe / "report" / "report.md").read_text()
    assert "## Codec reconstruction" in report and "## TTS intelligibility" in report
    assert "| ground truth |" in report and "| 256-sg |" in report and "| V/UV err |" in report
    assert "| hidden energy | relative hidden MSE |" in report and "| mel dist | cep dist |" in report
    for png in ("pesq_wb.png", "stoi.png", "quantization_error.png", "hidden_mse.png", "tts_wer.png"):
        assert (debug_recipe / "report" / png).stat().st_size > 1000, png
    assert list((debug_recipe / "report").glob("spectrogram_*.png"))
    results = json.loads((debug_recipe / "report" / "results.json").read_text())
    assert set(results["codecs"]) == {"256", "256-sg"} and set(results["tts"]) == {"256", "256-sg"}
    score = json.loads((debug_recipe / "report" / "lm_score" / "summary.json").read_text())
    assert set(score["lms"]) == {"256", "256-sg", "256 unigram", "256-sg unigram"} and score["reference"] == "256"
    assert score["utterances"] > 0
    assert all(row["bits_per_second"] > 0 for row in score["lms"].values())
    assert "difference_ci" in score["lms"]["256-sg"] and "difference" not in score["lms"]["256"]
    for r in results["codecs"].values():
        assert 1.0 <= r["pesq_wb"]["mean"] <= 4.65 and 0 <= r["stoi"]["mean"] <= 1 and r["cepstral_distance"]["mean"] > 0
        assert r["quantization_error"]["n"] > 0 and r["codebook"]["usage"] > 0
        assert r["hidden_energy"]["mean"] > 0 and r["hidden_energy"]["n"] == r["hidden_mse"]["n"]
        assert 0 <= r["voicing_error"]["mean"] <= 1 and r["results_version"] == 5 and r["decoded_from"] == "codes"
    # the rounding-free rows: the same codecs decoded from z_e, scored on the same utterances
    assert set(results["codecs_unquantized"]) == {"256 (z_e)", "256-sg (z_e)"} and "| 256-sg (z_e) |" in report
    for name, r in results["codecs_unquantized"].items():
        quantized = results["codecs"][name.removesuffix(UNQUANTIZED_SUFFIX)]
        assert r["decoded_from"] == "z_e" and r["n_utterances"] == quantized["n_utterances"]
        assert r["pesq_wb"]["mean"] != quantized["pesq_wb"]["mean"]
    assert 0 <= results["ground_truth"]["wer"]["wer"] < 0.6  # pocketsphinx on clean flite speech
    claims = json.loads((debug_recipe / "report" / "claims" / "claims.json").read_text())
    assert set(claims["verdicts"].values()) <= {"reproduced", "not reproduced", "inconclusive"}
    assert set(claims["rounding_cost"]) == {"256 -> 256-sg"}  # stage 2 decoded every codec from z_e too
    assert claims["training"]["256-sg"]["steps"] == 16  # --set codec_steps=16 (conftest) over the preset's 20
    log = (debug_recipe / "codec" / "256-sg" / "train.log").read_text()  # codec_parallel=2: logged apart
    # each of the two side-by-side jobs gets half the cores (torch's default, all of them each, stalls both)
    threads = os.environ.get("OMP_NUM_THREADS") or max(1, len(os.sched_getaffinity(0)) // 2)  # as nproc
    assert f", {threads} torch threads each" in log
    assert (debug_recipe / "report" / "claims" / "training_curves.png").stat().st_size > 1000


def test_stage_8_writes_the_model_card_from_measured_files(debug_recipe):
    model = debug_recipe / "tts" / "256"  # bundle_variant unset: the first LM variant
    card = (model / "README.md").read_text()
    facts = json.loads((model / "card.json").read_text())
    assert "## Intelligibility" in card and "| unseen sentences |" in card and "--set 'codec_steps=16'" in card
    unseen = facts["wer"]["unseen sentences"]
    assert unseen["model"]["n_utterances"] == unseen["ground_truth"]["n_utterances"] == 3  # unseen_utts=3 (debug.sh)
    assert 0 <= unseen["ground_truth"]["wer"] < 0.6  # flite speaking the unseen sentences, judged by pocketsphinx
    test = json.loads((debug_recipe / "report" / "results.json").read_text())["tts"]["256"]["wer"]
    assert facts["wer"]["test split"]["model"]["wer"] == test["wer"]  # read from the report, not recomputed
    assert facts["sampling"]["temperature"] == 0.5 and "samples at temperature 0.5" in card  # tts_temperature
    assert facts["sampling"]["max_frames_per_text_token"] == 5 and "50 frames + 5 per text token" in card  # tts_max_frames_...
    assert "float16 (the codec's decoder side; its tokenizer, which decides the codes, float32)" in card
    assert 0 < facts["megabytes"] < 60 and facts["dtype"] == {"codec": "float16/float32", "lm": "float32"} and facts["codebook_size"] == 256
    assert [r["step"] for r in facts["codec_runs"]] == [16] and facts["lm_runs"][0]["step"] == 20
    assert set(facts["speed"]["inputs"]) == {"short_sentence", "one_sentence", "paragraph_4_sentences"}
    assert facts["data"][0]["kind"] == "synthetic" and facts["data"][0]["utterances"] > 0
    unseen_texts = {json.loads(line)["text"] for line in (debug_recipe / "unseen" / "test.jsonl").read_text().splitlines()}
    corpus = {json.loads(line)["text"] for split in ("train", "dev", "test")
              for line in (debug_recipe / "data" / f"{split}.jsonl").read_text().splitlines()}
    assert len(unseen_texts) == 3 and not unseen_texts & corpus
    # corpus_extra_text=wordnet, corpus_extra_utts=6 (debug.sh): rendered, tokenized, trained on, carded
    extra = [json.loads(line) for line in (debug_recipe / "data-extra" / "train.jsonl").read_text().splitlines()]
    assert len(extra) == 6 and not {u["text"] for u in extra} & corpus
    assert facts["data"][1]["utterances"] == 6 and facts["data"][1]["text"] == "wordnet" and "WordNet" in card
    lm_config = json.loads((debug_recipe / "lm" / "256" / "train_config.json").read_text())
    assert lm_config["tokens"].split(",") == [str(debug_recipe / "tokens" / "256" / d) for d in ("train", "train-extra")]
    assert not (ROOT / "pipelines" / "default_model" / "card.json").exists() or \
        json.loads((ROOT / "pipelines" / "default_model" / "card.json").read_text())["name"] != "256"  # not installed


def test_rerun_skips_finished_stages(debug_recipe):
    final = debug_recipe / "codec" / "256" / "final" / "model.safetensors"
    mtime = final.stat().st_mtime_ns
    env = {**os.environ, "PYTHON": sys.executable, "TQDM_DISABLE": "1"}
    run = lambda *a: subprocess.run(["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "debug", "--exp",
                                     str(debug_recipe), "--stage", "0", "--stop-stage", "1", *a],
                                    capture_output=True, text=True, env=env, timeout=300)
    proc = run("--set", "codec_steps=16")  # the settings the fixture ran with
    assert proc.returncode == 0, proc.stderr
    assert "corpus exists" in proc.stderr and "codec 256 done" in proc.stderr
    assert final.stat().st_mtime_ns == mtime


def test_rerun_keeps_the_packaged_model_its_card_and_its_measured_speed(debug_recipe, tmp_path):
    """Packaging anew replaced the TTS folder (stage 8's card lost with it, stage 6 measuring the same model again)
    and stage 8 timed the same model files again at every rerun."""
    model = debug_recipe / "tts" / "256"
    packaged, speed = (model / "pipeline.json").stat().st_mtime_ns, (debug_recipe / "report" / "tts-speed.jsonl")
    records = speed.read_text()
    judged = debug_recipe / "report" / "tts" / "256" / "results.json"
    measured = judged.stat().st_mtime_ns
    env = {**os.environ, "PYTHON": sys.executable, "TQDM_DISABLE": "1"}
    said = ""
    for stage in ("5", "8", "6"):  # 6 after 8: the card written into the model folder is not a new model
        # an absolute bundle_install is that folder (it was taken as under the repository's root)
        install = ["--set", f"bundle_install={tmp_path / 'installed'}"] if stage == "8" else []
        proc = subprocess.run(["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "debug", "--exp", str(debug_recipe),
                               "--stage", stage, "--stop-stage", stage, "--set", "codec_steps=16", *install],
                              capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        said += proc.stderr
    assert "stage 5: TTS 256 packaged" in said and (model / "pipeline.json").stat().st_mtime_ns == packaged
    assert (model / "card.json").is_file() and (model / "README.md").is_file()
    assert "speed of these model files already measured" in said and speed.read_text() == records
    assert judged.stat().st_mtime_ns == measured  # stage 6 reused its judgement of the same model files
    assert (tmp_path / "installed" / "card.json").is_file()


def test_rerun_with_other_settings_is_refused_not_skipped(debug_recipe):
    """A finished codec trained for 16 steps is not passed off as the 17-step one asked for (it used to be skipped
    as done): the run stops before training anything, naming the folder and the setting that differs."""
    final = debug_recipe / "codec" / "256" / "final" / "model.safetensors"
    mtime = final.stat().st_mtime_ns
    env = {**os.environ, "PYTHON": sys.executable, "TQDM_DISABLE": "1"}
    proc = subprocess.run(["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "debug", "--exp", str(debug_recipe),
                           "--stage", "1", "--stop-stage", "1", "--set", "codec_steps=17"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert f"{debug_recipe / 'codec' / '256'} was made with other settings" in proc.stderr
    assert "    < --steps 16" in proc.stderr and "    > --steps 17" in proc.stderr and "training codec" not in proc.stderr
    record = (debug_recipe / "recipe-settings" / "codec-256").read_text()
    assert "--out <exp>/codec/256\n" in record and "after corpus: " in record and "--save-every" not in record
    lm = (debug_recipe / "recipe-settings" / "lm-256").read_text()  # lm_extra's --save-every 10 does not count
    assert "after codec-256: " in lm and "after text-tokenizer: " in lm and "--save-every" not in lm
    assert final.stat().st_mtime_ns == mtime
    proc = subprocess.run(["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "debug", "--exp", str(debug_recipe),
                           "--stage", "0", "--stop-stage", "0", "--set", "corpus_utts=99"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "    < utterances=" in proc.stderr and "    > utterances=99" in proc.stderr


def test_stage_0_reads_librispeech_into_the_splits_the_later_stages_read(tmp_path):
    """--librispeech DIR: the preset's subsets (libri_train/dev/test) become train/dev/test.jsonl, whose audio
    resolves; the extra text for synthetic corpora is declined with a message, not rendered."""
    import shutil

    from codec.data import read_manifest
    from test_corpus import make_librispeech

    expected = make_librispeech(tmp_path)  # dev-clean (3 utterances) and train-clean-100 (3)
    exp = tmp_path / "exp"
    env = {**os.environ, "PYTHON": sys.executable, "TQDM_DISABLE": "1"}
    proc = subprocess.run(["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "debug", "--exp", str(exp),
                           "--librispeech", str(tmp_path / "LibriSpeech"), "--stop-stage", "0",
                           "--set", "libri_test=dev-clean"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "not used with LibriSpeech" in proc.stderr and not (exp / "data-extra").exists()
    for split, subset in [("train", "train-clean-100"), ("dev", "dev-clean"), ("test", "dev-clean")]:
        rows = read_manifest(exp / "data" / f"{split}.jsonl")
        assert sorted(r.id for r in rows) == [r["id"] for r in expected[subset]], split
        assert not rows.skipped and all(Path(r.audio).is_file() for r in rows)
    # a later stage started without --librispeech is still on this corpus: no extra LM text (synthetic corpora
    # only) is looked for (it was: lm.extract of data-extra/train.jsonl, which is not there)
    log = tmp_path / "commands.log"
    fake = tmp_path / "python"
    fake.write_text('#!/bin/bash\nprintf "%s\\n" "$*" >>"$FAKE_LOG"\n')
    fake.chmod(0o755)
    proc = subprocess.run(["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "debug", "--exp", str(exp),
                           "--stage", "3", "--stop-stage", "3", "--set", "libri_test=dev-clean"], capture_output=True,
                          text=True, env={**env, "PYTHON": str(fake), "FAKE_LOG": str(log)}, timeout=120)
    assert proc.returncode == 0 and "is LibriSpeech from" in proc.stderr, proc.stderr
    assert "lm.extract" in log.read_text() and "data-extra" not in log.read_text()
    # a later stage given --librispeech: the recorded corpus (spelled another way) goes on; another is refused (the
    # stages would go on from this corpus's data, and stage 8's card would name the other as the model's data)
    later = lambda folder: subprocess.run(
        ["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "debug", "--exp", str(exp), "--librispeech", folder,
         "--stage", "3", "--stop-stage", "3", "--set", "libri_test=dev-clean"], capture_output=True, text=True,
        env={**env, "PYTHON": str(fake), "FAKE_LOG": str(log)}, timeout=120, cwd=tmp_path)
    assert later("LibriSpeech/").returncode == 0
    shutil.copytree(tmp_path / "LibriSpeech", tmp_path / "other")
    proc = later(str(tmp_path / "other"))
    assert proc.returncode == 2 and f"the corpus of {exp} was built from LibriSpeech in" in proc.stderr, proc.stderr
    (tmp_path / "link").symlink_to(tmp_path / "LibriSpeech")
    assert later(str(tmp_path / "link")).returncode == 0  # the same folder through a symlink
    assert later(str(tmp_path / "gone")).returncode == 2  # nor is a folder not there taken for it


def test_unknown_preset_is_refused():
    proc = subprocess.run(["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "nosuch"], capture_output=True, text=True)
    assert proc.returncode == 2 and "nosuch" in proc.stderr


def test_set_overrides_only_known_scalar_settings():
    run = lambda *a: subprocess.run(["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "debug", *a],
                                    capture_output=True, text=True)
    proc = run("--set", "codec_stepz=5")
    assert proc.returncode == 2 and "has no setting 'codec_stepz'" in proc.stderr
    proc = run("--set", "codec_variants=x")
    assert proc.returncode == 2 and "is a list" in proc.stderr


@pytest.mark.parametrize("preset", ["debug", "tiny", "small", "paper", "default"])
def test_every_preset_variant_is_a_valid_codec_train_command(preset):
    """Each conf's codec variants (name:codebook:sg:seed[:flags]) parse as codec.train options: a typo in a preset
    would otherwise surface hours into a run, when its turn comes."""
    from codec.train import build_config, parse_args

    script = f'py=python; source "{ROOT}/recipes/conf/{preset}.sh"; printf "%s\\n" "${{codec_variants[@]}}"; ' \
             f'echo "--preset $codec_preset --lr $codec_lr $codec_extra"'
    lines = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout.splitlines()
    common, names = lines[-1].split(), []
    for variant in lines[:-1]:
        name, codebook, sg, seed, *extra = variant.split(":", 4)
        assert sg in ("on", "off") and int(seed) >= 0, variant
        args = parse_args([*common, "--codebook-size", codebook, "--sg" if sg == "on" else "--no-sg", "--seed", seed,
                           "--train-manifest", "t.jsonl", "--out", "o", *" ".join(extra).split()])
        config = build_config(args)
        assert config.codebook_size == int(codebook) and config.sg == (sg == "on"), variant
        names.append(name)
    assert len(set(names)) == len(names), f"{preset}: duplicate variant names {names}"


def _recipe(*args, env=None, timeout=120):
    return subprocess.run(["bash", str(ROOT / "recipes" / "run.sh"), "--preset", "debug", *args], capture_output=True,
                          text=True, env={**os.environ, "TQDM_DISABLE": "1", **(env or {})}, timeout=timeout)


@pytest.fixture
def fake_python(tmp_path):
    """A stand-in for the recipe's Python, in a folder whose name has a space (a repository under "My Projects"):
    it logs each command line and answers `pipelines.corpus synth --out DIR` with DIR/test.jsonl; the env to run
    the recipe with and the log."""
    folder = tmp_path / "a b"
    folder.mkdir()
    fake, log = folder / "python", tmp_path / "commands.log"
    fake.write_text('#!/bin/bash\nprintf "%s\\n" "$*" >>"$FAKE_LOG"\n'
                    'if [ "$2 $3" = "pipelines.corpus synth" ]; then\n'
                    '  while [ $# -gt 0 ]; do [ "$1" = --out ] && mkdir -p "$2" && touch "$2/test.jsonl"; shift; done\n'
                    'fi\nexit 0\n')
    fake.chmod(0o755)
    log.touch()
    return {"PYTHON": str(fake), "FAKE_LOG": str(log)}, log


def test_stage_numbers_and_set_are_checked_before_anything_runs(tmp_path):
    """`--stage abc` skipped every stage and exited 0; `--set codec_steps` (no value) set codec_steps to the word
    'codec_steps'; `--set preset=tiny` ran debug's settings under the name tiny (into exp/tiny); codec_parallel=0
    divided by zero in stage 1; an option without its value at the end of the line was "unbound variable"."""
    for args, said in [(["--stage", "abc"], "take a stage number, not 'abc'"),
                       (["--stop-stage", "2x"], "take a stage number, not '2x'"),
                       (["--set", "codec_steps"], "--set codec_steps: expected KEY=VALUE"),
                       (["--set", "preset=tiny"], "'preset' is not a setting of the preset"),
                       (["--set", "stage=3"], "'stage' is not a setting of the preset"),
                       (["--set", "codec_parallel=0"], "codec_parallel=0: the variants trained at once"),  # was: / 0
                       (["--set"], "--set needs a value")]:  # was: "overrides[@]: unbound variable"
        proc = _recipe("--exp", str(tmp_path / "exp"), "--stage", "1", "--stop-stage", "0", *args)
        assert proc.returncode == 2 and said in proc.stderr, (args, proc.stderr)
    assert _recipe("--exp", str(tmp_path / "exp"), "--stage", "1", "--stop-stage", "0",
                   "--set", "codec_steps=3").returncode == 0


def test_launch_prefix_keeps_a_python_path_with_spaces_whole(tmp_path, fake_python):
    """codec_launch="$py -m" was split at the space of the repository's path: every codec and LM failed to start."""
    env, log = fake_python
    proc = _recipe("--exp", str(tmp_path / "exp"), "--stage", "1", "--stop-stage", "5", env=env)
    assert proc.returncode == 0, proc.stderr
    commands = log.read_text().splitlines()
    assert sum(c.startswith("-m codec.train ") for c in commands) == 2
    assert sum(c.startswith("-m lm.train ") for c in commands) == 2


def test_codec_settings_are_all_checked_before_any_variant_trains(tmp_path, fake_python):
    """codec_parallel=2: a variant refused for its changed settings used to stop the recipe while the variants
    launched before it went on training in the background, unseen."""
    env, log = fake_python
    (tmp_path / "python").symlink_to(env["PYTHON"])  # a path without spaces: this test is about the launches only
    env, exp = {**env, "PYTHON": str(tmp_path / "python")}, tmp_path / "exp"
    assert _recipe("--exp", str(exp), "--stage", "1", "--stop-stage", "1", env=env).returncode == 0
    record = exp / "recipe-settings" / "codec-256-sg"  # as if the conf had changed this variant since
    record.write_text(record.read_text().replace("--steps 20\n", "--steps 30\n"))
    proc = _recipe("--exp", str(exp), "--stage", "1", "--stop-stage", "1", env=env)
    assert proc.returncode == 2 and "    < --steps 30" in proc.stderr
    assert "training codec" not in proc.stderr


def test_stage_8_makes_the_unseen_sentences_anew_for_another_unseen_utts(tmp_path, fake_python):
    """--set unseen_utts=5 over an earlier stage 8 kept its 3 sentences: the card judged the model on those."""
    env, log = fake_python
    for n in (3, 3, 5):
        assert _recipe("--exp", str(tmp_path / "exp"), "--stage", "8", "--set", f"unseen_utts={n}", env=env).returncode == 0
    made = [c.split("--max-utts ")[1].split()[0] for c in log.read_text().splitlines() if "pipelines.corpus synth" in c]
    assert made == ["3", "5"]


def test_librispeech_subsets_named_as_the_splits_or_joined_become_the_splits(tmp_path):
    """Subsets called train/dev/test were linked to themselves (ln -sf train.jsonl data/train.jsonl): every manifest
    replaced by a link loop, and stage 0 said done; libri_train=a,b left a dangling link."""
    import shutil

    from codec.data import read_manifest
    from test_corpus import make_librispeech

    make_librispeech(tmp_path)
    corpus = tmp_path / "custom"
    # train-more: other utterances than train's (one id twice in a manifest is skipped: codec.data.read_manifest)
    for subset, copy in [("train-clean-100", "train"), ("dev-clean", "train-more"), ("dev-clean", "dev"),
                         ("dev-clean", "test")]:
        shutil.copytree(tmp_path / "LibriSpeech" / subset, corpus / copy)
    env = {"PYTHON": sys.executable}
    proc = _recipe("--exp", str(tmp_path / "exp"), "--librispeech", str(corpus), "--stop-stage", "0",
                   "--set", "libri_train=train,train-more", "--set", "libri_dev=dev", "--set", "libri_test=test", env=env)
    assert proc.returncode == 0, proc.stderr
    for split, n in [("train", 6), ("dev", 3), ("test", 3)]:
        rows = read_manifest(tmp_path / "exp" / "data" / f"{split}.jsonl")
        assert len(rows) == n and not rows.skipped and all(Path(r.audio).is_file() for r in rows), split


def test_librispeech_subset_both_trained_on_and_held_out_is_refused(tmp_path):
    """libri_test=train-clean-100 beside libri_train=train-clean-100 was accepted: the test split was the training
    split, every evaluation measured on training data."""
    from test_corpus import make_librispeech

    make_librispeech(tmp_path)
    proc = _recipe("--exp", str(tmp_path / "exp2"), "--librispeech", str(tmp_path / "LibriSpeech"), "--stop-stage", "0",
                   "--set", "libri_test=train-clean-100", env={"PYTHON": sys.executable})
    assert proc.returncode == 2 and "train-clean-100 is in libri_train and in libri_dev or libri_test" in proc.stderr
    assert not (tmp_path / "exp2" / "data").exists()
