"""The model card of a TTS pipeline folder, the size budget it must fit, and its installation as the default model.

  python -m pipelines.model_card --model exp/default/tts/default --name default \\
      --report exp/default/report --unseen-report exp/default/report-unseen --benchmark exp/default/bundle/tts.jsonl \\
      --train-manifest exp/default/data/train.jsonl --codec-run exp/default/codec/default --lm-run exp/default/lm/default \\
      --reproduce "recipes/run.sh --preset default" [--max-mb 60] [--install pipelines/default_model]

Writes README.md (the card) and card.json (the same facts, machine-readable) into the model folder. Every figure
on the card is read from a file named here, none is typed in: TTS WER on the test split and on sentences outside
the corpus, each beside the ground-truth row of the same sentences (`pipelines.evaluate compare` reports), the
real-time factor (a `benchmarks tts --pipeline DIR --natural` record), the steps and settings of every training run
(its latest checkpoint's trainer_state.json; a codec continued from another is given as several --codec-run, oldest
first), and the training data (its manifests). Runs no longer on this machine come from an earlier card whose
weights the model shares or continues (--codec-card, --lm-card). A folder over the size budget is refused before
anything is written, so nothing larger is ever installed.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file

from codec.checkpoint import atomic_directory, atomic_file, cwd_relative, require_replaceable
from codec.model import CodecLoadError
from lm.identity import CodecMismatchError
from lm.model import LMLoadError
from lm.text import TokenizerError
from pipelines.claims import training_summary
from pipelines.tts import DEFAULT_MODEL_DIR, pipeline_sha256

CARD_FILE, FACTS_FILE = "README.md", "card.json"
DATA_LICENSES = {  # where the bundled models' data comes from, by kind of corpus
    "synthetic": "rendered offline by flite (CMU / University of Edinburgh; free to use, modify and distribute, "
                 "with its copyright notice kept) speaking {text}; no recording of a person is in the training data",
    "librispeech": "LibriSpeech (CC BY 4.0), read audiobooks of the LibriVox project",
}
TEXT_SOURCES = {  # what a synthetic corpus speaks (pipelines.corpus): `--train-manifest PATH=SOURCE`
    "fortunes": "sentences of Debian's `fortunes` package (BSD-licensed collection of quotations)",
    "wordnet": "the example sentences of WordNet 3.0's glosses (Princeton University; free to use, copy, modify and "
               "distribute, with its copyright notice kept; Debian's `wordnet-base`)",
}


class ModelCardError(ValueError):
    """A model folder or an input of the card that is missing, malformed or over budget; the message names it."""


def model_bytes(directory: Path) -> int:
    """Bytes of a model folder, its card excluded (re-carding must not count the previous card)."""
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file() and p.name not in (CARD_FILE, FACTS_FILE))


def compute_precision(sampling: dict) -> str:
    """A sentence on the LM's half-precision copies at synthesis (pipeline.json's sampling), '' when none."""
    from lm.generate import SamplingConfig

    config = SamplingConfig.from_saved(sampling)
    parts = [f"its {what} in {dtype}" for dtype, what in ((config.layer_dtype, "layers' projections"),
                                                          (config.head_dtype, "logit projection")) if dtype != "float32"]
    if not parts:
        return ""
    limit = ("" if config.half_precision == "always" else
             " where that is faster than float32, and float32 elsewhere (on CUDA: where the GPU has the units; on a "
             "CPU: as timed at the batch's size on first use)")
    packed = ("" if "float16" not in (config.layer_dtype, config.head_dtype) else
              " On an x86 CPU the float16 copies are packed for fbgemm: only the weights are rounded to float16, the "
              "arithmetic stays float32.")
    return f" At synthesis the LM computes {' and '.join(parts)}{limit}.{packed}"


def sampling_sentence(sampling: dict) -> str:
    """A sentence on how the pipeline samples its codes (pipeline.json's sampling), which a call may override."""
    from lm.generate import SamplingConfig

    c = SamplingConfig.from_saved(sampling)
    how = "greedily" if c.temperature == 0 else f"at temperature {c.temperature:g}"
    return (f" It samples {how} (top-k {c.top_k}, top-p {c.top_p:g}, repetition penalty {c.repetition_penalty:g}; "
            f"an utterance that never ends is cut after {c.max_frames_base} frames + "
            f"{c.max_frames_per_text_token:g} per text token); "
            "every figure below is with these settings, and a call may override them, e.g. "
            "`synthesize(text, temperature=0.8)` or `python -m pipelines --temperature 0.8`.")


def stored_dtype(weights: Path) -> str:
    """The precision(s) a safetensors file stores its tensors in (what the bytes on disk are, not the loaded model)."""
    names = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}
    with safe_open(str(weights), "pt") as f:
        return "/".join(sorted({names.get(d, d) for d in (f.get_slice(k).get_dtype() for k in f.keys())}))


