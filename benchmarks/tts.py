"""End-to-end TTS speed: real-time factor of TTSPipeline synthesis and first-audio latency.

The pipeline is --pipeline DIR when given (a trained one), else built with random weights: codec preset --codec-preset
(tiny), LM preset --lm-preset (tiny) over its codebook, a text tokenizer trained on the benchmark corpus' transcripts.
Generation length is controlled so that the RTF means something with an untrained LM: SamplingConfig(min_frames=N,
max_frames_base=N, max_frames_per_text_token=0) makes every sentence --frames N codes (N / 50 s of audio). With a trained pipeline and --natural, the model's own stopping is
kept. Either way the figures come from the codes generated, counted (the LM's context can end a sentence sooner).
--precision float32|bfloat16 sets the LM's layer projections and head (SamplingConfig layer_dtype, head_dtype at
any batch); by default the pipeline's own settings apply. Each row records the precision used (`precision` for the
call's batch, `stream_precision` for the stream's single sentences: on a CPU the pipeline's "where_faster" verdict
may differ between them); the codec runs in its weights' precision (float32).

First-audio latency, two ways: a call (`tts(text)`) generates all sentences as one batch and decodes them together,
so its first audio comes when the whole call returns (first_audio_latency_s); `tts.stream(text)` speaks sentence by
sentence, so its first audio comes after the first sentence alone (stream_first_audio_s). Both for a short sentence
(5 words), an ordinary one (the corpus' first single sentence of 3-20 words) and a paragraph of --sentences of them.
"""
from __future__ import annotations

import dataclasses
import logging

import torch

from benchmarks import fixtures
from benchmarks.common import environment, log, peak_memory, report, scaled, setup_device, time_fn
from codec.config import CodecConfig
from codec.model import Codec
from lm.config import LMConfig
from lm.identity import CodecIdentity
from lm.model import SpeechLM
from lm.phonemes import phonemize
from pipelines.tts import GENERATION_BATCH, TTSPipeline, pipeline_sha256

SHORT_SENTENCE = "This is a test sentence."  # 24 characters


def build_pipeline(codec_preset: str, lm_preset: str, utterances: int, device) -> TTSPipeline:
    torch.manual_seed(0)
    codec = Codec(CodecConfig.preset(codec_preset)).to(device).eval()
    tokenizer = fixtures.tokenizer(utterances=utterances)
    lm = SpeechLM.create(LMConfig.preset(lm_preset), tokenizer, CodecIdentity.of(codec))
    lm.model.to(device).eval()
    return TTSPipeline(codec, lm)


def precision_overrides(precision: str | None) -> dict:
    """SamplingConfig fields for --precision: the LM's projections and head in that precision at any batch size."""
    if precision is None:
        return {}
    return {"layer_dtype": precision, "head_dtype": precision, "half_precision": "always"}


def used_precision(tts: TTSPipeline, rows: int, overrides: dict) -> str:
    """What a generation of `rows` sentences ran in: the LM decoder's head and layers, and the codec."""
    sampling = dataclasses.replace(tts.sampling, **overrides)
    codec = str(next(tts.codec.parameters()).dtype).removeprefix("torch.")
    return f"lm {fixtures.decoder_precision(tts.lm.model, min(rows, GENERATION_BATCH), sampling)}; codec {codec}"


def measure(tts: TTSPipeline, text: str, overrides: dict, dev, warmup: int, repeats: int) -> dict:
    """One input's figures: a call's synthesis time and real-time factor, the stream's first audio, and the codes
    the LM generated, counted in an untimed call with the same seed (the timed calls generate the same ones)."""
    codes = tts.generate(text, seed=0, **overrides)[0]
    audio_s = len(tts.render([codes])[0]["audio"]) / tts.sample_rate
    n_codes = sum(len(c) for c in codes)
    row = {"sentences": len(codes), "codes_generated": n_codes, "audio_seconds": audio_s,
           "audio_seconds_speech_only": n_codes / tts.codec.frame_rate}
    if audio_s == 0:  # --natural: a model that ends every sentence before its first code has no RTF
        return {**row, "skipped": "the model produced no audio for this input (it ended before any speech code)"}
    with peak_memory(dev, row):
        # phonemizer answers are cached per process; a user's new text is not in the cache, so neither is ours
        stats = time_fn(lambda: (phonemize.cache_clear(), tts(text, seed=0, **overrides)), dev, warmup, repeats)
        first = time_fn(lambda: (phonemize.cache_clear(), next(tts.stream(text, seed=0, **overrides))), dev,
                        warmup, repeats)
    # asked after the timed runs: on a CPU they settled the pipeline's half-precision verdicts for both batch sizes
    row.update({"precision": used_precision(tts, len(codes), overrides),
                "stream_precision": used_precision(tts, 1, overrides), "synthesis_s": stats,
                "rtf": scaled(stats, 1 / audio_s), "first_audio_latency_s": stats["median"],
                "stream_first_audio_s": first, "lm_tokens_per_s": n_codes / stats["median"]})
    return row


