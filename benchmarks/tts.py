"""End-to-end TTS speed: real-time factor of TTSPipeline synthesis and first-audio latency.

The pipeline is --pipeline DIR when given (a trained one), else built with random weights: codec preset --codec-preset
(tiny), LM preset --lm-preset (tiny) over its codebook, a text tokenizer trained on the benchmark corpus' transcripts.
Generation length is controlled so that the RTF means something with an untrained LM: SPEECH_END is blocked by a
forward hook on lm_head and SamplingConfig(max_frames_base=N, max_frames_per_text_token=0) makes every sentence
exactly --frames N codes (N / 50 s of audio). With a trained pipeline and --natural, the model's own stopping is kept.

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
from benchmarks.common import environment, inverse, log, peak_memory, report, scaled, setup_device, time_fn
from codec.config import CodecConfig
from codec.model import Codec
from lm.config import LMConfig
from lm.generate import SamplingConfig
from lm.identity import CodecIdentity
from lm.model import SpeechLM
from lm.phonemes import phonemize
from pipelines.tts import TTSPipeline

SHORT_SENTENCE = "This is a test sentence."  # 24 characters


def build_pipeline(codec_preset: str, lm_preset: str, utterances: int, device) -> TTSPipeline:
    torch.manual_seed(0)
    codec = Codec(CodecConfig.preset(codec_preset)).to(device).eval()
    tokenizer = fixtures.tokenizer(utterances=utterances)
    lm = SpeechLM.create(LMConfig.preset(lm_preset), tokenizer, CodecIdentity.of(codec))
    lm.model.to(device).eval()
    return TTSPipeline(codec, lm)


def run(device: str = "cpu", codec_preset: str = "tiny", lm_preset: str = "tiny", frames: int = 150,
        sentences: int = 4, pipeline: str | None = None, natural: bool = False, threads: int = 2, warmup: int = 1,
        repeats: int = 3, utterances: int = 48, quick: bool = False) -> dict:
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
    hook = None
    overrides = {}
    if not natural:
        hook = fixtures.block_speech_end(tts.lm.model, tts.lm.vocab)
        overrides = {"max_frames_base": frames, "max_frames_per_text_token": 0.0}
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
        out = tts(text, seed=0, **overrides)
        audio_s = len(out["audio"]) / out["sampling_rate"]
        n_sent = sentences if label.startswith("paragraph") else 1
        # seconds of speech codes: fixed by --frames, or (natural) the audio less the pauses between sentences
        speech_s = n_sent * frames / tts.codec.frame_rate if not natural else audio_s - (n_sent - 1) * tts.pause_seconds
        row = {"input": label, "sentences": n_sent, "characters": len(text), "audio_seconds": audio_s,
               "frames_per_sentence": frames if not natural else "natural", "codec_preset": codec_preset,
               "lm_preset": lm_preset, "pipeline": pipeline or "random weights"}
        if audio_s == 0:  # --natural: a model that ends every sentence before its first code has no RTF
            row["skipped"] = "the model produced no audio for this input (it ended before any speech code)"
            log(f"tts {label}: skipped ({row['skipped']})")
            rows.append(row)
            continue
        with peak_memory(dev, row):
            # phonemizer answers are cached per process; a user's new text is not in the cache, so neither is ours
            stats = time_fn(lambda: (phonemize.cache_clear(), tts(text, seed=0, **overrides)), dev, warmup, repeats)
            first = time_fn(lambda: (phonemize.cache_clear(), next(tts.stream(text, seed=0, **overrides))), dev,
                            warmup, repeats)
        row.update({"synthesis_s": stats, "rtf": scaled(stats, 1 / audio_s),
                    "first_audio_latency_s": stats["median"], "stream_first_audio_s": first,
                    "lm_tokens_per_s": speech_s * tts.codec.frame_rate / stats["median"],
                    "audio_seconds_speech_only": speech_s})
        log(f"tts {label}: RTF {row['rtf']['median']:.3f}, first audio after {stats['median']:.2f} s "
            f"({first['median']:.2f} s streamed; {audio_s:.1f} s of audio)")
        rows.append(row)
    if hook is not None:
        hook.remove()
    targets = []
    para = rows[-1]
    if dev.type == "cpu" and (pipeline or codec_preset == lm_preset == "tiny") and "skipped" not in para:
        targets.append({"target": "end-to-end TTS real-time factor <= 0.2 on 2 CPU threads (paragraph)",
                        "value": para["rtf"]["median"], "met": para["rtf"]["median"] <= 0.2})
        targets.append({"target": "tiny TTS generates >= 250 tokens/s on 2 CPU threads (codes per second of synthesis, "
                                  "decode included, paragraph batch)",
                        "value": para["lm_tokens_per_s"], "met": (para["lm_tokens_per_s"] or 0) >= 250})
    return report("tts", env, {"codec_preset": codec_preset, "lm_preset": lm_preset, "frames": frames,
                               "sentences": sentences, "pipeline": pipeline, "natural": natural, "threads": threads,
                               "warmup": warmup, "repeats": repeats, "quick": quick}, rows, targets,
                  notes=["RTF = synthesis seconds / seconds of audio produced (pauses between sentences included)",
                         "first_audio_latency_s = whole-call time (a call returns all its audio at once); "
                         "stream_first_audio_s = time to the first sentence of TTSPipeline.stream",
                         "the model stops each sentence itself (lm_tokens_per_s from the audio less the pauses)"
                         if natural else "every sentence generates exactly frames_per_sentence codes (SPEECH_END blocked)"])