def codec_dtype_phrase(stored: str) -> str:
    """stored_dtype of a codec file, in words: a mixed file is one packaged with --codec-decoder-dtype."""
    if "/" not in stored:
        return f"{stored} (codec)"
    half = next(d for d in stored.split("/") if d != "float32")
    return f"{half} (the codec's decoder side; its tokenizer, which decides the codes, float32)"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ModelCardError(f"{path}: cannot read ({e})") from None


def _shown(path: Path) -> str:
    """A path as the card prints it (codec.checkpoint.cwd_relative): a card written by the recipe names no folder
    of the machine it was built on."""
    return str(cwd_relative(path))


def codec_lineage(run: Path, limit: int = 20) -> list[tuple[Path, int | None]]:
    """The codec training runs `run` continued, oldest first, as (run, step used), then (run, None) for `run`.

    A codec.train run started with --init-from FOLDER continues FOLDER's run: FOLDER is a codec.export of a checkpoint
    (its exported_from.json names the run and step) or a run's final/ folder (the run's last step). Followed back
    until a run started from scratch, or from a folder whose origin is not recorded."""
    chain: list[tuple[Path, int | None]] = [(run, None)]
    while len(chain) <= limit:
        state = _latest_state(chain[0][0])
        init = (state.get("args") or {}).get("init_from") if state else None
        if not init:
            break
        init = Path(init)
        if (init / "exported_from.json").is_file():
            origin = _read_json(init / "exported_from.json")
            if not origin.get("run"):
                break
            parent, step = Path(origin["run"]), int(origin["step"])
        elif init.name == "final" and (init.parent / "checkpoints").is_dir():
            parent, step = init.parent, None
        else:
            break
        if not parent.is_dir():
            raise ModelCardError(f"{init}: continues the run {parent}, which is not here (give its folder back, "
                                 "or card the later runs alone with explicit --codec-run)")
        chain.insert(0, (parent, step))
    return chain


def _history(runs: list[Path]) -> list[tuple[Path, int | None]]:
    """The named codec runs with the runs they continued, oldest first, each run once (with the step it was taken
    on at, when a later run continued it from an export)."""
    steps: dict[Path, int | None] = {}
    for run in runs:
        for link, step in codec_lineage(Path(run)):
            key = link.resolve()
            steps[key] = step if steps.get(key) is None else steps[key]
    return list(steps.items())


def _latest_state(run: Path) -> dict | None:
    states = sorted(run.glob("checkpoints/step_*/trainer_state.json"), key=lambda p: int(p.parent.name[5:]))
    return _read_json(states[-1]) if states else None


