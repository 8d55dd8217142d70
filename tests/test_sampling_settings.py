"""Bad sampling options and pipeline settings are refused by name, where they are given (lm/generate.py
SamplingConfig, pipelines/tts.py), on a tiny untrained codec + LM: seconds on CPU, no recipe run."""
from __future__ import annotations

import json
import re

import pytest
import torch

from lm.config import LMConfig
from lm.generate import SamplingConfig
from lm.identity import CodecIdentity
from lm.model import SpeechLM
from lm.text import TextConfig, TextTokenizer
from pipelines.tts import PipelineLoadError, TTSPipeline

SENTENCES = ["The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
             "Rice is often served in round bowls.", "Four hours of steady work faced us."]
SHORT = {"max_frames_base": 4, "max_frames_per_text_token": 0.0}  # the untrained LM runs to its length bound

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def pipeline() -> TTSPipeline:
    from codec import Codec, CodecConfig

    torch.manual_seed(0)
    codec = Codec(CodecConfig.preset("debug", codebook_size=64)).eval()
    tokenizer = TextTokenizer.train(SENTENCES, TextConfig(vocab_size=128))
    lm = SpeechLM.create(LMConfig.preset("debug"), tokenizer, CodecIdentity.of(codec))
    return TTSPipeline(codec, lm, SamplingConfig(**SHORT))


@pytest.fixture(scope="module")
def saved(pipeline, tmp_path_factory):
    """The pipeline's folder and its pipeline.json as saved."""
    directory = pipeline.save_pretrained(tmp_path_factory.mktemp("tts") / "tts")
    return directory, json.loads((directory / "pipeline.json").read_text())


@pytest.mark.parametrize("field,value", [
    ("temperature", "0.7"), ("top_p", None), ("repetition_penalty", "high"), ("max_frames_per_text_token", "20"),
    ("temperature", True), ("top_k", True), ("repetition_window", True), ("max_frames_base", True),
])
def test_sampling_config_refuses_a_value_of_the_wrong_kind_by_its_name(field, value):
    # before: a str failed inside math.isfinite (TypeError, no field named), a bool passed (top_k=True then failed
    # inside torch.topk at the first generation)
    with pytest.raises(ValueError, match=f"^{field} {value!r}"):
        SamplingConfig(**{field: value})


def test_a_known_sampling_option_with_a_bad_value_is_not_called_unknown(pipeline):
    with pytest.raises(ValueError, match="temperature 'hot': must be a number"):  # was "unknown sampling option"
        pipeline("Rice.", seed=0, temperature="hot")
    with pytest.raises(TypeError, match="unknown sampling option temprature: choose from .*temperature"):
        pipeline("Rice.", seed=0, temprature=0.5)
    assert len(pipeline("Rice.", seed=0, temperature=0.5)["audio"]) > 0


@pytest.mark.parametrize("change,message", [
    ({"sampling": {"temperature": -1}}, "bad sampling settings \\(temperature -1: must be a finite number >= 0"),
    ({"sampling": {"top_k": True}}, "bad sampling settings \\(top_k True"),
    ({"sampling": "fast"}, "bad sampling settings \\(expected an object"),
    ({"pause_seconds": None}, "pause_seconds None: must be a finite number >= 0"),
    ({"pause_seconds": -0.5}, "pause_seconds -0.5: must be a finite number >= 0"),
])
def test_a_pipeline_json_with_a_bad_setting_is_a_load_error_naming_the_file(saved, change, message):
    # before: a ValueError without the file (temperature), an AttributeError or TypeError traceback ("fast", None),
    # or a pipeline that loaded and failed inside np.zeros at its first synthesis (a negative pause)
    directory, settings = saved
    (directory / "pipeline.json").write_text(json.dumps({**settings, **change}))
    try:
        with pytest.raises(PipelineLoadError, match="pipeline.json: " + message):
            TTSPipeline.from_pretrained(directory)
    finally:
        (directory / "pipeline.json").write_text(json.dumps(settings))


def test_a_pipeline_with_a_negative_pause_is_refused_when_made(pipeline, saved):
    with pytest.raises(ValueError, match="pause_seconds -1: must be a finite number >= 0"):
        TTSPipeline(pipeline.codec, pipeline.lm, pipeline.sampling, pause_seconds=-1)
    again = TTSPipeline.from_pretrained(saved[0])  # the saved folder itself loads and speaks
    assert again.pause_seconds == pipeline.pause_seconds and len(again("Rice.", seed=0, min_frames=1)["audio"]) > 0


def test_settings_that_pass_as_numbers_but_break_the_arithmetic_are_refused_by_name():
    """temperature 1e-46 or 1e39 is 0 or inf in the float32 the logits are divided in (NaN probabilities, reported
    as the model's overflow); a length bound of 1e308 overflowed to a bare OverflowError; seed 1.9 spoke as seed 1."""
    from lm.generate import SamplingConfig
    from pipelines.tts import TTSPipeline

    for temperature in (1e-46, 1e39):
        with pytest.raises(ValueError, match=re.escape(f"temperature {temperature!r}: beyond float32's range")):
            SamplingConfig(temperature=temperature)
    assert SamplingConfig(temperature=1e-40).temperature == 1e-40  # tiny but representable: as greedy as it looks
    for settings in ({"max_frames_per_text_token": 1e308}, {"max_frames_base": 10**400}):
        with pytest.raises(ValueError, match="the length bound takes numbers up to"):
            SamplingConfig(**settings)
    for seed in (1.5, "1", True, float("nan"), -(2**63) - 1, 2**63):
        with pytest.raises(ValueError, match="seed .*: must be a whole number"):
            TTSPipeline._seed(seed)
    assert TTSPipeline._seed(-1) == -1  # negative seeds are seeds (they were, before the check)
    assert TTSPipeline._seed(torch.tensor(7).numpy()[()]) == 7 and 0 <= TTSPipeline._seed(None) < 2**31