def run(device: str = "cpu", codec_preset: str = "tiny", lm_preset: str = "tiny", frames: int = 150,
        sentences: int = 4, pipeline: str | None = None, natural: bool = False, precision: str | None = None,
        threads: int = 2, warmup: int = 1, repeats: int = 3, utterances: int = 48, quick: bool = False) -> dict:
    if quick:
        codec_preset, lm_preset, frames, sentences, warmup, repeats, utterances = "debug", "debug", 10, 2, 1, 2, 12
    dev = setup_device(device, threads)
    env = environment(device)
    logging.getLogger("lm.generate").setLevel(logging.ERROR)
    if pipeline:
        tts = TTSPipeline.from_pretrained(pipeline, device=dev)
        codec_preset = lm_preset = None  # the presets describe the random-weights build only
    else:
        tts = build_pipeline(codec_preset, lm_preset, utterances, dev)
    overrides = precision_overrides(precision)
    if not natural:
        overrides.update(min_frames=frames, max_frames_base=frames, max_frames_per_text_token=0.0)
    texts = fixtures.sentences(utterances=utterances)
    # short, single-sentence lines (the splitter must keep each one whole)
    # (the end mark is stripped before the check: the corpus's sentences end with one)
    bodies = [t.strip().rstrip(".!?;") for t in texts]
    pool = [b + "." for b in bodies if 3 <= len(b.split()) <= 20 and not any(c in b for c in ".!?;\n")]
    pool = pool or [SHORT_SENTENCE]
    one = pool[0]
    paragraph = " ".join(pool[i % len(pool)] for i in range(sentences))
    rows = []
    # the shortest input too: a call's fixed costs (phonemizer, prefill, decoder set-up) weigh most there
    inputs = (("short_sentence", SHORT_SENTENCE), ("one_sentence", one), (f"paragraph_{sentences}_sentences", paragraph))
    for label, text in inputs:
        row = {"input": label, "characters": len(text),
               "frames_per_sentence": "natural" if natural else frames, "codec_preset": codec_preset,
               "lm_preset": lm_preset, "pipeline": pipeline or "random weights",
               **measure(tts, text, overrides, dev, warmup, repeats)}
        if "skipped" in row:
            log(f"tts {label}: skipped ({row['skipped']})")
        else:
            log(f"tts {label}: RTF {row['rtf']['median']:.3f}, first audio after "
                f"{row['first_audio_latency_s']:.2f} s ({row['stream_first_audio_s']['median']:.2f} s streamed; "
                f"{row['audio_seconds']:.1f} s of audio)")
        rows.append(row)
    targets = []
    para = rows[-1]
    if dev.type == "cpu" and (pipeline or codec_preset == lm_preset == "tiny") and "skipped" not in para:
        targets.append({"target": "end-to-end TTS real-time factor <= 0.2 on 2 CPU threads (paragraph)",
                        "value": para["rtf"]["median"], "met": para["rtf"]["median"] <= 0.2})
        targets.append({"target": "tiny TTS generates >= 250 tokens/s on 2 CPU threads (codes per second of synthesis, "
                                  "decode included, paragraph batch)",
                        "value": para["lm_tokens_per_s"], "met": (para["lm_tokens_per_s"] or 0) >= 250})
    return report("tts", env, {"codec_preset": codec_preset, "lm_preset": lm_preset, "frames": frames,
                               "sentences": sentences, "pipeline": pipeline, "natural": natural,
                               # which model was timed, wherever its folder is later copied or moved (model cards)
                               "pipeline_sha256": pipeline_sha256(pipeline) if pipeline else None,
                               "precision": precision, "threads": threads,
                               "warmup": warmup, "repeats": repeats, "quick": quick}, rows, targets,
                  notes=["RTF = synthesis seconds / seconds of audio produced (pauses between sentences included)",
                         "first_audio_latency_s = whole-call time (a call returns all its audio at once); "
                         "stream_first_audio_s = time to the first sentence of TTSPipeline.stream",
                         "lm_tokens_per_s = codes_generated (counted) / synthesis seconds; audio_seconds_speech_only "
                         "= codes_generated / frame rate",
                         "the model stops each sentence itself" if natural else
                         "every sentence generates frames_per_sentence codes (SPEECH_END blocked), unless the LM's "
                         "context ends it sooner"])