def run_summary(run: Path, used_until: int | None = None) -> dict:
    """Steps and settings of a training folder (codec.train or lm.train), from its latest checkpoint; `used_until`:
    the step whose weights were taken on (an export), shown instead of the run's last.

    An lm.train folder whose checkpoints were left behind (trained on a lent GPU, only final/ brought back) is read
    from its train_config.json: final/ is written only after the last step, so its step count is the config's."""
    state = _latest_state(run)
    if state is None:
        if not ((run / "train_config.json").exists() and (run / "final" / "config.json").exists()):
            raise ModelCardError(f"{run}: no checkpoints/step_*/trainer_state.json, nor a finished lm.train folder "
                                 "(train_config.json + final/): is it a training folder?")
        config = _read_json(run / "train_config.json")
        state = {"step": config["steps"], "args": config}
    settings = state.get("args") or state.get("config") or {}
    keep = ("preset", "init_from", "freeze_tokenizer", "decoder_depth", "codebook_size", "sg", "sg_weight", "sg_loss",
            "steps", "batch_size", "segment_seconds", "batch_tokens", "lr", "warmup_steps", "seed", "adv_start_step",
            "tokenizer", "init", "init_new_codec")
    summary = {"run": _shown(run), "step": int(state["step"] if used_until is None else used_until),
               "settings": {k: settings[k] for k in keep if settings.get(k) is not None}}
    if state.get("init_fingerprint"):
        # what --init-from held when the run started (a folder such as an installed bundle may be replaced since)
        summary["settings"]["init_fingerprint"] = state["init_fingerprint"][:12]
    if settings.get("init_from") and (settings.get("codebook_size") is not None or settings.get("fsq_levels")):
        # codec.train --init-from C --codebook-size N (or --fsq-levels): the quantizer (so every code) started fresh in this run; the
        # runs before it shaped the encoder and decoder only, and an LM on C's tokens does not fit this codec's
        summary["quantizer_started_fresh"] = True
    if used_until is not None and int(state["step"]) > used_until:
        summary["run_went_on_to_step"] = int(state["step"])
    if (run / "metrics.jsonl").exists():  # codec.train logs step times; lm.train does not
        summary["wall_hours"] = round(training_summary(run, used_until)["wall_hours"], 2)
    return summary


def manifest_spec(spec: str | Path) -> tuple[Path, str]:
    """`PATH` or `PATH=SOURCE`: a training manifest and the text source of a synthetic corpus (default fortunes)."""
    path, sep, source = str(spec).rpartition("=")
    if not sep or not source or "/" in source:  # no source named ("=" may be part of a folder name)
        path, source = str(spec), "fortunes"
    if source not in TEXT_SOURCES:
        raise ModelCardError(f"{spec}: unknown text source {source!r} (known: {', '.join(TEXT_SOURCES)})")
    return Path(path), source


def data_summary(manifest: Path, text_source: str = "fortunes") -> dict:
    """Utterances, hours and speakers of a training manifest; the kind of corpus (and for synthetic speech its text
    source) decides the license line."""
    try:
        rows = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    except (OSError, ValueError) as e:
        raise ModelCardError(f"{manifest}: cannot read the training manifest ({e})") from None
    for number, row in enumerate(rows, 1):
        missing = [k for k in ("audio", "duration", "speaker") if k not in row]
        if missing:  # the card sums hours and counts speakers: write_manifest's fields
            raise ModelCardError(f"{manifest}: entry {number} has no {', '.join(map(repr, missing))} (a manifest as "
                                 f"pipelines.corpus writes it has id, audio, text, speaker, duration, sample_rate)")
    speakers = Counter(r["speaker"] for r in rows)
    kind = "librispeech" if any(str(r["audio"]).endswith(".flac") for r in rows) else "synthetic"
    return {"manifest": _shown(manifest), "utterances": len(rows), "hours": round(sum(r["duration"] for r in rows) / 3600, 2),
            "speakers": dict(speakers.most_common()), "kind": kind,
            **({"text": text_source} if kind == "synthetic" else {}),
            "license": DATA_LICENSES[kind].format(text=TEXT_SOURCES[text_source])}


def wer_rows(report: Path, name: str, model: Path | None = None) -> dict:
    """TTS WER of `name` and the ground truth of the same sentences, from a comparison report's results.json;
    `model`: refused unless the result was measured on that folder's files (by their digest, as `speed_summary`;
    results that kept none, by the folder's path)."""
    results = _read_json(report / "results.json")
    if name not in results.get("tts", {}):
        raise ModelCardError(f"{report}/results.json: no TTS result named {name!r} (has {sorted(results.get('tts', {}))})")
    inputs = results["tts"][name].get("inputs") or {}
    if model is not None:
        digest = pipeline_sha256(model)[:16]
        measured = inputs.get("model_sha256")
        if measured != digest if measured else Path(inputs.get("model") or "").resolve() != model.resolve():
            raise ModelCardError(f"{report}/results.json: TTS {name!r} was measured on other model files than "
                                 f"{model}'s ({measured or inputs.get('model')}, not {digest}); evaluate this "
                                 f"model again (python -m pipelines.evaluate compare --tts {name}={model} ...)")
    pick = lambda r: {k: r["wer"][k] for k in ("wer", "wer_ci", "n_utterances", "n_reference_words")}
    # where the model set sentences aside, the comparison kept the ground truth of the rest beside it
    same = results["tts"][name].get("ground_truth_same_utterances")
    model, truth = pick(results["tts"][name]), pick({"wer": same} if same else results["ground_truth"])
    counts = lambda r: (r["n_utterances"], r["n_reference_words"])
    if counts(model) != counts(truth):  # the card calls the second row the ground truth of the same sentences
        raise ModelCardError(f"{report}/results.json: TTS {name!r} was judged on {model['n_utterances']} sentences "
                             f"({model['n_reference_words']} words), the ground truth on {truth['n_utterances']} "
                             f"({truth['n_reference_words']}): not the same sentences (were some unspeakable for the "
                             f"model?); evaluate both on one manifest the model can speak whole")
    # results written before the judge was recorded (2026-12-06) name none
    return {"model": model, "ground_truth": truth,
            "judge": results["tts"][name].get("judge") or "not recorded"}


def speed_summary(benchmark: Path, model: Path) -> dict:
    """Real-time factors of the last `benchmarks tts --pipeline MODEL --natural` record in a results file (which may
    hold other models' records, fixed-length runs of random weights, and runs whose --precision overrode the model's
    own settings: none is this model's speed); its --device is recorded with it."""
    try:
        records = [json.loads(line) for line in benchmark.read_text().splitlines() if line.strip()]
    except (OSError, ValueError) as e:
        raise ModelCardError(f"{benchmark}: cannot read the benchmark record ({e})") from None
    digest = pipeline_sha256(model)

    def ours(record: dict) -> bool:  # by the model files' digest; records written before it was kept, by the path
        params = record.get("params", {})
        if record.get("benchmark") != "tts" or not params.get("natural") or not params.get("pipeline"):
            return False
        if params.get("precision"):  # `--precision`: the LM's half precision forced, not pipeline.json's settings
            return False
        if params.get("pipeline_sha256"):
            return params["pipeline_sha256"] == digest
        return Path(params["pipeline"]).resolve() == model.resolve()

    records = [r for r in records if ours(r)]
    if not records:
        raise ModelCardError(f"{benchmark}: no record of `python -m benchmarks tts --pipeline {model} --natural` "
                             f"(records of other folders or of fixed-length runs are not this model's speed)")
    record = records[-1]
    rows = {row["input"]: {"audio_seconds": row["audio_seconds"], "rtf": row["rtf"]["median"] if "rtf" in row else None,
                           "synthesis_s": row["synthesis_s"]["median"] if "synthesis_s" in row else None}
            for row in record["results"]}
    env = record["env"]
    # torch_device: the --device it ran on (a CUDA record is this model's speed too, but not of `--device cpu`)
    # isa: the CPU's vector extensions (AVX2, AVX512, ...; benchmarks record them since 2026-11-28), which move a
    # CPU's figures more than its name says
    return {"threads": record["params"]["threads"], "device": env.get("gpu") or env.get("cpu"),
            "isa": None if env.get("gpu") else env.get("cpu_isa"), "torch_device": env.get("device", "cpu"),
            "date": env.get("date"), "torch": env.get("torch"), "inputs": rows}


def _wer_cell(row: dict) -> str:
    low, high = row["wer_ci"]
    return f"{row['wer']:.3f} [{low:.3f}, {high:.3f}] ({row['n_utterances']} sentences, {row['n_reference_words']} words)"


def _judges(wer: dict) -> str:
    """The ASR that judged the card's WER rows (cards written before it was recorded: pocketsphinx, the only one
    used until then)."""
    return ", ".join(sorted({rows.get("judge", "pocketsphinx") for rows in wer.values()}))


def card_markdown(facts: dict) -> str:
    speed = facts["speed"]
    data = [f"{d['utterances']} utterances, {d['hours']} h, speakers "
            f"{', '.join(f'{s} ({n})' for s, n in d['speakers'].items())} (`{d['manifest']}`): {d['license']}."
            for d in facts["data"]]
    if len(data) > 1:
        data = [f"{sum(d['utterances'] for d in facts['data'])} utterances, "
                f"{sum(d['hours'] for d in facts['data']):.2f} h in all:", "", *(f"- {line}" for line in data)]
    lines = [f"# {facts['title']}", "",
             "A text-to-speech model of sgspeech: a speech codec "
             f"({facts.get('sample_rate', 16000) / 1000:g} kHz, {facts.get('frame_rate', 50.0):g} codes/s, one "
             f"codebook of {facts['codebook_size']}) and a Llama-style LM over {facts['text_input']} and its codes. "
             + ("`pipelines.synthesize(\"text\")` and `python -m pipelines \"text\" -o out.wav` use it when no model is named."
              if facts.get("default_model", True) else  # cards written before the key were the bundled model's
              "Speak with it: `pipelines.synthesize(\"text\", model=\"THIS_FOLDER\")` or "
              "`python -m pipelines \"text\" -o out.wav --model THIS_FOLDER`."),
             "", "## Files", "",
             f"{facts['megabytes']:.1f} MB in all (budget {facts['max_megabytes']:g} MB), safetensors weights stored "
             f"in {codec_dtype_phrase(facts['dtype']['codec'])} and {facts['dtype']['lm']} (LM), loaded as float32: "
             f"`codec/` (config.json + model.safetensors, {facts['codec_parameters'] / 1e6:.1f} M parameters), "
             f"`lm/` (config.json + model.safetensors + the text tokenizer, {facts['lm_parameters'] / 1e6:.1f} M "
             "parameters), `pipeline.json` (sampling defaults)." + sampling_sentence(facts["sampling"])
             + compute_precision(facts["sampling"])
             + (" Phoneme input needs `espeak-ng` on the machine "
             "(`scripts/setup.sh` installs it)." if facts["text_input"].startswith("phonemes") else ""),
             "", "## Data", "", *data, "", f"## Intelligibility (ASR judge: {_judges(facts['wer'])})", "",
             "| sentences | this model: TTS WER [95% CI] | ground truth of the same sentences |", "|---|---|---|"]
    for label, rows in facts["wer"].items():
        lines.append(f"| {label} | {_wer_cell(rows['model'])} | {_wer_cell(rows['ground_truth'])} |")
    lines += ["", "The ground-truth row is the judge's own error on the real recordings (for unseen sentences: a "
              "synthesizer's voice speaking them, the recipe's first flite voice: the training voice for a synthetic "
              "corpus); the model can only be compared with it.", "",
              f"## Speed ({speed['threads']} threads, {speed['device']}{', ' + speed['isa'] if speed.get('isa') else ''}, "
              f"torch {speed['torch']}, {speed['date']})", "",
              "| input | audio s | synthesis s | real-time factor |", "|---|---|---|---|"]
    for label, row in speed["inputs"].items():
        if row["rtf"] is None:
            lines.append(f"| {label} | 0 | - | n/a: no audio |")
        else:
            lines.append(f"| {label} | {row['audio_seconds']:.2f} | {row['synthesis_s']:.2f} | {row['rtf']:.3f} |")
    lines += ["", f"Measured with `python -m benchmarks tts --device {speed.get('torch_device', 'cpu')} "
              f"--threads {speed['threads']} --pipeline DIR "
              "--natural` (DIR: this folder; `recipes/run.sh` stage 8), from the repository's root.",
              "", "## Training", ""]
    for kind, runs in (("codec", facts["codec_runs"]), ("LM", facts["lm_runs"])):
        for run in runs:
            wall = f", {run['wall_hours']} h of steps" if "wall_hours" in run else ""
            settings = ", ".join(f"{k} {v}" for k, v in run["settings"].items())
            taken = f" (taken on at step {run['step']} of {run['run_went_on_to_step']})" if "run_went_on_to_step" in run else ""
            fresh = "; its quantizer started fresh (new codes; the runs above shaped the rest)" \
                if run.get("quantizer_started_fresh") else ""
            lines.append(f"- {kind}: `{run['run']}`, {run['step']} steps{taken}{wall}; {settings}{fresh}")
    lines += ["", "## Reproduce", "", "```bash", *facts["reproduce"], "```", ""]
    return "\n".join(lines)


def inherited_codec_runs(model: Path, carded: Path, history: list[tuple[Path, int | None]] = ()) -> list[dict]:
    """The codec history of the carded model folder `carded` (its card.json), for `model` whose codec must hold the
    same weights, or one of whose codec runs (`history`, from _history) started (--init-from) from those weights:
    a new LM on a codec whose training runs are no longer on this machine keeps the codec's record, and so does a
    codec trained on from the carded one (a decoder fine-tuning of the bundled codec), or from the run that made it
    (the history passes through the carded card's last run at the step it used). A run's start is judged by the
    fingerprint codec.train recorded (`init_fingerprint`), not by what its --init-from folder holds today (an
    installed bundle is replaced); runs from before that record fall back to the folder's current weights."""
    from codec import Codec

    theirs = carded / "codec" / "model.safetensors"
    if not (carded / FACTS_FILE).is_file() or not theirs.is_file():
        raise ModelCardError(f"{carded}: not a carded model folder (no {FACTS_FILE} or codec/model.safetensors)")
    runs = _read_json(carded / FACTS_FILE)["codec_runs"]
    b = load_file(str(theirs))
    if _same_weights(model / "codec" / "model.safetensors", b):
        return runs
    last = (Path(runs[-1]["run"]).resolve(), runs[-1]["step"]) if runs else None
    fingerprint = None  # the carded codec's, computed once a run with a recorded start needs it
    for run, step in history:
        state = _latest_state(run) or {}
        # the carded card's last run at the step the card used: the carded codec is that run's weights, perhaps
        # stored in another precision (pipelines.package --codec-decoder-dtype), so no weights compare
        if (Path(run).resolve(), state.get("step") if step is None else step) == last:
            return runs
        if not (init := (state.get("args") or {}).get("init_from")):
            continue
        if (recorded := state.get("init_fingerprint")) is None:  # a run from before the record
            if _same_weights(Path(init) / "model.safetensors", b):
                return runs
        elif recorded == (fingerprint := fingerprint or Codec.from_pretrained(carded / "codec").fingerprint()):
            return runs
    raise ModelCardError(f"{model / 'codec' / 'model.safetensors'} and {theirs} hold different codec weights, and no "
                         f"codec run given started from the latter: the history of {carded} is not this codec's")


def inherited_lm_facts(model: Path, carded: Path) -> tuple[list[dict], list[dict]]:
    """The LM runs and training data of the carded model folder `carded` (its card.json), for `model` whose LM must
    hold the very same weights: a new codec decoder under an LM whose runs are no longer on this machine keeps the
    LM's record."""
    theirs = carded / "lm" / "model.safetensors"
    if not (carded / FACTS_FILE).is_file() or not theirs.is_file():
        raise ModelCardError(f"{carded}: not a carded model folder (no {FACTS_FILE} or lm/model.safetensors)")
    if not _same_weights(model / "lm" / "model.safetensors", load_file(str(theirs))):
        raise ModelCardError(f"{model / 'lm' / 'model.safetensors'} and {theirs} hold different LM weights: the LM "
                             f"history of {carded} is not this LM's")
    facts = _read_json(carded / FACTS_FILE)
    return facts["lm_runs"], facts["data"]


def _same_weights(path: Path, weights: dict[str, torch.Tensor]) -> bool:
    mine = load_file(str(path)) if path.is_file() else {}
    return mine.keys() == weights.keys() and all(torch.equal(mine[k], weights[k]) for k in mine)


def write_card(model: Path, name: str, wer_reports: dict[str, Path], benchmark: Path, train_manifests: list,
               codec_runs: list[Path], lm_runs: list[Path], reproduce: list[str], max_mb: float = 60.0,
               codec_card: Path | None = None, lm_card: Path | None = None, default_model: bool = False) -> dict:
    """Check the folder against the budget, gather the facts, write README.md + card.json into it; returns the facts.
    `codec_card`: a carded model folder with the same codec weights, or whose codec one of `codec_runs` started from,
    whose codec history the card takes over (the `codec_runs` given, if any, follow it). `lm_card`: a carded model
    folder with the same LM weights, whose LM runs and training data the card takes over (`lm_runs` and
    `train_manifests` given follow them, a manifest already listed once). `train_manifests`: `PATH` or
    `PATH=TEXT_SOURCE` each (manifest_spec). `default_model`: the folder is to be installed as the bundled default
    model, which the card then says is spoken with when no model is named."""
    from codec import Codec
    from lm.model import SpeechLM

    if not (model / "pipeline.json").is_file():
        raise ModelCardError(f"{model}: not a TTS pipeline folder (no pipeline.json; see pipelines.package)")
    weights = model_bytes(model)
    if weights > max_mb * 1e6:
        raise ModelCardError(f"{model}: {weights / 1e6:.1f} MB ({weights} bytes), over the budget of {max_mb:g} MB "
                             f"({max_mb * 1e6:.0f} bytes)")
    codec = Codec.from_pretrained(model / "codec")
    lm = SpeechLM.from_pretrained(model / "lm", codec=codec)
    history = _history(codec_runs)
    inherited = inherited_codec_runs(model, codec_card, history) if codec_card else []
    inherited_lm, data = inherited_lm_facts(model, lm_card) if lm_card else ([], [])
    listed = {d["manifest"] for d in data}
    data += [d for d in (data_summary(*manifest_spec(m)) for m in train_manifests) if d["manifest"] not in listed]
    if not data:
        raise ModelCardError("no training data: give --train-manifest, or --lm-card for an LM whose card lists it")
    # a run continued from the carded codec walks back through that codec's own runs, already in the inherited list
    carded = {Path(r["run"]).resolve() for r in inherited}
    facts = {
        "title": f"sgspeech TTS model `{name}`", "name": name, "codebook_size": codec.codebook_size,
        "sample_rate": codec.sample_rate, "frame_rate": codec.frame_rate,
        "text_input": "phonemes (espeak-ng IPA)" if getattr(lm.tokenizer.config, "phonemes", False) else "text pieces",
        "megabytes": weights / 1e6, "max_megabytes": max_mb,
        "dtype": {part: stored_dtype(model / part / "model.safetensors") for part in ("codec", "lm")},
        "sampling": json.loads((model / "pipeline.json").read_text()).get("sampling", {}),
        "codec_parameters": sum(p.numel() for p in codec.parameters()),
        "lm_parameters": sum(p.numel() for p in lm.model.parameters()),
        "data": data,
        "wer": {label: wer_rows(report, name, model) for label, report in wer_reports.items()},
        "speed": speed_summary(benchmark, model),
        # the codec's whole history: each named run preceded by the runs it continued (codec_lineage), once each
        "codec_runs": inherited + [run_summary(r, step) for r, step in history if r.resolve() not in carded],
        "lm_runs": inherited_lm + [run_summary(r) for r in lm_runs],
        "reproduce": reproduce, "default_model": default_model,
    }
    # both rendered and written to temporaries before either is renamed into place: a card that fails to render or
    # write leaves the old pair as it was
    texts = {FACTS_FILE: json.dumps(facts, indent=2), CARD_FILE: card_markdown(facts)}
    with contextlib.ExitStack() as files:
        for name, text in texts.items():
            files.enter_context(atomic_file(model / name)).write_text(text)
    return facts


def install(model: Path, target: Path) -> Path:
    """Replace `target` with a copy of the carded model folder, atomically (a failed copy leaves the old one)."""
    if not (model / CARD_FILE).is_file():
        raise ModelCardError(f"{model}: no {CARD_FILE}; write the card before installing")
    try:
        require_replaceable(target, "pipeline.json", "TTS pipeline")
    except FileExistsError as e:
        raise ModelCardError(str(e)) from None
    with atomic_directory(target) as tmp:
        shutil.copytree(model, tmp, dirs_exist_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.model_card", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="a TTS pipeline folder (pipelines.package)")
    parser.add_argument("--name", required=True, help="the model's name in the reports")
    parser.add_argument("--report", type=Path, required=True, help="comparison report on the test split")
    parser.add_argument("--unseen-report", type=Path, help="comparison report on sentences outside the corpus")
    parser.add_argument("--benchmark", type=Path, required=True, help="results file with a `benchmarks tts` record")
    parser.add_argument("--train-manifest", action="append", default=[], metavar="PATH[=TEXT_SOURCE]",
                        help=f"a training manifest (repeat); for synthetic speech, what it speaks: {', '.join(TEXT_SOURCES)} "
                             "(default fortunes)")
    parser.add_argument("--codec-run", type=Path, action="append", default=[], help="codec training folder (repeat)")
    parser.add_argument("--lm-run", type=Path, action="append", default=[], help="LM training folder (repeat)")
    parser.add_argument("--codec-card", type=Path, help="a carded model folder with the same codec weights, or whose "
                        "codec a --codec-run started from (checked): its codec history is taken over (e.g. a new LM "
                        "on the bundled model's codec, or a decoder fine-tuning of it)")
    parser.add_argument("--lm-card", type=Path, help="a carded model folder with the same LM weights (checked): its "
                        "LM runs and training data are taken over (e.g. a new codec decoder under the bundled LM)")
    parser.add_argument("--reproduce", action="append", default=[], help="a command that reproduces it (repeat)")
    parser.add_argument("--max-mb", type=float, default=60.0)
    parser.add_argument("--install", type=Path, help="then copy the folder here (e.g. pipelines/default_model)")
    args = parser.parse_args(argv)
    reports = {"test split": args.report, **({"unseen sentences": args.unseen_report} if args.unseen_report else {})}
    try:
        facts = write_card(args.model, args.name, reports, args.benchmark, args.train_manifest, args.codec_run,
                           args.lm_run, args.reproduce, args.max_mb, args.codec_card, args.lm_card,
                           default_model=args.install is not None and args.install.resolve() == DEFAULT_MODEL_DIR)
        if args.install:
            print(f"installed {install(args.model, args.install)}")
    except (ModelCardError, CodecLoadError, LMLoadError, TokenizerError, CodecMismatchError) as e:  # each names its file
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{args.model / CARD_FILE}: {facts['megabytes']:.1f} MB, test-split TTS WER "
          f"{facts['wer']['test split']['model']['wer']:.3f} (ground truth {facts['wer']['test split']['ground_truth']['wer']:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
